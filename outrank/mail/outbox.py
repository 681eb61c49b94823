"""The outbox: every email is a row first (one per scan, kind and recipient), then delivered.

Delivery is at most once. A row is claimed as `sending` in its own transaction before the SMTP conversation
and marked `sent` (with its Message-ID) right after; a process that dies in between leaves it `sending`, and a
later flush marks it `uncertain` instead of sending it again. Failures that retrying can fix wait with
exponential backoff for the next flush (`outrank outbox flush`, and every `dispatch-hourly`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from sqlite_utils import Database

from outrank.errors import BadInput
from outrank.mail.transport import DeliveryError, Transport
from outrank.store.db import Store, utcnow

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
STALE_SENDING = timedelta(minutes=15)
LIST_COLUMNS = (
    "id, idempotency_key, scan_id, kind, recipient, subject, status, attempts, message_id, transport, delivered_to,"
    " last_error, next_attempt_at, created_at, sent_at"
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def enqueue(db: Database, *, key: str, kind: str, recipient: str, message: EmailMessage, scan_id: int | None) -> int:
    """Write the message once; a second call with the same key keeps the first (idempotent)."""
    db.execute(
        "INSERT INTO outbox (idempotency_key, scan_id, kind, recipient, subject, message, message_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        [key, scan_id, kind, recipient, str(message["Subject"]), message.as_string(), message["Message-ID"], utcnow()],
    )
    return int(db.execute("SELECT id FROM outbox WHERE idempotency_key = ?", [key]).fetchone()[0])


def flush(
    store: Store, transport: Transport, *, only: int | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Deliver every due message (or just `only`); return what happened, by status."""
    moment = now or datetime.now(UTC)
    _mark_stale(store, moment)
    where = "status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
    params: list[Any] = [_iso(moment)]
    if only is not None:
        where += " AND id = ?"
        params.append(only)
    due = [row[0] for row in store.db.execute(f"SELECT id FROM outbox WHERE {where} ORDER BY id", params)]
    results = [deliver(store, outbox_id, transport, moment) for outbox_id in due]
    summary: dict[str, Any] = {"attempted": len(results)}
    for status in ("sent", "pending", "failed"):
        summary[status] = sum(1 for r in results if r == status)
    summary["uncertain"] = store.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'uncertain'").fetchone()[0]
    return summary


def _mark_stale(store: Store, moment: datetime) -> None:
    with store.write() as db:
        db.execute(
            "UPDATE outbox SET status = 'uncertain', last_error = ? WHERE status = 'sending' AND last_attempt_at < ?",
            [
                "the sender stopped during delivery, so it may have been sent; not resent automatically "
                "(`outrank outbox retry ID` sends it again)",
                _iso(moment - STALE_SENDING),
            ],
        )


def deliver(store: Store, outbox_id: int, transport: Transport, moment: datetime) -> str:
    with store.write() as db:
        claimed = db.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?, transport = ?"
            " WHERE id = ? AND status = 'pending' RETURNING message, kind, attempts",
            [_iso(moment), transport.name, outbox_id],
        ).fetchone()
    if claimed is None:
        return "skipped"  # another flusher has it
    text, kind, attempts = claimed
    message = message_from_string(text, policy=policy.SMTP)
    try:
        where = transport.send(message, f"{outbox_id:06d}-{kind}.eml")
    except DeliveryError as exc:
        return _failed(store, outbox_id, attempts, exc, moment)
    with store.write() as db:
        db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, delivered_to = ?, last_error = NULL WHERE id = ?",
            [utcnow(), where, outbox_id],
        )
    return "sent"


def _failed(store: Store, outbox_id: int, attempts: int, exc: DeliveryError, moment: datetime) -> str:
    final = exc.permanent or attempts >= MAX_ATTEMPTS
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    with store.write() as db:
        db.execute(
            "UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
            ["failed" if final else "pending", str(exc), None if final else _iso(moment + wait), outbox_id],
        )
    return "failed" if final else "pending"


def list_outbox(db: Database, status: str | None = None) -> list[dict[str, Any]]:
    if status is None:
        return list(db.query(f"SELECT {LIST_COLUMNS} FROM outbox ORDER BY id"))
    return list(db.query(f"SELECT {LIST_COLUMNS} FROM outbox WHERE status = ? ORDER BY id", [status]))


def retry(store: Store, outbox_id: int) -> dict[str, Any]:
    """Send a failed or uncertain message again (a person decided it is safe)."""
    with store.write() as db:
        row = db.execute("SELECT status FROM outbox WHERE id = ?", [outbox_id]).fetchone()
        if row is None:
            raise BadInput(f"no outbox message {outbox_id}")
        if row[0] not in ("failed", "uncertain"):
            raise BadInput(f"message {outbox_id} is {row[0]}; only failed or uncertain messages can be retried")
        db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = NULL, last_error = NULL WHERE id = ?", [outbox_id]
        )
    return _row(store.db, outbox_id)


def _row(db: Database, outbox_id: int) -> dict[str, Any]:
    return dict(next(iter(db.query(f"SELECT {LIST_COLUMNS} FROM outbox WHERE id = ?", [outbox_id]))))
