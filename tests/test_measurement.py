"""Measurement through real scans: location on the wire, usage and citations read, competitors extracted in
batches, costs in a ledger, change against the previous scan; and the statistics against hand-computed values."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from outrank.demo.scenario import COMPETITORS, DEMO_BUSINESS
from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.providers.base import NEUTRAL_SYSTEM_PROMPT, NUDGE_SYSTEM_PROMPT
from outrank.stats import Rate, rank_weighted, two_proportion_test, weighted_mean, wilson
from tests.conftest import db_rows, run_cli

ANSWERS = 7 * 4  # questions x platforms with --samples 1


def scan(*args: str) -> dict[str, Any]:
    result = run_cli("scan", *args, "--json")
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def extraction_calls(simulator: SimulatorServer) -> int:
    return sum('"answers"' in json.dumps(body) for _, body in simulator.state.structured_requests)


def test_statistics_match_hand_computed_values() -> None:
    rate = wilson(12, 21)
    assert rate is not None
    assert (round(rate.value, 2), round(rate.low, 2), round(rate.high, 2)) == (57.14, 36.55, 75.53)
    none_of_ten = wilson(0, 10)
    assert none_of_ten is not None and round(none_of_ten.high, 2) == 27.75 and none_of_ten.low == 0.0
    assert wilson(0, 0) is None
    # 3:1 weights, both intervals +/-10 points: mean 42.5, se = sqrt(0.75^2 + 0.25^2) x 10 / 1.96
    mean = weighted_mean([(3, Rate(50, 40, 60)), (1, Rate(20, 10, 30))])
    assert mean is not None
    assert (round(mean.value, 2), round(mean.low, 2), round(mean.high, 2)) == (42.5, 34.59, 50.41)
    change = two_proportion_test(30, 100, 45, 100)
    assert change is not None and round(change.p_value, 4) == 0.0285 and change.label == "significant"
    noise = two_proportion_test(30, 100, 36, 100)
    assert noise is not None and noise.label == "within noise" and round(noise.delta, 1) == 6.0
    assert rank_weighted(60, 3) == pytest.approx(50.0) and rank_weighted(60, 1) == 60


def test_every_platform_gets_the_location_and_its_usage_and_citations_are_read(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    scan(site.url, "--samples", "1")
    bodies: dict[str, dict[str, Any]] = {}
    for platform, body in providers_env.state.ask_requests:
        bodies.setdefault(platform, body)
    where = {"country": "AU", "region": "NSW", "city": "Newcastle"}
    assert bodies["chatgpt"]["tools"][0]["user_location"] == {"type": "approximate", **where}
    assert bodies["claude"]["tools"][0]["user_location"] == {"type": "approximate", **where}
    assert bodies["perplexity"]["tools"][0]["user_location"] == where
    gemini_text = bodies["gemini"]["contents"][0]["parts"][0]["text"]
    assert gemini_text.endswith("(I am located in Newcastle, NSW, AU.)")  # no location knob: stated in context
    assert bodies["chatgpt"]["instructions"] == NEUTRAL_SYSTEM_PROMPT  # a plain user's assistant, by default
    per_platform = db_rows(
        "SELECT r.platform, MIN(r.input_tokens), MIN(r.output_tokens), MIN(r.search_calls), COUNT(DISTINCT c.id) > 0"
        " FROM responses r LEFT JOIN citations c ON c.response_id = r.id GROUP BY r.platform ORDER BY r.platform"
    )
    assert [row[0] for row in per_platform] == ["chatgpt", "claude", "gemini", "perplexity"]
    assert all(row[1] > 0 and row[2] > 0 and row[3] >= 1 and row[4] for row in per_platform)
    assert not db_rows("SELECT url FROM citations WHERE url LIKE '%vertexaisearch%' OR domain = ''")


def test_competitors_are_extracted_in_batches_normalised_and_never_include_us(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    summary = scan(site.url, "--samples", "1")
    assert extraction_calls(providers_env) == math.ceil(ANSWERS / 10)
    names = {c["name"] for c in summary["competitors"]}
    assert names <= {c.name for c in COMPETITORS} and len(names) >= 3 and DEMO_BUSINESS not in names
    assert db_rows("SELECT count(*) FROM answer_brands WHERE name = ?", (DEMO_BUSINESS,)) == [(0,)]
    assert db_rows("SELECT count(*) FROM responses WHERE extracted_at IS NULL AND status = 'ok'") == [(0,)]
    # Our rank is 1 + the businesses named before us in that answer.
    for text, rank in db_rows("SELECT text, rank FROM responses WHERE mentioned = 1"):
        before = sum(1 for c in COMPETITORS if c.name in text and text.index(c.name) < text.index(DEMO_BUSINESS))
        assert rank == before + 1
    overall = summary["overall"]
    assert 0 < overall["share_of_voice"] <= 1 and 1 <= overall["average_rank"] <= 4
    assert overall["ci_low"] <= overall["score"] <= overall["ci_high"] and 0 < overall["prompt_coverage"] <= 1
    assert overall["rank_weighted"] == pytest.approx(
        overall["score"] / (1 + 0.1 * (overall["average_rank"] - 1)), abs=0.2
    )
    for competitor in summary["competitors"]:
        assert competitor["share_of_voice"] == pytest.approx(competitor["mentions"] / ANSWERS, abs=0.001)


def test_the_heuristic_extractor_calls_nothing(providers_env: SimulatorServer, site: SiteServer) -> None:
    summary = scan(site.url, "--samples", "1", "--extractor", "heuristic")
    assert extraction_calls(providers_env) == 0
    assert {c["name"] for c in summary["competitors"]} <= {c.name for c in COMPETITORS}
    assert summary["competitors"]


def test_a_failed_extraction_fails_the_scan_and_resumes_without_repeating_answers(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    providers_env.state.faults.append(Fault("chatgpt", status=400, times=1, kind="extraction", message="bad"))
    failed = run_cli("scan", site.url, "--json", "--samples", "1")
    assert failed.returncode == 1
    summary = json.loads(failed.stdout)
    assert summary["status"] == "failed" and summary["error"].startswith("extract:r")
    asks = providers_env.state.count(kind="ask")
    resumed = run_cli("resume", str(summary["scan_id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert providers_env.state.count(kind="ask") == asks == ANSWERS  # no question was asked twice
    assert json.loads(resumed.stdout)["competitors"]


def test_every_call_is_in_the_cost_ledger_and_unknown_models_are_flagged(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    summary = scan(site.url, "--samples", "1", "--model", "chatgpt=gpt-9-experimental")
    ledger = db_rows("SELECT platform, priced, COUNT(*), SUM(cost_usd) FROM cost_ledger GROUP BY platform, priced")
    by_platform = {(platform, priced): (calls, usd) for platform, priced, calls, usd in ledger}
    # chatgpt: 7 asks + analysis + research + 3 extraction batches, all unpriced and never $0.
    assert by_platform[("chatgpt", 0)] == (7 + 1 + 1 + 3, None)
    assert ("chatgpt", 1) not in by_platform
    for platform in ("claude", "gemini", "perplexity"):
        calls, usd = by_platform[(platform, 1)]
        assert calls == 7 + 1 and usd > 0
    assert summary["unpriced_calls"] == 12
    priced_total = sum(usd for (_, priced), (_, usd) in by_platform.items() if priced)
    assert summary["cost_usd"] == pytest.approx(priced_total, abs=1e-4)
    assert "no known price (gpt-9-experimental" in Path(summary["report"]).read_text()
    assert db_rows("SELECT DISTINCT model FROM responses WHERE platform = 'chatgpt'")[0][0].startswith("gpt-9")


def test_estimate_prints_calls_and_cost_and_calls_nothing(providers_env: SimulatorServer) -> None:
    result = run_cli("scan", "example.com", "--estimate", "--json", "--samples", "2")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["platforms"]["chatgpt"]["by_kind"] == {"ask": 14, "research": 1, "analyze": 1, "extract": 6}
    assert plan["platforms"]["claude"]["calls"] == 15 and plan["calls"] == 14 * 4 + 4 + 1 + 6
    assert plan["cost_usd"] > 0 and plan["unpriced_platforms"] == []
    assert providers_env.state.hits == [] and not Path(os.environ["OUTRANK_DB"]).exists()
    people = run_cli("scan", "example.com", "--estimate")
    assert "Nothing was called." in people.stdout and "chatgpt" in people.stdout


def test_doctor_pings_every_model_and_reports_retired_ones_loudly(providers_env: SimulatorServer) -> None:
    healthy = run_cli("doctor", "--json")
    assert healthy.returncode == 0, healthy.stderr
    report = json.loads(healthy.stdout)
    assert [p["status"] for p in report["platforms"]] == ["ok"] * 4
    assert all(p["key"] == "set" and p["base_url"].startswith("http://127.0.0.1") for p in report["platforms"])
    assert "sk-test-openai-key-123456" not in healthy.stdout + healthy.stderr
    providers_env.state.faults.append(Fault("claude", status=404, times=-1, message="model not found"))
    broken = run_cli("doctor")
    assert broken.returncode == 1
    assert "claude: model claude-haiku-4-5 is retired or unknown" in broken.stderr
    unpriced = run_cli("doctor", "--json", env={"OUTRANK_GEMINI_MODEL": "gemini-9-preview"})
    rows = {p["platform"]: p for p in json.loads(unpriced.stdout)["platforms"]}
    assert rows["gemini"]["status"] == "unpriced-model" and unpriced.returncode == 1


def test_change_against_the_previous_scan_is_tested_for_significance(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    first = scan(site.url, "--samples", "2")
    assert first["overall"]["change"] is None
    same = scan(site.url, "--samples", "2", "--new")
    assert same["overall"]["change"]["label"] == "within noise" and same["overall"]["change"]["delta"] == 0
    providers_env.state.scenario.mention_odds = {"chatgpt": 1.0, "claude": 1.0, "gemini": 1.0, "perplexity": 1.0}
    better = scan(site.url, "--samples", "2", "--new")
    change = better["overall"]["change"]
    assert change["previous_scan_id"] == same["scan_id"] and change["significant"] is True
    assert change["p_value"] < 0.05 and change["after"] == 100.0 and change["delta"] > 0


def test_models_and_system_prompt_come_from_the_config_file_then_flags(
    providers_env: SimulatorServer, site: SiteServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('system_prompt = "nudge"\nextractor = "heuristic"\n[models]\nchatgpt = "gpt-5.4"\n')
    env = {"OUTRANK_CONFIG": str(config)}
    result = run_cli("scan", site.url, "--json", "--samples", "1", "--platforms", "chatgpt", env=env)
    assert result.returncode == 0, result.stderr
    assert db_rows("SELECT DISTINCT model FROM responses") == [("gpt-5.4-2026-03-17",)]
    assert providers_env.state.ask_requests[0][1]["instructions"] == NUDGE_SYSTEM_PROMPT
    flagged = run_cli(
        "scan", site.url, "--json", "--samples", "1", "--platforms", "chatgpt", "--new",
        "--model", "chatgpt=gpt-5.4-nano", "--system-prompt", "neutral", env=env,
    )  # fmt: skip
    assert flagged.returncode == 0, flagged.stderr
    assert db_rows("SELECT DISTINCT model FROM responses WHERE scan_id = 2") == [("gpt-5.4-nano-2026-03-17",)]
    assert providers_env.state.ask_requests[-1][1]["instructions"] == NEUTRAL_SYSTEM_PROMPT
    config.write_text("[models]\nchatgpt = 5\n[colours]\nx = 1\n")
    bad = run_cli("scan", site.url, env=env)
    assert bad.returncode == 2 and "unknown setting 'colours'" in bad.stderr
    assert run_cli("scan", site.url, "--model", "chatgpt", env={}).returncode == 2


def test_user_aliases_count_as_mentions(providers_env: SimulatorServer, site: SiteServer) -> None:
    from outrank.demo.scenario import Business

    # Assistants call the business by a name the site never uses.
    providers_env.state.scenario.business = Business("HDS Smile Group", "hds.example", "the family clinic")
    unknown = scan(site.url, "--samples", "1", "--platforms", "perplexity", "--extractor", "heuristic")
    assert unknown["platforms"]["perplexity"]["mentioned"] == 0
    added = run_cli("site", "add", site.url, "--email", "a@b.example", "--json")
    assert added.returncode == 0, added.stderr
    alias = run_cli("site", "alias", site.url, "HDS Smile Group", "--json")
    assert json.loads(alias.stdout)["aliases"] == ["HDS Smile Group"]
    known = scan(site.url, "--samples", "1", "--platforms", "perplexity", "--extractor", "heuristic", "--new")
    assert known["platforms"]["perplexity"]["mentioned"] > 0
    assert db_rows("SELECT DISTINCT mention_variant FROM responses WHERE scan_id = 2 AND mentioned = 1") == [
        ("HDS Smile Group",)
    ]
    assert "HDS Smile Group" not in {c["name"] for c in known["competitors"]}  # never our own competitor
    cited_unnamed = db_rows("SELECT count(*) FROM responses WHERE scan_id = 2 AND cited_own = 1 AND mentioned = 0")
    assert known["overall"]["cited_without_mention"] == cited_unnamed[0][0]
    assert run_cli("site", "alias", site.url, "HDS Smile Group").returncode == 2  # already there
