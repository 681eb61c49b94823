"""The extract stage: which other businesses each answer names, and our rank among them.

Answers are sent in batches of ten to the extraction model (one checkpointed call per batch), or read by the
local heuristic when the extractor is "heuristic". A failed extraction fails the step, so the scan can resume;
it never falls back to guessing.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from outrank.competitors import BATCH_SIZE, Canonicalizer, answer_brands, extract_batch, heuristic_names, our_rank
from outrank.costs import record_cost
from outrank.errors import OutrankError
from outrank.mentions import Matcher
from outrank.query import matcher_for
from outrank.store.db import utcnow

if TYPE_CHECKING:
    from outrank.pipeline import Pipeline

HEURISTIC = "heuristic"


def tracked_names(pipeline: Pipeline) -> list[str]:
    rows = pipeline.store.db.execute(
        "SELECT name FROM tracked_competitors WHERE site_id = ? ORDER BY id", [pipeline.scan["site_id"]]
    )
    return [row[0] for row in rows]


def run_extraction(pipeline: Pipeline, profile: dict[str, Any]) -> bool:
    """Extract names from every answer not yet read; return whether anything changed."""
    pending = list(
        pipeline.store.db.query(
            "SELECT id, text, mention_offset FROM responses WHERE scan_id = ? AND status = 'ok'"
            " AND extracted_at IS NULL ORDER BY id",
            [pipeline.scan_id],
        )
    )
    if not pending:
        return False
    extractor = pipeline.scan_settings.get("extractor") or HEURISTIC
    batches = [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]
    saver = _Saver(pipeline, matcher_for(pipeline, profile["business"]), tracked_names(pipeline))
    if extractor == HEURISTIC:
        for batch in batches:
            names = {str(r["id"]): heuristic_names(r["text"]) for r in batch}
            with pipeline.store.write() as db:
                saver.save(db, batch, {"names": names, "usage": None}, None)
        return True
    provider = pipeline.providers.get(extractor)
    if provider is None:
        raise OutrankError(f"the extractor {extractor} has no API key in this environment")

    def extract(batch: list[dict[str, Any]]) -> None:
        key = f"extract:r{batch[0]['id']}-r{batch[-1]['id']}"
        pipeline.steps.run(
            key,
            lambda: extract_batch(provider, [(r["id"], r["text"]) for r in batch]),
            persist=lambda db, result: saver.save(db, batch, result, key),
        )

    with ThreadPoolExecutor(max_workers=pipeline.limit(extractor), thread_name_prefix="extract") as pool:
        list(pool.map(extract, batches))  # the first failure propagates and fails the stage
    return True


class _Saver:
    def __init__(self, pipeline: Pipeline, matcher: Matcher, tracked: list[str]) -> None:
        self.pipeline = pipeline
        self.matcher = matcher
        self.tracked = tracked

    def save(self, db: Database, batch: list[dict[str, Any]], result: dict[str, Any], key: str | None) -> None:
        canon = Canonicalizer(self.tracked)
        for row in batch:
            brands = answer_brands(row["text"], result["names"].get(str(row["id"]), []), self.matcher, canon)
            db.execute("DELETE FROM answer_brands WHERE response_id = ?", [row["id"]])
            for brand in brands:
                db.execute(
                    "INSERT INTO answer_brands (response_id, name, canonical, offset, position) VALUES (?, ?, ?, ?, ?)",
                    [row["id"], brand["raw"], brand["key"], brand["offset"], brand["position"]],
                )
            db.execute(
                "UPDATE responses SET competitors = ?, rank = ?, extracted_at = ? WHERE id = ?",
                [
                    json.dumps([b["raw"] for b in brands]),
                    our_rank(brands, row["mention_offset"]),
                    utcnow(),
                    row["id"],
                ],
            )
        if key and result.get("usage"):
            record_cost(db, self.pipeline.scan_id, key, result["usage"], self.pipeline.prices)
