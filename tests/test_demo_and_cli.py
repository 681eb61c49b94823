from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from outrank.config import load_settings
from outrank.demo.scenario import Business, Scenario
from outrank.demo.simulator import SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.service import start_scan
from tests.conftest import db_rows, run_cli


def test_demo_runs_the_real_pipeline_and_writes_a_labelled_report() -> None:
    result = run_cli("demo", "--json")
    assert result.returncode == 0, result.stderr
    assert "simulated" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["simulated"] is True and summary["status"] == "complete"
    assert summary["domain"] == "harbourdental.example"
    html = Path(summary["report"]).read_text()
    assert "Simulated." in html and "Harbour Dental Studio" in html
    assert all(p["answered"] == 21 for p in summary["platforms"].values())
    assert db_rows("SELECT DISTINCT model FROM responses WHERE platform = 'chatgpt'") == [("gpt-5.4-mini-2026-03-17",)]


def test_help_does_not_import_provider_sdks() -> None:
    code = (
        "import sys\n"
        "from outrank.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('openai', 'anthropic', 'google.genai') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "scan" in result.stdout and "demo" in result.stdout
    assert result.stdout.strip().endswith("[]")


def test_report_escapes_hostile_text_from_models(providers_env: SimulatorServer, site: SiteServer) -> None:
    hostile = Business(
        'Evil <script>alert(1)</script> "Co"',
        "evil.example",
        "see [x](javascript:alert(1)) <img src=x onerror=alert(2)>",
    )
    providers_env.state.scenario = Scenario(competitors=(hostile,), mention_odds={})
    summary = start_scan(load_settings(), site.url, new=True)
    html = Path(summary["report"]).read_text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html


def test_version_and_usage_errors() -> None:
    assert run_cli("--version").stdout.startswith("outrank ")
    bad = run_cli("scan")
    assert bad.returncode == 2
    bad_samples = run_cli("scan", "example.com", "--samples", "0")
    assert bad_samples.returncode == 2
