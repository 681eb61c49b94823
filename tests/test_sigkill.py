"""SIGKILL in the middle of the query phase, then resume: nothing paid twice, no duplicate rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from outrank.demo.simulator import SimulatorServer
from outrank.demo.site_server import SiteServer
from tests.conftest import db_rows, run_cli

TOTAL = 7 * 4 * 2


def completed_query_keys() -> set[str]:
    try:
        rows = db_rows("SELECT key FROM steps WHERE key LIKE 'query:%' AND status = 'completed'")
    except Exception:  # the child has not created the database yet
        return set()
    return {row[0] for row in rows}


def call_id(scan_id: int, key: str) -> str:
    _, question, platform, sample = key.split(":")
    return f"outrank-{scan_id}-{question}-{platform}-{sample}"


def kill_mid_query(simulator: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    for name in ("CHATGPT", "CLAUDE", "GEMINI", "PERPLEXITY"):
        monkeypatch.setenv(f"OUTRANK_{name}_CONCURRENCY", "2")
    simulator.state.delays = dict.fromkeys(("chatgpt", "claude", "gemini", "perplexity"), 0.15)
    child = subprocess.Popen(
        [sys.executable, "-m", "outrank", "scan", site.url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(completed_query_keys()) < 12:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the scan never reached the query phase"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    [(progress, step)] = db_rows("SELECT progress, current_step FROM scans WHERE id = 1")
    assert step == "query" and progress > 30  # progress moves with every completed call
    done = completed_query_keys()
    assert 12 <= len(done) < TOTAL, "the kill must land in the middle of the query phase"
    assert db_rows("SELECT status FROM scans WHERE id = 1") == [("running",)]
    return done


def assert_finished_without_paying_twice(simulator: SimulatorServer, done_before_kill: set[str]) -> None:
    hits: dict[str | None, int] = {}
    for hit in simulator.state.hits:
        if hit.kind == "ask" and hit.status == 200:
            hits[hit.call_id] = hits.get(hit.call_id, 0) + 1
    for key in done_before_kill:
        assert hits[call_id(1, key)] == 1, f"{key} was paid for twice"
    assert set(hits) == {call_id(1, k) for k in completed_query_keys()}
    assert len(completed_query_keys()) == TOTAL
    # Calls in flight at the kill were never committed, so at most one per worker is repeated.
    assert sum(hits.values()) <= TOTAL + 8
    assert db_rows("SELECT count(*), count(DISTINCT prompt_id || '/' || platform || '/' || sample) FROM responses") == [
        (TOTAL, TOTAL)
    ]
    assert db_rows("SELECT count(*) FROM prompts") == [(7,)]
    assert db_rows("SELECT count(*), count(DISTINCT url) FROM pages")[0] == (7, 7)
    # Analysis once, one research call per platform, one extraction call per 10 answers: none repeated.
    assert simulator.state.count(kind="structured") == 1 + 4 + 6


def test_resume_after_sigkill_finishes_without_repeating_completed_calls(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = kill_mid_query(providers_env, site, monkeypatch)
    providers_env.state.delays = {}
    result = run_cli("resume", "1", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "complete" and summary["scan_id"] == 1
    assert_finished_without_paying_twice(providers_env, done)


def test_scanning_the_same_target_again_resumes_the_killed_scan(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = kill_mid_query(providers_env, site, monkeypatch)
    providers_env.state.delays = {}
    result = run_cli("scan", site.url, "--json")
    assert result.returncode == 0, result.stderr
    assert "resuming unfinished scan 1" in result.stderr
    assert json.loads(result.stdout)["scan_id"] == 1
    assert_finished_without_paying_twice(providers_env, done)
    fresh = run_cli("scan", site.url, "--json", "--new", "--samples", "1")
    assert json.loads(fresh.stdout)["scan_id"] == 2
