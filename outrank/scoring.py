"""Scores from stored answers. Errors are left out of every denominator and reported as coverage.

#4 adds confidence intervals, rank-weighted scores, share of voice and significance tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class PlatformScore:
    platform: str
    total: int
    answered: int
    errors: int
    mentioned: int
    available: bool
    models: list[str]

    @property
    def score(self) -> float | None:
        return 100 * self.mentioned / self.answered if self.answered and self.available else None

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"score": self.score, "coverage": self.coverage}


def platform_scores(rows: list[dict[str, Any]], platforms: list[str], threshold: float) -> list[PlatformScore]:
    scores = []
    for platform in platforms:
        mine = [r for r in rows if r["platform"] == platform]
        answered = [r for r in mine if r["status"] == "ok"]
        coverage = len(answered) / len(mine) if mine else 0.0
        scores.append(
            PlatformScore(
                platform=platform,
                total=len(mine),
                answered=len(answered),
                errors=len(mine) - len(answered),
                mentioned=sum(1 for r in answered if r["mentioned"]),
                available=bool(answered) and coverage >= threshold,
                models=sorted({r["model"] for r in answered if r["model"]}),
            )
        )
    return scores


def overall_score(scores: list[PlatformScore], weights: dict[str, float]) -> float | None:
    """Weighted mean of available platforms' mention rates; an unavailable platform carries no weight."""
    usable = [(s.score, weights.get(s.platform, 1.0)) for s in scores if s.score is not None]
    total_weight = sum(weight for _, weight in usable)
    if not usable or total_weight <= 0:
        return None
    return sum(score * weight for score, weight in usable) / total_weight


def scan_platform_scores(db: Database, scan_id: int, settings: dict[str, Any]) -> list[PlatformScore]:
    """Platform scores of a scan from its stored answers, with the threshold the scan was run with."""
    # Branded questions name the business, so they always "mention" it; visibility counts discovery ones only.
    rows = list(
        db.query(
            "SELECT r.platform, r.status, r.mentioned, r.model FROM responses r JOIN prompts p ON p.id = r.prompt_id"
            " WHERE r.scan_id = ? AND p.kind = 'discovery'",
            [scan_id],
        )
    )
    return platform_scores(rows, settings["platforms"], settings.get("coverage_threshold", 0.7))
