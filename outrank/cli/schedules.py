"""`outrank schedule`, `dispatch-hourly`, `cron`, `status` and `retry`: weekly scans that run themselves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from outrank.cli import render
from outrank.cli.common import JsonOpt, cli_errors, settings_from_env, show

schedule_app = typer.Typer(help="When each site's weekly scan runs, in its own timezone.", no_args_is_help=True)
cron_app = typer.Typer(help="The crontab line that runs `outrank dispatch-hourly`.", no_args_is_help=True)
DomainOpt = Annotated[str | None, typer.Argument(metavar="[DOMAIN]", help="Optional when there is one site.")]
NowOpt = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this ISO 8601 instant (2026-03-08T07:00:00Z).")
]
CRON_MARK = "# outrank dispatch-hourly"


def _now(value: str | None) -> datetime:
    from outrank.schedule import parse_instant

    return parse_instant(value) if value else datetime.now(UTC)


def _print_schedule(s: dict[str, Any]) -> None:
    render.out.print(
        f"{s['domain']}: every {s['day']} at {s['hour']:02d}:00 {s['tz']} · "
        f"next run {s['next_local']} local = {s['next_utc']}",
        soft_wrap=True,
    )


@schedule_app.command("set")
@cli_errors
def schedule_set(
    domain: DomainOpt = None,
    day: Annotated[str, typer.Option(help="mon..sun, or 0-6 with 0 = Sunday.")] = "mon",
    hour: Annotated[int, typer.Option(help="Local hour, 0-23.")] = 9,
    tz: Annotated[str, typer.Option(help="IANA timezone.")] = "Australia/Sydney",
    force: Annotated[bool, typer.Option("--force", help="Schedule a free-tier site anyway.")] = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a site's scan every week at its local day and hour."""
    from outrank import schedule as lib
    from outrank.subscribers import subscriber_store

    weekday, local_hour = lib.parse_day(day), lib.parse_hour(hour)
    lib.parse_tz(tz)
    moment = _now(now)
    with subscriber_store(settings_from_env()) as store:
        result = lib.set_schedule(store, domain, day=weekday, hour=local_hour, tz=tz, force=force, now=moment)
    show(result, as_json, _print_schedule)


