"""The HTML report, the index, exports and diff, from real scans; and the report in a real headless browser."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from outrank.demo.scenario import DEMO_ANALYSIS, Business, Scenario
from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import BUNDLED_SITE, SiteServer
from tests.conftest import db_rows, run_cli

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def scan(*args: str) -> dict[str, Any]:
    result = run_cli("scan", *args, "--json")
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


@pytest.fixture
def hostile_site(tmp_path: Path) -> SiteServer:
    root = tmp_path / "site"
    shutil.copytree(BUNDLED_SITE, root)
    about = root / "about.html"
    about.write_text(about.read_text().replace("<title>About us", f"<title>{html_lib.escape(HOSTILE)} About us"))
    return SiteServer(root).start()


def test_text_from_sites_and_models_is_inert(providers_env: SimulatorServer, hostile_site: SiteServer) -> None:
    evil = Business(f"Evil Co {HOSTILE}", "evil.example", '[click](javascript:alert(3)) " onmouseover="alert(4)')
    providers_env.state.scenario = Scenario(competitors=(evil,), mention_odds={"chatgpt": 1.0})
    providers_env.state.scenario.analysis = DEMO_ANALYSIS | {"business_type": f"Dental {HOSTILE}"}
    summary = scan(hostile_site.url, "--samples", "1", "--platforms", "chatgpt")
    page = Path(summary["report"]).read_text()
    soup = BeautifulSoup(page, "html.parser")
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and "platform-filter" in scripts[0].get_text()  # only our own filter script
    assert not soup.find_all("img")
    handlers = [(tag.name, attr) for tag in soup.find_all(True) for attr in tag.attrs if attr.lower().startswith("on")]
    assert handlers == []
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert links and all(href.startswith(("http://", "https://", "mailto:", "#")) for href in links)
    assert HOSTILE in soup.get_text()  # shown as text, where it came from (page title, business type, answers)
    assert soup.find("mark", class_="us") is not None  # our mentions are highlighted
    hostile_site.stop()


def test_a_partial_scan_reports_the_missing_platform_and_the_index_lists_it(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    providers_env.state.faults.append(Fault("gemini", status=503, times=-1))
    summary = scan(site.url, "--samples", "1")
    assert summary["status"] == "partial"
    soup = BeautifulSoup(Path(summary["report"]).read_text(), "html.parser")
    assert "gemini was left out of the score" in soup.get_text(" ", strip=True)
    row = next(tr for tr in soup.find_all("tr") if tr.td and tr.td.get_text() == "gemini")
    assert "unavailable" in row.get_text()
    index = Path(summary["report"]).parent.parent / "index.html"
    links = BeautifulSoup(index.read_text(), "html.parser").find_all("a")
    assert [(a.get_text(), a["href"]) for a in links] == [
        (summary["domain"], f"{Path(summary['report']).parent.name}/scan-{summary['scan_id']}.html")
    ]


def test_the_trend_covers_every_past_scan_including_the_latest(
    providers_env: SimulatorServer, site: SiteServer
) -> None:
    first = scan(site.url, "--samples", "1", "--platforms", "chatgpt")
    domain = first["domain"]
    site_id = db_rows("SELECT site_id FROM scans WHERE id = ?", (first["scan_id"],))[0][0]
    with sqlite3.connect(os.environ["OUTRANK_DB"]) as db:  # twelve earlier weekly scans of the same domain
        for week in range(12):
            cursor = db.execute(
                "INSERT INTO scans (site_id, domain, target_url, status, settings, created_at)"
                " VALUES (?, ?, ?, 'complete', '{}', ?)",
                (site_id, domain, site.url, f"2026-0{1 + week // 4}-{10 + week:02d}T09:00:00Z"),
            )
            db.execute(
                "INSERT INTO score_history (scan_id, domain, score, ci_low, ci_high, platforms, created_at)"
                " VALUES (?, ?, ?, ?, ?, '[]', ?)",
                (
                    cursor.lastrowid,
                    domain,
                    20 + week,
                    10 + week,
                    30 + week,
                    f"2026-0{1 + week // 4}-{10 + week:02d}T09:00:00Z",
                ),
            )
    latest = scan(site.url, "--samples", "1", "--platforms", "chatgpt", "--new")
    soup = BeautifulSoup(Path(latest["report"]).read_text(), "html.parser")
    trend = soup.find("svg", attrs={"aria-label": "Score over 14 scans"})
    assert trend is not None
    assert f"(scan {latest['scan_id']})" in trend.get_text()
    assert len(trend.find_all("circle")) == 14
    assert trend.find_all("circle")[-1]["fill"] == "#b42318"  # the scan this report is about, drawn last


def test_export_and_diff(providers_env: SimulatorServer, site: SiteServer, tmp_path: Path) -> None:
    first = scan(site.url, "--samples", "1")
    providers_env.state.scenario.mention_odds = {"chatgpt": 1.0, "claude": 1.0, "gemini": 1.0, "perplexity": 1.0}
    second = scan(site.url, "--samples", "1", "--new")
    rows = list(csv.DictReader(io.StringIO(run_cli("export", str(second["scan_id"]), "--format", "csv").stdout)))
    assert len(rows) == 28 and set(rows[0]) >= {
        "question",
        "platform",
        "sample",
        "mentioned",
        "rank",
        "cited",
        "competitors",
    }
    assert {r["mentioned"] for r in rows} == {"True"} and all(r["rank"] for r in rows)
    exported = json.loads(run_cli("export", str(first["scan_id"])).stdout)
    assert exported["scan_id"] == first["scan_id"] and len(exported["answers"]) == 28
    target = tmp_path / "scan.md"
    assert run_cli("export", site.url, "--format", "md", "--output", str(target)).returncode == 0
    assert target.read_text().startswith(f"# AI visibility for {second['domain']}")
    assert run_cli("export", "1", "--format", "xml").returncode == 2
    result = run_cli("diff", str(first["scan_id"]), str(second["scan_id"]), "--json")
    assert result.returncode == 0, result.stderr
    changed = json.loads(result.stdout)
    gained = [c for c in changed["changes"] if c["change"] == "gained"]
    assert gained and all(c["mentioned_b"] == c["answered_b"] for c in gained)
    assert not [c for c in changed["changes"] if c["change"] == "lost"]
    people = run_cli("diff", str(first["scan_id"]), str(second["scan_id"]))
    assert "gained" in people.stdout
    again = run_cli("report", str(first["scan_id"]), "--json")
    assert json.loads(again.stdout)["report"].endswith(f"scan-{first['scan_id']}.html")
    assert run_cli("report", "nope.example").returncode == 2


def test_the_report_renders_in_a_real_browser_without_errors(
    providers_env: SimulatorServer, site: SiteServer, tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)")
    report = Path(scan(site.url, "--samples", "1")["report"]).resolve()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "report.png"
    shown = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shown.stderr[-2000:]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console_errors == []
    filters = BeautifulSoup(dom.stdout, "html.parser").find(id="filters")
    assert filters is not None and not filters.has_attr("hidden")  # the filter script ran to its first line
