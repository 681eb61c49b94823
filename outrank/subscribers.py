"""Subscribers' own settings: sites and tiers, their editable question set and their tracked competitors.

A paid site's first scan saves its researched questions here; later scans ask exactly the active set, so
week-on-week numbers compare the same questions. Detected competitors are frozen the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database

from outrank import QUESTION_CATEGORIES as CATEGORIES
from outrank.config import Settings
from outrank.errors import BadInput
from outrank.mentions import Matcher
from outrank.site.target import parse_target
from outrank.store.db import Store, utcnow

TIERS = ("free", "starter", "pro", "agency")
PAID_TIERS = ("starter", "pro", "agency")
QUESTION_LIMITS = {"free": 0, "starter": 10, "pro": 20, "agency": 20}
MAX_TRACKED_COMPETITORS = 5


class SiteNotFound(BadInput):
    pass


@contextmanager
def subscriber_store(settings: Settings, *, create: bool = False) -> Iterator[Store]:
    """The store for site, question and competitor commands; reading ones never create a database."""
    if not create and not settings.db_path.exists():
        raise SiteNotFound(f"no sites yet (no database at {settings.db_path}); add one with `outrank site add`")
    store = Store(settings.db_path)
    try:
        yield store
    finally:
        store.close()


# -- sites --------------------------------------------------------------------------------------------------


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise BadInput(f"invalid tier {tier!r}; use one of {', '.join(TIERS)}")
    return tier


def get_site(db: Database, domain_or_target: str) -> dict[str, Any]:
    domain = parse_target(domain_or_target).domain
    rows = list(db.query("SELECT * FROM sites WHERE domain = ?", [domain]))
    if not rows:
        raise SiteNotFound(f"no site {domain}; add it with `outrank site add {domain} --email ADDR`")
    return rows[0] | {"aliases": json.loads(rows[0]["aliases"])}


def check_email(email: str) -> str:
    local, _, host = email.strip().partition("@")
    if not local or "." not in host or any(ch in email for ch in " \r\n<>,;"):
        raise BadInput(f"invalid email address {email!r}")
    return email.strip()


def check_site_input(target: str, email: str, tier: str) -> None:
    """Everything `add_site` validates, so a command can check before it opens (and creates) the database."""
    parse_target(target)
    check_email(email)
    check_tier(tier)


def add_site(store: Store, target: str, email: str, tier: str) -> dict[str, Any]:
    check_site_input(target, email, tier)
    parsed = parse_target(target)
    with store.write() as db:
        existing = db.execute("SELECT id FROM sites WHERE domain = ?", [parsed.domain]).fetchone()
        db.execute(
            "INSERT INTO sites (domain, target_url, email, tier, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (domain) DO UPDATE SET target_url = excluded.target_url, email = excluded.email,"
            " tier = excluded.tier",
            [parsed.domain, parsed.base_url, email.strip(), tier, utcnow()],
        )
    return get_site(store.db, parsed.domain) | {"created": existing is None}


def list_sites(db: Database) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT s.id, s.domain, s.email, s.tier, s.target_url, s.aliases, s.created_at,"
            " (SELECT COUNT(*) FROM questions q WHERE q.site_id = s.id AND q.status = 'active') AS questions,"
            " (SELECT COUNT(*) FROM tracked_competitors c WHERE c.site_id = s.id) AS competitors,"
            " (SELECT MAX(id) FROM scans WHERE site_id = s.id) AS last_scan_id"
            " FROM sites s ORDER BY s.domain"
        )
    )
    return [row | {"aliases": json.loads(row["aliases"])} for row in rows]


def remove_site(store: Store, target: str) -> dict[str, Any]:
    site = get_site(store.db, target)
    with store.write() as db:
        scans = db.execute("SELECT COUNT(*) FROM scans WHERE site_id = ?", [site["id"]]).fetchone()[0]
        db.execute("DELETE FROM sites WHERE id = ?", [site["id"]])
    return site | {"scans_deleted": scans}


def set_alias(store: Store, target: str, alias: str, *, remove: bool = False) -> dict[str, Any]:
    """Another name the business goes by, matched as a mention like its own name."""
    site = get_site(store.db, target)
    cleaned = " ".join(alias.split())
    if not 2 <= len(cleaned) <= 100:
        raise BadInput("an alias must be 2 to 100 characters long")
    aliases: list[str] = site["aliases"]
    known = [a for a in aliases if a.casefold() == cleaned.casefold()]
    if remove and not known:
        raise BadInput(f"{cleaned} is not an alias of {site['domain']}")
    if not remove and known:
        raise BadInput(f"{cleaned} is already an alias of {site['domain']}")
    aliases = [a for a in aliases if a not in known] if remove else [*aliases, cleaned]
    with store.write() as db:
        db.execute("UPDATE sites SET aliases = ? WHERE id = ?", [json.dumps(aliases), site["id"]])
    return {"domain": site["domain"], "aliases": aliases}


def set_tier(store: Store, target: str, tier: str) -> dict[str, Any]:
    check_tier(tier)
    site = get_site(store.db, target)
    with store.write() as db:
        db.execute("UPDATE sites SET tier = ? WHERE id = ?", [tier, site["id"]])
    return site | {"tier": tier, "previous_tier": site["tier"]}


# -- questions ----------------------------------------------------------------------------------------------


def _clean_question(text: str, category: str) -> tuple[str, str]:
    cleaned = " ".join(text.split())
    if not 8 <= len(cleaned) <= 300:
        raise BadInput("a question must be 8 to 300 characters long")
    if category not in CATEGORIES:
        raise BadInput(f"invalid category {category!r}; use one of {', '.join(CATEGORIES)}")
    return cleaned, category


def business_matcher(db: Database, site_id: int, domain: str, business: dict[str, Any] | None) -> Matcher:
    """The business's names: its analysis's name and aliases, plus the aliases set on the site."""
    own = db.execute("SELECT aliases FROM sites WHERE id = ?", [site_id]).fetchone()
    business = business or {}
    aliases = list(business.get("aliases") or []) + json.loads(own[0] if own else "[]")
    return Matcher(domain, business.get("business_name"), aliases)


def site_matcher(db: Database, site: dict[str, Any]) -> Matcher:
    """The site's names as its latest analysis and its own aliases give them."""
    row = db.execute(
        "SELECT p.analysis FROM site_profiles p JOIN scans s ON s.id = p.scan_id"
        " WHERE s.site_id = ? ORDER BY p.scan_id DESC LIMIT 1",
        [site["id"]],
    ).fetchone()
    return business_matcher(db, site["id"], site["domain"], json.loads(row[0]) if row else None)


