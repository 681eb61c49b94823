"""Every number a scan reports, computed from the stored answers. Errors are left out of every denominator and
reported as coverage; branded questions never count; only one rounding happens, at display."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from outrank.mentions import cites_domain
from outrank.stats import Change, Rate, rank_weighted, two_proportion_test, weighted_mean, wilson

TOP_DOMAINS = 10


@dataclass(frozen=True)
class PlatformScore:
    platform: str
    total: int
    answered: int
    errors: int
    mentioned: int
    available: bool
    models: list[str]
    rate: Rate | None = None
    ranks: list[int] = field(default_factory=list)
    cited: int = 0  # answers citing our domain
    with_citations: int = 0  # answers citing anything
    contested: int = 0  # answers naming us or any competitor
    cited_unnamed: int = 0  # answers citing our site without naming us

    @property
    def score(self) -> float | None:
        return self.rate.value if self.rate and self.available else None

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def average_rank(self) -> float | None:
        return sum(self.ranks) / len(self.ranks) if self.ranks else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ranks")
        rate = data.pop("rate")
        return data | {
            "score": self.score,
            "ci_low": rate["low"] if rate and self.available else None,
            "ci_high": rate["high"] if rate and self.available else None,
            "coverage": self.coverage,
            "average_rank": self.average_rank,
            "rank_weighted": rank_weighted(self.score, self.average_rank) if self.score is not None else None,
            "citation_rate": self.cited / self.with_citations if self.with_citations else None,
            "share_of_voice": self.mentioned / self.contested if self.contested else None,
        }


def answer_rows(db: Database, scan_id: int) -> list[dict[str, Any]]:
    """Discovery answers (and errors) with what scoring needs, one row per question x platform x sample."""
    rows = list(
        db.query(
            "SELECT r.id, r.platform, r.status, r.mentioned, r.model, r.rank, r.cited_own, p.position,"
            " p.text AS question,"
            " EXISTS (SELECT 1 FROM citations c WHERE c.response_id = r.id) AS has_citations,"
            " (SELECT json_group_array(b.canonical) FROM answer_brands b WHERE b.response_id = r.id) AS brands"
            " FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE r.scan_id = ? AND p.kind = 'discovery'",
            [scan_id],
        )
    )
    for row in rows:
        row["brands"] = json.loads(row["brands"] or "[]")
    return rows


def citations_by_response(db: Database, scan_id: int) -> dict[int, list[dict[str, Any]]]:
    """Every citation of a scan's answers, in one query, keyed by answer."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query(
        "SELECT c.response_id, c.url, c.domain, c.title FROM citations c JOIN responses r ON r.id = c.response_id"
        " WHERE r.scan_id = ? ORDER BY c.id",
        [scan_id],
    ):
        found[row.pop("response_id")].append(row)
    return found


def platform_scores(rows: list[dict[str, Any]], platforms: list[str], threshold: float) -> list[PlatformScore]:
    scores = []
    for platform in platforms:
        mine = [r for r in rows if r["platform"] == platform]
        answered = [r for r in mine if r["status"] == "ok"]
        mentioned = sum(1 for r in answered if r["mentioned"])
        coverage = len(answered) / len(mine) if mine else 0.0
        scores.append(
            PlatformScore(
                platform=platform,
                total=len(mine),
                answered=len(answered),
                errors=len(mine) - len(answered),
                mentioned=mentioned,
                available=bool(answered) and coverage >= threshold,
                models=sorted({r["model"] for r in answered if r["model"]}),
                rate=wilson(mentioned, len(answered)),
                ranks=[r["rank"] for r in answered if r["mentioned"] and r["rank"]],
                cited=sum(1 for r in answered if r["cited_own"]),
                with_citations=sum(1 for r in answered if r["has_citations"]),
                contested=sum(1 for r in answered if r["mentioned"] or r["brands"]),
                cited_unnamed=sum(1 for r in answered if r["cited_own"] and not r["mentioned"]),
            )
        )
    return scores


def overall_score(scores: list[PlatformScore], weights: dict[str, float]) -> Rate | None:
    """Weighted mean of the available platforms' rates, with its interval; unavailable platforms carry no weight."""
    return weighted_mean([(weights.get(s.platform, 1.0), s.rate) for s in scores if s.available and s.rate])


def scan_platform_scores(db: Database, scan_id: int, settings: dict[str, Any]) -> list[PlatformScore]:
    return platform_scores(
        answer_rows(db, scan_id), settings.get("platforms", []), settings.get("coverage_threshold", 0.7)
    )


