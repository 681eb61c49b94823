"""End-to-end scans: the CLI contract, faults, partial platforms, cancel and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from outrank.config import load_settings
from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.service import start_scan
from outrank.store.db import Store
from outrank.store.scans import create_scan, upsert_site
from tests.conftest import db_rows, run_cli

CALLS = 7 * 4 * 2  # questions × platforms × samples (OUTRANK_SAMPLES=2 in providers_env)


def test_scan_json_contract_rows_and_report(providers_env: SimulatorServer, site: SiteServer) -> None:
    result = run_cli("scan", site.url, "--json")
    assert result.returncode == 0, result.stderr
    assert "scan 1 started" in result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) >= {"scan_id", "domain", "status", "score", "platforms", "report"}
    assert summary["status"] == "complete" and summary["domain"] == site.url.split("//")[1]
    assert set(summary["platforms"]) == {"chatgpt", "claude", "gemini", "perplexity"}
    for platform in summary["platforms"].values():
        assert set(platform) >= {"score", "ci_low", "ci_high", "coverage", "mentioned", "answered", "errors"}
        assert platform["ci_low"] <= platform["score"] <= platform["ci_high"] and platform["coverage"] == 1.0
        assert platform["answered"] == 14 and platform["errors"] == 0
    assert 0 <= summary["score"] <= 100
    assert Path(summary["report"]).is_file()
    report = Path(summary["report"]).read_text()
    assert "AI readiness" in report and "skipped: disallowed by robots.txt" in report
    assert "Location: Newcastle, NSW, AU (high confidence)" in report
    assert db_rows("SELECT count(*), count(DISTINCT prompt_id || platform || sample) FROM responses") == [
        (CALLS, CALLS)
    ]
    assert providers_env.state.count(kind="ask") == CALLS
    assert (
        db_rows("SELECT count(*) FROM pages")[0][0] == 7
    )  # the sitemap index lists 7 pages; /admin/ is robots-blocked
    assert db_rows("SELECT count(*) FROM citations")[0][0] > 0


def test_runs_show_json_lists_every_step(providers_env: SimulatorServer, site: SiteServer) -> None:
    assert run_cli("scan", site.url, "--json", "--samples", "1").returncode == 0
    details = json.loads(run_cli("runs", "show", "1", "--json").stdout)
    keys = [step["key"] for step in details["steps"]]
    assert keys[:5] == ["setup", "crawl", "analyze", "readiness", "research"] and "finalize" in keys
    assert sum(k.startswith("query:") for k in keys) == 28
    assert set(details["steps"][0]) >= {"key", "status", "attempts", "started_at", "finished_at", "error"}
    human = run_cli("runs", "show", "1")
    assert "query:q1:chatgpt:s1" in human.stdout and "completed" in human.stdout


def test_retries_429_with_retry_after_and_500_then_completes(providers_env: SimulatorServer, site: SiteServer) -> None:
    providers_env.state.faults += [Fault("chatgpt", status=429, retry_after=1), Fault("claude", status=500)]
    summary = start_scan(load_settings(), site.url)
    assert summary["status"] == "complete"
    attempts = db_rows("SELECT key, attempts, attempt_log FROM steps WHERE attempts > 1")
    assert len(attempts) == 2
    logs = " ".join(row[2] for row in attempts)
    assert "HTTP 429" in logs and "HTTP 500" in logs
    assert providers_env.state.count(kind="ask", status=200) == CALLS


def test_a_hung_call_is_retried_after_its_timeout(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTRANK_GEMINI_TIMEOUT", "0.5")
    providers_env.state.faults.append(Fault("gemini", hang=5, status=500))
    summary = start_scan(load_settings(), site.url)
    assert summary["status"] == "complete"
    [(log,)] = db_rows("SELECT attempt_log FROM steps WHERE attempts = 2")
    assert "timed out" in log


def test_a_retired_model_fails_fast_and_leaves_the_platform_out(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    providers_env.state.faults.append(Fault("claude", status=404, times=-1, message="model retired"))
    summary = start_scan(load_settings(), site.url)
    assert summary["status"] == "partial"
    claude = summary["platforms"]["claude"]
    assert claude["score"] is None and claude["answered"] == 0 and claude["errors"] == 14
    assert "OUTRANK_CLAUDE_MODEL" in summary["error"]
    # Fail fast: no retries, and once the model is known to be gone the rest are not even sent.
    assert providers_env.state.count("claude", "ask") <= 4
    assert db_rows("SELECT max(attempts) FROM steps WHERE key LIKE 'query:%:claude:%'") == [(1,)]


def test_a_platform_that_is_down_ends_partial_and_never_counts_as_not_mentioned(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    baseline = start_scan(load_settings(), site.url)
    providers_env.state.faults.append(Fault("chatgpt", status=503, times=-1))
    summary = start_scan(load_settings(), site.url, new=True)
    assert summary["status"] == "partial"
    down = summary["platforms"]["chatgpt"]
    assert (down["score"], down["mentioned"], down["answered"], down["errors"]) == (None, 0, 0, 14)
    assert (down["available"], down["coverage"], down["ci_low"]) == (False, 0.0, None)
    others = {k: v for k, v in summary["platforms"].items() if k != "chatgpt"}
    assert others == {k: v for k, v in baseline["platforms"].items() if k != "chatgpt"}  # untouched by the outage
    weights = {"perplexity": 4, "gemini": 2, "claude": 1}
    expected = sum(others[p]["score"] * w for p, w in weights.items()) / sum(weights.values())
    assert summary["score"] == pytest.approx(expected, abs=0.1)
    report = Path(summary["report"]).read_text()
    assert "chatgpt</strong> was left out of the score" in report


def test_every_platform_down_fails_the_scan_with_the_errors(providers_env: SimulatorServer, site: SiteServer) -> None:
    for name in ("chatgpt", "claude", "gemini", "perplexity"):
        providers_env.state.faults.append(Fault(name, status=401, times=-1, kind="ask"))
    result = run_cli("scan", site.url, "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed" and summary["score"] is None
    assert "key was rejected" in summary["error"]


def test_a_failed_analysis_fails_the_scan_and_invents_nothing(providers_env: SimulatorServer, site: SiteServer) -> None:
    providers_env.state.faults.append(Fault("chatgpt", status=400, kind="structured", message="bad schema"))
    result = run_cli("scan", site.url, "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed" and "analyze" in summary["error"]
    assert db_rows("SELECT count(*) FROM prompts") == [(0,)]
    assert db_rows("SELECT status FROM steps WHERE key = 'analyze'") == [("failed",)]
    # Resume retries only what failed: the crawl is not fetched again.
    pages_before = db_rows("SELECT count(*) FROM pages")
    resumed = json.loads(run_cli("resume", "1", "--json").stdout)
    assert resumed["status"] == "complete"
    assert db_rows("SELECT attempts FROM steps WHERE key = 'crawl'") == [(1,)]
    assert db_rows("SELECT count(*) FROM pages") == pages_before


def test_no_key_at_all_is_one_clear_error_and_writes_nothing(site: SiteServer) -> None:
    result = run_cli("scan", "example.com")
    assert result.returncode == 2
    assert "OPENAI_API_KEY" in result.stderr and "PERPLEXITY_API_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path(os.environ["OUTRANK_DB"]).exists()


def test_a_platform_without_a_key_is_skipped_with_one_line(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    result = run_cli("scan", site.url, "--json", "--samples", "1")
    assert result.returncode == 0
    assert result.stderr.count("skipping gemini") == 1 and "GEMINI_API_KEY" in result.stderr
    assert "gemini" not in json.loads(result.stdout)["platforms"]


@pytest.mark.parametrize("target", ["not a domain", "ftp://example.com", "localhost:99999", "exa mple.com", "nodot"])
def test_bad_targets_exit_2_and_write_nothing(providers_env: SimulatorServer, target: str) -> None:
    result = run_cli("scan", target)
    assert result.returncode == 2, result.stderr
    assert "invalid target" in result.stderr
    assert not Path(os.environ["OUTRANK_DB"]).exists()


def test_loopback_is_refused_unless_allowed(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OUTRANK_ALLOW_PRIVATE")
    result = run_cli("scan", site.url)
    assert result.returncode == 2
    assert "loopback address 127.0.0.1" in result.stderr and "OUTRANK_ALLOW_PRIVATE=1" in result.stderr
    assert site.requests == []


def test_cancel_a_scan_nobody_is_running_then_resume_it(providers_env: SimulatorServer, site: SiteServer) -> None:
    store = Store(Path(os.environ["OUTRANK_DB"]))
    site_id = upsert_site(store.db, "127.0.0.1", site.url)
    scan_id = create_scan(
        store.db,
        site_id=site_id,
        domain="127.0.0.1",
        target_url=site.url + "/",
        trigger="manual",
        recipient=None,
        settings={"platforms": ["chatgpt"], "samples": 1, "questions": 2},
        simulated=False,
    )
    store.close()
    cancelled = run_cli("cancel", str(scan_id), "--json")
    assert cancelled.returncode == 0 and json.loads(cancelled.stdout)["status"] == "cancelled"
    assert run_cli("cancel", str(scan_id)).returncode == 1  # already finished
    resumed = run_cli("resume", str(scan_id), "--json")
    assert json.loads(resumed.stdout)["status"] == "complete"
    assert providers_env.state.count("chatgpt", "ask") == 2
    missing = run_cli("cancel", "999")
    assert missing.returncode == 2 and "no scan with id 999" in missing.stderr


def test_email_goes_to_the_outbox_once(providers_env: SimulatorServer, site: SiteServer) -> None:
    summary = start_scan(load_settings(), site.url, email="owner@example.com")
    assert summary["status"] == "complete"
    emails = list(Path(os.environ["OUTRANK_OUTBOX_DIR"]).glob("*.eml"))
    assert len(emails) == 1
    text = emails[0].read_text()
    assert "To: owner@example.com" in text and "Subject: AI visibility for" in text
    assert db_rows("SELECT status, message_id IS NOT NULL FROM outbox") == [("sent", 1)]
    rescan = run_cli("rescan", "owner@example.com", "--skip-email", "--json")
    assert rescan.returncode == 0 and json.loads(rescan.stdout)["scan_id"] == 2
    assert len(list(Path(os.environ["OUTRANK_OUTBOX_DIR"]).glob("*.eml"))) == 1


def test_per_platform_concurrency_limits_are_respected(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTRANK_CHATGPT_CONCURRENCY", "1")  # sequential
    monkeypatch.setenv("OUTRANK_CLAUDE_CONCURRENCY", "3")
    providers_env.state.delays = {"chatgpt": 0.03, "claude": 0.03}
    assert start_scan(load_settings(), site.url)["status"] == "complete"
    assert providers_env.state.max_in_flight["chatgpt"] == 1
    assert 1 < providers_env.state.max_in_flight["claude"] <= 3


def test_cancel_stops_a_running_scan_between_steps(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys
    import time

    providers_env.state.delays = dict.fromkeys(("chatgpt", "claude", "gemini", "perplexity"), 0.5)
    child = subprocess.Popen(
        [sys.executable, "-m", "outrank", "scan", site.url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while providers_env.state.count(kind="ask") < 4:
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    cancelled = run_cli("cancel", "1")
    assert cancelled.returncode == 0 and "cancel requested" in cancelled.stdout
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 1
    assert json.loads(out)["status"] == "cancelled"
    asked = db_rows("SELECT count(*) FROM responses")[0][0]
    assert asked < CALLS  # it stopped instead of finishing the query phase