@schedule_app.command("list")
@cli_errors
def schedule_list(now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Every schedule with its next run."""
    from outrank import schedule as lib
    from outrank.subscribers import subscriber_store

    settings = settings_from_env()
    rows: list[dict[str, Any]] = []
    if settings.db_path.exists():
        with subscriber_store(settings) as store:
            rows = lib.list_schedules(store.db, _now(now))
    columns = [("domain", "site"), ("tier", "tier"), ("day", "day"), ("hour", "hour"), ("tz", "timezone"),
               ("next_local", "next (local)"), ("next_utc", "next (UTC)")]  # fmt: skip
    show(rows, as_json, lambda r: render.rows_table(r, columns, title="schedules", empty="no schedules"))


@schedule_app.command("show")
@cli_errors
def schedule_show(domain: DomainOpt = None, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """One site's schedule and next run."""
    from outrank import schedule as lib
    from outrank.subscribers import subscriber_store

    with subscriber_store(settings_from_env()) as store:
        show(lib.show_schedule(store.db, domain, _now(now)), as_json, _print_schedule)


@schedule_app.command("remove")
@cli_errors
def schedule_remove(domain: DomainOpt = None, as_json: JsonOpt = False) -> None:
    """Stop a site's weekly scans."""
    from outrank import schedule as lib
    from outrank.subscribers import subscriber_store

    with subscriber_store(settings_from_env()) as store:
        removed = lib.remove_schedule(store, domain, _now(None))
    show(removed, as_json, lambda r: render.out.print(f"{r['domain']}: schedule removed"))


def dispatch_hourly(
    now: NowOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due; change nothing.")] = False,
    max_concurrent: Annotated[int, typer.Option(min=1, max=50, help="Scans at once in this process.")] = 3,
    backfill: Annotated[
        bool, typer.Option("--backfill", help="Also run occurrences older than the grace window.")
    ] = False,
    stagger: Annotated[float, typer.Option(min=0, help="Seconds between scan starts.")] = 5.0,
    grace_hours: Annotated[float, typer.Option(min=0, max=144, help="Run occurrences missed by up to this.")] = 24,
    stuck_minutes: Annotated[float, typer.Option(min=1, help="Fail a scan that has run this long.")] = 120,
    as_json: JsonOpt = False,
) -> None:
    """Queue every weekly scan that is due, run them, heal stuck ones and flush the outbox (cron: every 15 min)."""
    from datetime import timedelta

    from outrank.dispatch import DispatchOptions
    from outrank.dispatch import dispatch_hourly as run

    options = DispatchOptions(
        now=_now(now), dry_run=dry_run, max_concurrent=max_concurrent, backfill=backfill, stagger=stagger,
        grace=timedelta(hours=grace_hours), stuck_after=timedelta(minutes=stuck_minutes),
    )  # fmt: skip
    result = run(settings_from_env(), options)
    show(result, as_json, _print_dispatch)


def _print_dispatch(result: dict[str, Any]) -> None:
    if "due" in result:
        for item in result["due"]:
            render.out.print(f"due: {item['domain']} {item['local_date']} at {item['due_utc']}")
        for item in result["missed"]:
            render.out.print(f"missed: {item['domain']} {item['local_date']} (was due {item['due_utc']})")
        if not result["due"] and not result["missed"]:
            render.out.print("nothing is due")
        return
    render.out.print(
        f"dispatch {result['run_id']}: {result['enqueued']} queued, {result['completed']} completed, "
        f"{result['failed']} failed, {result['resumed']} resumed, {result['stuck']} stuck, {result['missed']} missed"
    )


def _cron_line() -> str:
    executable = shutil.which("outrank") or f"{sys.executable} -m outrank"
    settings = settings_from_env()
    path = os.environ.get("PATH", "/usr/bin:/bin")
    return (f"*/15 * * * * PATH={path} OUTRANK_DB={settings.db_path.resolve()} {executable} dispatch-hourly "
            f">> {settings.db_path.resolve().parent / 'dispatch.log'} 2>&1 {CRON_MARK}")  # fmt: skip


@cron_app.command("show")
@cli_errors
def cron_show() -> None:
    """Print the crontab line `cron install` adds (every 15 minutes; the dispatcher is idempotent)."""
    render.out.print(_cron_line(), soft_wrap=True)


@cron_app.command("install")
@cli_errors
def cron_install() -> None:
    """Add (or update) the line in the current user's crontab."""
    from outrank.errors import OutrankError

    crontab = shutil.which("crontab")
    if crontab is None:
        raise OutrankError("no `crontab` command here; use schedules/outrank-dispatch.timer with systemd instead")
    current = subprocess.run([crontab, "-l"], capture_output=True, text=True, check=False)
    lines = [line for line in current.stdout.splitlines() if CRON_MARK not in line] if current.returncode == 0 else []
    new = "\n".join([*lines, _cron_line()]) + "\n"
    subprocess.run([crontab, "-"], input=new, text=True, check=True)
    render.out.print(f"installed: {_cron_line()}", soft_wrap=True)


def status(
    watch: Annotated[bool, typer.Option("--watch", help="Refresh live until Ctrl-C.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Today's scans, what is running with its progress, upcoming runs, the last dispatch and missed runs."""
    from outrank.status import snapshot
    from outrank.subscribers import subscriber_store

    settings = settings_from_env()

    def take() -> dict[str, Any]:
        if not settings.db_path.exists():
            return {"now": None, "today": {}, "recent": [], "upcoming": [], "last_dispatch": None, "missed": []}
        with subscriber_store(settings) as store:
            return snapshot(store.db, datetime.now(UTC))

    if as_json or not watch:
        show(take(), as_json, lambda d: render.out.print(_status_view(d)))
        return
    with Live(_status_view(take()), console=render.out, refresh_per_second=2) as live:
        try:
            while True:
                time.sleep(2)
                live.update(_status_view(take()))
        except KeyboardInterrupt:
            return


def _status_view(data: dict[str, Any]) -> Group:
    today = ", ".join(f"{v} {k}" for k, v in data["today"].items() if v) or "no scans today"
    recent = Table(
        "scan", "domain", "status", "progress", "step", "trigger", "started", "duration", "error", title=today
    )
    for scan in data["recent"]:
        style = render.STATUS_STYLE.get(scan["status"], "white")
        recent.add_row(
            str(scan["id"]), scan["domain"], f"[{style}]{scan['status']}[/]",
            ProgressBar(total=100, completed=scan["progress"] or 0, width=16), scan["current_step"] or "",
            scan["trigger"], (scan["started_at"] or "")[:16].replace("T", " "),
            "" if scan["duration_s"] is None else f"{scan['duration_s']:.0f}s", (scan["error"] or "")[:60],
        )  # fmt: skip
    upcoming = Table("site", "next (local)", "next (UTC)", title="upcoming")
    for item in data["upcoming"]:
        upcoming.add_row(item["domain"], item["next_local"], item["next_utc"])
    parts: list[Any] = [recent, upcoming]
    if last := data["last_dispatch"]:
        s = last["summary"]
        parts.append(f"last dispatch {last['id']} at {last['started_at']}: {s.get('enqueued', 0)} queued, "
                     f"{s.get('completed', 0)} completed, {s.get('failed', 0)} failed")  # fmt: skip
    if data["missed"]:
        parts.append("missed: " + ", ".join(f"{m['domain']} {m['local_date']}" for m in data["missed"]))
    return Group(*parts)


def retry(
    scan_id: Annotated[int, typer.Argument(help="The scan to run again from where it failed.")],
    steps: Annotated[str | None, typer.Option(help="Also rerun these steps, e.g. analyze,research.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Resume a failed scan from its failed step, or rerun chosen steps first."""
    from outrank.service import retry_scan

    with render.ScanProgress() as progress:
        summary = retry_scan(settings_from_env(), scan_id, [s.strip() for s in (steps or "").split(",") if s.strip()],
                             events=progress)  # fmt: skip
    show(summary, as_json, render.scan_result)
    raise typer.Exit(0 if summary["status"] in ("complete", "partial") else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(cron_app, name="cron")
    app.command("dispatch-hourly")(cli_errors(dispatch_hourly))
    app.command()(cli_errors(status))
    app.command()(cli_errors(retry))
