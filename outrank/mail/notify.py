"""Queue an email in the outbox (idempotently) and try to deliver it at once; a delivery that fails waits in
the outbox for the next flush, so the scan itself never fails because mail is down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from outrank.config import Settings
from outrank.mail.compose import admin_message, completion_message, failure_message
from outrank.mail.outbox import enqueue, flush
from outrank.mail.transport import transport_for
from outrank.store.db import Store


def _queue_and_send(
    store: Store, settings: Settings, *, key: str, kind: str, recipient: str, message: Any, scan_id: int | None
) -> dict[str, Any]:
    with store.write() as db:
        outbox_id = enqueue(db, key=key, kind=kind, recipient=recipient, message=message, scan_id=scan_id)
    flush(store, transport_for(settings.smtp_url, settings.outbox_dir), only=outbox_id)
    row = store.db.execute("SELECT status, message_id, delivered_to FROM outbox WHERE id = ?", [outbox_id]).fetchone()
    return {"outbox_id": outbox_id, "recipient": recipient, "status": row[0], "message_id": row[1], "to": row[2]}


def notify_completion(
    store: Store, settings: Settings, scan: dict[str, Any], metrics: dict[str, Any], report: Path
) -> dict[str, Any]:
    recipient = scan["recipient"]
    failures = [
        f"{row[0]}: {row[1]}"
        for row in store.db.execute(
            "SELECT title, evidence FROM readiness_checks WHERE scan_id = ? AND status = 'fail' ORDER BY position",
            [scan["id"]],
        )
    ]
    message = completion_message(settings, scan, metrics, report, failures, recipient)
    key = f"{scan['id']}:complete:{recipient.lower()}"
    return _queue_and_send(store, settings, key=key, kind="complete", recipient=recipient, message=message,
                           scan_id=scan["id"])  # fmt: skip


def notify_failure(store: Store, settings: Settings, scan: dict[str, Any], error: str) -> dict[str, Any] | None:
    recipient = scan.get("recipient")
    if not recipient:
        return None
    message = failure_message(settings, scan, error, recipient)
    key = f"{scan['id']}:failure:{recipient.lower()}"
    return _queue_and_send(store, settings, key=key, kind="failure", recipient=recipient, message=message,
                           scan_id=scan["id"])  # fmt: skip


def queue_admin_alert(
    store: Store, settings: Settings, *, key: str, subject: str, lines: list[str]
) -> dict[str, Any] | None:
    """An alert to OUTRANK_ADMIN_EMAIL (stuck scans, failure rates, model errors); `key` makes it once-only."""
    if not settings.admin_email:
        return None
    message = admin_message(settings, subject, lines)
    return _queue_and_send(store, settings, key=f"admin:{key}", kind="admin", recipient=settings.admin_email,
                           message=message, scan_id=None)  # fmt: skip
