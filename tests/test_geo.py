"""Geography from site signals: at least 8 countries, the 'act' and '.co' traps, and merging with the analysis."""

from __future__ import annotations

from typing import Any

import pytest

from outrank.site.geo import detect_location, merge_locations, tld_country


def page(
    text: str = "", *, hreflang: tuple[str, ...] = (), json_ld: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "title": "",
        "text": text,
        "hreflang": [{"lang": code, "href": "/"} for code in hreflang],
        "json_ld": json_ld or [],
    }


COUNTRY_CASES = [
    ("harbourdental.example", page("12 Wharf Road, Newcastle NSW 2300. Call (02) 4900 1234."), ("AU", "NSW", None)),
    ("brightwater.example", page("We are based in Bristol. Workshop: Bristol BS1 4QA, 0117 496 0123. From £4,000."),
     ("GB", None, "Bristol")),
    ("tacos.example", page("Visit us at 500 Congress Ave, Austin, TX 78701 or call (512) 555-0100."),
     ("US", "TX", "Austin")),
    ("maple.example", page("Studio: 88 King St W, Toronto, ON M5V 2T6. Phone +1 416 555 0199."),
     ("CA", "ON", "Toronto")),
    ("kiwi.example", page("Proudly based in Auckland. Call +64 9 123 4567. All prices in NZD."),
     ("NZ", None, "Auckland")),
    ("handwerk.example", page("Willkommen", hreflang=("de-DE",)), ("DE", None, None)),
    ("chai.example", page("Our offices in Bengaluru serve clients nationwide. +91 98765 43210. Plans from ₹999."),
     ("IN", None, "Bengaluru")),
    ("harp.example", page("Find us in Dublin at D02 X285, phone +353 1 555 0101."), ("IE", None, None)),
    ("boulangerie.example", page("These terms are governed by the laws of France. Tel: +33 1 23 45 67 89."),
     ("FR", None, None)),
    ("lion.com.sg", page("Welcome to our shop."), ("SG", None, None)),
    ("jointly.example", page("Org", json_ld=[{"types": ["Organization"], "address": {
        "addressLocality": "Cape Town", "addressCountry": "South Africa"}}]), ("ZA", None, "Cape Town")),
]  # fmt: skip


@pytest.mark.parametrize(("domain", "site_page", "expected"), COUNTRY_CASES, ids=[c[0] for c in COUNTRY_CASES])
def test_country_region_and_city_with_evidence(
    domain: str, site_page: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    found = detect_location(domain, [site_page]).to_json()
    country, region, city = expected
    assert found["country"] == country
    if region:
        assert found["region"] == region
    if city:
        assert found["city"] == city
    assert found["confidence"] in ("low", "medium", "high") and found["evidence"]


def test_plain_english_words_are_never_states_or_cities() -> None:
    text = (
        "We act fast and act on every brief. Nice to meet you! Our reading list is short. "
        "Wa-hey, the sa team's nt work is mobile-first. Conversions +12% and +1 more. Version 2.0"
    )
    found = detect_location("spacetalk.co", [page(text)]).to_json()
    assert found == {"country": None, "region": None, "city": None, "confidence": "none", "evidence": []}


@pytest.mark.parametrize(
    ("domain", "country"),
    [("spacetalk.co", None), ("brand.io", None), ("shop.ai", None), ("tea.co.uk", "GB"), ("wine.com.au", "AU"),
     ("bier.de", "DE"), ("example.com", None), ("localhost:8080", None)],
)  # fmt: skip
def test_generic_tlds_are_ignored_and_cctlds_read(domain: str, country: str | None) -> None:
    assert tld_country(domain) == country


def test_hreflang_comes_first_and_content_picks_among_several() -> None:
    single = detect_location("brand.com.au", [page("Prices in £, call 0117 496 0123", hreflang=("en-GB",))])
    assert (single.country, single.confidence) == ("GB", "high")  # hreflang beats the .com.au TLD and content
    several = detect_location(
        "brand.example", [page("Sydney NSW 2000", hreflang=("en-US", "en-GB", "en-AU", "x-default"))]
    )
    assert (several.country, several.confidence) == ("AU", "high")
    assert "hreflang targets US, GB, AU" in several.evidence[0]


def test_the_more_precise_location_wins_and_a_city_is_never_downgraded() -> None:
    heuristic = detect_location("harbour.com.au", [page("Welcome")]).to_json()
    assert (heuristic["country"], heuristic["confidence"]) == ("AU", "low")
    merged = merge_locations(heuristic, {"country": "AU", "region": "NSW", "city": "Newcastle"})
    assert (merged["country"], merged["region"], merged["city"]) == ("AU", "NSW", "Newcastle")
    assert merged["source"] == "analysis" and merged["confidence"] == "high"
    precise_site = {"country": "GB", "region": None, "city": "Bristol", "confidence": "medium", "evidence": ["x"]}
    assert merge_locations(precise_site, {"country": "GB", "region": None, "city": None})["city"] == "Bristol"


def test_a_confident_site_signal_beats_a_conflicting_analysis() -> None:
    site = detect_location("brightwater.example", [page("Bristol BS1 4QA · 0117 496 0123 · £", hreflang=("en-GB",))])
    merged = merge_locations(site.to_json(), {"country": "US", "region": "CA", "city": "Bristol"})
    assert merged["country"] == "GB" and merged["source"] == "site"
    nothing = merge_locations(
        detect_location("x.example", [page()]).to_json(), {"country": None, "region": None, "city": None}
    )
    assert nothing["confidence"] == "none" and nothing["country"] is None
