"""The `outrank` command. Each command parses arguments, calls one library function and renders the result.

Exit codes: 0 complete or partial, 1 failed or cancelled, 2 bad input or usage.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from outrank import __version__
from outrank.cli import render
from outrank.cli.common import EXIT_FOR_STATUS, JsonOpt, ScanOptions, cli_errors, settings_from_env, show
from outrank.cli.mail import outbox_app
from outrank.cli.reports import register as register_report_commands
from outrank.cli.schedules import register as register_schedule_commands
from outrank.cli.subscribers import competitors_app, questions_app, site_app

app = typer.Typer(
    help="Measure and track how visible a business is in AI assistants.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
runs_app = typer.Typer(help="Inspect scan runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(site_app, name="site")
app.add_typer(questions_app, name="questions")
app.add_typer(competitors_app, name="competitors")
app.add_typer(outbox_app, name="outbox")


def _finish(summary: dict[str, Any], as_json: bool) -> None:
    show(summary, as_json, render.scan_result)
    raise typer.Exit(EXIT_FOR_STATUS.get(summary["status"], 1))


@app.command()
@cli_errors
def scan(
    target: Annotated[str, typer.Argument(help="A domain (example.com) or an http(s) URL, port allowed.")],
    email: Annotated[str | None, typer.Option(help="Send the completion email to this address.")] = None,
    new: Annotated[bool, typer.Option("--new", help="Start a fresh scan even if an unfinished one exists.")] = False,
    samples: Annotated[
        int | None, typer.Option(min=1, max=20, help="Times each question is asked per platform.")
    ] = None,
    questions: Annotated[int | None, typer.Option(min=1, max=50, help="How many questions to research.")] = None,
    platforms: Annotated[str | None, typer.Option(help="Comma-separated subset, e.g. chatgpt,claude.")] = None,
    max_pages: Annotated[
        int | None, typer.Option(min=1, max=200, help="Most pages to crawl (default 20, OUTRANK_CRAWL_MAX_PAGES).")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option(metavar="PLATFORM=MODEL", help="Use this model on a platform (repeatable).")
    ] = None,
    system_prompt: Annotated[
        str | None, typer.Option(help="neutral (default, as a plain user) or nudge (the original's).")
    ] = None,
    extractor: Annotated[
        str | None, typer.Option(help="Platform that lists the businesses in answers, or 'heuristic'.")
    ] = None,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Print the calls and expected cost, then exit without calling.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Crawl a site, ask every configured AI platform its customers' questions, and score its visibility."""
    from outrank.service import start_scan

    options = ScanOptions(samples, questions, platforms, max_pages, model or [], system_prompt, extractor)
    settings = settings_from_env(options)
    if estimate:
        from outrank.service import estimate_scan

        show(estimate_scan(settings, target), as_json, render.estimate)
        return
    with render.ScanProgress() as progress:
        summary = start_scan(settings, target, email=email, new=new, events=progress)
    _finish(summary, as_json)


@app.command()
@cli_errors
def rescan(
    domain_or_email: Annotated[
        str, typer.Argument(metavar="DOMAIN|EMAIL", help="A site's domain or a subscriber's email.")
    ],
    skip_email: Annotated[bool, typer.Option("--skip-email", help="Do not email the subscriber.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Start a new scan of a known site (or of every site of a subscriber)."""
    from outrank.service import rescan as rescan_sites

    with render.ScanProgress() as progress:
        summaries = rescan_sites(settings_from_env(), domain_or_email, skip_email=skip_email, events=progress)
    if as_json:
        render.print_json(summaries if len(summaries) > 1 else summaries[0])
    else:
        for summary in summaries:
            render.scan_result(summary)
    raise typer.Exit(max(EXIT_FOR_STATUS.get(s["status"], 1) for s in summaries))


@app.command()
@cli_errors
def resume(scan_id: Annotated[int, typer.Argument(help="The scan to continue.")], as_json: JsonOpt = False) -> None:
    """Continue an unfinished, failed or cancelled scan from its last checkpoint."""
    from outrank.service import resume_scan

    with render.ScanProgress() as progress:
        summary = resume_scan(settings_from_env(), scan_id, events=progress)
    _finish(summary, as_json)


@app.command()
@cli_errors
def cancel(scan_id: Annotated[int, typer.Argument(help="The scan to cancel.")], as_json: JsonOpt = False) -> None:
    """Ask a running scan to stop after its current step (a scan nobody runs is cancelled at once)."""
    from outrank.service import cancel_scan

    summary = cancel_scan(settings_from_env(), scan_id)
    show(summary, as_json, lambda s: render.out.print(f"scan {scan_id}: {s['status']} (cancel requested)"))


@runs_app.command("show")
@cli_errors
def runs_show(scan_id: Annotated[int, typer.Argument(help="The scan to show.")], as_json: JsonOpt = False) -> None:
    """A timeline of a scan's steps with attempts, durations and errors."""
    from outrank.service import run_details

    show(run_details(settings_from_env(), scan_id), as_json, render.run_timeline)


@app.command()
@cli_errors
def demo(
    email: Annotated[str | None, typer.Option(help="Also write a completion email for this address.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a full scan of a bundled sample site against simulated AI platforms (no keys, no internet)."""
    from outrank.demo.run import run_demo

    render.err.print("[yellow]demo:[/] simulated platforms and a sample site on 127.0.0.1; no real assistant is asked")
    with render.ScanProgress() as progress:
        summary = run_demo(settings_from_env(), email=email, events=progress)
    _finish(summary, as_json)


@app.command()
@cli_errors
def doctor(as_json: JsonOpt = False) -> None:
    """Check keys, base URLs and that every configured model answers (a tiny real request each)."""
    from outrank.doctor import check_platforms

    report = check_platforms(settings_from_env())
    show(report, as_json, render.doctor)
    raise typer.Exit(0 if report["ok"] else 1)


def version_callback(value: bool) -> None:
    if value:
        render.out.print(f"outrank {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """outrank: AI visibility scans you can trust, on your own machine."""


# Registered after the scan commands above, so `--help` lists those first.
register_report_commands(app)
register_schedule_commands(app)


def run() -> None:
    app()
