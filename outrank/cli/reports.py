"""`outrank report`, `outrank export` and `outrank diff`: read what scans stored; never call a platform."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from outrank.cli import render
from outrank.cli.common import JsonOpt, cli_errors, settings_from_env, show

ScanRef = Annotated[str, typer.Argument(metavar="DOMAIN|SCAN_ID", help="A scan id, or a domain (its latest scan).")]


def report(
    ref: ScanRef,
    open_it: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Render a scan's HTML report again and print its path."""
    from outrank.service import rerender_report

    result = rerender_report(settings_from_env(), ref)
    show(result, as_json, lambda r: render.out.print(r["report"], soft_wrap=True))
    if open_it:
        import webbrowser

        webbrowser.open(Path(result["report"]).resolve().as_uri())


def export(
    ref: ScanRef,
    fmt: Annotated[str, typer.Option("--format", help="json, csv (one row per answer) or md.")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export a scan's results for spreadsheets, scripts or documents."""
    from outrank.service import export as export_scan

    text = export_scan(settings_from_env(), ref, fmt)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    render.err.print(f"wrote {output}")


def diff(first: ScanRef, second: ScanRef, as_json: JsonOpt = False) -> None:
    """What changed between two scans of one domain, per question and platform."""
    from outrank.service import diff as diff_scans

    show(diff_scans(settings_from_env(), first, second), as_json, _print_diff)


def _print_diff(result: dict[str, Any]) -> None:
    delta = "n/a" if result["delta"] is None else f"{result['delta']:+.1f}"
    render.out.print(
        f"{result['domain']}: scan {result['a']['scan_id']} -> scan {result['b']['scan_id']} ({delta} points)"
    )
    if not result["changes"]:
        render.out.print("no question changed on any platform")
        return
    table = Table("question", "platform", "change", "mentioned", "new competitors", "new citations")
    for c in result["changes"]:
        style = {"gained": "green", "lost": "red"}.get(c["change"], "white")
        table.add_row(
            c["question"], c["platform"], f"[{style}]{c['change']}[/]",
            f"{c['mentioned_a']}/{c['answered_a']} -> {c['mentioned_b']}/{c['answered_b']}",
            ", ".join(c["new_competitors"]), ", ".join(c["new_citations"][:4]),
        )  # fmt: skip
    render.out.print(table)


def register(app: typer.Typer) -> None:
    for command in (report, export, diff):
        app.command()(cli_errors(command))
