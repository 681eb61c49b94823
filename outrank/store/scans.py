"""Reads and writes of sites and scans."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from outrank.store.db import Store, utcnow, write

FINISHED = ("complete", "partial", "failed", "cancelled")


def upsert_site(db: Database, domain: str, target_url: str, email: str | None = None) -> int:
    with write(db):
        row = db.execute("SELECT id FROM sites WHERE domain = ?", [domain]).fetchone()
        if row:
            db.execute("UPDATE sites SET target_url = ? WHERE id = ?", [target_url, row[0]])
            if email:
                db.execute("UPDATE sites SET email = ? WHERE id = ?", [email, row[0]])
            return int(row[0])
        cursor = db.execute(
            "INSERT INTO sites (domain, target_url, email, created_at) VALUES (?, ?, ?, ?)",
            [domain, target_url, email, utcnow()],
        )
        return int(cursor.lastrowid or 0)


def find_sites(db: Database, domain_or_email: str) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT * FROM sites WHERE domain = :v OR lower(email) = lower(:v) ORDER BY id",
        {"v": domain_or_email},
    )
    return list(rows)


def create_scan(
    db: Database,
    *,
    site_id: int,
    domain: str,
    target_url: str,
    trigger: str,
    recipient: str | None,
    settings: dict[str, Any],
    simulated: bool,
) -> int:
    with write(db):
        cursor = db.execute(
            "INSERT INTO scans (site_id, domain, target_url, trigger, recipient, settings, simulated, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [site_id, domain, target_url, trigger, recipient, json.dumps(settings), int(simulated), utcnow()],
        )
        return int(cursor.lastrowid or 0)


def get_scan(db: Database, scan_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM scans WHERE id = ?", [scan_id]))
    return rows[0] if rows else None


def latest_unfinished_scan(db: Database, domain: str) -> dict[str, Any] | None:
    placeholders = ", ".join("?" for _ in FINISHED)
    rows = list(
        db.query(
            f"SELECT * FROM scans WHERE domain = ? AND status NOT IN ({placeholders}) ORDER BY id DESC LIMIT 1",
            [domain, *FINISHED],
        )
    )
    return rows[0] if rows else None


def update_scan(store: Store, scan_id: int, **fields: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with store.write() as db:
        db.execute(f"UPDATE scans SET {assignments} WHERE id = ?", [*fields.values(), scan_id])


def request_cancel(db: Database, scan_id: int) -> None:
    with write(db):
        db.execute("UPDATE scans SET cancel_requested = 1 WHERE id = ?", [scan_id])


def cancel_requested(db: Database, scan_id: int) -> bool:
    row = db.execute("SELECT cancel_requested FROM scans WHERE id = ?", [scan_id]).fetchone()
    return bool(row and row[0])
