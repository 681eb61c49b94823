"""Question research: merging and ranking candidates, branded questions, failing models and fallbacks."""

from __future__ import annotations

import json

from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.mentions import Matcher
from outrank.research import choose_questions, fallback_questions, jaccard, words
from tests.conftest import db_rows, run_cli

MATCHER = Matcher("harbourdental.example", "Harbour Dental Studio", ["Harbour Dental"])


def q(text: str, category: str = "finding_provider") -> dict[str, str]:
    return {"text": text, "category": category}


def test_near_duplicates_merge_and_agreement_ranks_first() -> None:
    candidates = {
        "chatgpt": [q("Who is the best dentist in Newcastle NSW?"), q("Cheap dental check-up near me", "comparison")],
        "claude": [q("who is the best dentist in newcastle"), q("Which dentists offer Invisalign?", "service")],
        "gemini": [
            q("Best dentist in Newcastle, who is it?"),
            q("Which dentists offer Invisalign aligners?", "service"),
        ],
    }
    chosen, branded = choose_questions(candidates, ["invisalign"], 7, MATCHER)
    texts = [c["text"] for c in chosen]
    assert texts[0] == "Who is the best dentist in Newcastle NSW?"  # three models agree
    assert texts[1] == "Which dentists offer Invisalign?"  # two models, and a key phrase
    assert len(texts) == 3 and branded == []
    assert jaccard(words("who is the best dentist in newcastle"), words("Best dentist in Newcastle, who is it?")) >= 0.5


def test_branded_questions_are_set_aside_not_counted_as_discovery() -> None:
    candidates = {
        "chatgpt": [q("Is Harbour Dental Studio any good?", "review"), q("best dentist for nervous patients")]
    }
    chosen, branded = choose_questions(candidates, [], 7, MATCHER)
    assert [c["text"] for c in chosen] == ["best dentist for nervous patients"]
    assert branded == [q("Is Harbour Dental Studio any good?", "review")]


def test_categories_are_capped_for_diversity_then_filled() -> None:
    services = [
        q(text, "service")
        for text in (
            "who offers dental implants nearby",
            "teeth whitening on a budget",
            "clear braces for adults",
            "porcelain veneers price comparison",
            "same day crowns available",
            "emergency fillings open saturday",
            "affordable dentures for seniors",
            "bridge versus implant options",
        )
    ]
    others = [q("family dentist recommendations please"), q("dentist reviews for kids", "review")]
    chosen, _ = choose_questions({"chatgpt": services + others}, [], 7, MATCHER)
    categories = [c["category"] for c in chosen]
    assert len(chosen) == 7 and categories[:5].count("service") == 3  # ceil(7/3) before others get a place
    assert {"finding_provider", "review"} <= set(categories)
    only_services, _ = choose_questions({"chatgpt": services}, [], 7, MATCHER)
    assert len(only_services) == 7  # the cap never leaves the set short


def test_fallback_templates_need_a_business_type_and_keep_place_out_of_most() -> None:
    profile = {"business_type": "Dental clinic", "city": "Newcastle", "services": ["Teeth whitening"], "products": []}
    questions = fallback_questions(profile, 7)
    assert questions[0] == q("best dental clinic near me")
    assert sum("Newcastle" in x["text"] for x in questions) == 1
    assert fallback_questions({"business_type": "", "services": ["x"]}, 7) == []


def test_every_configured_model_proposes_and_a_failing_one_is_recorded(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    providers_env.state.faults.append(Fault("gemini", status=400, times=-1, kind="research", message="bad schema"))
    result = run_cli("scan", site.url, "--json", "--samples", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["question_source"] == "researched"
    research_calls = {
        p for p, body in providers_env.state.structured_requests if "distinct questions" in json.dumps(body)
    }
    assert research_calls == {"chatgpt", "claude", "gemini", "perplexity"}
    steps = dict(db_rows("SELECT key, status FROM steps WHERE key LIKE 'research%'"))
    assert steps == {
        "research": "completed",
        "research:chatgpt": "completed",
        "research:claude": "completed",
        "research:gemini": "failed",
        "research:perplexity": "completed",
    }
    result_json = json.loads(db_rows("SELECT result FROM steps WHERE key = 'research'")[0][0])
    assert "bad schema" in result_json["failed_models"]["gemini"] and result_json["branded_set_aside"] == 1
    assert db_rows("SELECT count(*), count(DISTINCT text) FROM prompts WHERE kind = 'discovery'") == [(7, 7)]


def test_research_that_returns_nothing_falls_back_and_says_so(providers_env: SimulatorServer, site: SiteServer) -> None:
    providers_env.state.scenario.questions = []
    providers_env.state.scenario.extra_candidates = {}
    result = run_cli("scan", site.url, "--json", "--samples", "1", "--platforms", "chatgpt")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["question_source"] == "fallback"
    assert db_rows("SELECT DISTINCT source FROM prompts") == [("fallback",)]
    assert db_rows("SELECT text FROM prompts WHERE position = 1") == [("best dental clinic near me",)]


def test_when_every_research_model_fails_the_scan_fails_and_resumes(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    providers_env.state.faults.append(Fault("chatgpt", status=500, times=4, kind="research"))
    failed = run_cli("scan", site.url, "--json", "--samples", "1", "--platforms", "chatgpt")
    assert failed.returncode == 1
    summary = json.loads(failed.stdout)
    assert summary["status"] == "failed" and "research:chatgpt" in summary["error"]
    assert db_rows("SELECT count(*) FROM prompts") == [(0,)]  # no template questions were slipped in
    resumed = run_cli("resume", str(summary["scan_id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["question_source"] == "researched"
