"""`outrank dispatch-hourly`: enqueue due weekly occurrences once, run them with bounded concurrency, heal.

Safe to run every 15 minutes and from several processes at once: an occurrence is a unique (site, local date)
row, created with INSERT ... ON CONFLICT DO NOTHING and claimed with one atomic UPDATE, and every scan holds a
lease while it runs.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from outrank.config import Settings
from outrank.engine.lease import lease_is_free
from outrank.schedule import iso_z, weekly_of
from outrank.store.db import Store

TIER_RANK = {"agency": 0, "pro": 1, "starter": 2, "free": 3}
FAILURE_ALERT_SHARE = 0.5


@dataclass(frozen=True)
class DispatchOptions:
    now: datetime
    dry_run: bool = False
    max_concurrent: int = 3
    backfill: bool = False
    grace: timedelta = timedelta(hours=24)
    stagger: float = 0.0  # seconds between scan starts, so a weekly batch does not stampede one provider
    stuck_after: timedelta = timedelta(hours=2)


def eligible_schedules(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT s.*, si.domain, si.tier, si.email, si.target_url FROM schedules s"
            " JOIN sites si ON si.id = s.site_id WHERE si.tier IN ('starter', 'pro', 'agency') OR s.forced = 1"
            " ORDER BY si.domain"
        )
    )


def plan(db: Database, options: DispatchOptions) -> dict[str, list[dict[str, Any]]]:
    """Occurrences due now (or missed within the grace window) and older missed ones, without writing."""
    due: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    for row in eligible_schedules(db):
        local_date, due_utc = weekly_of(row).latest(options.now)
        existing = db.execute(
            "SELECT status FROM occurrences WHERE site_id = ? AND local_date = ?",
            [row["site_id"], local_date.isoformat()],
        ).fetchone()
        item = {"domain": row["domain"], "local_date": local_date.isoformat(), "due_utc": iso_z(due_utc)}
        late = options.now - due_utc > options.grace
        if existing is None:
            (missed if late and not options.backfill else due).append(item | {"site_id": row["site_id"]})
        elif existing[0] == "missed":
            (due if options.backfill else missed).append(item | {"site_id": row["site_id"]})
    return {"due": due, "missed": missed}


class Dispatcher:
    def __init__(self, store: Store, settings: Settings, options: DispatchOptions) -> None:
        self.store = store
        self.settings = settings
        self.options = options
        self.run_id = 0
        self.counts = {"enqueued": 0, "missed": 0, "resumed": 0, "stuck": 0, "retried": 0, "completed": 0, "failed": 0}
        self.lock = threading.Lock()

    def run(self) -> dict[str, Any]:
        self._start_run()
        self._enqueue(plan(self.store.db, self.options))
        self._heal()
        self._drain()
        summary = {"run_id": self.run_id, "now": iso_z(self.options.now)} | self.counts
        summary["outbox"] = self._flush_outbox()
        summary["alert"] = self._failure_rate_alert()
        with self.store.write() as db:
            db.execute(
                "UPDATE dispatcher_runs SET finished_at = ?, summary = ? WHERE id = ?",
                [iso_z(datetime.now(UTC)), _json(summary), self.run_id],
            )
        return summary

    def _start_run(self) -> None:
        with self.store.write() as db:
            cursor = db.execute(
                "INSERT INTO dispatcher_runs (host, pid, now_utc, started_at) VALUES (?, ?, ?, ?)",
                [
                    socket.gethostname(),
                    os.getpid(),
                    iso_z(self.options.now),
                    iso_z(datetime.now(UTC)),
                ],
            )
            self.run_id = int(cursor.lastrowid or 0)

    def _enqueue(self, planned: dict[str, list[dict[str, Any]]]) -> None:
        for status, items in (("queued", planned["due"]), ("missed", planned["missed"])):
            for item in items:
                with self.store.write() as db:
                    created = db.execute(
                        "INSERT INTO occurrences (site_id, local_date, due_utc, status, created_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (site_id, local_date) DO UPDATE SET status = 'queued'"
                        " WHERE occurrences.status = 'missed' AND excluded.status = 'queued' RETURNING id",
                        [item["site_id"], item["local_date"], item["due_utc"], status, iso_z(self.options.now)],
                    ).fetchone()
                if created:
                    self.counts["enqueued" if status == "queued" else "missed"] += 1

    def _heal(self) -> None:
        """Scans whose process died are resumed; scans stuck past the threshold fail, and retry once a day."""
        rows = list(
            self.store.db.query(
                "SELECT o.id AS occurrence_id, s.id, s.status, s.lease_owner, s.lease_expires_at, s.started_at,"
                " s.current_step, s.auto_retries, s.last_auto_retry_at FROM occurrences o JOIN scans s"
                " ON s.id = o.scan_id WHERE o.status = 'running'"
            )
        )
        for row in rows:
            if lease_is_free(row["lease_owner"], row["lease_expires_at"]):
                self._requeue(row["occurrence_id"], "resumed")
            elif row["started_at"] and self._started(row) < self.options.now - self.options.stuck_after:
                self._fail_stuck(row)
        self._retry_failed()

    def _retry_failed(self) -> None:
        """A scheduled scan that failed after its own retries gets one more go per 24 h (its email says so)."""
        rows = self.store.db.query(
            "SELECT o.id AS occurrence_id, s.id, s.last_auto_retry_at FROM occurrences o JOIN scans s"
            " ON s.id = o.scan_id WHERE o.status = 'failed' AND s.status = 'failed'"
        )
        for row in list(rows):
            if self._may_retry(row["last_auto_retry_at"]):
                self._count_retry(row["id"])
                self._requeue(row["occurrence_id"], "retried")

    def _may_retry(self, last: str | None) -> bool:
        # At most one automatic retry per 24 h; a scan never retried before always gets its first one.
        return last is None or _instant(last) <= self.options.now - timedelta(hours=24)

    def _count_retry(self, scan_id: int) -> None:
        with self.store.write() as db:
            db.execute(
                "UPDATE scans SET auto_retries = auto_retries + 1, last_auto_retry_at = ? WHERE id = ?",
                [iso_z(self.options.now), scan_id],
            )

    def _started(self, row: dict[str, Any]) -> datetime:
        return _instant(str(row["started_at"]))

    def _requeue(self, occurrence_id: int, reason: str) -> None:
        with self.store.write() as db:
            moved = db.execute(
                "UPDATE occurrences SET status = 'queued' WHERE id = ? AND status IN ('running', 'failed')",
                [occurrence_id],
            ).rowcount
        if moved:
            self.counts[reason] += 1

    def _fail_stuck(self, row: dict[str, Any]) -> None:
        now = iso_z(self.options.now)
        stage = row["current_step"] or "an unknown step"
        error = f"stuck in {stage} for over {self.options.stuck_after}; marked failed by the dispatcher"
        with self.store.write() as db:
            db.execute(
                "UPDATE scans SET status = 'failed', error = ?, finished_at = ?, lease_owner = NULL WHERE id = ?",
                [error, now, row["id"]],
            )
            db.execute(
                "UPDATE occurrences SET status = 'failed', finished_at = ? WHERE id = ?", [now, row["occurrence_id"]]
            )
        self.counts["stuck"] += 1
        if self._may_retry(row["last_auto_retry_at"]):
            self._count_retry(row["id"])
            self._requeue(row["occurrence_id"], "retried")

    # -- running ------------------------------------------------------------------------------------------

    def _claim(self) -> dict[str, Any] | None:
        with self.store.write() as db:
            row = db.execute(
                "UPDATE occurrences SET status = 'running', dispatcher_id = ? WHERE id = ("
                " SELECT o.id FROM occurrences o JOIN sites si ON si.id = o.site_id WHERE o.status = 'queued'"
                " ORDER BY CASE si.tier WHEN 'agency' THEN 0 WHEN 'pro' THEN 1 WHEN 'starter' THEN 2 ELSE 3 END,"
                " o.due_utc, o.id LIMIT 1) AND status = 'queued' RETURNING id, site_id, scan_id",
                [self.run_id],
            ).fetchone()
        return None if row is None else {"id": row[0], "site_id": row[1], "scan_id": row[2]}

    def _drain(self) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.options.max_concurrent), thread_name_prefix="dispatch") as pool:
            running: list[Future[None]] = []
            while True:
                running = [f for f in running if not f.done()]
                if len(running) >= self.options.max_concurrent:
                    time.sleep(0.05)
                    continue
                claimed = self._claim()
                if claimed is None:
                    break
                running.append(pool.submit(self._run_occurrence, claimed))
                if self.options.stagger:
                    time.sleep(self.options.stagger)

    def _run_occurrence(self, occurrence: dict[str, Any]) -> None:
        from outrank.service import resume_scan, start_scan

        site = next(iter(self.store.db.query("SELECT * FROM sites WHERE id = ?", [occurrence["site_id"]])))

        def remember(kind: str, data: dict[str, Any]) -> None:
            if kind == "started":
                with self.store.write() as db:
                    db.execute("UPDATE occurrences SET scan_id = ? WHERE id = ?", [data["scan_id"], occurrence["id"]])

        try:
            if occurrence["scan_id"]:
                summary = resume_scan(self.settings, occurrence["scan_id"])
            else:
                summary = start_scan(self.settings, site["target_url"], domain=site["domain"], email=site["email"],
                                     new=True, trigger="scheduled", events=remember)  # fmt: skip
            status = "done" if summary["status"] in ("complete", "partial") else "failed"
        except Exception:
            status = "failed"
        with self.store.write() as db:
            db.execute(
                "UPDATE occurrences SET status = ?, finished_at = ? WHERE id = ?",
                [status, iso_z(datetime.now(UTC)), occurrence["id"]],
            )
        with self.lock:
            self.counts["completed" if status == "done" else "failed"] += 1

    # -- after --------------------------------------------------------------------------------------------

    def _flush_outbox(self) -> dict[str, Any]:
        from outrank.mail.outbox import flush
        from outrank.mail.transport import transport_for

        return flush(self.store, transport_for(self.settings.smtp_url, self.settings.outbox_dir))

    def _failure_rate_alert(self) -> dict[str, Any] | None:
        from outrank.mail.notify import queue_admin_alert

        since = iso_z(self.options.now - timedelta(hours=24))
        total, failed = self.store.db.execute(
            "SELECT COUNT(*), SUM(status = 'failed') FROM scans WHERE finished_at >= ?", [since]
        ).fetchone()
        if not total or (failed or 0) / total <= FAILURE_ALERT_SHARE:
            return None
        day = date.fromisoformat(iso_z(self.options.now)[:10]).isoformat()
        lines = [f"{failed} of {total} scans failed in the 24 hours before {iso_z(self.options.now)}."]
        return queue_admin_alert(self.store, self.settings, key=f"failure-rate:{day}",
                                 subject=f"{failed} of {total} scans failed in 24 h", lines=lines)  # fmt: skip


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, default=str)


def dispatch_hourly(settings: Settings, options: DispatchOptions) -> dict[str, Any]:
    if options.dry_run:
        if not settings.db_path.exists():
            return {"due": [], "missed": []}
        store = Store(settings.db_path)
        try:
            planned = plan(store.db, options)
        finally:
            store.close()
        strip = [{k: v for k, v in item.items() if k != "site_id"} for item in planned["due"]]
        return {"due": strip, "missed": [{k: v for k, v in i.items() if k != "site_id"} for i in planned["missed"]]}
    store = Store(settings.db_path)
    try:
        return Dispatcher(store, settings, options).run()
    finally:
        store.close()
