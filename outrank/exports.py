"""Re-rendering reports, exporting a scan (JSON, CSV, Markdown) and diffing two scans of one domain."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from outrank.costs import scan_cost
from outrank.errors import BadInput
from outrank.scoring import change_since_previous, citations_by_response, scan_metrics
from outrank.store.db import Store

CSV_COLUMNS = (
    "scan_id", "question", "kind", "platform", "sample", "status", "mentioned", "rank", "cited",
    "competitors", "model", "error",
)  # fmt: skip


def full_metrics(db: Database, scan: dict[str, Any]) -> dict[str, Any]:
    """Everything a report or summary shows about one scan."""
    settings = json.loads(scan["settings"])
    tracked = [r[0] for r in db.execute("SELECT name FROM tracked_competitors WHERE site_id = ?", [scan["site_id"]])]
    metrics = scan_metrics(db, scan["id"], settings, scan["domain"], tracked)
    metrics["change"] = change_since_previous(db, scan, metrics["scores"])
    metrics["cost"] = scan_cost(db, scan["id"])
    return metrics


def answer_rows(db: Database, scan_id: int) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT r.id, r.scan_id, p.text AS question, p.kind, r.platform, r.sample, r.status, r.mentioned,"
            " r.rank, r.cited_own AS cited, r.competitors, r.model, r.error, r.text FROM responses r"
            " JOIN prompts p ON p.id = r.prompt_id WHERE r.scan_id = ? ORDER BY p.position, r.platform, r.sample",
            [scan_id],
        )
    )
    cited = citations_by_response(db, scan_id)
    for row in rows:
        row["competitors"] = json.loads(row["competitors"] or "[]")
        row["citations"] = [c["url"] for c in cited.get(row["id"], [])]
        row["mentioned"] = None if row["mentioned"] is None else bool(row["mentioned"])
        row["cited"] = None if row["cited"] is None else bool(row["cited"])
    return rows


def export_scan(store: Store, scan: dict[str, Any], summary: dict[str, Any], fmt: str) -> str:
    rows = answer_rows(store.db, scan["id"])
    if fmt == "json":
        return json.dumps(summary | {"answers": rows}, indent=2, default=str) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"competitors": "; ".join(row["competitors"])})
        return out.getvalue()
    if fmt == "md":
        return markdown_summary(summary, rows)
    raise BadInput(f"unknown format {fmt!r}; use json, csv or md")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_summary(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    overall = summary["overall"]
    score = (
        "n/a"
        if overall["score"] is None
        else f"{overall['score']:.0f}/100 ({overall['ci_low']:.0f}–{overall['ci_high']:.0f})"
    )
    lines = [
        f"# AI visibility for {_md(summary['domain'])}",
        "",
        f"Scan {summary['scan_id']} · {summary['status']} · score {score}",
        "",
    ]
    lines += ["| platform | rate | 95 % interval | answered | errors |", "|---|---:|---:|---:|---:|"]
    for name, p in summary["platforms"].items():
        rate = "unavailable" if p["score"] is None else f"{p['score']:.0f} %"
        interval = "" if p["ci_low"] is None else f"{p['ci_low']:.0f}–{p['ci_high']:.0f}"
        lines.append(f"| {name} | {rate} | {interval} | {p['answered']} | {p['errors']} |")
    if summary["competitors"]:
        lines += ["", "| competitor | answers | share of voice |", "|---|---:|---:|"]
        lines += [f"| {_md(c['name'])} | {c['mentions']} | {c['share_of_voice']:.0%} |" for c in summary["competitors"]]
    grid: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        if row["status"] == "ok":
            cell = grid[row["question"]][row["platform"]]
            cell[0] += int(bool(row["mentioned"]))
            cell[1] += 1
    platforms = list(summary["platforms"])
    lines += ["", "| question | " + " | ".join(platforms) + " |", "|---|" + "---:|" * len(platforms)]
    for question, cells in grid.items():
        values = [f"{cells[p][0]}/{cells[p][1]}" if p in cells else "–" for p in platforms]
        lines.append(f"| {_md(question)} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def diff_scans(db: Database, first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Per question and platform: mentions gained or lost, competitors and citations new in the second scan."""
    if first["domain"] != second["domain"]:
        raise BadInput(f"scan {first['id']} is of {first['domain']} and scan {second['id']} of {second['domain']}; "
                       "only scans of one domain can be compared")  # fmt: skip
    cells_a, cells_b = _cells(db, first["id"]), _cells(db, second["id"])
    changes = []
    for key in sorted(set(cells_a) | set(cells_b)):
        a, b = cells_a.get(key), cells_b.get(key)
        if a is None or b is None:
            continue
        verdict = _verdict(a, b)
        new_competitors = sorted(b["competitors"] - a["competitors"])
        new_citations = sorted(b["domains"] - a["domains"])
        if verdict != "same" or new_competitors or new_citations or a["competitors"] - b["competitors"]:
            changes.append({
                "question": key[0], "platform": key[1], "change": verdict,
                "mentioned_a": a["mentioned"], "answered_a": a["answered"],
                "mentioned_b": b["mentioned"], "answered_b": b["answered"],
                "new_competitors": new_competitors, "dropped_competitors": sorted(a["competitors"] - b["competitors"]),
                "new_citations": new_citations,
            })  # fmt: skip
    only = {"a": sorted({q for q, _ in cells_a} - {q for q, _ in cells_b}),
            "b": sorted({q for q, _ in cells_b} - {q for q, _ in cells_a})}  # fmt: skip
    return {
        "domain": first["domain"],
        "a": {"scan_id": first["id"], "score": first["score"]},
        "b": {"scan_id": second["id"], "score": second["score"]},
        "delta": None if first["score"] is None or second["score"] is None else second["score"] - first["score"],
        "changes": changes,
        "questions_only_in_a": only["a"],
        "questions_only_in_b": only["b"],
    }


def _cells(db: Database, scan_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    cited = citations_by_response(db, scan_id)
    for row in answer_rows(db, scan_id):
        if row["status"] != "ok":
            continue
        cell = cells.setdefault(
            (row["question"], row["platform"]), {"mentioned": 0, "answered": 0, "competitors": set(), "domains": set()}
        )
        cell["answered"] += 1
        cell["mentioned"] += int(bool(row["mentioned"]))
        cell["competitors"] |= set(row["competitors"])
        cell["domains"] |= {c["domain"] for c in cited.get(row["id"], [])}
    return cells


def _verdict(a: dict[str, Any], b: dict[str, Any]) -> str:
    rate_a, rate_b = a["mentioned"] / a["answered"], b["mentioned"] / b["answered"]
    return "gained" if rate_b > rate_a else "lost" if rate_b < rate_a else "same"
