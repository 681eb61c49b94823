"""`outrank site`, `outrank questions` and `outrank competitors`: a subscriber's sites, questions and rivals."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from outrank import QUESTION_CATEGORIES as CATEGORIES
from outrank.cli import render
from outrank.cli.common import JsonOpt, cli_errors, settings_from_env, show

site_app = typer.Typer(help="Add, list and remove subscribed sites and set their tier.", no_args_is_help=True)
questions_app = typer.Typer(help="A paid site's own question set, with version history.", no_args_is_help=True)
competitors_app = typer.Typer(help="The competitors tracked for a site (at most 5).", no_args_is_help=True)

DomainArg = Annotated[str, typer.Argument(metavar="DOMAIN", help="The site: a domain or an http(s) URL.")]
QuestionArg = Annotated[int, typer.Argument(metavar="ID", help="A question id from `questions list`.")]
CategoryOpt = Annotated[str, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")]
SITE_COLUMNS = [("domain", "domain"), ("tier", "tier"), ("email", "email"), ("questions", "questions"),
                ("competitors", "competitors"), ("last_scan_id", "last scan")]  # fmt: skip
QUESTION_COLUMNS = [("id", "id"), ("position", "#"), ("text", "question"), ("category", "category"),
                    ("kind", "kind"), ("source", "source"), ("status", "status"), ("version", "v")]  # fmt: skip


def _question_line(verb: str) -> Any:
    return lambda q: render.out.print(f"question {q['id']} {verb} (version {q['version']}, {q['kind']}): {q['text']}")


# -- site --------------------------------------------------------------------------------------------------


@site_app.command("add")
@cli_errors
def site_add(
    domain: DomainArg,
    email: Annotated[str, typer.Option(help="Where this site's reports go.")],
    tier: Annotated[str, typer.Option(help="free, starter, pro or agency.")] = "free",
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a site (or update its email and tier)."""
    from outrank import subscribers as lib

    lib.check_site_input(domain, email, tier)
    with lib.subscriber_store(settings_from_env(), create=True) as store:
        site = lib.add_site(store, domain, email, tier)
    verb = "added" if site["created"] else "updated"
    show(site, as_json, lambda s: render.out.print(f"{verb} {s['domain']} ({s['tier']}) for {s['email']}"))


@site_app.command("list")
@cli_errors
def site_list(as_json: JsonOpt = False) -> None:
    """Every subscribed site with its tier, question count and last scan."""
    from outrank import subscribers as lib

    settings = settings_from_env()
    if not settings.db_path.exists():
        show([], as_json, lambda _: render.out.print("no sites yet; add one with `outrank site add`"))
        return
    with lib.subscriber_store(settings) as store:
        sites = lib.list_sites(store.db)
    show(sites, as_json, lambda rows: render.rows_table(rows, SITE_COLUMNS, title="sites", empty="no sites yet"))


