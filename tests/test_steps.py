from __future__ import annotations

import json
from pathlib import Path

import pytest

from outrank.config import RetryPolicy
from outrank.engine.steps import StepFailed, StepRunner
from outrank.errors import ProviderError
from tests.conftest import new_scan


@pytest.fixture
def runner(tmp_path: Path) -> StepRunner:
    store, scan = new_scan(tmp_path / "steps.db")
    waits: list[float] = []
    runner = StepRunner(store, scan, RetryPolicy(attempts=4, initial_wait=0.5, max_wait=2), sleep=waits.append)
    runner.waits = waits  # type: ignore[attr-defined]
    return runner


def step_row(runner: StepRunner, key: str) -> dict:
    row = next(runner.store.db.query("SELECT * FROM steps WHERE key = ?", [key]))
    return row | {"attempt_log": json.loads(row["attempt_log"])}


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": self.calls}


def transient(status: int = 500, retry_after: float | None = None) -> ProviderError:
    return ProviderError("chatgpt", "server error", status=status, transient=True, retry_after=retry_after)


def test_a_completed_step_returns_its_stored_result_without_running(runner: StepRunner) -> None:
    fn = Flaky()
    assert runner.run("crawl", fn) == {"ok": 1}
    assert runner.run("crawl", fn) == {"ok": 1}
    assert fn.calls == 1


def test_transient_errors_are_retried_and_every_attempt_recorded(runner: StepRunner) -> None:
    fn = Flaky(transient(500), transient(503))
    assert runner.run("query:q1", fn) == {"ok": 3}
    row = step_row(runner, "query:q1")
    assert (row["status"], row["attempts"], len(row["attempt_log"])) == ("completed", 3, 2)
    assert all(entry["transient"] for entry in row["attempt_log"])
    assert len(runner.waits) == 2 and all(0 < w <= 2 for w in runner.waits)  # type: ignore[attr-defined]


def test_retry_after_is_honoured(runner: StepRunner) -> None:
    runner.run("q", Flaky(transient(429, retry_after=7.0)))
    assert runner.waits == [7.0]  # type: ignore[attr-defined]


def test_a_retry_after_beyond_the_limit_fails_the_step_instead_of_waiting(runner: StepRunner) -> None:
    fn = Flaky(transient(429, retry_after=3600))
    with pytest.raises(StepFailed):
        runner.run("q", fn)
    assert fn.calls == 1 and runner.waits == []  # type: ignore[attr-defined]


def test_non_transient_errors_fail_fast_with_one_attempt(runner: StepRunner) -> None:
    fn = Flaky(ProviderError("claude", "model 'x' was not found", status=404, transient=False))
    with pytest.raises(StepFailed, match="not found"):
        runner.run("q", fn)
    row = step_row(runner, "q")
    assert (row["status"], row["attempts"], fn.calls) == ("failed", 1, 1)
    assert "not found" in row["error"]


def test_a_failed_step_runs_again_and_keeps_counting_attempts(runner: StepRunner) -> None:
    always = Flaky(*[transient() for _ in range(4)])
    with pytest.raises(StepFailed):
        runner.run("q", always)
    assert step_row(runner, "q")["attempts"] == 4
    assert runner.run("q", always) == {"ok": 5}
    row = step_row(runner, "q")
    assert (row["status"], row["attempts"], row["error"]) == ("completed", 5, None)


def test_bugs_are_not_retried(runner: StepRunner) -> None:
    fn = Flaky(KeyError("oops"))
    with pytest.raises(StepFailed):
        runner.run("q", fn)
    assert fn.calls == 1


def test_persisted_rows_commit_with_the_step_or_not_at_all(runner: StepRunner) -> None:
    def persist(db, result):  # type: ignore[no-untyped-def]
        db.execute("INSERT INTO pages (scan_id, url) VALUES (?, 'https://a.com/')", [runner.scan_id])
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        runner.run("crawl", Flaky(), persist=persist)
    assert runner.store.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0
    assert step_row(runner, "crawl")["status"] != "completed"
