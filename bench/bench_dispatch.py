"""How long `outrank dispatch-hourly --dry-run` takes over 10,000 schedules in 40 timezones.

Run: python bench/bench_dispatch.py [schedules] [runs]. Target: under 5 s on a 2-core machine (cron runs it
every 15 minutes).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from zoneinfo import available_timezones

from outrank.store.db import Store, utcnow


def seed(path: str, count: int) -> None:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc"))[::10][:40]
    store = Store(__import__("pathlib").Path(path))
    now = utcnow()
    with store.write() as db:
        for i in range(count):
            site = db.execute(
                "INSERT INTO sites (domain, target_url, email, tier, created_at) VALUES (?, ?, ?, ?, ?)",
                [f"site{i}.example", f"https://site{i}.example/", f"o{i}@example.com", "pro", now],
            ).lastrowid
            db.execute(
                "INSERT INTO schedules (site_id, weekday, hour, tz, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [site, i % 7, i % 24, zones[i % len(zones)], now, now],
            )
    store.close()


def main(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        seed(path, count)
        env = os.environ | {"OUTRANK_DB": path}
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            command = ["dispatch-hourly", "--dry-run", "--json", "--now", "2026-03-08T09:00:00Z"]
            result = subprocess.run(
                [sys.executable, "-m", "outrank", *command], env=env, capture_output=True, text=True, check=True
            )
            timings.append(time.perf_counter() - started)
        due = result.stdout.count('"local_date"')
    print(f"dispatch-hourly --dry-run over {count} schedules: median {statistics.median(timings):.2f}s ({due} listed)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
