"""The AI readiness checklist: can AI assistants reach, read and understand this site?

Each check is pass, warn or fail with the evidence behind it. Blocking an AI *search* or *user* agent is a
fail (the site cannot be cited in answers); blocking a *training* crawler is the owner's choice, so a warn.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from protego import Protego

from outrank.site.extract import is_business_entity

# (agent, what it does, fail when blocked)
AI_AGENTS: tuple[tuple[str, str, bool], ...] = (
    ("OAI-SearchBot", "ChatGPT search index", True),
    ("ChatGPT-User", "ChatGPT browsing for a user", True),
    ("GPTBot", "OpenAI model training", False),
    ("Claude-SearchBot", "Claude search index", True),
    ("Claude-User", "Claude browsing for a user", True),
    ("ClaudeBot", "Anthropic model training", False),
    ("PerplexityBot", "Perplexity search index", True),
    ("Perplexity-User", "Perplexity browsing for a user", True),
    ("Google-Extended", "Gemini training and grounding opt-out", False),
    ("CCBot", "Common Crawl (used to train many models)", False),
    ("Applebot-Extended", "Apple model training", False),
    ("Bytespider", "ByteDance model training", False),
    ("meta-externalagent", "Meta AI training and retrieval", False),
)
THIN_PAGE_WORDS = 300
META_DESCRIPTION_MIN = 50
LLMS_LINK = re.compile(r"^\s*[-*]\s*\[[^\]]+\]\([^)\s]+\)")


@dataclass(frozen=True)
class Check:
    key: str
    group: str
    title: str
    status: str  # pass | warn | fail
    evidence: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def readiness_checks(crawl: dict[str, Any], profile: dict[str, Any]) -> list[Check]:
    pages = crawl["pages"]
    return [
        *crawler_checks(crawl),
        llms_txt_check(crawl["llms_txt"]),
        sitemap_check(crawl["sitemaps"]),
        schema_check(pages),
        meta_description_check(pages),
        h1_check(pages),
        thin_pages_check(pages),
        client_side_check(pages),
        *identity_checks(profile),
    ]


def crawler_checks(crawl: dict[str, Any]) -> list[Check]:
    robots = crawl["robots"]
    home = crawl["home_url"]
    if robots["status"] != "found":
        evidence = f"no robots.txt ({robots['detail']}), so every crawler is allowed"
        return [Check(f"robots:{agent}", "AI crawlers", agent, "pass", evidence) for agent, _, _ in AI_AGENTS]
    parser = Protego.parse(robots["text"])
    checks = []
    for agent, purpose, must_allow in AI_AGENTS:
        if parser.can_fetch(home, agent):
            checks.append(Check(f"robots:{agent}", "AI crawlers", agent, "pass", f"allowed ({purpose})"))
            continue
        status = "fail" if must_allow else "warn"
        consequence = "answers cannot cite this site" if must_allow else "content is excluded from training"
        evidence = f"robots.txt blocks {agent} ({purpose}) from {home}: {consequence}"
        checks.append(Check(f"robots:{agent}", "AI crawlers", agent, status, evidence))
    return checks


def llms_txt_check(llms: dict[str, Any]) -> Check:
    title = "/llms.txt"
    if llms["status"] != "found":
        return Check("llms_txt", "Discovery", title, "warn", f"no llms.txt at {llms['url']} ({llms['detail']})")
    lines = [line for line in llms["text"].splitlines() if line.strip()]
    problems = []
    if not lines or not lines[0].startswith("# "):
        problems.append("the first line is not an H1 title ('# Name')")
    if not any(line.startswith("> ") for line in lines[:4]):
        problems.append("no '> summary' blockquote after the title")
    links = sum(1 for line in lines if LLMS_LINK.match(line))
    if not links:
        problems.append("no '- [name](url)' link lists")
    if problems:
        return Check("llms_txt", "Discovery", title, "warn", "present but malformed: " + "; ".join(problems))
    return Check("llms_txt", "Discovery", title, "pass", f"well formed: title, summary and {links} links")


def sitemap_check(sitemaps: list[dict[str, Any]]) -> Check:
    found = [s for s in sitemaps if s["status"] == "ok"]
    if not found:
        tried = ", ".join(s["url"].rsplit("/", 1)[-1] for s in sitemaps) or "none"
        return Check("sitemap", "Discovery", "XML sitemap", "warn", f"no sitemap found (tried {tried})")
    urls = sum(s.get("count", 0) for s in found if s.get("kind") == "urlset")
    return Check("sitemap", "Discovery", "XML sitemap", "pass", f"{len(found)} sitemap file(s) listing {urls} URLs")


def schema_check(pages: list[dict[str, Any]]) -> Check:
    title = "Organization or LocalBusiness schema"
    entities = [e for page in pages for e in page.get("json_ld", []) if is_business_entity(e)]
    if not entities:
        types = sorted({t for page in pages for e in page.get("json_ld", []) for t in e.get("types", [])})
        seen = f" (found only: {', '.join(types)})" if types else ""
        return Check("schema", "Structured data", title, "fail", f"no Organization/LocalBusiness JSON-LD{seen}")
    best = max(entities, key=lambda e: ("address" in e) + ("area_served" in e))
    kind = "/".join(best["types"])
    missing = [field for field, key in (("address", "address"), ("areaServed", "area_served")) if key not in best]
    if missing:
        return Check("schema", "Structured data", title, "warn", f"{kind} markup lacks {' and '.join(missing)}")
    return Check("schema", "Structured data", title, "pass", f"{kind} with address and areaServed")


def _share_check(key: str, title: str, pages: list[dict[str, Any]], bad: list[str], what: str) -> Check:
    if not bad:
        return Check(key, "Content", title, "pass", f"all {len(pages)} pages {what}")
    share = len(bad) / len(pages)
    status = "fail" if share > 0.5 else "warn"
    shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return Check(key, "Content", title, status, f"{len(bad)} of {len(pages)} pages do not: {shown}")


def _path(page: dict[str, Any]) -> str:
    url: str = page.get("final_url") or page["url"]
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "/" in url.split("://", 1)[-1] else "/"


def meta_description_check(pages: list[dict[str, Any]]) -> Check:
    bad = [_path(p) for p in pages if len(p.get("meta_description") or "") < META_DESCRIPTION_MIN]
    return _share_check(
        "meta_description", "Meta descriptions", pages, bad, f"have one of {META_DESCRIPTION_MIN}+ chars"
    )


def h1_check(pages: list[dict[str, Any]]) -> Check:
    bad = [_path(p) for p in pages if not p.get("h1")]
    return _share_check("h1", "H1 headings", pages, bad, "have an H1")


def thin_pages_check(pages: list[dict[str, Any]]) -> Check:
    bad = [f"{_path(p)} ({p['word_count']} words)" for p in pages if p["word_count"] < THIN_PAGE_WORDS]
    check = _share_check("thin_pages", "Substantial pages", pages, bad, f"have {THIN_PAGE_WORDS}+ words")
    # Short contact and FAQ pages are normal; thin content is a warning unless nearly everything is thin.
    return (
        check if check.status == "pass" or len(bad) / len(pages) > 0.8 else Check(**{**asdict(check), "status": "warn"})
    )


def client_side_check(pages: list[dict[str, Any]]) -> Check:
    title = "Readable without JavaScript"
    rendered = [_path(p) for p in pages if p.get("client_side")]
    if not rendered:
        return Check("client_side", "Content", title, "pass", "every page has its text in the HTML")
    home_hit = pages and pages[0].get("client_side")
    status = "fail" if home_hit else "warn"
    return Check(
        "client_side",
        "Content",
        title,
        status,
        f"{', '.join(rendered[:5])} render client-side: AI crawlers that do not run JavaScript see an empty page",
    )


def identity_checks(profile: dict[str, Any]) -> list[Check]:
    business = profile.get("business", {})
    location = profile.get("location", {})
    name = business.get("business_name")
    offer = business.get("services", []) + business.get("products", [])
    place = ", ".join(str(location[k]) for k in ("city", "region", "country") if location.get(k))
    audience = business.get("audience")
    confident = location.get("confidence") in ("high", "medium")
    return [
        Check("identity", "Business clarity", "Business identity", "pass" if name else "fail",
              f"identified as {name} ({business.get('business_type')})" if name else "no business name found"),
        Check("offer", "Business clarity", "Services or products", "pass" if offer else "fail",
              f"{len(offer)} found: {', '.join(offer[:5])}" if offer else "the site does not say what it sells"),
        Check("location", "Business clarity", "Location", "pass" if place and confident else "warn",
              f"{place} ({location.get('confidence')} confidence)" if place else "no location stated on the site"),
        Check("audience", "Business clarity", "Audience", "pass" if audience else "warn",
              f"for {audience}" if audience else "the site does not say who it serves"),
    ]  # fmt: skip
