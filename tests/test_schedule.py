"""Weekly schedules across DST and odd offsets, and dispatch-hourly with an injected clock (no sleeping)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from typing import Any

import pytest

from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.schedule import Weekly, iso_z, parse_instant
from tests.conftest import db_rows, run_cli

# (zone, weekday 0=Sun, hour, local date, expected UTC instant, case)
DST_CASES = [
    ("America/New_York", 0, 2, date(2025, 3, 9), "2025-03-09T07:00:00Z", "gap: 02:00 runs at 03:00 EDT"),
    ("America/New_York", 0, 1, date(2025, 11, 2), "2025-11-02T05:00:00Z", "repeated: first 01:00 (EDT)"),
    ("America/New_York", 0, 9, date(2025, 3, 9), "2025-03-09T13:00:00Z", "ordinary, after the change"),
    ("Australia/Sydney", 0, 2, date(2025, 10, 5), "2025-10-04T16:00:00Z", "gap: 02:00 runs at 03:00 AEDT"),
    ("Australia/Sydney", 0, 2, date(2025, 4, 6), "2025-04-05T15:00:00Z", "repeated: first 02:00 (AEDT)"),
    ("Australia/Sydney", 1, 9, date(2025, 4, 7), "2025-04-06T23:00:00Z", "ordinary, after the change"),
    ("Australia/Lord_Howe", 0, 2, date(2025, 10, 5), "2025-10-04T15:30:00Z", "30-minute gap: runs at 02:30"),
    ("Australia/Lord_Howe", 0, 1, date(2025, 4, 6), "2025-04-05T14:00:00Z", "before the repeated half hour"),
    ("Australia/Lord_Howe", 1, 9, date(2025, 4, 7), "2025-04-06T22:30:00Z", "ordinary, +10:30"),
    ("Asia/Kolkata", 1, 9, date(2026, 3, 9), "2026-03-09T03:30:00Z", "+05:30"),
    ("Asia/Kathmandu", 1, 9, date(2026, 3, 9), "2026-03-09T03:15:00Z", "+05:45"),
    ("Pacific/Chatham", 1, 9, date(2026, 1, 5), "2026-01-04T19:15:00Z", "+13:45 in summer"),
    ("Australia/Adelaide", 1, 9, date(2026, 1, 5), "2026-01-04T22:30:00Z", "+10:30 in summer"),
]


@pytest.mark.parametrize(("tz", "weekday", "hour", "day", "expected", "case"), DST_CASES, ids=[c[5] for c in DST_CASES])
def test_each_occurrence_resolves_to_one_real_instant(
    tz: str, weekday: int, hour: int, day: date, expected: str, case: str
) -> None:
    weekly = Weekly(weekday, hour, tz)
    assert iso_z(weekly.due_utc(day)) == expected
    # The dispatcher finds it from any later instant that week, and never a second time from the other fold.
    assert weekly.latest(parse_instant(expected)) == (day, parse_instant(expected))


def test_a_fall_back_week_runs_once_and_a_spring_forward_week_is_not_skipped() -> None:
    weekly = Weekly(0, 1, "America/New_York")
    after_both_folds = parse_instant("2025-11-02T06:59:00Z")  # 01:59 EST, the second 01:xx
    assert weekly.latest(after_both_folds) == (date(2025, 11, 2), parse_instant("2025-11-02T05:00:00Z"))
    spring = Weekly(0, 2, "America/New_York")
    assert spring.latest(parse_instant("2025-03-09T07:00:00Z"))[0] == date(2025, 3, 9)


def cli_json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = run_cli(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def subscribe(site_url: str, *, tier: str = "pro", day: str = "sun", hour: int = 9, tz: str = "UTC") -> None:
    cli_json("site", "add", site_url, "--email", "owner@harbour.example", "--tier", tier)
    cli_json(
        "schedule", "set", site_url, "--day", day, "--hour", str(hour), "--tz", tz, "--now", "2026-03-01T00:00:00Z"
    )


def test_schedule_commands_validate_and_print_the_next_run(providers_env: SimulatorServer, site: SiteServer) -> None:
    assert run_cli("schedule", "set", "--tz", "Mars/Olympus").returncode == 2
    cli_json("site", "add", site.url, "--email", "a@b.example")
    free = run_cli("schedule", "set", "--day", "mon")
    assert free.returncode == 2 and "free tier" in free.stderr
    assert db_rows("SELECT count(*) FROM schedules") == [(0,)]
    forced = cli_json("schedule", "set", "--force", "--now", "2026-03-07T00:00:00Z")  # defaults: mon 09:00 Sydney
    assert (forced["day"], forced["hour"], forced["tz"]) == ("mon", 9, "Australia/Sydney")
    assert forced["next_local"] == "2026-03-09T09:00+11:00" and forced["next_utc"] == "2026-03-08T22:00:00Z"
    for bad in (["--day", "funday"], ["--hour", "24"], ["--day", "7"]):
        assert run_cli("schedule", "set", *bad, "--force").returncode == 2
    assert cli_json("schedule", "list")[0]["domain"] == site.url.split("//")[1]
    people = run_cli("schedule", "show", "--now", "2026-03-07T00:00:00Z")
    assert "next run 2026-03-09T09:00+11:00 local = 2026-03-08T22:00:00Z" in people.stdout
    assert cli_json("schedule", "remove")["removed"] is True


def test_dry_run_shows_due_late_and_missed_without_writing(providers_env: SimulatorServer, site: SiteServer) -> None:
    subscribe(site.url, day="sun", hour=9, tz="UTC")  # Sunday 2026-03-08 09:00Z
    before = db_rows("SELECT count(*) FROM occurrences")
    on_time = cli_json("dispatch-hourly", "--dry-run", "--now", "2026-03-08T09:00:00Z")
    domain = site.url.split("//")[1]
    assert on_time == {
        "due": [{"domain": domain, "local_date": "2026-03-08", "due_utc": "2026-03-08T09:00:00Z"}],
        "missed": [],
    }
    late = cli_json("dispatch-hourly", "--dry-run", "--now", "2026-03-08T10:18:00Z")  # the dispatcher missed 78 minutes
    assert [d["local_date"] for d in late["due"]] == ["2026-03-08"]
    strict = cli_json("dispatch-hourly", "--dry-run", "--now", "2026-03-08T10:18:00Z", "--grace-hours", "1")
    assert strict["due"] == [] and [m["local_date"] for m in strict["missed"]] == ["2026-03-08"]
    asleep = cli_json("dispatch-hourly", "--dry-run", "--now", "2026-03-11T09:00:00Z")  # and 3 days
    assert asleep["due"] == [] and [m["local_date"] for m in asleep["missed"]] == ["2026-03-08"]
    early = cli_json("dispatch-hourly", "--dry-run", "--now", "2026-03-08T08:59:00Z")
    assert [d["local_date"] for d in early["due"]] == ["2026-03-01"] or early["due"] == []
    assert db_rows("SELECT count(*) FROM occurrences") == before == [(0,)]


def test_dispatch_runs_each_due_scan_once_by_priority_within_the_limit(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    urls = [site.url, site.url.replace("127.0.0.1", "localhost"), f"{site.url}/"]
    tiers = ["starter", "agency", "pro"]
    for url, tier in zip(urls[:2], tiers[:2], strict=True):
        subscribe(url, tier=tier)
    now = "2026-03-08T09:05:00Z"
    env = {"OUTRANK_SAMPLES": "1"}
    first = cli_json("dispatch-hourly", "--now", now, "--stagger", "0", "--max-concurrent", "1", env=env)
    assert (first["enqueued"], first["completed"], first["failed"]) == (2, 2, 0)
    order = [row[0] for row in db_rows("SELECT domain FROM scans WHERE trigger = 'scheduled' ORDER BY id")]
    assert order == [urls[1].split("//")[1], urls[0].split("//")[1]]  # agency before starter
    spans = db_rows("SELECT started_at, finished_at FROM scans ORDER BY id")
    assert spans[0][1] <= spans[1][0]  # --max-concurrent 1: never two at once
    asks = providers_env.state.count(kind="ask")
    again = cli_json("dispatch-hourly", "--now", "2026-03-08T09:20:00Z", "--stagger", "0", env=env)
    assert (again["enqueued"], again["completed"]) == (0, 0) and providers_env.state.count(kind="ask") == asks
    assert db_rows("SELECT status, count(*) FROM occurrences GROUP BY status") == [("done", 2)]
    status = cli_json("status")
    assert status["last_dispatch"]["summary"]["enqueued"] == 0 and len(status["recent"]) == 2


def test_five_dispatchers_at_once_scan_every_occurrence_exactly_once(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    urls = [site.url, site.url.replace("127.0.0.1", "localhost")]
    for url in urls:
        subscribe(url)
    env = os.environ | {"OUTRANK_SAMPLES": "1"}
    args = [
        sys.executable,
        "-m",
        "outrank",
        "dispatch-hourly",
        "--now",
        "2026-03-08T09:00:00Z",
        "--stagger",
        "0",
        "--json",
    ]
    procs = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(5)
    ]
    outputs = [p.communicate(timeout=170) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outputs]
    summaries = [json.loads(out) for out, _ in outputs]
    assert sum(s["enqueued"] for s in summaries) == 2 and sum(s["completed"] for s in summaries) == 2
    assert db_rows("SELECT count(*) FROM scans") == [(2,)]
    assert providers_env.state.count(kind="ask") == 2 * 7 * 4  # every question once per site and platform
    ids = [h.call_id for h in providers_env.state.hits if h.kind == "ask"]
    assert len(ids) == len(set(ids))


def test_a_killed_dispatcher_is_healed_by_the_next_run(providers_env: SimulatorServer, site: SiteServer) -> None:
    subscribe(site.url)
    providers_env.state.delays = {"chatgpt": 0.3}
    env = os.environ | {"OUTRANK_SAMPLES": "1"}
    args = [sys.executable, "-m", "outrank", "dispatch-hourly", "--now", "2026-03-08T09:00:00Z", "--stagger", "0"]
    victim = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not db_rows("SELECT count(*) FROM responses")[0][0] >= 5:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert db_rows("SELECT status FROM occurrences") == [("running",)]
    checkpointed = db_rows("SELECT scan_id, key FROM steps WHERE key LIKE 'query:%' AND status = 'completed'")
    paid = {f"outrank-{scan}-{key.split(':', 1)[1].replace(':', '-')}" for scan, key in checkpointed}
    assert paid
    providers_env.state.delays = {}
    healed = cli_json(
        "dispatch-hourly", "--now", "2026-03-08T09:15:00Z", "--stagger", "0", env={"OUTRANK_SAMPLES": "1"}
    )
    assert (healed["resumed"], healed["completed"]) == (1, 1)
    assert db_rows("SELECT status FROM occurrences") == [("done",)] and db_rows("SELECT count(*) FROM scans") == [(1,)]
    hits = [h.call_id for h in providers_env.state.hits if h.kind == "ask" and h.status == 200]
    assert all(hits.count(call) == 1 for call in paid)  # nothing checkpointed before the kill was asked again


def test_a_stuck_scan_fails_with_its_stage_and_gets_one_retry_a_day(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    subscribe(site.url)
    cli_json("dispatch-hourly", "--now", "2026-03-08T09:00:00Z", "--stagger", "0", env={"OUTRANK_SAMPLES": "1"})
    # The scan's process hangs: its lease is alive (held by this very process) but it has not moved for hours.
    with_sql(
        "UPDATE scans SET status = 'running', current_step = 'query', started_at = '2026-03-08T09:00:00Z',"
        f" lease_owner = '{os.uname().nodename}:{os.getpid()}', lease_expires_at = '2999-01-01T00:00:00Z'"
    )
    with_sql("UPDATE occurrences SET status = 'running'")
    first = cli_json("dispatch-hourly", "--now", "2026-03-08T12:00:00Z", "--stagger", "0", env={"OUTRANK_SAMPLES": "1"})
    assert (first["stuck"], first["retried"], first["completed"]) == (1, 1, 1)  # the first retry is allowed
    with_sql(
        "UPDATE scans SET status = 'running', current_step = 'query', started_at = '2026-03-08T12:00:00Z',"
        f" lease_owner = '{os.uname().nodename}:{os.getpid()}', lease_expires_at = '2999-01-01T00:00:00Z'"
    )
    with_sql("UPDATE occurrences SET status = 'running'")
    second = cli_json(
        "dispatch-hourly", "--now", "2026-03-08T15:00:00Z", "--stagger", "0", env={"OUTRANK_SAMPLES": "1"}
    )
    assert (second["stuck"], second["retried"]) == (1, 0)  # not again within 24 h
    error = db_rows("SELECT error FROM scans")[0][0]
    assert error.startswith("stuck in query for over 2:00:00")


def with_sql(statement: str) -> None:
    import sqlite3

    with sqlite3.connect(os.environ["OUTRANK_DB"]) as db:
        db.execute(statement)


def test_cron_install_is_idempotent_and_keeps_other_lines(tmp_path: Any) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    table = tmp_path / "crontab.txt"
    table.write_text("0 3 * * * /usr/bin/backup\n")
    crontab = fake_bin / "crontab"  # the user's crontab is a boundary a test must not touch; this stands in for it
    crontab.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n')
    crontab.chmod(0o755)
    env = {"PATH": f"{fake_bin}:{os.environ['PATH']}"}
    for _ in range(2):
        assert run_cli("cron", "install", env=env).returncode == 0
    lines = table.read_text().splitlines()
    assert lines[0] == "0 3 * * * /usr/bin/backup" and len(lines) == 2
    assert lines[1].startswith("*/15 * * * * PATH=") and f"OUTRANK_DB={os.environ['OUTRANK_DB']}" in lines[1]
    assert "dispatch-hourly" in lines[1] and lines[1].endswith("# outrank dispatch-hourly")
    assert run_cli("cron", "show", env=env).stdout.strip() == lines[1]


def test_retry_reruns_chosen_steps_and_status_shows_the_scan(providers_env: SimulatorServer, site: SiteServer) -> None:
    scan = cli_json("scan", site.url, "--samples", "1", "--platforms", "chatgpt")
    structured = providers_env.state.count(kind="structured")
    retried = cli_json("retry", str(scan["scan_id"]), "--steps", "analyze")
    assert retried["status"] == "complete" and providers_env.state.count(kind="structured") == structured + 1
    assert providers_env.state.count(kind="ask") == 7  # the answers were kept
    people = run_cli("status", env={"COLUMNS": "200"})
    assert people.returncode == 0 and site.url.split("//")[1] in people.stdout and "complete" in people.stdout
    assert run_cli("retry", "99").returncode == 2


def test_backfill_runs_a_missed_week_and_a_bad_day_alerts_the_admin(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    subscribe(site.url)
    env = {"OUTRANK_SAMPLES": "1", "OUTRANK_ADMIN_EMAIL": "ops@outrank.test"}
    for platform in ("chatgpt", "claude", "gemini", "perplexity"):
        providers_env.state.faults.append(Fault(platform, status=503, times=-1))
    late = cli_json("dispatch-hourly", "--now", "2026-03-11T09:00:00Z", "--stagger", "0", env=env)
    assert (late["enqueued"], late["missed"], late["completed"]) == (0, 1, 0)
    assert [m["local_date"] for m in cli_json("status")["missed"]] == ["2026-03-08"]
    forced = cli_json("dispatch-hourly", "--now", "2026-03-11T09:15:00Z", "--stagger", "0", "--backfill", env=env)
    assert (forced["enqueued"], forced["failed"]) == (1, 1)  # every platform is down: the scan fails...
    assert forced["alert"] is not None and forced["alert"]["recipient"] == "ops@outrank.test"  # ...and ops hear of it
    kinds = db_rows("SELECT kind, recipient FROM outbox ORDER BY id")
    assert kinds == [("failure", "owner@harbour.example"), ("admin", "ops@outrank.test")]
    assert db_rows("SELECT status FROM occurrences") == [("failed",)]
    assert "retried automatically by the next dispatch" in db_rows("SELECT message FROM outbox WHERE id = 1")[0][0]
    providers_env.state.faults.clear()  # the platforms recover; the next dispatch keeps the email's promise
    healed = cli_json("dispatch-hourly", "--now", "2026-03-11T10:00:00Z", "--stagger", "0", env=env)
    assert (healed["retried"], healed["completed"]) == (1, 1)
    again = cli_json("dispatch-hourly", "--now", "2026-03-11T10:15:00Z", "--stagger", "0", env=env)
    assert (again["retried"], again["completed"]) == (0, 0)
    assert db_rows("SELECT status FROM occurrences") == [("done",)] and db_rows("SELECT count(*) FROM scans") == [(1,)]


def test_status_watch_refreshes_until_interrupted(providers_env: SimulatorServer, site: SiteServer) -> None:
    subscribe(site.url)
    env = os.environ | {"COLUMNS": "160"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "outrank", "status", "--watch"], env=env, stdout=subprocess.PIPE, text=True
    )
    time.sleep(3)
    watcher.send_signal(signal.SIGINT)
    out, _ = watcher.communicate(timeout=30)
    assert watcher.returncode == 0
    assert "upcoming" in out and site.url.split("//")[1] in out
