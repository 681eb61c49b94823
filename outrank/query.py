"""The query stage: every question x platform x sample is one checkpointed call, run concurrently with one
bounded pool per platform. A platform whose error retries cannot fix stops being called (and is reported),
never counted as "not mentioned"."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from outrank.costs import record_cost, usage_of
from outrank.engine.steps import StepFailed, describe, is_transient
from outrank.errors import OutrankError
from outrank.mentions import Matcher, cites_domain
from outrank.providers import Answer, Location
from outrank.providers.base import SYSTEM_PROMPTS
from outrank.store.db import utcnow
from outrank.store.scans import cancel_requested, update_scan
from outrank.subscribers import business_matcher

if TYPE_CHECKING:
    from outrank.pipeline import Pipeline

QUERY_START, QUERY_END = 30.0, 86.0


@dataclass(frozen=True)
class Call:
    prompt_id: int
    position: int
    question: str
    platform: str
    sample: int

    @property
    def key(self) -> str:
        return f"query:q{self.position}:{self.platform}:s{self.sample}"

    def request_id(self, scan_id: int) -> str:
        return f"outrank-{scan_id}-q{self.position}-{self.platform}-s{self.sample}"


def calls(pipeline: Pipeline) -> list[Call]:
    prompts = list(
        pipeline.store.db.query(
            "SELECT id, position, text FROM prompts WHERE scan_id = ? ORDER BY position", [pipeline.scan_id]
        )
    )
    samples = int(pipeline.scan_settings["samples"])
    return [
        Call(p["id"], p["position"], p["text"], platform, sample)
        for sample in range(1, samples + 1)
        for p in prompts
        for platform in pipeline.platforms
    ]


def matcher_for(pipeline: Pipeline, business: dict[str, Any]) -> Matcher:
    return business_matcher(pipeline.store.db, pipeline.scan["site_id"], pipeline.scan["domain"], business)


def run_queries(pipeline: Pipeline, profile: dict[str, Any]) -> bool:
    """Run every call not yet checkpointed; return whether any call ran (the results changed)."""
    every = calls(pipeline)
    completed = pipeline.steps.completed_keys()
    pending = [c for c in every if c.key not in completed]
    pipeline.events("query", {"total": len(every), "done": len(every) - len(pending)})
    if not pending:
        return False
    phase = QueryPhase(pipeline, profile)
    pools = {p: ThreadPoolExecutor(max_workers=pipeline.limit(p), thread_name_prefix=p) for p in pipeline.platforms}
    try:
        futures: list[Future[None]] = [pools[c.platform].submit(phase.ask, c) for c in pending]
        done = len(every) - len(pending)
        for future in as_completed(futures):
            future.result()
            done += 1
            progress = QUERY_START + (QUERY_END - QUERY_START) * done / len(every)
            update_scan(pipeline.store, pipeline.scan_id, progress=progress, current_step="query")
            pipeline.events("query", {"total": len(every), "done": done})
    finally:
        for pool in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
    return True


class QueryPhase:
    def __init__(self, pipeline: Pipeline, profile: dict[str, Any]) -> None:
        self.pipeline = pipeline
        where = profile["location"]
        self.matcher = matcher_for(pipeline, profile["business"])
        self.location = (
            Location(country=where["country"], region=where["region"], city=where["city"]) if where["country"] else None
        )
        self.system = SYSTEM_PROMPTS[pipeline.scan_settings.get("system_prompt", "neutral")]
        self.broken: dict[str, str] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def ask(self, call: Call) -> None:
        pipeline = self.pipeline
        if self.stop.is_set() or cancel_requested(pipeline.store.db, pipeline.scan_id):
            self.stop.set()
            return
        if broken := self.broken.get(call.platform):
            pipeline.steps.record_failure(call.key, f"not called: {broken}")
            self.save_error(call, f"not called: {broken}")
            return
        provider = pipeline.providers.get(call.platform)
        try:
            if provider is None:
                raise OutrankError(f"{call.platform}: no API key is configured in this environment")
            pipeline.steps.run(
                call.key,
                lambda: provider.timed_ask(
                    call.question, location=self.location, call_id=call.request_id(pipeline.scan_id), system=self.system
                ).to_json(),
                persist=lambda db, answer: self.save_answer(db, call, Answer.from_json(answer)),
            )
        except (StepFailed, OutrankError) as exc:
            cause = exc.cause if isinstance(exc, StepFailed) else exc
            if not is_transient(cause):
                with self.lock:
                    self.broken.setdefault(call.platform, describe(cause))
            self.save_error(call, describe(cause))

    def save_answer(self, db: Database, call: Call, answer: Answer) -> None:
        mention = self.matcher.find(answer.text)
        cited_own = cites_domain([c.domain for c in answer.citations], self.pipeline.scan["domain"])
        cursor = db.execute(
            "INSERT INTO responses (scan_id, prompt_id, platform, sample, status, text, model, mentioned,"
            " mention_offset, mention_variant, cited_own, competitors, error, latency_ms, input_tokens,"
            " output_tokens, search_calls, created_at)"
            " VALUES (?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, '[]', NULL, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scan_id, prompt_id, platform, sample) DO UPDATE SET status = 'ok', text = excluded.text,"
            " model = excluded.model, mentioned = excluded.mentioned, mention_offset = excluded.mention_offset,"
            " mention_variant = excluded.mention_variant, cited_own = excluded.cited_own, competitors = '[]',"
            " rank = NULL, extracted_at = NULL, error = NULL, latency_ms = excluded.latency_ms,"
            " input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,"
            " search_calls = excluded.search_calls RETURNING id",
            [
                self.pipeline.scan_id, call.prompt_id, call.platform, call.sample, answer.text, answer.model,
                int(mention.mentioned), mention.offset, mention.variant, int(cited_own), answer.latency_ms,
                answer.input_tokens, answer.output_tokens, answer.search_calls, utcnow(),
            ],
        )  # fmt: skip
        response_id = cursor.fetchone()[0]
        db.execute("DELETE FROM citations WHERE response_id = ?", [response_id])
        db.execute("DELETE FROM answer_brands WHERE response_id = ?", [response_id])
        for cited in answer.citations:
            db.execute(
                "INSERT OR IGNORE INTO citations (response_id, url, domain, title) VALUES (?, ?, ?, ?)",
                [response_id, cited.url, cited.domain, cited.title],
            )
        usage = usage_of(call.platform, answer)
        record_cost(db, self.pipeline.scan_id, call.key, usage, self.pipeline.prices)

    def save_error(self, call: Call, error: str) -> None:
        with self.pipeline.store.write() as db:
            db.execute(
                "INSERT INTO responses (scan_id, prompt_id, platform, sample, status, error, created_at)"
                " VALUES (?, ?, ?, ?, 'error', ?, ?) ON CONFLICT (scan_id, prompt_id, platform, sample)"
                " DO UPDATE SET status = 'error', error = excluded.error, text = NULL, mentioned = NULL,"
                " rank = NULL, extracted_at = NULL",
                [self.pipeline.scan_id, call.prompt_id, call.platform, call.sample, error, utcnow()],
            )
