"""Rich rendering for people; `--json` output for scripts. Library results come in as plain dicts."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

STATUS_STYLE = {
    "complete": "green",
    "partial": "yellow",
    "failed": "red",
    "cancelled": "magenta",
    "running": "cyan",
    "queued": "white",
    "completed": "green",
}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def fmt_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


class ScanProgress:
    """Turns pipeline events into stderr lines and a live progress bar."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> ScanProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "started":
            err.print(f"scan {data['scan_id']} started")
        elif kind == "resumed":
            err.print(f"resuming unfinished scan {data['scan_id']}")
        elif kind == "skipped":
            err.print(f"[yellow]skipping {data['platform']}[/]: {data['reason']}")
        elif kind == "step":
            self._update(data["step"], data["progress"], "")
        elif kind == "query":
            done, total = data["done"], data["total"]
            self._update("query", 30 + 60 * done / max(total, 1), f"{done}/{total} calls")

    def _update(self, step: str, progress: float, detail: str) -> None:
        if self.task is None:
            self.task = self.progress.add_task(step, total=100, detail=detail)
        self.progress.update(self.task, description=step, completed=progress, detail=detail)


def scan_result(summary: dict[str, Any]) -> None:
    style = STATUS_STYLE.get(summary["status"], "white")
    simulated = " [yellow](simulated)[/]" if summary.get("simulated") else ""
    out.print(
        f"[bold]{summary['domain']}[/]{simulated}: scan {summary['scan_id']} [{style}]{summary['status']}[/]"
        f" · score [bold]{fmt_score(summary['score'])}[/]/100"
    )
    table = Table("platform", "score", "mentioned", "answered", "errors")
    for name, p in summary["platforms"].items():
        table.add_row(
            name,
            fmt_score(p["score"]) if p["score"] is not None else "[yellow]unavailable[/]",
            str(p["mentioned"]),
            str(p["answered"]),
            str(p["errors"]),
        )
    out.print(table)
    if place := summary.get("location"):
        where = ", ".join(str(place[k]) for k in ("city", "region", "country") if place.get(k)) or "unknown"
        out.print(f"location: {where} ({place['confidence']} confidence) · questions: {summary['question_source']}")
    if summary.get("error"):
        out.print(f"[yellow]note:[/] {summary['error']}")
    if summary.get("report"):
        out.print(f"report: {summary['report']}")


def run_timeline(details: dict[str, Any]) -> None:
    style = STATUS_STYLE.get(details["status"], "white")
    out.print(
        f"[bold]scan {details['id']}[/] {details['domain']} [{style}]{details['status']}[/]"
        f" · progress {details['progress']:.0f}% · trigger {details['trigger']}"
    )
    if details.get("error"):
        out.print(f"[red]error:[/] {details['error']}")
    table = Table("step", "status", "attempts", "duration", "error")
    for step in details["steps"]:
        table.add_row(
            step["key"],
            f"[{STATUS_STYLE.get(step['status'], 'white')}]{step['status']}[/]",
            str(step["attempts"]),
            _duration(step["started_at"], step["finished_at"]),
            step["error"] or "",
        )
    out.print(table)


def _duration(started: str | None, finished: str | None) -> str:
    from datetime import datetime

    if not started or not finished:
        return ""
    start = datetime.fromisoformat(started.replace("Z", "+00:00"))
    end = datetime.fromisoformat(finished.replace("Z", "+00:00"))
    return f"{(end - start).total_seconds():.2f}s"


def rows_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], *, title: str, empty: str) -> None:
    """A plain table of library rows: (key, heading) per column."""
    if not rows:
        out.print(empty)
        return
    table = Table(title=title, title_justify="left")
    for _, heading in columns:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(key) is None else str(row[key]) for key, _ in columns))
    out.print(table)


def estimate(plan: dict[str, Any]) -> None:
    table = Table("platform", "model", "calls", "expected cost", title=f"estimate for {plan['domain']}")
    for name, row in plan["platforms"].items():
        cost = "unpriced" if row["cost_usd"] is None else f"${row['cost_usd']:.4f}"
        table.add_row(name, row["model"], str(row["calls"]), cost)
    out.print(table)
    unpriced = f" (plus unpriced: {', '.join(plan['unpriced_platforms'])})" if plan["unpriced_platforms"] else ""
    out.print(
        f"{plan['calls']} calls for {plan['questions']} questions x {plan['samples']} samples: about "
        f"${plan['cost_usd']:.2f}{unpriced}; prices as of {plan['price_table']}. Nothing was called."
    )


def doctor(report: dict[str, Any]) -> None:
    styles = {"ok": "green", "skipped": "dim", "unpriced-model": "yellow"}
    table = Table("platform", "key", "base URL", "model", "status", "detail")
    for row in report["platforms"]:
        style = styles.get(row["status"], "red")
        detail = row.get("error") or row.get("price") or ""
        if row.get("model_reported"):
            detail = f"answered as {row['model_reported']} in {row['latency_ms']} ms; price {row.get('price')}"
        table.add_row(
            row["platform"], row["key"], row["base_url"], row["model"] or "", f"[{style}]{row['status']}[/]", detail
        )
    out.print(table)
    out.print(f"config file: {report['config'] or 'none'}")
    for row in report["platforms"]:
        if row["status"] == "retired-or-unknown-model":
            err.print(f"[red bold]{row['platform']}: model {row['model']} is retired or unknown[/] - {row['error']}")
