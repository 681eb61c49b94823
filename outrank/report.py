"""Render a scan's stored results into one self-contained HTML file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlite_utils import Database

from outrank.charts import share_of_voice_chart, trend_chart
from outrank.markdown import render_answer
from outrank.scoring import PlatformScore, citations_by_response
from outrank.subscribers import business_matcher

SAFE_SCHEMES = ("http://", "https://")


def safe_url(url: str) -> str:
    """Only web links survive; `javascript:` and friends become inert."""
    return url if url.lower().startswith(SAFE_SCHEMES) else "#"


def environment() -> Environment:
    env = Environment(loader=PackageLoader("outrank", "templates"), autoescape=select_autoescape(default=True))
    env.filters["safe_url"] = safe_url
    return env


def report_path(reports_dir: Path, domain: str, scan_id: int) -> Path:
    slug = re.sub(r"[^a-z0-9.-]+", "-", domain.lower()).strip("-.") or "site"
    return reports_dir / slug / f"scan-{scan_id}.html"


def _answers(db: Database, scan_id: int) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT r.*, p.text AS question, p.position, p.kind FROM responses r JOIN prompts p ON p.id = r.prompt_id"
            " WHERE r.scan_id = ? ORDER BY p.position, r.platform, r.sample",
            [scan_id],
        )
    )
    cited = citations_by_response(db, scan_id)
    for row in rows:
        row["citations"] = cited.get(row["id"], [])
    return rows


def _question_grid(answers: list[dict[str, Any]], platforms: list[str]) -> list[dict[str, Any]]:
    grid: dict[int, dict[str, Any]] = {}
    for a in answers:
        entry = grid.setdefault(
            a["position"],
            {
                "text": a["question"],
                "branded": a["kind"] == "branded",
                "cells": {p: {"answered": 0, "mentioned": 0} for p in platforms},
            },
        )
        cell = entry["cells"].setdefault(a["platform"], {"answered": 0, "mentioned": 0})
        if a["status"] == "ok":
            cell["answered"] += 1
            cell["mentioned"] += int(bool(a["mentioned"]))
    return [grid[k] for k in sorted(grid)]


def summary_sentence(domain: str, overall: float | None, scores: list[PlatformScore]) -> str:
    answered = sum(s.answered for s in scores if s.available)
    mentioned = sum(s.mentioned for s in scores if s.available)
    if overall is None:
        return f"No platform answered enough questions to score {domain}."
    return (
        f"{domain} was named in {mentioned} of {answered} answers across "
        f"{', '.join(s.platform for s in scores if s.available)}."
    )


def _profile(db: Database, scan_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM site_profiles WHERE scan_id = ?", [scan_id]))
    if not rows:
        return None
    row = rows[0]
    place = ", ".join(str(row[k]) for k in ("city", "region", "country") if row[k])
    evidence = json.loads(row["location_evidence"])
    return {"business": json.loads(row["analysis"]), "place": place, "confidence": row["location_confidence"],
            "evidence": evidence}  # fmt: skip


def change_sentence(change: dict[str, Any] | None) -> str:
    if not change:
        return "This is the first scan of this domain."
    direction = "up" if change["delta"] > 0 else "down" if change["delta"] < 0 else "unchanged"
    moved = f"{direction} {abs(change['delta']):.0f} points" if change["delta"] else "unchanged"
    verdict = f"a real change (p = {change['p_value']:.2f})" if change["significant"] else "within noise"
    return f"Since scan {change['previous_scan_id']}: {moved}, {verdict}."


def history(db: Database, domain: str) -> list[dict[str, Any]]:
    """Every scored scan of the domain, oldest first: all of them, not a fixed window."""
    return list(
        db.query(
            "SELECT scan_id, score, ci_low, ci_high, created_at FROM score_history WHERE domain = ?"
            " ORDER BY created_at, scan_id",
            [domain],
        )
    )


def _rendered_answers(db: Database, scan: dict[str, Any], profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    matcher = business_matcher(db, scan["site_id"], scan["domain"], profile["business"] if profile else None)
    answers = _answers(db, scan["id"])
    for answer in answers:
        text = answer["text"] or ""
        answer["html"] = render_answer(text, matcher.spans(text))
    return answers


def render_report(db: Database, scan: dict[str, Any], metrics: dict[str, Any], reports_dir: Path) -> Path:
    profile = _profile(db, scan["id"])
    answers = _rendered_answers(db, scan, profile)
    scores: list[PlatformScore] = metrics["scores"]
    overall = metrics["overall"]
    last_errors = {a["platform"]: a["error"] for a in answers if a["status"] == "error"}
    settings = json.loads(scan["settings"])
    html = (
        environment()
        .get_template("report.html.j2")
        .render(
            scan=scan,
            overall=overall,
            change_sentence=change_sentence(metrics.get("change")),
            cost=metrics.get("cost"),
            summary=summary_sentence(scan["domain"], overall["score"], scores),
            scores=[s.to_json() | {"error": last_errors.get(s.platform)} for s in scores],
            questions=_question_grid(answers, [s.platform for s in scores]),
            competitors=metrics["competitors"],
            sov_chart=share_of_voice_chart(overall["share_of_voice"], scan["domain"], metrics["competitors"]),
            trend=trend_chart(history(db, scan["domain"])),
            citations=metrics["citations"],
            answers=answers,
            samples=settings.get("samples"),
            system_prompt=settings.get("system_prompt", "neutral"),
            weights=", ".join(f"{p} {w:g}" for p, w in settings.get("weights", {}).items()),
            profile=profile,
            pages=list(
                db.query("SELECT url, title, kind, word_count FROM pages WHERE scan_id = ? ORDER BY id", [scan["id"]])
            ),
            skipped=list(db.query("SELECT url, reason FROM crawl_skips WHERE scan_id = ? ORDER BY id", [scan["id"]])),
            readiness=list(
                db.query("SELECT * FROM readiness_checks WHERE scan_id = ? ORDER BY position", [scan["id"]])
            ),
        )
    )
    path = report_path(reports_dir, scan["domain"], scan["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def save_history(db: Database, scan: dict[str, Any], metrics: dict[str, Any], now: str) -> None:
    """One trend point per scored scan (a failed scan has no score to plot)."""
    overall = metrics["overall"]
    if overall["score"] is None:
        db.execute("DELETE FROM score_history WHERE scan_id = ?", [scan["id"]])
        return
    platforms = json.dumps([s.to_json() for s in metrics["scores"]])
    db.execute(
        "INSERT INTO score_history (scan_id, domain, score, ci_low, ci_high, overall, platforms, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id) DO UPDATE SET score = excluded.score,"
        " ci_low = excluded.ci_low, ci_high = excluded.ci_high, overall = excluded.overall,"
        " platforms = excluded.platforms",
        [scan["id"], scan["domain"], overall["score"], overall["ci_low"], overall["ci_high"],
         json.dumps(overall), platforms, scan.get("created_at") or now],
    )  # fmt: skip


def render_index(db: Database, reports_dir: Path) -> Path:
    """reports/index.html: every domain's latest report, with its score trend."""
    rows = list(
        db.query(
            "SELECT h.domain, h.scan_id, h.score, h.ci_low, h.ci_high, h.created_at, r.path FROM score_history h"
            " JOIN reports r ON r.scan_id = h.scan_id WHERE h.scan_id = (SELECT MAX(h2.scan_id) FROM score_history h2"
            " WHERE h2.domain = h.domain) ORDER BY h.domain"
        )
    )
    sites = []
    for row in rows:
        path = Path(row["path"])
        link = f"{path.parent.name}/{path.name}"
        trend = trend_chart(history(db, row["domain"]), width=160, height=40)
        sites.append(row | {"link": link, "trend": trend})
    html = environment().get_template("index.html.j2").render(sites=sites)
    index = reports_dir / "index.html"
    reports_dir.mkdir(parents=True, exist_ok=True)
    partial = index.with_suffix(".tmp")
    partial.write_text(html, encoding="utf-8")
    partial.replace(index)
    return index
