"""The scan pipeline: setup, crawl, analyze, readiness, research, query, extract, finalize, notify, each a
checkpointed step (query and extract checkpoint every call on its own; see query.py and extraction.py).

A platform whose calls fail is left out of the score, never counted as "not mentioned", and the scan ends
`partial`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outrank import understand
from outrank.config import Settings
from outrank.costs import load_prices
from outrank.engine.lease import Lease
from outrank.engine.steps import StepFailed, StepRunner, describe
from outrank.errors import OutrankError, ScanBusy, ScanCancelled
from outrank.exports import full_metrics
from outrank.extraction import run_extraction
from outrank.mail.notify import notify_completion, notify_failure
from outrank.providers import Provider
from outrank.query import QUERY_END, calls, run_queries
from outrank.report import render_index, render_report, save_history
from outrank.store.db import Store, utcnow
from outrank.store.scans import cancel_requested, get_scan, update_scan
from outrank.subscribers import PAID_TIERS, freeze_competitors

Events = Callable[[str, dict[str, Any]], None]


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
        self.prices = load_prices(settings.prices)

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
                return self._fail(f"{exc.key}: {describe(exc.cause)}")
            except ScanBusy:
                raise  # another process owns the scan now; its status is theirs to write
            except OutrankError as exc:
                return self._fail(str(exc))
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
                "analyze",
                lambda: understand.analyze(self, crawled),
                persist=lambda db, result: understand.save_profile(self, db, result),
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
        answered = run_queries(self, profile)
        self._checkpoint_guard()
        self._stage("extract", QUERY_END + 1, lambda: run_extraction(self, profile))
        if answered:
            self.steps.invalidate("finalize")
        result = self._stage("finalize", 92, lambda: self.steps.run("finalize", self._finalize))
        status: str = result["status"]
        if status == "failed":
            return self._fail(result["error"], score=result["score"])
        if self.scan["recipient"]:
            self._stage("notify", 97, lambda: self.steps.run("notify", lambda: self._notify(result)))
        self._finish(status, result.get("error"), score=result["score"])
        return status

    def _fail(self, error: str, score: float | None = None) -> str:
        """Record the failure, then tell the subscriber (once; a mail problem never hides the failure)."""
        self._finish("failed", error, score=score)
        scan = get_scan(self.store.db, self.scan_id) or self.scan
        try:
            notify_failure(self.store, self.settings, scan, error)
        except Exception as exc:
            self.events("mail", {"error": describe(exc)})
        return "failed"

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
        preferred = self.scan_settings.get("analyst")
        name = preferred if preferred in self.providers else self.settings.analyst_platform()
        if name is None or name not in self.providers:
            raise OutrankError("no configured platform can run the analysis")
        return self.providers[name]

    def limit(self, platform: str) -> int:
        override = self.scan_settings.get("concurrency", {}).get(platform)
        return max(1, int(override or self.settings.platforms[platform].concurrency))

    # -- finalize and notify ---------------------------------------------------------------------------

    def _finalize(self) -> dict[str, Any]:
        metrics = self.metrics()
        scores, overall = metrics["scores"], metrics["overall"]["score"]
        answered = self.store.db.execute(
            "SELECT COUNT(*) FROM responses WHERE scan_id = ? AND status = 'ok'", [self.scan_id]
        ).fetchone()[0]
        status, error = "complete", None
        if overall is None:
            status, error = "failed", "no platform answered enough questions to score: " + self._platform_errors()
        elif len(calls(self)) > answered or not all(s.available for s in scores):
            status, error = "partial", self._platform_errors() or None
        scan = (get_scan(self.store.db, self.scan_id) or {}) | {"status": status}
        with self.store.write() as db:
            save_history(db, scan, metrics, utcnow())  # the trend in this very report includes this scan
        report = render_report(self.store.db, scan, metrics, self.settings.reports_dir)
        now = utcnow()
        with self.store.write() as db:
            db.execute(
                "INSERT INTO reports (scan_id, path, created_at) VALUES (?, ?, ?) ON CONFLICT (scan_id)"
                " DO UPDATE SET path = excluded.path, created_at = excluded.created_at",
                [self.scan_id, str(report), now],
            )
            if status != "failed" and understand.site_of(self)["tier"] in PAID_TIERS:
                freeze_competitors(db, self.scan["site_id"], [c["name"] for c in metrics["competitors"]])
        render_index(self.store.db, self.settings.reports_dir)
        return {"status": status, "score": overall, "report": str(report), "error": error}

    def metrics(self) -> dict[str, Any]:
        return full_metrics(self.store.db, get_scan(self.store.db, self.scan_id) or self.scan)

    def _platform_errors(self) -> str:
        rows = self.store.db.query(
            "SELECT platform, error FROM responses WHERE scan_id = ? AND status = 'error'"
            " GROUP BY platform ORDER BY platform",
            [self.scan_id],
        )
        return "; ".join(f"{r['platform']}: {r['error']}" for r in rows)

    def _notify(self, result: dict[str, Any]) -> dict[str, Any]:
        scan = (get_scan(self.store.db, self.scan_id) or {}) | {"status": result["status"]}
        return notify_completion(self.store, self.settings, scan, self.metrics(), Path(result["report"]))
