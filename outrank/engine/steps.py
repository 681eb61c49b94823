"""Checkpointed steps: a step keyed by (scan, key) runs until it commits a result, then never again.

The protocol: look up the step; a completed step returns its stored result; otherwise run it with retries,
recording every attempt, and commit the result (and any rows it persists) in one transaction. A step that
fails after its retries is recorded as failed and runs again when the scan is resumed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from outrank.config import RetryPolicy
from outrank.errors import ProviderError
from outrank.store.db import Store, utcnow

Persist = Callable[[Database, Any], None]


class StepFailed(Exception):
    def __init__(self, key: str, cause: BaseException) -> None:
        super().__init__(f"step {key} failed: {cause}")
        self.key = key
        self.cause = cause


def is_transient(exc: BaseException) -> bool:
    """Provider and crawl errors say whether a retry can help; anything else is a bug and is not retried."""
    return getattr(exc, "transient", False) is True


class _Wait:
    """Exponential backoff with jitter, unless the server said how long to wait (Retry-After)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = wait_exponential_jitter(initial=policy.initial_wait, max=policy.max_wait)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self.backoff(state))


class _RetryAfterTooLong(stop_base):
    """Stop when the server asks for a wait longer than we will hold a worker for."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.limit = policy.max_retry_after

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return isinstance(exc, ProviderError) and (exc.retry_after or 0) > self.limit


class StepRunner:
    def __init__(
        self, store: Store, scan_id: int, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.store = store
        self.scan_id = scan_id
        self.policy = policy
        self.sleep = sleep

    def completed_result(self, key: str) -> tuple[bool, Any]:
        row = self.store.db.execute(
            "SELECT status, result FROM steps WHERE scan_id = ? AND key = ?", [self.scan_id, key]
        ).fetchone()
        if row and row[0] == "completed":
            return True, json.loads(row[1])
        return False, None

    def run(self, key: str, fn: Callable[[], Any], *, persist: Persist | None = None, retry: bool = True) -> Any:
        done, result = self.completed_result(key)
        if done:
            return result
        self._mark_running(key)
        retrying = Retrying(
            stop=stop_any(stop_after_attempt(self.policy.attempts if retry else 1), _RetryAfterTooLong(self.policy)),
            wait=_Wait(self.policy),
            retry=retry_if_exception(is_transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._count_attempt(key)
                    try:
                        result = fn()
                    except Exception as exc:
                        self._log_failure(key, exc)
                        raise
        except Exception as exc:
            self._mark_failed(key, exc)
            raise StepFailed(key, exc) from exc
        self._commit(key, result, persist)
        return result

    def completed_keys(self) -> set[str]:
        """Keys of every step this scan has committed, in one query."""
        rows = self.store.db.execute(
            "SELECT key FROM steps WHERE scan_id = ? AND status = 'completed'", [self.scan_id]
        ).fetchall()
        return {row[0] for row in rows}

    def invalidate(self, *keys: str) -> None:
        """Forget results that depend on data which has since changed, so they are computed again."""
        with self.store.write() as db:
            for key in keys:
                db.execute("DELETE FROM steps WHERE scan_id = ? AND key = ?", [self.scan_id, key])

    def record_failure(self, key: str, message: str) -> None:
        """Mark a step failed without running it (its platform already failed in a way retries cannot fix)."""
        self._mark_running(key)
        with self.store.write() as db:
            db.execute(
                "UPDATE steps SET status = 'failed', error = ?, finished_at = ? WHERE scan_id = ? AND key = ?",
                [message, utcnow(), self.scan_id, key],
            )

    def _mark_running(self, key: str) -> None:
        with self.store.write() as db:
            db.execute(
                "INSERT INTO steps (scan_id, key, status, started_at) VALUES (?, ?, 'running', ?)"
                " ON CONFLICT (scan_id, key) DO UPDATE SET status = 'running', error = NULL,"
                " started_at = excluded.started_at, finished_at = NULL",
                [self.scan_id, key, utcnow()],
            )

    def _count_attempt(self, key: str) -> None:
        with self.store.write() as db:
            db.execute("UPDATE steps SET attempts = attempts + 1 WHERE scan_id = ? AND key = ?", [self.scan_id, key])

    def _log_failure(self, key: str, exc: Exception) -> None:
        entry = {"at": utcnow(), "error": describe(exc), "transient": is_transient(exc)}
        with self.store.write() as db:
            db.execute(
                "UPDATE steps SET attempt_log = json_insert(attempt_log, '$[#]', json(?)), error = ?"
                " WHERE scan_id = ? AND key = ?",
                [json.dumps(entry), describe(exc), self.scan_id, key],
            )

    def _mark_failed(self, key: str, exc: Exception) -> None:
        with self.store.write() as db:
            db.execute(
                "UPDATE steps SET status = 'failed', error = ?, finished_at = ? WHERE scan_id = ? AND key = ?",
                [describe(exc), utcnow(), self.scan_id, key],
            )

    def _commit(self, key: str, result: Any, persist: Persist | None) -> None:
        with self.store.write() as db:
            if persist is not None:
                persist(db, result)
            db.execute(
                "UPDATE steps SET status = 'completed', result = ?, error = NULL, finished_at = ?"
                " WHERE scan_id = ? AND key = ?",
                [json.dumps(result), utcnow(), self.scan_id, key],
            )


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
