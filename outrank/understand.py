"""The site-understanding stages: crawl, analyze (with geography), readiness and question research.

Each function computes one step's result; each `save_*` writes that result's rows inside the step's commit
transaction, so a retried or resumed step leaves exactly one copy.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from outrank import analysis, research
from outrank.costs import record_cost
from outrank.engine.steps import StepFailed, describe
from outrank.errors import OutrankError
from outrank.query import matcher_for
from outrank.site.crawler import Crawler
from outrank.site.fetch import Fetcher
from outrank.site.geo import detect_location, merge_locations
from outrank.site.readiness import readiness_checks
from outrank.store.db import utcnow
from outrank.subscribers import PAID_TIERS, active_questions, question_kind, save_question_set

if TYPE_CHECKING:
    from outrank.pipeline import Pipeline

PAGE_COLUMNS = (
    "final_url", "status_code", "title", "meta_description", "canonical", "lang", "h1", "h1_count", "text",
    "word_count", "kind", "value", "client_side", "content_type", "charset", "bytes", "fetch_ms",
)  # fmt: skip
PAGE_JSON_COLUMNS = ("headings", "json_ld", "hreflang", "open_graph")


# -- crawl ----------------------------------------------------------------------------------------------------


def crawl(pipeline: Pipeline) -> dict[str, Any]:
    limits = pipeline.settings.crawl
    if max_pages := pipeline.scan_settings.get("max_pages"):
        limits = replace(limits, max_pages=int(max_pages))
    fetcher = Fetcher(limits, allow_private=pipeline.settings.allow_private)
    result = Crawler(fetcher).crawl(pipeline.scan["target_url"])
    for page in result["pages"]:
        page.pop("links", None)  # only discovery needs them; they would bloat the checkpoint
    return result


def save_crawl(scan_id: int, db: Database, result: dict[str, Any]) -> None:
    columns = ("url", *PAGE_COLUMNS, *PAGE_JSON_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    for page in result["pages"]:
        values = [page.get(c) for c in ("url", *PAGE_COLUMNS)] + [json.dumps(page[c]) for c in PAGE_JSON_COLUMNS]
        db.execute(
            f"INSERT INTO pages (scan_id, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"
            f" ON CONFLICT (scan_id, url) DO UPDATE SET {updates}",
            [scan_id, *values],
        )
    for skip in result["skipped"]:
        db.execute(
            "INSERT INTO crawl_skips (scan_id, url, reason) VALUES (?, ?, ?)"
            " ON CONFLICT (scan_id, url) DO UPDATE SET reason = excluded.reason",
            [scan_id, skip["url"], skip["reason"]],
        )


# -- analyze ----------------------------------------------------------------------------------------------


def analyze(pipeline: Pipeline, crawled: dict[str, Any]) -> dict[str, Any]:
    """The business profile: the analysis call, the site's own location signals, and the location chosen."""
    heuristic = detect_location(pipeline.scan["domain"], crawled["pages"]).to_json()
    business, usage = analysis.analyze(pipeline.analyst(), pipeline.scan["domain"], crawled["pages"], heuristic)
    location = merge_locations(heuristic, business)
    return {"business": business, "heuristic": heuristic, "location": location, "usage": usage}


def save_profile(pipeline: Pipeline, db: Database, profile: dict[str, Any]) -> None:
    scan_id = pipeline.scan_id
    record_cost(db, scan_id, "analyze", profile["usage"], pipeline.prices)
    location = profile["location"]
    db.execute(
        "INSERT INTO site_profiles (scan_id, business_name, analysis, country, region, city, location_confidence,"
        " location_source, location_evidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scan_id) DO UPDATE SET business_name = excluded.business_name, analysis = excluded.analysis,"
        " country = excluded.country, region = excluded.region, city = excluded.city,"
        " location_confidence = excluded.location_confidence, location_source = excluded.location_source,"
        " location_evidence = excluded.location_evidence",
        [
            scan_id,
            profile["business"]["business_name"],
            json.dumps(profile["business"]),
            location["country"],
            location["region"],
            location["city"],
            location["confidence"],
            location["source"],
            json.dumps(location["evidence"]),
            utcnow(),
        ],
    )


# -- readiness --------------------------------------------------------------------------------------------


def readiness(crawled: dict[str, Any], profile: dict[str, Any]) -> list[dict[str, str]]:
    return [check.to_json() for check in readiness_checks(crawled, profile)]


