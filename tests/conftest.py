"""Shared fixtures: a temp database and reports folder, the simulated providers, and the sample site.

Everything runs on 127.0.0.1 with the real SDKs, a real HTTP site and a real SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outrank.config import KEY_ENV_VARS, load_settings
from outrank.demo.simulator import SimulatorServer
from outrank.demo.site_server import SiteServer

CLEARED = [v for vars_ in KEY_ENV_VARS.values() for v in vars_] + [
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "PERPLEXITY_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "ANTHROPIC_AUTH_TOKEN",
    "OUTRANK_ANALYST",
]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("OUTRANK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OUTRANK_DB", str(tmp_path / "outrank.db"))
    monkeypatch.setenv("OUTRANK_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("OUTRANK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("OUTRANK_RETRY_WAIT", "0.05")
    monkeypatch.setenv("OUTRANK_RETRY_MAX_WAIT", "0.2")
    monkeypatch.setenv("OUTRANK_CRAWL_DELAY", "0")  # politeness is tested on its own; loopback needs none
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    server = SimulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def providers_env(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> SimulatorServer:
    """Keys and base URLs for all four platforms, pointing at the simulator; loopback crawling allowed."""
    urls = simulator.base_urls()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-123456")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-123456")
    monkeypatch.setenv("GEMINI_API_KEY", "test-gemini-key")
    monkeypatch.setenv("PERPLEXITY_API_KEY", "pplx-test-key-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", urls["chatgpt"])
    monkeypatch.setenv("ANTHROPIC_BASE_URL", urls["claude"])
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", urls["gemini"])
    monkeypatch.setenv("PERPLEXITY_BASE_URL", urls["perplexity"])
    monkeypatch.setenv("OUTRANK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("OUTRANK_SAMPLES", "2")
    return simulator


@pytest.fixture
def settings(providers_env: SimulatorServer) -> Any:
    return load_settings()


def run_cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in a child process, as cron or a user would (with extra env vars if given)."""
    return subprocess.run(
        [sys.executable, "-m", "outrank", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=os.environ | (env or {}),
    )


def db_rows(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(os.environ["OUTRANK_DB"]) as conn:
        return conn.execute(sql, params).fetchall()


def new_scan(path: Path) -> tuple[Any, int]:
    """A store with one site and one queued scan, for engine-level tests."""
    from outrank.store.db import Store
    from outrank.store.scans import create_scan, upsert_site

    store = Store(path)
    site = upsert_site(store.db, "a.com", "https://a.com/")
    scan = create_scan(
        store.db,
        site_id=site,
        domain="a.com",
        target_url="https://a.com/",
        trigger="manual",
        recipient=None,
        settings={},
        simulated=False,
    )
    return store, scan