def scan_metrics(
    db: Database, scan_id: int, settings: dict[str, Any], domain: str, tracked: list[str]
) -> dict[str, Any]:
    """The full measurement of one scan: overall, per platform, competitors and citations."""
    rows = answer_rows(db, scan_id)
    scores = platform_scores(rows, settings["platforms"], settings.get("coverage_threshold", 0.7))
    overall = overall_score(scores, settings.get("weights", {}))
    usable = {s.platform for s in scores if s.available}
    answered = [r for r in rows if r["status"] == "ok" and r["platform"] in usable]
    ranks = [r["rank"] for r in answered if r["mentioned"] and r["rank"]]
    average_rank = sum(ranks) / len(ranks) if ranks else None
    contested = [r for r in answered if r["mentioned"] or r["brands"]]
    with_citations = [r for r in answered if r["has_citations"]]
    asked = {r["position"] for r in answered}
    return {
        "scores": scores,
        "overall": {
            "score": overall.value if overall else None,
            "ci_low": overall.low if overall else None,
            "ci_high": overall.high if overall else None,
            "answered": len(answered),
            "mentioned": sum(1 for r in answered if r["mentioned"]),
            "cited_without_mention": sum(1 for r in answered if r["cited_own"] and not r["mentioned"]),
            "prompt_coverage": len({r["position"] for r in answered if r["mentioned"]}) / len(asked) if asked else None,
            "average_rank": average_rank,
            "rank_weighted": rank_weighted(overall.value, average_rank) if overall else None,
            "share_of_voice": sum(1 for r in contested if r["mentioned"]) / len(contested) if contested else None,
            "citation_rate": sum(1 for r in with_citations if r["cited_own"]) / len(with_citations)
            if with_citations
            else None,
        },
        "competitors": competitor_table(db, answered, len(contested), tracked),
        "citations": citation_summary(db, answered, domain),
    }


def display_names(db: Database, response_ids: list[int], tracked: list[str]) -> dict[str, str]:
    """Each competitor key's name: the tracked spelling, else the spelling answers used most."""
    from outrank.competitors import normalize_name

    marks = ",".join("?" * len(response_ids))
    spellings = db.execute(
        f"SELECT canonical, name, COUNT(*) AS n FROM answer_brands WHERE response_id IN ({marks})"
        " GROUP BY canonical, name ORDER BY n DESC, name",
        response_ids,
    ).fetchall()
    names: dict[str, str] = {normalize_name(t): t for t in tracked}
    for key, name, _ in spellings:
        names.setdefault(key, name)
    return names


def competitor_table(
    db: Database, answered: list[dict[str, Any]], contested: int, tracked: list[str]
) -> list[dict[str, Any]]:
    """Per competitor, over all answers and per platform: answers naming it and its share of voice."""
    names = display_names(db, [r["id"] for r in answered], tracked) if answered else {}
    per_platform_contested = Counter(r["platform"] for r in answered if r["mentioned"] or r["brands"])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in answered:
        for key in set(row["brands"]):
            counts[key][row["platform"]] += 1
    table = []
    for key, by_platform in counts.items():
        mentions = sum(by_platform.values())
        table.append(
            {
                "name": names.get(key, key),
                "mentions": mentions,
                "share_of_voice": mentions / contested if contested else None,
                "platforms": {
                    p: {"mentions": n, "share_of_voice": n / per_platform_contested[p]} for p, n in by_platform.items()
                },
            }
        )
    return sorted(table, key=lambda c: (-c["mentions"], c["name"]))


def citation_summary(db: Database, answered: list[dict[str, Any]], domain: str) -> dict[str, Any]:
    ids = [r["id"] for r in answered]
    if not ids:
        return {"top_domains": [], "own_pages": [], "questions_cited_without_us": []}
    marks = ",".join("?" * len(ids))
    cited = list(db.query(f"SELECT response_id, url, domain FROM citations WHERE response_id IN ({marks})", ids))
    own_ids = {r["id"] for r in answered if r["cited_own"]}
    domains = Counter(d for d in {(c["response_id"], c["domain"]) for c in cited})
    by_domain = Counter(domain for _, domain in domains)
    own_pages = Counter(c["url"] for c in cited if cites_domain([c["domain"]], domain))
    questions: dict[str, set[str]] = defaultdict(set)
    question_of = {r["id"]: r["question"] for r in answered}
    cited_us = {question_of[i] for i in own_ids}
    for c in cited:
        if question_of[c["response_id"]] not in cited_us:
            questions[question_of[c["response_id"]]].add(c["domain"])
    return {
        "top_domains": [{"domain": d, "answers": n} for d, n in by_domain.most_common(TOP_DOMAINS)],
        "own_pages": [{"url": u, "answers": n} for u, n in own_pages.most_common()],
        "questions_cited_without_us": [{"question": q, "domains": sorted(d)} for q, d in sorted(questions.items())],
    }


def change_since_previous(db: Database, scan: dict[str, Any], scores: list[PlatformScore]) -> dict[str, Any] | None:
    """Pooled discovery mention rate against the previous finished scan of the same domain, on the platforms
    both scans could score; significant only when a two-proportion test gives p < 0.05."""
    previous = db.execute(
        "SELECT id, settings FROM scans WHERE domain = ? AND id < ? AND status IN ('complete', 'partial')"
        " ORDER BY id DESC LIMIT 1",
        [scan["domain"], scan["id"]],
    ).fetchone()
    if previous is None:
        return None
    before_scores = scan_platform_scores(db, previous[0], json.loads(previous[1]))
    common = {s.platform for s in scores if s.available} & {s.platform for s in before_scores if s.available}
    if not common:
        return None
    before = [s for s in before_scores if s.platform in common]
    after = [s for s in scores if s.platform in common]
    change: Change | None = two_proportion_test(
        sum(s.mentioned for s in before), sum(s.answered for s in before),
        sum(s.mentioned for s in after), sum(s.answered for s in after),
    )  # fmt: skip
    if change is None:
        return None
    return {
        "previous_scan_id": previous[0],
        "platforms": sorted(common),
        "before": change.before,
        "after": change.after,
        "delta": change.delta,
        "p_value": change.p_value,
        "significant": change.significant,
        "label": change.label,
    }
