"""Where a business is, from its site: hreflang first, then content signals, then the ccTLD.

Every conclusion carries its evidence. Region abbreviations and city names only count in address-like
context, so ordinary words ("act", "wa", "Reading", "nice") never place a business anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from outrank.site.geo_data import (
    CCTLDS,
    CITIES,
    COUNTRY_NAMES,
    CURRENCIES,
    GENERIC_TLDS,
    PHONE_PREFIXES,
    REGION_NAMES,
    REGIONS,
)

CONFIDENCE_ORDER = ("none", "low", "medium", "high")
_CITY_NAMES = "|".join(sorted((re.escape(c) for c in CITIES), key=len, reverse=True))
_CITY_CONTEXT = re.compile(
    rf"\b(?:based in|located in|situated in|offices? in|clinic in|studio in|store in|shop in|serving|"
    rf"headquartered in|we are in|visit us in)\s+(?:the\s+)?(?:heart of\s+)?({_CITY_NAMES})\b"
    rf"|\b({_CITY_NAMES}),\s+([A-Z]{{2,3}}\b|[A-Z][a-z]+(?: [A-Z][a-z]+)*)"
)
_AU_POSTCODE = re.compile(r"\b(NSW|VIC|QLD|SA|WA|TAS|NT|ACT)\s+(\d{4})\b")
_US_POSTCODE = re.compile(r"[A-Za-z.],?\s+(" + "|".join(REGIONS["US"]) + r")\s+(\d{5})(?:-\d{4})?\b")
_CA_POSTCODE = re.compile(r"\b(" + "|".join(REGIONS["CA"]) + r")\s+([A-Z]\d[A-Z]\s?\d[A-Z]\d)\b")
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s+\d[ABD-HJLNP-UW-Z]{2})\b")
_IE_EIRCODE = re.compile(r"\b([AC-FHKNPRTV-Y]\d{2}\s[AC-FHKNPRTV-Y0-9]{4})\b")
# A "+" country code followed by at least six more digits: "+12%" or "+1 more" are not phone numbers.
_PHONE_INTL = re.compile(r"(?<![\w+])\+\s?(\d{1,3})[\s.\-()]*(?:\d[\s.\-()]*){6,}")
_PHONE_NATIONAL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)(?:\(0[2378]\)|0[2378])\s?\d{4}\s?\d{4}(?!\d)"), "AU"),
    (re.compile(r"(?<!\d)04\d{2}\s?\d{3}\s?\d{3}(?!\d)"), "AU"),
    (re.compile(r"(?<!\d)1[38]00\s?\d{3}\s?\d{3}(?!\d)"), "AU"),
    (re.compile(r"(?<!\d)0(?:20|1\d{2,3}|7\d{3})\s?\d{3,4}\s?\d{3,4}(?!\d)"), "GB"),
    (re.compile(r"\(\d{3}\)\s?\d{3}-\d{4}(?!\d)"), "US"),
)
_JURISDICTION = re.compile(
    r"governed by (?:and construed in accordance with )?the laws? of ((?:the )?[A-Z][\w ]{2,40})"
)


@dataclass
class Evidence:
    country: str
    signal: str
    detail: str
    weight: float
    region: str | None = None
    city: str | None = None

    def describe(self) -> str:
        return f"{self.signal}: {self.detail} -> {self.country}"


@dataclass
class GeoResult:
    country: str | None = None
    region: str | None = None
    city: str | None = None
    confidence: str = "none"
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "confidence": self.confidence,
            "evidence": self.evidence,
        }


def tld_country(domain: str) -> str | None:
    host = domain.split(":", 1)[0].lower().rstrip(".")
    labels = host.split(".")
    for size in (2, 1):
        suffix = ".".join(labels[-size:])
        if len(labels) > size and suffix in CCTLDS:
            return None if labels[-1] in GENERIC_TLDS else CCTLDS[suffix]
    return None


def hreflang_countries(pages: list[dict[str, Any]]) -> list[str]:
    countries: list[str] = []
    for page in pages:
        for link in page.get("hreflang", []):
            code = str(link.get("lang", "")).replace("_", "-").split("-")
            if len(code) >= 2 and code[0].lower() != "x" and len(code[-1]) == 2:
                countries.append(code[-1].upper().replace("UK", "GB"))
    return list(dict.fromkeys(countries))


def country_from_name(name: str) -> str | None:
    cleaned = name.strip().lower().removeprefix("the ")
    if len(cleaned) == 2 and cleaned.upper() in {*PHONE_PREFIXES.values(), *CCTLDS.values(), "UK"}:
        return cleaned.upper().replace("UK", "GB")
    return COUNTRY_NAMES.get(cleaned) or (REGION_NAMES[cleaned][0] if cleaned in REGION_NAMES else None)


def json_ld_evidence(pages: list[dict[str, Any]]) -> list[Evidence]:
    found: list[Evidence] = []
    for page in pages:
        for entity in page.get("json_ld", []):
            address = entity.get("address") or {}
            country = country_from_name(address.get("addressCountry", ""))
            region = address.get("addressRegion")
            if not country and region:
                country = _region_country(region)
            if country:
                found.append(
                    Evidence(
                        country,
                        "JSON-LD address",
                        ", ".join(address.values()),
                        4,
                        _region_code(country, region),
                        address.get("addressLocality"),
                    )
                )
    return found


def _region_code(country: str, region: str | None) -> str | None:
    if not region:
        return None
    if region.upper() in REGIONS.get(country, {}):
        return region.upper()
    named = REGION_NAMES.get(region.strip().lower())
    return named[1] if named and named[0] == country else region.strip()


def _region_country(region: str) -> str | None:
    named = REGION_NAMES.get(region.strip().lower())
    return named[0] if named else None


def text_evidence(text: str) -> list[Evidence]:
    found: list[Evidence] = []
    for match in _AU_POSTCODE.finditer(text):
        found.append(Evidence("AU", "postcode", match.group(0), 3, match.group(1)))
    for match in _US_POSTCODE.finditer(text):
        found.append(Evidence("US", "ZIP code", match.group(0).lstrip(", "), 3, match.group(1)))
    for match in _CA_POSTCODE.finditer(text):
        found.append(Evidence("CA", "postal code", match.group(0), 3, match.group(1)))
    found += [Evidence("GB", "postcode", m.group(1), 2) for m in _UK_POSTCODE.finditer(text)]
    found += [Evidence("IE", "Eircode", m.group(1), 2) for m in _IE_EIRCODE.finditer(text)]
    for match in _PHONE_INTL.finditer(text):
        prefix = match.group(1)
        country = next((PHONE_PREFIXES[prefix[:n]] for n in (3, 2, 1) if prefix[:n] in PHONE_PREFIXES), None)
        if country:
            found.append(Evidence(country, "phone", match.group(0).strip(), 2))
    for pattern, country in _PHONE_NATIONAL:
        found += [Evidence(country, "phone", m.group(0), 1.5) for m in pattern.finditer(text)]
    for marker, country in CURRENCIES:
        if currency := re.search(marker, text):
            found.append(Evidence(country, "currency", currency.group(0), 1))
    for match in _JURISDICTION.finditer(text):
        place = match.group(1).strip()
        words = place.split()
        for size in range(len(words), 0, -1):  # longest known prefix: "New South Wales, Australia and ..."
            candidate = " ".join(words[:size]).rstrip(",.")
            if country := country_from_name(candidate):
                found.append(
                    Evidence(country, "jurisdiction", f"laws of {candidate}", 3, _region_code(country, candidate))
                )
                break
    found += _city_evidence(text)
    return found


def _city_evidence(text: str) -> list[Evidence]:
    found: list[Evidence] = []
    for match in _CITY_CONTEXT.finditer(text):
        city = match.group(1) or match.group(2)
        qualifier = match.group(3)
        options = CITIES[city]
        if qualifier:
            country = country_from_name(qualifier) or _region_country(qualifier)
            region_match = [o for o in options if o[1] == qualifier or (country and o[0] == country)]
            if not region_match:
                region_match = [
                    o for c, regions in REGIONS.items() for o in options if o[0] == c and qualifier in regions
                ]
            if not region_match:
                continue  # "Nice, Friendly" or "Reading, Writing": not a place
            options = tuple(region_match[:1])
        for country, region in options:
            found.append(Evidence(country, "city", match.group(0).strip(), 2 / len(options), region, city))
    return found


def detect_location(domain: str, pages: list[dict[str, Any]]) -> GeoResult:
    """The heuristic location, from the pages the crawler extracted."""
    hreflang = hreflang_countries(pages)
    evidence = json_ld_evidence(pages)
    for page in pages:
        evidence += text_evidence(" ".join(filter(None, [page.get("title"), page.get("text")])))
    scores: dict[str, float] = {}
    for item in evidence:
        scores[item.country] = scores.get(item.country, 0.0) + item.weight
    tld = tld_country(domain)
    country, confidence, reason = _choose_country(hreflang, scores, tld)
    if country is None:
        return GeoResult()
    supporting = [item for item in evidence if item.country == country]
    result = GeoResult(country=country, confidence=confidence, evidence=[reason])
    result.evidence += list(dict.fromkeys(item.describe() for item in supporting))[:12]
    result.region = _most_common(item.region for item in supporting)
    result.city = _most_common(item.city for item in supporting)
    return result


def _choose_country(hreflang: list[str], scores: dict[str, float], tld: str | None) -> tuple[str | None, str, str]:
    if len(hreflang) == 1:
        return hreflang[0], "high", f"hreflang targets {hreflang[0]} only"
    if hreflang:
        confirmed = [c for c in hreflang if scores.get(c) or c == tld]
        if confirmed:
            best = max(confirmed, key=lambda c: scores.get(c, 0.0))
            return best, "high", f"hreflang targets {', '.join(hreflang)}; site content confirms {best}"
        return hreflang[0], "medium", f"hreflang targets {', '.join(hreflang)}; first listed"
    if scores:
        (best, top), *rest = sorted(scores.items(), key=lambda item: -item[1])
        runner_up = rest[0][1] if rest else 0.0
        strong = top >= 4 and top >= 2 * runner_up
        agrees = best == tld
        confidence = "high" if strong and (agrees or top >= 6) else "medium" if top > runner_up else "low"
        return best, confidence, f"site content points to {best} (signal weight {top:g} vs {runner_up:g})"
    if tld:
        return tld, "low", f"country-code domain .{tld.lower()} only"
    return None, "none", ""


def _most_common(values: Any) -> str | None:
    counts = Counter(value for value in values if value)
    return counts.most_common(1)[0][0] if counts else None


def precision(location: dict[str, Any]) -> int:
    return 3 if location.get("city") else 2 if location.get("region") else 1 if location.get("country") else 0


def merge_locations(heuristic: dict[str, Any], analysis: dict[str, Any]) -> dict[str, Any]:
    """The more precise of the site-signal and the analysis location; a confident site signal wins a conflict."""
    llm = {key: analysis.get(key) for key in ("country", "region", "city")}
    if llm["country"]:
        llm["country"] = str(llm["country"]).upper()
    conflict = heuristic.get("country") and llm["country"] and heuristic["country"] != llm["country"]
    evidence = list(heuristic.get("evidence", []))
    if conflict and heuristic.get("confidence") == "high":
        chosen, source = dict(heuristic), "site"
    elif precision(llm) > precision(heuristic) or (conflict and precision(llm) == precision(heuristic)):
        chosen, source = dict(llm), "analysis"
        if not conflict:
            chosen["country"] = chosen["country"] or heuristic.get("country")
        evidence.append(f"analysis: {', '.join(v for v in llm.values() if v)}")
    else:
        chosen, source = dict(heuristic), "site" if precision(heuristic) else "none"
    confidence = heuristic.get("confidence", "none") if source == "site" else "medium"
    if source == "analysis" and not conflict and heuristic.get("country") == chosen.get("country"):
        confidence = "high"
    return {
        "country": chosen.get("country"),
        "region": chosen.get("region"),
        "city": chosen.get("city"),
        "confidence": confidence if precision(chosen) else "none",
        "source": source,
        "evidence": evidence,
    }
