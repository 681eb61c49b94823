"""The scan pipeline: setup, crawl, analyze, research, query, finalize, notify, each a checkpointed step.

The query stage checkpoints every prompt × platform × sample call on its own and runs them concurrently,
with one bounded pool per platform. A platform whose calls fail is left out of the score, never counted as
"not mentioned", and the scan ends `partial`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outrank import understand
from outrank.config import Settings
from outrank.engine.lease import Lease
from outrank.engine.steps import StepFailed, StepRunner, describe, is_transient
from outrank.errors import OutrankError, ScanBusy, ScanCancelled
from outrank.mentions import competitors_in, find_mention, name_variants
from outrank.notify import queue_and_deliver
from outrank.providers import Answer, Location, Provider
from outrank.report import render_report
from outrank.scoring import overall_score, scan_platform_scores
from outrank.store.db import Store, utcnow
from outrank.store.scans import cancel_requested, get_scan, update_scan
from outrank.subscribers import PAID_TIERS, freeze_competitors

Events = Callable[[str, dict[str, Any]], None]
ANALYST_PREFERENCE = ("chatgpt", "claude", "gemini", "perplexity")
QUERY_START, QUERY_END = 30.0, 90.0
DEFAULT_SENDER = "outrank <reports@outrank.local>"


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


class Pipeline:
    def __init__(
        self, store: Store, scan_id: int, settings: Settings, providers: dict[str, Provider], events: Events
    ) -> None:
        self.store = store
        self.scan_id = scan_id
        self.settings = settings
        self.providers = providers
        self.events = events
        self.steps = StepRunner(store, scan_id, settings.retry)
        self.scan: dict[str, Any] = get_scan(store.db, scan_id) or {}
        self.scan_settings: dict[str, Any] = json.loads(self.scan["settings"])
        self.platforms: list[str] = self.scan_settings["platforms"]
        self.lease: Lease | None = None

    # -- driver ---------------------------------------------------------------------------------------

    def run(self) -> str:
        with Lease(self.store, self.scan_id, self.settings.lease_seconds) as lease:
            self.lease = lease
            update_scan(
                self.store,
                self.scan_id,
                status="running",
                error=None,
                finished_at=None,
                started_at=self.scan["started_at"] or utcnow(),
            )
            try:
                status = self._stages()
            except ScanCancelled:
                self._finish("cancelled", "cancelled by request")
                return "cancelled"
            except StepFailed as exc:
                self._finish("failed", f"{exc.key}: {describe(exc.cause)}")
                return "failed"
            except ScanBusy:
                raise  # another process owns the scan now; its status is theirs to write
            except OutrankError as exc:
                self._finish("failed", str(exc))
                return "failed"
            except Exception as exc:
                # A bug: record it on the scan so it is visible and resumable, then let it surface.
                self._finish("failed", f"internal error: {describe(exc)}")
                raise
            return status

    def _stages(self) -> str:
        self._stage("setup", 2, lambda: self.steps.run("setup", self._setup))
        crawled = self._stage(
            "crawl", 5, lambda: self.steps.run("crawl", self._crawl, persist=self._persist(understand.save_crawl))
        )
        profile = self._stage(
            "analyze",
            15,
            lambda: self.steps.run(
                "analyze", lambda: understand.analyze(self, crawled), persist=self._persist(understand.save_profile)
            ),
        )
        self._stage(
            "readiness",
            18,
            lambda: self.steps.run(
                "readiness",
                lambda: understand.readiness(crawled, profile),
                persist=self._persist(understand.save_readiness),
            ),
        )
        self._stage(
            "research",
            22,
            lambda: self.steps.run(
                "research",
                lambda: understand.questions(self, profile),
                persist=lambda db, result: understand.save_questions(self, db, result),
                retry=False,
            ),
        )
        changed = self._query_all(profile)
        if changed:
            self.steps.invalidate("finalize")
        result = self._stage("finalize", 92, lambda: self.steps.run("finalize", self._finalize))
        status: str = result["status"]
        if self.scan["recipient"]:
            self._stage("notify", 97, lambda: self.steps.run("notify", lambda: self._notify(result)))
        self._finish(status, result.get("error"), score=result["score"])
        return status

    def _stage(self, name: str, progress: float, run: Callable[[], Any]) -> Any:
        self._checkpoint_guard()
        update_scan(self.store, self.scan_id, current_step=name, progress=max(progress, self._progress()))
        self.events("step", {"step": name, "progress": progress})
        return run()

    def _progress(self) -> float:
        row = self.store.db.execute("SELECT progress FROM scans WHERE id = ?", [self.scan_id]).fetchone()
        return float(row[0]) if row else 0.0

    def _checkpoint_guard(self) -> None:
        if self.lease is not None and self.lease.lost.is_set():
            raise ScanBusy(f"scan {self.scan_id} lost its lease to another process")
        if cancel_requested(self.store.db, self.scan_id):
            raise ScanCancelled

    def _finish(self, status: str, error: str | None, score: float | None = None) -> None:
        update_scan(
            self.store,
            self.scan_id,
            status=status,
            error=error,
            score=score,
            finished_at=utcnow(),
            progress=100.0 if status in ("complete", "partial") else self._progress(),
            current_step=None,
        )
        self.events("finished", {"status": status, "error": error})

    # -- stages ---------------------------------------------------------------------------------------

    def _setup(self) -> dict[str, Any]:
        return {"platforms": self.platforms, "samples": self.scan_settings["samples"]}

    def _crawl(self) -> dict[str, Any]:
        return understand.crawl(self)

    def _persist(self, save: Callable[[int, Database, Any], None]) -> Callable[[Database, Any], None]:
        return lambda db, result: save(self.scan_id, db, result)

    def analyst(self) -> Provider:
        preferred = self.scan_settings.get("analyst") or self.settings.analyst
        for name in ([preferred] if preferred else []) + list(ANALYST_PREFERENCE):
            if name in self.providers:
                return self.providers[name]
        raise OutrankError("no configured platform can run the analysis")

    # -- query phase ----------------------------------------------------------------------------------

    def calls(self) -> list[Call]:
        prompts = list(
            self.store.db.query(
                "SELECT id, position, text FROM prompts WHERE scan_id = ? ORDER BY position", [self.scan_id]
            )
        )
        samples = int(self.scan_settings["samples"])
        return [
            Call(p["id"], p["position"], p["text"], platform, sample)
            for sample in range(1, samples + 1)
            for p in prompts
            for platform in self.platforms
        ]

    def _query_all(self, profile: dict[str, Any]) -> bool:
        """Run every call not yet checkpointed; return whether any call ran (the results changed)."""
        calls = self.calls()
        completed = self.steps.completed_keys()
        pending = [c for c in calls if c.key not in completed]
        self.events("query", {"total": len(calls), "done": len(calls) - len(pending)})
        if not pending:
            return False
        query = _QueryPhase(self, profile)
        pools = {p: ThreadPoolExecutor(max_workers=self._limit(p), thread_name_prefix=p) for p in self.platforms}
        try:
            futures: list[Future[None]] = [pools[c.platform].submit(query.ask, c) for c in pending]
            done = len(calls) - len(pending)
            for future in as_completed(futures):
                future.result()
                done += 1
                progress = QUERY_START + (QUERY_END - QUERY_START) * done / len(calls)
                update_scan(self.store, self.scan_id, progress=progress, current_step="query")
                self.events("query", {"total": len(calls), "done": done})
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True, cancel_futures=True)
        self._checkpoint_guard()
        return True

    def _limit(self, platform: str) -> int:
        override = self.scan_settings.get("concurrency", {}).get(platform)
        return max(1, int(override or self.settings.platforms[platform].concurrency))

    # -- finalize and notify ---------------------------------------------------------------------------

    def _finalize(self) -> dict[str, Any]:
        scores = scan_platform_scores(self.store.db, self.scan_id, self.scan_settings)
        overall = overall_score(scores, self.scan_settings.get("weights", self.settings.weights))
        answered = self.store.db.execute(
            "SELECT COUNT(*) FROM responses WHERE scan_id = ? AND status = 'ok'", [self.scan_id]
        ).fetchone()[0]
        failed_calls = len(self.calls()) - answered
        status, error = "complete", None
        if overall is None:
            status, error = (
                "failed",
                "no platform answered enough questions to score: " + self._platform_errors(),
            )
        elif failed_calls or not all(s.available for s in scores):
            status = "partial"
            error = self._platform_errors() or None
        scan = get_scan(self.store.db, self.scan_id) or {}
        report = render_report(self.store.db, scan | {"status": status}, scores, overall, self.settings.reports_dir)
        now = utcnow()
        with self.store.write() as db:
            db.execute(
                "INSERT INTO reports (scan_id, path, created_at) VALUES (?, ?, ?) ON CONFLICT (scan_id)"
                " DO UPDATE SET path = excluded.path, created_at = excluded.created_at",
                [self.scan_id, str(report), now],
            )
            db.execute(
                "INSERT INTO score_history (scan_id, domain, score, platforms, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scan_id) DO UPDATE SET score = excluded.score,"
                " platforms = excluded.platforms",
                [self.scan_id, self.scan["domain"], overall, json.dumps([s.to_json() for s in scores]), now],
            )
            if status != "failed" and understand.site_of(self)["tier"] in PAID_TIERS:
                freeze_competitors(db, self.scan["site_id"], self._detected_competitors())
        return {"status": status, "score": overall, "report": str(report), "error": error}

    def _detected_competitors(self) -> list[str]:
        counts: Counter[str] = Counter()
        for (names,) in self.store.db.execute(
            "SELECT competitors FROM responses WHERE scan_id = ? AND status = 'ok'", [self.scan_id]
        ):
            counts.update(set(json.loads(names)))
        return [name for name, _ in counts.most_common()]

    def _platform_errors(self) -> str:
        rows = self.store.db.query(
            "SELECT platform, error FROM responses WHERE scan_id = ? AND status = 'error'"
            " GROUP BY platform ORDER BY platform",
            [self.scan_id],
        )
        return "; ".join(f"{r['platform']}: {r['error']}" for r in rows)

    def _notify(self, result: dict[str, Any]) -> dict[str, Any]:
        scan = (get_scan(self.store.db, self.scan_id) or {}) | {"status": result["status"]}
        return queue_and_deliver(
            self.store,
            scan,
            result["score"],
            Path(result["report"]),
            self.settings.outbox_dir,
            DEFAULT_SENDER,
        )


class _QueryPhase:
    """One call per prompt × platform × sample; a platform that fails for good stops being called."""

    def __init__(self, pipeline: Pipeline, profile: dict[str, Any]) -> None:
        self.pipeline = pipeline
        business, where = profile["business"], profile["location"]
        self.variants = name_variants(pipeline.scan["domain"], business["business_name"], business["aliases"])
        self.location = (
            Location(country=where["country"], region=where["region"], city=where["city"]) if where["country"] else None
        )
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
            self._save_error(call, f"not called: {broken}")
            return
        provider = pipeline.providers.get(call.platform)
        call_id = f"outrank-{pipeline.scan_id}-q{call.position}-{call.platform}-s{call.sample}"
        try:
            if provider is None:
                raise OutrankError(f"{call.platform}: no API key is configured in this environment")
            pipeline.steps.run(
                call.key,
                lambda: provider.timed_ask(call.question, location=self.location, call_id=call_id).to_json(),
                persist=lambda db, answer: self._save_answer(db, call, Answer.from_json(answer)),
            )
        except (StepFailed, OutrankError) as exc:
            cause = exc.cause if isinstance(exc, StepFailed) else exc
            if not is_transient(cause):
                with self.lock:
                    self.broken.setdefault(call.platform, describe(cause))
            self._save_error(call, describe(cause))

    def _save_answer(self, db: Database, call: Call, answer: Answer) -> None:
        mention = find_mention(answer.text, self.variants)
        competitors = competitors_in(answer.text, self.variants)
        cursor = db.execute(
            "INSERT INTO responses (scan_id, prompt_id, platform, sample, status, text, model, mentioned,"
            " mention_offset, competitors, error, latency_ms, input_tokens, output_tokens, search_calls, created_at)"
            " VALUES (?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scan_id, prompt_id, platform, sample) DO UPDATE SET status = 'ok', text = excluded.text,"
            " model = excluded.model, mentioned = excluded.mentioned, mention_offset = excluded.mention_offset,"
            " competitors = excluded.competitors, error = NULL, latency_ms = excluded.latency_ms,"
            " input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,"
            " search_calls = excluded.search_calls RETURNING id",
            [
                self.pipeline.scan_id,
                call.prompt_id,
                call.platform,
                call.sample,
                answer.text,
                answer.model,
                int(mention.mentioned),
                mention.offset,
                json.dumps(competitors),
                answer.latency_ms,
                answer.input_tokens,
                answer.output_tokens,
                answer.search_calls,
                utcnow(),
            ],
        )
        response_id = cursor.fetchone()[0]
        db.execute("DELETE FROM citations WHERE response_id = ?", [response_id])
        for cited in answer.citations:
            db.execute(
                "INSERT OR IGNORE INTO citations (response_id, url, domain, title) VALUES (?, ?, ?, ?)",
                [response_id, cited.url, cited.domain, cited.title],
            )
        db.execute(
            "INSERT OR REPLACE INTO cost_ledger (scan_id, step_key, platform, model, input_tokens, output_tokens,"
            " search_calls, cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.pipeline.scan_id,
                call.key,
                call.platform,
                answer.model,
                answer.input_tokens,
                answer.output_tokens,
                answer.search_calls,
                answer.cost_usd,
                utcnow(),
            ],
        )

    def _save_error(self, call: Call, error: str) -> None:
        with self.pipeline.store.write() as db:
            db.execute(
                "INSERT INTO responses (scan_id, prompt_id, platform, sample, status, error, created_at)"
                " VALUES (?, ?, ?, ?, 'error', ?, ?) ON CONFLICT (scan_id, prompt_id, platform, sample)"
                " DO UPDATE SET status = 'error', error = excluded.error, text = NULL, mentioned = NULL",
                [self.pipeline.scan_id, call.prompt_id, call.platform, call.sample, error, utcnow()],
            )
