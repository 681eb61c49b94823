"""Completion email through the outbox: written once per (scan, kind, recipient), then delivered.

Without SMTP configured, delivery is an `.eml` file in the outbox folder, so a fresh machine loses nothing.
#5 adds SMTP delivery, HTML with inlined CSS, attachments and retries across runs.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outrank.store.db import Store, utcnow, write

HEADER_UNSAFE = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def header_safe(value: str) -> str:
    """Text from a website or a model must never be able to add a header line."""
    return HEADER_UNSAFE.sub(" ", value).strip()


def completion_message(scan: dict[str, Any], overall: float | None, report: Path, sender: str) -> EmailMessage:
    message = EmailMessage()
    score = "n/a" if overall is None else f"{overall:.0f}/100"
    message["Subject"] = header_safe(f"AI visibility for {scan['domain']}: {score}")
    message["From"] = sender
    message["To"] = header_safe(scan["recipient"])
    message["Message-ID"] = make_msgid(domain="outrank.local")
    label = " (simulated demo)" if scan["simulated"] else ""
    message.set_content(
        f"Your AI visibility scan of {scan['domain']}{label} is {scan['status']}.\n\n"
        f"Overall score: {score}\n\nFull report: {report.resolve()}\n"
    )
    return message


def queue_and_deliver(
    store: Store, scan: dict[str, Any], overall: float | None, report: Path, outbox_dir: Path, sender: str
) -> dict[str, Any]:
    key = f"{scan['id']}:complete:{scan['recipient'].lower()}"
    with store.write() as db:
        existing = db.execute("SELECT status, message_id FROM outbox WHERE idempotency_key = ?", [key]).fetchone()
        if existing and existing[0] == "sent":
            return {"recipient": scan["recipient"], "status": "sent", "message_id": existing[1]}
        message = completion_message(scan, overall, report, sender)
        if not existing:
            db.execute(
                "INSERT INTO outbox (idempotency_key, scan_id, kind, recipient, subject, message, created_at)"
                " VALUES (?, ?, 'complete', ?, ?, ?, ?)",
                [key, scan["id"], scan["recipient"], message["Subject"], message.as_string(), utcnow()],
            )
    return deliver_to_folder(store.db, key, outbox_dir)


def deliver_to_folder(db: Database, key: str, outbox_dir: Path) -> dict[str, Any]:
    row = next(db.query("SELECT * FROM outbox WHERE idempotency_key = ?", [key]))
    message_id = re.search(r"^Message-ID: (.+)$", row["message"], re.MULTILINE | re.IGNORECASE)
    outbox_dir.mkdir(parents=True, exist_ok=True)
    path = outbox_dir / f"{row['id']:06d}-{row['kind']}.eml"
    path.write_text(row["message"], encoding="utf-8")
    with write(db):
        db.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, message_id = ?, sent_at = ? WHERE id = ?",
            [message_id.group(1).strip() if message_id else None, utcnow(), row["id"]],
        )
    return {"recipient": row["recipient"], "status": "sent", "file": str(path)}
