from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from outrank.store.db import Store, connect, migrate, write
from outrank.store.migrations import migrations

EXPECTED_TABLES = {
    "sites",
    "scans",
    "steps",
    "pages",
    "prompts",
    "responses",
    "citations",
    "reports",
    "score_history",
    "cost_ledger",
    "outbox",
}


def test_blank_database_gets_the_full_schema_and_pragmas(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.db")
    db = store.db
    assert set(db.table_names()) >= EXPECTED_TABLES
    assert {
        "status",
        "progress",
        "current_step",
        "trigger",
        "lease_owner",
        "lease_expires_at",
        "error",
        "started_at",
        "finished_at",
    } <= set(db["scans"].columns_dict)
    assert {"key", "status", "attempts", "result", "error", "started_at", "finished_at"} <= set(
        db["steps"].columns_dict
    )
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert [m.name for m in migrations.applied(db)] == [
        "m001_initial",
        "m002_site_understanding",
        "m003_measurement",
        "m004_outbox_states",
        "m005_schedules",
    ]
    store.close()


def test_rerun_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    Store(path).close()
    db = connect(path)
    migrate(db, path)
    assert db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == 5
    assert migrations.pending(db) == []


def test_a_failing_migration_rolls_back_and_stays_pending(tmp_path: Path) -> None:
    path = tmp_path / "fail.db"
    Store(path).close()
    broken = Migrations("outrank-test")

    @broken()
    def m001_half_done(db: Database) -> None:
        db.execute("CREATE TABLE half (id INTEGER)")
        db.execute("INSERT INTO missing_table VALUES (1)")

    db = connect(path)
    with pytest.raises(sqlite3.OperationalError):
        broken.apply(db)
    assert "half" not in db.table_names()
    assert [m.name for m in broken.pending(db)] == ["m001_half_done"]


def test_responses_are_unique_per_scan_prompt_platform_sample(tmp_path: Path) -> None:
    store = Store(tmp_path / "u.db")
    with store.write() as db:
        db.execute("INSERT INTO sites (domain, target_url, created_at) VALUES ('a.com', 'https://a.com/', 'now')")
        db.execute("INSERT INTO scans (site_id, domain, target_url, created_at) VALUES (1, 'a.com', 'x', 'now')")
        db.execute("INSERT INTO prompts (scan_id, position, text, category) VALUES (1, 1, 'q?', 'general')")
        row = (
            "INSERT INTO responses (scan_id, prompt_id, platform, sample, status, created_at)"
            " VALUES (1, 1, 'chatgpt', 1, 'ok', 'now')"
        )
        db.execute(row)
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute(row)
    assert store.db.execute("SELECT count(*) FROM responses").fetchone()[0] == 1


def test_write_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    with pytest.raises(RuntimeError), write(store.db) as db:
        db.execute("INSERT INTO sites (domain, target_url, created_at) VALUES ('b.com', 'x', 'now')")
        raise RuntimeError("boom")
    assert store.db.execute("SELECT count(*) FROM sites").fetchone()[0] == 0
