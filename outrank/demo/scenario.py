"""What the simulated assistants say: a deterministic, plausible market for the bundled sample business.

Answers vary by platform, question and sample (as real answers do), but the same call always gets the
same answer, so demo runs and tests are reproducible.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

DEMO_DOMAIN = "harbourdental.example"
DEMO_BUSINESS = "Harbour Dental Studio"


@dataclass(frozen=True)
class Business:
    name: str
    domain: str
    blurb: str


COMPETITORS = (
    Business("Smile Bay Dental", "smilebaydental.example", "known for same-day emergency appointments"),
    Business("Hunter Street Dentists", "hunterstreetdentists.example", "a large CBD practice with long hours"),
    Business("Coastal Smiles Family Dental", "coastalsmiles.example", "popular with families and kids"),
    Business("Merewether Dental Care", "merewetherdental.example", "well reviewed for gentle care"),
    Business("Lambton Park Dental", "lambtonparkdental.example", "bulk-billing for eligible children"),
)
DIRECTORY_SOURCES = (
    (
        "https://www.healthdirect.example/find-a-dentist/newcastle",
        "Find a dentist in Newcastle | healthdirect",
    ),
    ("https://www.reviewsnewcastle.example/best-dentists", "10 Best Dentists in Newcastle (2026)"),
)

ANSWER = re.compile(r'<answer id="(\d+)">\n(.*?)\n</answer>', re.DOTALL)

DEMO_ANALYSIS: dict[str, Any] = {
    "business_name": DEMO_BUSINESS,
    "aliases": ["Harbour Dental"],
    "business_type": "Dental clinic",
    "industry": "Healthcare",
    "services": [
        "General dentistry",
        "Teeth whitening",
        "Dental implants",
        "Invisalign",
        "Emergency dental care",
    ],
    "products": [],
    "location": "Newcastle, NSW, Australia",
    "country": "AU",
    "region": "NSW",
    "city": "Newcastle",
    "served_areas": ["Newcastle", "Merewether", "Hamilton", "Lake Macquarie"],
    "audience": "Families and adults in Newcastle looking for a local dentist",
    "key_phrases": ["dentist newcastle", "emergency dentist", "teeth whitening", "dental implants"],
    "is_retailer": False,
}

DEMO_QUESTIONS: list[dict[str, str]] = [
    {"text": "Who is the best dentist in Newcastle NSW?", "category": "finding_provider"},
    {"text": "Where can I get an emergency dental appointment in Newcastle today?", "category": "service"},
    {"text": "Which Newcastle dentists offer Invisalign?", "category": "service"},
    {"text": "Best family dentist near Merewether for kids", "category": "finding_provider"},
    {
        "text": "How much do dental implants cost in Newcastle and who do people recommend?",
        "category": "comparison",
    },
    {"text": "Dentists in Newcastle with good reviews for nervous patients", "category": "review"},
    {"text": "Where to get professional teeth whitening in Newcastle?", "category": "service"},
]

# What else each simulated research model proposes: near-duplicates of the shared set (merged away), a
# branded question (set aside) and one-offs (ranked below what several models agree on).
DEMO_EXTRA_CANDIDATES: dict[str, list[dict[str, str]]] = {
    "chatgpt": [
        {"text": "who is the best dentist in newcastle", "category": "finding_provider"},
        {"text": "Is Harbour Dental Studio any good?", "category": "review"},
    ],
    "claude": [{"text": "Which dentists in Newcastle offer Invisalign clear aligners?", "category": "service"}],
    "gemini": [{"text": "Cheapest dental check-up and clean near me", "category": "comparison"}],
    "perplexity": [{"text": "Where can I find an emergency dentist in Newcastle today?", "category": "service"}],
}

# How often each simulated platform names the sample business, so the demo shows a spread of scores.
MENTION_ODDS = {"chatgpt": 0.55, "claude": 0.3, "gemini": 0.45, "perplexity": 0.7}


@dataclass
class Scenario:
    """The market a simulated provider describes. Tests pass their own to shape answers."""

    business: Business = field(default_factory=lambda: Business(DEMO_BUSINESS, DEMO_DOMAIN, "modern clinic"))
    competitors: tuple[Business, ...] = COMPETITORS
    analysis: dict[str, Any] = field(default_factory=lambda: dict(DEMO_ANALYSIS))
    questions: list[dict[str, str]] = field(default_factory=lambda: list(DEMO_QUESTIONS))
    mention_odds: dict[str, float] = field(default_factory=lambda: dict(MENTION_ODDS))
    extra_candidates: dict[str, list[dict[str, str]]] = field(default_factory=lambda: dict(DEMO_EXTRA_CANDIDATES))

    def structured(self, schema: dict[str, Any], platform: str = "", prompt: str = "") -> dict[str, Any]:
        properties = schema.get("properties", {})
        if "questions" in properties:
            return {"questions": self.questions + self.extra_candidates.get(platform, [])}
        if "answers" in properties:
            blocks = ANSWER.findall(prompt)
            return {"answers": [{"id": int(i), "businesses": self.named_in(text)} for i, text in blocks]}
        if "business_name" in properties:
            return self.analysis
        raise ValueError(f"the simulator has no answer for a schema with {sorted(properties)}")

    def named_in(self, text: str) -> list[str]:
        """What a careful extraction model returns: every known business in the text, in order, ours included."""
        found = [(text.find(b.name), b.name) for b in (self.business, *self.competitors) if b.name in text]
        return [name for _, name in sorted(found)]

    def answer(self, platform: str, question: str, call_id: str) -> tuple[str, list[tuple[str, str]]]:
        """The answer text and its cited (url, title) sources."""
        sample = call_id.rsplit("-s", 1)[-1] if "-s" in call_id else "0"
        roll = _fraction(platform, question, sample)
        picks = _rotate(self.competitors, int(roll * 1000))[:3]
        named = list(picks)
        mentioned = roll < self.mention_odds.get(platform, 0.5)
        if mentioned:
            named.insert(int(roll * 1000) % 3, self.business)
        lines = [f"Here are some well-regarded options for \u201c{question.rstrip('?')}\u201d:", ""]
        lines += [f"{i}. **{b.name}** \u2014 {b.blurb}." for i, b in enumerate(named, 1)]
        lines += ["", "Check recent reviews and availability before booking."]
        sources = [(f"https://{b.domain}/", b.name) for b in named[:2]]
        sources.append(DIRECTORY_SOURCES[int(roll * 10) % len(DIRECTORY_SOURCES)])
        return "\n".join(lines), sources


def _fraction(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _rotate(items: tuple[Business, ...], by: int) -> list[Business]:
    by %= len(items)
    return list(items[by:] + items[:by])