def save_readiness(scan_id: int, db: Database, checks: list[dict[str, str]]) -> None:
    db.execute("DELETE FROM readiness_checks WHERE scan_id = ?", [scan_id])
    for position, check in enumerate(checks):
        db.execute(
            "INSERT INTO readiness_checks (scan_id, key, grp, title, status, evidence, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [scan_id, check["key"], check["group"], check["title"], check["status"], check["evidence"], position],
        )


# -- research ---------------------------------------------------------------------------------------------


def site_of(pipeline: Pipeline) -> dict[str, Any]:
    return dict(next(iter(pipeline.store.db.query("SELECT * FROM sites WHERE id = ?", [pipeline.scan["site_id"]]))))


def questions(pipeline: Pipeline, profile: dict[str, Any]) -> dict[str, Any]:
    """The scan's questions: a paid site's saved set when it has one, otherwise fresh research."""
    site = site_of(pipeline)
    if site["tier"] in PAID_TIERS and (saved := active_questions(pipeline.store.db, site["id"])):
        chosen = [{k: q[k] for k in ("text", "category", "kind")} | {"question_id": q["id"]} for q in saved]
        return {"source": "custom", "questions": chosen}
    candidates, failures = _candidates(pipeline, profile["business"])
    business = profile["business"]
    matcher = matcher_for(pipeline, business)
    limit = int(pipeline.scan_settings.get("questions", pipeline.settings.question_count))
    chosen, branded = research.choose_questions(candidates, business["key_phrases"], limit, matcher)
    source = "researched"
    if not chosen:
        chosen, source = research.fallback_questions(business | profile["location"], limit), "fallback"
    if not chosen:
        raise OutrankError("question research returned no questions and the profile has no business type")
    return {
        "source": source,
        "questions": [q | {"kind": question_kind(q["text"], matcher)} for q in chosen],
        "candidates": {platform: len(items) for platform, items in candidates.items()},
        "failed_models": failures,
        "branded_set_aside": len(branded),
    }


def _candidates(pipeline: Pipeline, business: dict[str, Any]) -> tuple[dict[str, list[dict[str, str]]], dict[str, str]]:
    """One research call per configured platform, concurrently, each its own checkpointed step."""
    platforms = [p for p in pipeline.platforms if p in pipeline.providers]
    if not platforms:
        raise OutrankError("no configured platform can run question research")

    def research_with(platform: str) -> list[dict[str, str]]:
        provider = pipeline.providers[platform]
        key = f"research:{platform}"
        result: dict[str, Any] = pipeline.steps.run(
            key,
            lambda: research.candidate_questions(provider, business),
            persist=lambda db, done: record_cost(db, pipeline.scan_id, key, done["usage"], pipeline.prices),
        )
        questions: list[dict[str, str]] = result["questions"]
        return questions

    candidates: dict[str, list[dict[str, str]]] = {}
    failures: dict[str, StepFailed] = {}
    with ThreadPoolExecutor(max_workers=len(platforms), thread_name_prefix="research") as pool:
        futures = {platform: pool.submit(research_with, platform) for platform in platforms}
        for platform, future in futures.items():
            try:
                candidates[platform] = future.result()
            except StepFailed as exc:
                failures[platform] = exc
    if not candidates:
        raise next(iter(failures.values()))  # every model failed: the step fails and the scan can resume
    return candidates, {platform: describe(exc.cause) for platform, exc in failures.items()}


def save_questions(pipeline: Pipeline, db: Database, result: dict[str, Any]) -> None:
    site = site_of(pipeline)
    chosen = result["questions"]
    if result["source"] != "custom" and save_question_set(db, site, chosen, result["source"]):
        saved = db.execute("SELECT id FROM questions WHERE site_id = ? ORDER BY position", [site["id"]]).fetchall()
        chosen = [q | {"question_id": row[0]} for q, row in zip(chosen, saved, strict=False)]
    for position, question in enumerate(chosen, 1):
        db.execute(
            "INSERT INTO prompts (scan_id, position, text, category, source, kind, question_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id, position) DO UPDATE SET text = excluded.text,"
            " category = excluded.category, source = excluded.source, kind = excluded.kind,"
            " question_id = excluded.question_id",
            [
                pipeline.scan_id,
                position,
                question["text"],
                question["category"],
                result["source"],
                question.get("kind", "discovery"),
                question.get("question_id"),
            ],
        )
    db.execute("UPDATE scans SET question_source = ? WHERE id = ?", [result["source"], pipeline.scan_id])