@site_app.command("remove")
@cli_errors
def site_remove(
    domain: DomainArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; also deletes the site's scans.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a site with its scans, questions and competitors."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        site = lib.get_site(store.db, domain)
        if not yes and not typer.confirm(f"remove {site['domain']} and all its scans?", err=True):
            raise typer.Exit(1)
        removed = lib.remove_site(store, domain)
    show(removed, as_json, lambda s: render.out.print(f"removed {s['domain']} ({s['scans_deleted']} scans)"))


@site_app.command("alias")
@cli_errors
def site_alias(
    domain: DomainArg,
    name: Annotated[str, typer.Argument(help="Another name the business goes by.")],
    remove: Annotated[bool, typer.Option("--remove", help="Forget this alias.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add (or --remove) a name that counts as a mention of the business."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        result = lib.set_alias(store, domain, name, remove=remove)
    show(result, as_json, lambda r: render.out.print(f"{r['domain']} aliases: {', '.join(r['aliases']) or 'none'}"))


@site_app.command("set-tier")
@cli_errors
def site_set_tier(
    domain: DomainArg,
    tier: Annotated[str, typer.Argument(help="free, starter, pro or agency.")],
    as_json: JsonOpt = False,
) -> None:
    """Change a site's tier."""
    from outrank import subscribers as lib

    lib.check_tier(tier)
    with lib.subscriber_store(settings_from_env()) as store:
        site = lib.set_tier(store, domain, tier)
    show(site, as_json, lambda s: render.out.print(f"{s['domain']}: {s['previous_tier']} -> {s['tier']}"))


# -- questions ---------------------------------------------------------------------------------------------


@questions_app.command("list")
@cli_errors
def questions_list(
    domain: DomainArg,
    show_all: Annotated[bool, typer.Option("--all", help="Include archived questions.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The questions the site's scans ask, in order."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        rows = lib.list_questions(store.db, domain, include_archived=show_all)
    empty = "no saved questions: scans research fresh ones (paid tiers keep the first scan's set)"
    show(rows, as_json, lambda r: render.rows_table(r, QUESTION_COLUMNS, title=f"questions for {domain}", empty=empty))


@questions_app.command("add")
@cli_errors
def questions_add(
    domain: DomainArg,
    text: Annotated[str, typer.Argument(help="The question, as a customer would ask it.")],
    category: CategoryOpt = "general",
    as_json: JsonOpt = False,
) -> None:
    """Add a question (starter: up to 10 active, pro and agency: 20)."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        question = lib.add_question(store, domain, text, category)
    show(question, as_json, _question_line("added"))


@questions_app.command("edit")
@cli_errors
def questions_edit(
    domain: DomainArg,
    question_id: QuestionArg,
    text: Annotated[str, typer.Argument(help="The new wording.")],
    category: Annotated[str | None, typer.Option(help="A new category.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reword a question; the old wording is kept in its history."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        question = lib.edit_question(store, domain, question_id, text, category)
    show(question, as_json, _question_line("edited"))


@questions_app.command("archive")
@cli_errors
def questions_archive(domain: DomainArg, question_id: QuestionArg, as_json: JsonOpt = False) -> None:
    """Stop asking a question (it keeps its history and can be restored)."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        question = lib.set_question_status(store, domain, question_id, "archived")
    show(question, as_json, _question_line("archived"))


@questions_app.command("restore")
@cli_errors
def questions_restore(domain: DomainArg, question_id: QuestionArg, as_json: JsonOpt = False) -> None:
    """Ask an archived question again."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        question = lib.set_question_status(store, domain, question_id, "active")
    show(question, as_json, _question_line("restored"))


@questions_app.command("history")
@cli_errors
def questions_history(question_id: QuestionArg, as_json: JsonOpt = False) -> None:
    """Every version of a question."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        versions = lib.question_history(store.db, question_id)
    columns = [("version", "v"), ("text", "question"), ("category", "category"), ("created_at", "saved")]
    show(versions, as_json, lambda r: render.rows_table(r, columns, title=f"question {question_id}", empty=""))


@questions_app.command("revert")
@cli_errors
def questions_revert(
    question_id: QuestionArg,
    version: Annotated[int, typer.Argument(help="The version to go back to.")],
    as_json: JsonOpt = False,
) -> None:
    """Go back to an earlier wording (saved as a new version, so nothing is lost)."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        question = lib.revert_question(store, question_id, version)
    show(question, as_json, _question_line(f"reverted to version {version}"))


# -- competitors -------------------------------------------------------------------------------------------


@competitors_app.command("list")
@cli_errors
def competitors_list(domain: DomainArg, as_json: JsonOpt = False) -> None:
    """Tracked competitors: frozen from the first paid scan, or added by hand."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        rows = lib.list_competitors(store.db, domain)
    columns = [("name", "competitor"), ("domain", "domain"), ("source", "source"), ("created_at", "since")]
    empty = "no tracked competitors yet: a paid site's first scan freezes the ones it finds"
    show(rows, as_json, lambda r: render.rows_table(r, columns, title=f"competitors of {domain}", empty=empty))


@competitors_app.command("add")
@cli_errors
def competitors_add(
    domain: DomainArg,
    name: Annotated[str, typer.Argument(help="The competitor's business name.")],
    url: Annotated[str | None, typer.Option("--url", help="The competitor's website.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Track a competitor (at most 5)."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        added = lib.add_competitor(store, domain, name, url)
    show(added, as_json, lambda c: render.out.print(f"tracking {c['name']} for {c['site']}"))


@competitors_app.command("remove")
@cli_errors
def competitors_remove(
    domain: DomainArg,
    name: Annotated[str, typer.Argument(help="The competitor's name as listed.")],
    as_json: JsonOpt = False,
) -> None:
    """Stop tracking a competitor."""
    from outrank import subscribers as lib

    with lib.subscriber_store(settings_from_env()) as store:
        removed = lib.remove_competitor(store, domain, name)
    show(removed, as_json, lambda c: render.out.print(f"no longer tracking {c['name']} for {c['site']}"))
