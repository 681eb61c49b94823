"""`outrank outbox list|flush|retry`: the emails outrank has queued and their delivery state."""

from __future__ import annotations

from typing import Annotated

import typer

from outrank.cli import render
from outrank.cli.common import JsonOpt, cli_errors, settings_from_env, show

outbox_app = typer.Typer(help="Emails waiting, sent, failed or uncertain; flush and retry.", no_args_is_help=True)
OUTBOX_COLUMNS = [("id", "id"), ("kind", "kind"), ("recipient", "to"), ("status", "status"),
                  ("attempts", "tries"), ("subject", "subject"), ("last_error", "last error")]  # fmt: skip


@outbox_app.command("list")
@cli_errors
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sending, sent, failed or uncertain.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every email outrank has queued, with its delivery state."""
    from outrank.mail.outbox import list_outbox

    settings = settings_from_env()
    rows = []
    if settings.db_path.exists():
        from outrank import subscribers as lib

        with lib.subscriber_store(settings) as store:
            rows = list_outbox(store.db, status)
    show(rows, as_json, lambda r: render.rows_table(r, OUTBOX_COLUMNS, title="outbox", empty="the outbox is empty"))


@outbox_app.command("flush")
@cli_errors
def outbox_flush(as_json: JsonOpt = False) -> None:
    """Deliver every email that is due (failed deliveries wait with backoff between flushes)."""
    from outrank.mail.outbox import flush
    from outrank.mail.transport import transport_for

    settings = settings_from_env()
    if not settings.db_path.exists():
        show({"attempted": 0, "sent": 0, "pending": 0, "failed": 0, "uncertain": 0}, as_json, lambda _: None)
        return
    from outrank import subscribers as lib

    with lib.subscriber_store(settings) as store:
        summary = flush(store, transport_for(settings.smtp_url, settings.outbox_dir))
    show(summary, as_json, lambda s: render.out.print(
        f"outbox: {s['sent']} sent, {s['pending']} waiting to retry, {s['failed']} failed, {s['uncertain']} uncertain"
    ))  # fmt: skip
    raise typer.Exit(1 if summary["failed"] else 0)


@outbox_app.command("retry")
@cli_errors
def outbox_retry(
    outbox_id: Annotated[int, typer.Argument(metavar="ID", help="A failed or uncertain message.")],
    as_json: JsonOpt = False,
) -> None:
    """Queue a failed or uncertain message again; the next flush sends it."""
    from outrank import subscribers as lib
    from outrank.mail.outbox import retry

    with lib.subscriber_store(settings_from_env()) as store:
        row = retry(store, outbox_id)
    show(row, as_json, lambda r: render.out.print(f"message {r['id']} queued again for {r['recipient']}"))
