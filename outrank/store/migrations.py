"""Numbered schema migrations. Each runs in its own transaction with its record (sqlite-utils `Migrations`).

Never edit a released migration; add the next number.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("outrank")


def run_script(db: Database, script: str) -> None:
    """Statements one by one: executescript() would commit the migration's transaction part-way."""
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


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
    run_script(db, SCHEMA_V1)


SCHEMA_V2 = """
ALTER TABLE pages ADD COLUMN final_url TEXT;
ALTER TABLE pages ADD COLUMN kind TEXT;
ALTER TABLE pages ADD COLUMN value INTEGER;
ALTER TABLE pages ADD COLUMN canonical TEXT;
ALTER TABLE pages ADD COLUMN lang TEXT;
ALTER TABLE pages ADD COLUMN h1_count INTEGER;
ALTER TABLE pages ADD COLUMN headings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN json_ld TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN hreflang TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN open_graph TEXT NOT NULL DEFAULT '{}';
ALTER TABLE pages ADD COLUMN client_side INTEGER;
ALTER TABLE pages ADD COLUMN content_type TEXT;
ALTER TABLE pages ADD COLUMN charset TEXT;
ALTER TABLE pages ADD COLUMN bytes INTEGER;
ALTER TABLE pages ADD COLUMN fetch_ms INTEGER;

CREATE TABLE crawl_skips (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (scan_id, url)
);

CREATE TABLE readiness_checks (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
    evidence TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (scan_id, key)
);

CREATE TABLE site_profiles (
    scan_id INTEGER PRIMARY KEY REFERENCES scans(id) ON DELETE CASCADE,
    business_name TEXT NOT NULL,
    analysis TEXT NOT NULL,
    country TEXT,
    region TEXT,
    city TEXT,
    location_confidence TEXT,
    location_source TEXT,
    location_evidence TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);

ALTER TABLE prompts ADD COLUMN kind TEXT NOT NULL DEFAULT 'discovery';
ALTER TABLE prompts ADD COLUMN question_id INTEGER;
ALTER TABLE scans ADD COLUMN question_source TEXT;
ALTER TABLE sites ADD COLUMN competitors_frozen_at TEXT;

CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'discovery' CHECK (kind IN ('discovery', 'branded')),
    source TEXT NOT NULL CHECK (source IN ('researched', 'custom', 'fallback')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX questions_site ON questions(site_id, status, position);

CREATE TABLE question_versions (
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (question_id, version)
);

CREATE TABLE tracked_competitors (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    domain TEXT,
    source TEXT NOT NULL CHECK (source IN ('detected', 'user')),
    created_at TEXT NOT NULL,
    UNIQUE (site_id, name)
);
"""


@migrations()
def m002_site_understanding(db: Database) -> None:
    run_script(db, SCHEMA_V2)


SCHEMA_V3 = """
ALTER TABLE cost_ledger ADD COLUMN priced INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cost_ledger ADD COLUMN price_source TEXT;
ALTER TABLE responses ADD COLUMN rank INTEGER;
ALTER TABLE responses ADD COLUMN mention_variant TEXT;
ALTER TABLE responses ADD COLUMN cited_own INTEGER;
ALTER TABLE responses ADD COLUMN extracted_at TEXT;
ALTER TABLE sites ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';

CREATE TABLE answer_brands (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    canonical TEXT NOT NULL,
    offset INTEGER,
    position INTEGER NOT NULL,
    UNIQUE (response_id, canonical)
);
CREATE INDEX answer_brands_canonical ON answer_brands(canonical);
"""


@migrations()
def m003_measurement(db: Database) -> None:
    run_script(db, SCHEMA_V3)


SCHEMA_V4 = """
CREATE TABLE outbox_v4 (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    scan_id INTEGER REFERENCES scans(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    transport TEXT,
    delivered_to TEXT,
    last_error TEXT,
    next_attempt_at TEXT,
    last_attempt_at TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
INSERT INTO outbox_v4 (id, idempotency_key, scan_id, kind, recipient, subject, message, status, attempts, message_id,
    last_error, created_at, sent_at)
    SELECT id, idempotency_key, scan_id, kind, recipient, subject, message, status, attempts, message_id, last_error,
    created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_status ON outbox(status, next_attempt_at);

ALTER TABLE score_history ADD COLUMN ci_low REAL;
ALTER TABLE score_history ADD COLUMN ci_high REAL;
ALTER TABLE score_history ADD COLUMN overall TEXT NOT NULL DEFAULT '{}';
"""


@migrations()
def m004_outbox_states(db: Database) -> None:
    run_script(db, SCHEMA_V4)


SCHEMA_V5 = """
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL UNIQUE REFERENCES sites(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    tz TEXT NOT NULL,
    forced INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE occurrences (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    due_utc TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'missed')),
    scan_id INTEGER REFERENCES scans(id) ON DELETE SET NULL,
    dispatcher_id INTEGER,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (site_id, local_date)
);
CREATE INDEX occurrences_status ON occurrences(status, due_utc);

CREATE TABLE dispatcher_runs (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    now_utc TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT NOT NULL DEFAULT '{}'
);

ALTER TABLE scans ADD COLUMN auto_retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN last_auto_retry_at TEXT;
"""


@migrations()
def m005_schedules(db: Database) -> None:
    run_script(db, SCHEMA_V5)
