"""The subscriber workflow through the CLI: sites and tiers, the saved question set, history, tracked competitors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from outrank.demo.simulator import SimulatorServer
from outrank.demo.site_server import SiteServer
from tests.conftest import db_rows, run_cli


def cli_json(*args: str) -> Any:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def cli_error(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr.strip()


def research_calls(simulator: SimulatorServer) -> int:
    return sum("distinct questions" in json.dumps(body) for _, body in simulator.state.structured_requests)


def test_a_paid_sites_first_scan_saves_its_questions_and_later_scans_ask_them(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    url = site.url
    added = cli_json("site", "add", url, "--email", "owner@harbour.example", "--tier", "starter")
    assert added["created"] is True and added["tier"] == "starter"

    first = cli_json("scan", url, "--samples", "1")
    assert first["question_source"] == "researched" and research_calls(providers_env) == 4
    saved = cli_json("questions", "list", url)
    assert len(saved) == 7 and {q["source"] for q in saved} == {"researched"}
    assert [q["text"] for q in saved] == [r[0] for r in db_rows("SELECT text FROM prompts ORDER BY position")]
    frozen = cli_json("competitors", "list", url)
    assert 1 <= len(frozen) <= 5 and {c["source"] for c in frozen} == {"detected"}

    first_id, second_id = saved[0]["id"], saved[1]["id"]
    edited = cli_json("questions", "edit", url, str(first_id), "Which Newcastle dentist is best for anxious adults?")
    assert edited["version"] == 2 and edited["kind"] == "discovery"
    assert cli_json("questions", "archive", url, str(second_id))["status"] == "archived"
    branded = cli_json("questions", "add", url, "Is Harbour Dental Studio open on Saturdays?", "--category", "review")
    assert branded["kind"] == "branded" and branded["source"] == "custom"

    providers_env.state.structured_requests.clear()
    second = cli_json("scan", url, "--samples", "1", "--new")
    assert second["question_source"] == "custom" and research_calls(providers_env) == 0
    asked = db_rows("SELECT text, kind, source, question_id FROM prompts WHERE scan_id = ? ORDER BY position", (2,))
    active = cli_json("questions", "list", url)
    assert [(q["text"], q["kind"], "custom", q["id"]) for q in active] == asked
    assert len(asked) == 7 and asked[0][0] == "Which Newcastle dentist is best for anxious adults?"
    assert saved[1]["text"] not in [a[0] for a in asked]
    # The branded question is asked but never counts towards visibility.
    answered = sum(p["answered"] for p in second["platforms"].values())
    assert answered == 6 * 4

    assert len(cli_json("questions", "list", url, "--all")) == 8
    reverted = cli_json("questions", "revert", str(first_id), "1")
    assert reverted["version"] == 3 and reverted["text"] == saved[0]["text"]
    history = cli_json("questions", "history", str(first_id))
    assert [(h["version"], h["text"]) for h in history] == [
        (1, saved[0]["text"]),
        (2, "Which Newcastle dentist is best for anxious adults?"),
        (3, saved[0]["text"]),
    ]
    assert cli_json("questions", "restore", url, str(second_id))["status"] == "active"


def test_tier_limits_and_bad_input_write_nothing(providers_env: SimulatorServer, site: SiteServer) -> None:
    url = site.url
    assert "no sites yet" in cli_error("questions", "list", url)
    assert not Path(os.environ["OUTRANK_DB"]).exists()  # a reading command never creates the database
    assert "invalid email" in cli_error("site", "add", url, "--email", "nobody")
    assert "invalid tier" in cli_error("site", "add", url, "--email", "a@b.example", "--tier", "gold")
    assert not Path(os.environ["OUTRANK_DB"]).exists()

    cli_json("site", "add", url, "--email", "a@b.example")
    assert "free tier allows 0 custom questions" in cli_error("questions", "add", url, "best dentist near me")
    cli_json("site", "set-tier", url, "starter")
    for n in range(10):
        cli_json("questions", "add", url, f"best dentist for problem number {n} near me")
    full = cli_error("questions", "add", url, "one question too many for starter")
    assert "starter tier allows 10 custom questions and 10 are active" in full
    assert db_rows("SELECT count(*) FROM questions") == [(10,)]
    assert "invalid category" in cli_error("questions", "add", url, "another good question", "--category", "x")
    assert "8 to 300 characters" in cli_error("questions", "edit", url, "1", "short")
    assert "no question 99" in cli_error("questions", "archive", url, "99")
    assert "no site example.org" in cli_error("questions", "list", "example.org")
    assert "has no version 5" in cli_error("questions", "revert", "1", "5")
    assert db_rows("SELECT count(*), max(version) FROM questions") == [(10, 1)]


def test_tracked_competitors_are_capped_at_five(providers_env: SimulatorServer, site: SiteServer) -> None:
    url = site.url
    cli_json("site", "add", url, "--email", "a@b.example", "--tier", "pro")
    for name in ("Acme Dental", "Bright Smiles", "Coast Dentists", "Dune Dental", "Eden Teeth"):
        cli_json("competitors", "add", url, name)
    assert "at most 5 competitors" in cli_error("competitors", "add", url, "Fern Dental")
    assert "already tracked" in cli_error("competitors", "add", url, "acme dental")
    assert cli_json("competitors", "remove", url, "acme dental")["name"] == "acme dental"
    assert "not tracked" in cli_error("competitors", "remove", url, "Nobody")
    added = cli_json("competitors", "add", url, "Fern Dental", "--url", "https://fern.example/")
    assert added["domain"] == "fern.example"
    # Hand-picked competitors freeze the set: a scan does not add detected ones on top.
    cli_json("scan", url, "--samples", "1", "--platforms", "chatgpt")
    names = [c["name"] for c in cli_json("competitors", "list", url)]
    assert names == ["Bright Smiles", "Coast Dentists", "Dune Dental", "Eden Teeth", "Fern Dental"]
    sites = cli_json("site", "list")
    assert [(s["domain"], s["tier"], s["competitors"], s["last_scan_id"]) for s in sites] == [
        (url.split("//")[1], "pro", 5, 1)
    ]
    removed = run_cli("site", "remove", url, "--yes", "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout)["scans_deleted"] == 1
    assert db_rows("SELECT count(*) FROM scans") == [(0,)] and db_rows("SELECT count(*) FROM tracked_competitors") == [
        (0,)
    ]