def question_kind(text: str, matcher: Matcher) -> str:
    return "branded" if matcher.find(text).mentioned else "discovery"


def active_questions(db: Database, site_id: int) -> list[dict[str, Any]]:
    return list(
        db.query("SELECT * FROM questions WHERE site_id = ? AND status = 'active' ORDER BY position, id", [site_id])
    )


def list_questions(db: Database, target: str, *, include_archived: bool = False) -> list[dict[str, Any]]:
    site = get_site(db, target)
    status = "" if include_archived else " AND status = 'active'"
    return list(db.query(f"SELECT * FROM questions WHERE site_id = ?{status} ORDER BY position, id", [site["id"]]))


def _check_room(db: Database, site: dict[str, Any], adding: int = 1) -> None:
    limit = QUESTION_LIMITS[site["tier"]]
    active = len(active_questions(db, site["id"]))
    if active + adding > limit:
        hint = f"upgrade with `outrank site set-tier {site['domain']} starter`" if not limit else "archive one first"
        raise BadInput(f"the {site['tier']} tier allows {limit} custom questions and {active} are active; {hint}")


def _insert_question(db: Database, site_id: int, question: dict[str, str], source: str, kind: str) -> int:
    now = utcnow()
    position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM questions WHERE site_id = ?", [site_id])
    cursor = db.execute(
        "INSERT INTO questions (site_id, text, category, kind, source, position, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [site_id, question["text"], question["category"], kind, source, position.fetchone()[0], now, now],
    )
    question_id = int(cursor.lastrowid or 0)
    db.execute(
        "INSERT INTO question_versions (question_id, version, text, category, created_at) VALUES (?, 1, ?, ?, ?)",
        [question_id, question["text"], question["category"], now],
    )
    return question_id


