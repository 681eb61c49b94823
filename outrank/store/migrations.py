"""Numbered schema migrations. Each runs in its own transaction with its record (sqlite-utils `Migrations`).

Never edit a released migration; add the next number.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("outrank")

SCHEMA_V1 = """
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE,
    target_url TEXT NOT NULL,
    email TEXT,
    tier TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'starter', 'pro', 'agency')),
    created_at TEXT NOT NULL
);
CREATE INDEX sites_email ON sites(email);

CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    target_url TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'complete', 'partial', 'failed', 'cancelled')),
    progress REAL NOT NULL DEFAULT 0,
    current_step TEXT,
    trigger TEXT NOT NULL DEFAULT 'manual' CHECK (trigger IN ('manual', 'scheduled', 'rescan', 'admin')),
    simulated INTEGER NOT NULL DEFAULT 0,
    recipient TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    lease_owner TEXT,
    lease_expires_at TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    score REAL,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX scans_domain ON scans(domain, created_at);
CREATE INDEX scans_status ON scans(status);

CREATE TABLE steps (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    attempt_log TEXT NOT NULL DEFAULT '[]',
    result TEXT,
    error TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (scan_id, key)
);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    status_code INTEGER,
    title TEXT,
    meta_description TEXT,
    h1 TEXT,
    text TEXT,
    word_count INTEGER,
    UNIQUE (scan_id, url)
);

CREATE TABLE prompts (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    category TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'researched',
    UNIQUE (scan_id, position)
);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    sample INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    text TEXT,
    model TEXT,
    mentioned INTEGER,
    mention_offset INTEGER,
    competitors TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    latency_ms INTEGER,
    input_tokens INTEGER,
    output_tokens INTEGER,
    search_calls INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (scan_id, prompt_id, platform, sample)
);

CREATE TABLE citations (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    domain TEXT NOT NULL,
    title TEXT,
    UNIQUE (response_id, url)
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL UNIQUE REFERENCES scans(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE score_history (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL UNIQUE REFERENCES scans(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    score REAL,
    platforms TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX score_history_domain ON score_history(domain, created_at);

CREATE TABLE cost_ledger (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    step_key TEXT NOT NULL,
    platform TEXT NOT NULL,
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    search_calls INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    created_at TEXT NOT NULL,
    UNIQUE (scan_id, step_key)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    scan_id INTEGER REFERENCES scans(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
"""


@migrations()
def m001_initial(db: Database) -> None:
    for statement in SCHEMA_V1.split(";\n"):
        if statement.strip():
            db.execute(statement)
