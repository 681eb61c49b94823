"""`outrank status`: what is running, queued, done and failed, what is coming, and what the dispatcher did."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from outrank.schedule import iso_z, list_schedules

RECENT = 15


def snapshot(db: Database, now: datetime) -> dict[str, Any]:
    today = iso_z(now)[:10]
    counts = dict(
        db.execute(
            "SELECT status, COUNT(*) FROM scans WHERE substr(created_at, 1, 10) = ? OR status IN ('running', 'queued')"
            " GROUP BY status",
            [today],
        ).fetchall()
    )
    recent = list(
        db.query(
            "SELECT id, domain, status, progress, current_step, trigger, started_at, finished_at, error FROM scans"
            f" ORDER BY id DESC LIMIT {RECENT}"
        )
    )
    for scan in recent:
        scan["duration_s"] = _duration(scan["started_at"], scan["finished_at"], now)
    last_run = db.execute(
        "SELECT id, now_utc, started_at, finished_at, summary FROM dispatcher_runs ORDER BY id DESC LIMIT 1"
    ).fetchone()
    missed = list(
        db.query(
            "SELECT si.domain, o.local_date, o.due_utc FROM occurrences o JOIN sites si ON si.id = o.site_id"
            " WHERE o.status = 'missed' ORDER BY o.due_utc DESC LIMIT 20"
        )
    )
    upcoming = sorted(list_schedules(db, now), key=lambda s: s["next_utc"])
    return {
        "now": iso_z(now),
        "today": {k: counts.get(k, 0) for k in ("complete", "partial", "running", "queued", "failed", "cancelled")},
        "recent": recent,
        "upcoming": upcoming[:20],
        "last_dispatch": None
        if last_run is None
        else {
            "id": last_run[0],
            "now": last_run[1],
            "started_at": last_run[2],
            "finished_at": last_run[3],
            "summary": json.loads(last_run[4]),
        },
        "missed": missed,
    }


def _duration(started: str | None, finished: str | None, now: datetime) -> float | None:
    if not started:
        return None
    start = datetime.fromisoformat(started.replace("Z", "+00:00"))
    end = datetime.fromisoformat(finished.replace("Z", "+00:00")) if finished else now
    return max(0.0, (end - start) / timedelta(seconds=1))