def add_question(store: Store, target: str, text: str, category: str) -> dict[str, Any]:
    site = get_site(store.db, target)
    cleaned, category = _clean_question(text, category)
    with store.write() as db:
        _check_room(db, site)
        duplicate = db.execute(
            "SELECT id FROM questions WHERE site_id = ? AND status = 'active' AND lower(text) = lower(?)",
            [site["id"], cleaned],
        ).fetchone()
        if duplicate:
            raise BadInput(f"question {duplicate[0]} already asks exactly that")
        kind = question_kind(cleaned, site_matcher(db, site))
        question_id = _insert_question(db, site["id"], {"text": cleaned, "category": category}, "custom", kind)
    return get_question(store.db, site, question_id)


def get_question(db: Database, site: dict[str, Any] | None, question_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM questions WHERE id = ?", [question_id]))
    if not rows or (site is not None and rows[0]["site_id"] != site["id"]):
        where = f" for {site['domain']}" if site else ""
        raise BadInput(f"no question {question_id}{where}")
    return rows[0]


def _new_version(db: Database, question: dict[str, Any], text: str, category: str) -> None:
    version = question["version"] + 1
    now = utcnow()
    db.execute(
        "INSERT INTO question_versions (question_id, version, text, category, created_at) VALUES (?, ?, ?, ?, ?)",
        [question["id"], version, text, category, now],
    )
    kind = question_kind(text, site_matcher(db, {"id": question["site_id"], "domain": _domain(db, question)}))
    db.execute(
        "UPDATE questions SET text = ?, category = ?, kind = ?, version = ?, updated_at = ? WHERE id = ?",
        [text, category, kind, version, now, question["id"]],
    )


def _domain(db: Database, question: dict[str, Any]) -> str:
    return str(db.execute("SELECT domain FROM sites WHERE id = ?", [question["site_id"]]).fetchone()[0])


def edit_question(
    store: Store, target: str, question_id: int, text: str, category: str | None = None
) -> dict[str, Any]:
    site = get_site(store.db, target)
    question = get_question(store.db, site, question_id)
    cleaned, category = _clean_question(text, category or question["category"])
    if (cleaned, category) == (question["text"], question["category"]):
        raise BadInput(f"question {question_id} already reads exactly that")
    with store.write() as db:
        _new_version(db, question, cleaned, category)
    return get_question(store.db, site, question_id)


def set_question_status(store: Store, target: str, question_id: int, status: str) -> dict[str, Any]:
    site = get_site(store.db, target)
    question = get_question(store.db, site, question_id)
    if question["status"] == status:
        raise BadInput(f"question {question_id} is already {status}")
    with store.write() as db:
        if status == "active":
            _check_room(db, site)
        db.execute("UPDATE questions SET status = ?, updated_at = ? WHERE id = ?", [status, utcnow(), question_id])
    return get_question(store.db, site, question_id)


def question_history(db: Database, question_id: int) -> list[dict[str, Any]]:
    get_question(db, None, question_id)
    return list(db.query("SELECT * FROM question_versions WHERE question_id = ? ORDER BY version", [question_id]))


def revert_question(store: Store, question_id: int, version: int) -> dict[str, Any]:
    question = get_question(store.db, None, question_id)
    old = [v for v in question_history(store.db, question_id) if v["version"] == version]
    if not old:
        raise BadInput(f"question {question_id} has no version {version} (it is at version {question['version']})")
    if version == question["version"]:
        raise BadInput(f"question {question_id} is already at version {version}")
    with store.write() as db:
        _new_version(db, question, old[0]["text"], old[0]["category"])
    return get_question(store.db, None, question_id)


def save_question_set(db: Database, site: dict[str, Any], questions: list[dict[str, str]], source: str) -> bool:
    """Keep a paid site's first researched questions as its editable set (inside the caller's transaction)."""
    if site["tier"] not in PAID_TIERS:
        return False
    if db.execute("SELECT 1 FROM questions WHERE site_id = ? LIMIT 1", [site["id"]]).fetchone():
        return False
    for question in questions[: QUESTION_LIMITS[site["tier"]]]:
        _insert_question(db, site["id"], question, source, question.get("kind", "discovery"))
    return True


# -- tracked competitors ------------------------------------------------------------------------------------


def list_competitors(db: Database, target: str) -> list[dict[str, Any]]:
    site = get_site(db, target)
    return list(db.query("SELECT * FROM tracked_competitors WHERE site_id = ? ORDER BY id", [site["id"]]))


def add_competitor(store: Store, target: str, name: str, domain: str | None = None) -> dict[str, Any]:
    site = get_site(store.db, target)
    cleaned = " ".join(name.split())
    if not 2 <= len(cleaned) <= 100:
        raise BadInput("a competitor name must be 2 to 100 characters long")
    competitor_domain = parse_target(domain).domain if domain else None
    with store.write() as db:
        rows = list(db.query("SELECT name FROM tracked_competitors WHERE site_id = ?", [site["id"]]))
        if any(r["name"].casefold() == cleaned.casefold() for r in rows):
            raise BadInput(f"{cleaned} is already tracked for {site['domain']}")
        if len(rows) >= MAX_TRACKED_COMPETITORS:
            raise BadInput(f"at most {MAX_TRACKED_COMPETITORS} competitors can be tracked; remove one first")
        db.execute(
            "INSERT INTO tracked_competitors (site_id, name, domain, source, created_at) VALUES (?, ?, ?, 'user', ?)",
            [site["id"], cleaned, competitor_domain, utcnow()],
        )
        db.execute("UPDATE sites SET competitors_frozen_at = COALESCE(competitors_frozen_at, ?) WHERE id = ?",
                   [utcnow(), site["id"]])  # fmt: skip
    return {"site": site["domain"], "name": cleaned, "domain": competitor_domain}


def remove_competitor(store: Store, target: str, name: str) -> dict[str, Any]:
    site = get_site(store.db, target)
    with store.write() as db:
        cursor = db.execute(
            "DELETE FROM tracked_competitors WHERE site_id = ? AND lower(name) = lower(?)", [site["id"], name.strip()]
        )
        if not cursor.rowcount:
            raise BadInput(f"{name.strip()} is not tracked for {site['domain']}")
    return {"site": site["domain"], "name": name.strip()}


def freeze_competitors(db: Database, site_id: int, detected: list[str]) -> list[str]:
    """Freeze the first scan's top detected competitors as the tracked set (inside the caller's transaction)."""
    frozen = db.execute("SELECT competitors_frozen_at FROM sites WHERE id = ?", [site_id]).fetchone()
    if frozen is None or frozen[0]:
        return []
    now = utcnow()
    chosen = list(dict.fromkeys(detected))[:MAX_TRACKED_COMPETITORS]
    for name in chosen:
        db.execute(
            "INSERT OR IGNORE INTO tracked_competitors (site_id, name, source, created_at)"
            " VALUES (?, ?, 'detected', ?)",
            [site_id, name, now],
        )
    db.execute("UPDATE sites SET competitors_frozen_at = ? WHERE id = ?", [now, site_id])
    return chosen
