"""The AI readiness checklist on two real local sites: one built to pass every check, one built to fail them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outrank.config import CrawlLimits
from outrank.demo.site_server import SiteServer
from outrank.site.crawler import Crawler
from outrank.site.fetch import Fetcher
from outrank.site.readiness import AI_AGENTS, readiness_checks

WORDS = " ".join(["Our joiners design, build and fit kitchens, wardrobes and staircases by hand."] * 30)
BUSINESS = {
    "@context": "https://schema.org",
    "@type": "HomeAndConstructionBusiness",
    "name": "Brightwater Joinery",
    "address": {"@type": "PostalAddress", "addressLocality": "Bristol", "addressCountry": "GB"},
    "areaServed": ["Bristol", "Bath"],
}
GOOD_PROFILE = {
    "business": {"business_name": "Brightwater Joinery", "business_type": "Joinery", "services": ["Kitchens"],
                 "products": [], "audience": "Homeowners in Bristol"},
    "location": {"country": "GB", "region": None, "city": "Bristol", "confidence": "high"},
}  # fmt: skip
VAGUE_PROFILE = {
    "business": {"business_name": "Appify", "business_type": "Software", "services": [], "products": [],
                 "audience": None},
    "location": {"country": None, "region": None, "city": None, "confidence": "none"},
}  # fmt: skip


def good_page(title: str) -> str:
    return (
        f'<html><head><title>{title}</title><meta name="description" content="{title}: hand-built kitchens and '
        f'fitted furniture from our Bristol workshop."><script type="application/ld+json">{json.dumps(BUSINESS)}'
        f"</script></head><body><main><h1>{title}</h1><p>{WORDS}</p></main></body></html>"
    )


def serve(tmp_path: Path, files: dict[str, str]) -> Iterator[SiteServer]:
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    server = SiteServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def ready_site(tmp_path: Path) -> Iterator[SiteServer]:
    yield from serve(
        tmp_path,
        {
            "index.html": good_page("Brightwater Joinery") + '<a href="/about.html">About</a>',
            "about.html": good_page("About Brightwater"),
            "robots.txt": "User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n",
            "sitemap.xml": "<urlset><url><loc>__BASE__/</loc></url><url><loc>__BASE__/about.html</loc></url></urlset>",
            "llms.txt": "# Brightwater Joinery\n\n> Bespoke kitchens from Bristol.\n\n"
            "## Pages\n\n- [About](/about.html)\n",
        },
    )


@pytest.fixture
def unready_site(tmp_path: Path) -> Iterator[SiteServer]:
    app_shell = (
        '<html><head><title>App</title><script src="/app.js"></script></head><body><div id="root"></div></body></html>'
    )
    yield from serve(
        tmp_path,
        {
            "index.html": app_shell + '<a href="/pricing.html">Pricing</a>',
            "pricing.html": "<html><head><title>Pricing</title></head><body><p>From $9.</p></body></html>",
            "robots.txt": "User-agent: OAI-SearchBot\nDisallow: /\n\nUser-agent: PerplexityBot\nDisallow: /\n\n"
            "User-agent: GPTBot\nDisallow: /\n",
            "llms.txt": "Welcome to Appify, the app for everything.",
        },
    )


def checklist(server: SiteServer, profile: dict[str, Any]) -> dict[str, Any]:
    crawl = Crawler(Fetcher(CrawlLimits(delay=0.0), allow_private=True)).crawl(server.url)
    return {check.key: check for check in readiness_checks(crawl, profile)}


def test_a_site_built_for_ai_passes_every_check(ready_site: SiteServer) -> None:
    checks = checklist(ready_site, GOOD_PROFILE)
    failing = {key: (c.status, c.evidence) for key, c in checks.items() if c.status != "pass"}
    assert failing == {}
    assert len(checks) == len(AI_AGENTS) + 11
    assert checks["schema"].evidence == "HomeAndConstructionBusiness with address and areaServed"
    assert checks["llms_txt"].evidence == "well formed: title, summary and 1 links"


def test_a_site_that_hides_from_ai_fails_with_evidence(unready_site: SiteServer) -> None:
    checks = checklist(unready_site, VAGUE_PROFILE)
    status = {key: c.status for key, c in checks.items()}
    assert status["robots:OAI-SearchBot"] == "fail" and status["robots:PerplexityBot"] == "fail"
    assert "answers cannot cite this site" in checks["robots:OAI-SearchBot"].evidence
    assert status["robots:GPTBot"] == "warn"  # opting out of training is a choice, not a citation blocker
    assert status["robots:ClaudeBot"] == "pass" and status["robots:Claude-User"] == "pass"
    assert status["llms_txt"] == "warn" and "first line is not an H1" in checks["llms_txt"].evidence
    assert status["sitemap"] == "warn" and status["schema"] == "fail"
    assert status["meta_description"] == "fail" and "2 of 2 pages" in checks["meta_description"].evidence
    assert status["h1"] == "fail" and status["thin_pages"] == "fail"
    assert status["client_side"] == "fail" and "render client-side" in checks["client_side"].evidence
    assert status["offer"] == "fail" and status["audience"] == "warn" and status["location"] == "warn"
    assert status["identity"] == "pass"
