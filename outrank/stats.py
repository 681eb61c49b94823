"""The statistics behind every number outrank reports: Wilson intervals, a weighted mean that carries its
interval, a two-proportion test and the Rankscale rank-weighted score."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """A proportion in percent with its 95 % interval."""

    value: float
    low: float
    high: float


def wilson(successes: int, trials: int, z: float = Z95) -> Rate | None:
    """Wilson score interval: honest at small n and near 0 % or 100 %, where the normal interval is not."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Rate(100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def weighted_mean(rates: list[tuple[float, Rate]]) -> Rate | None:
    """Weighted mean of independent rates; each interval's half-width is read as 1.96 standard errors and the
    errors are combined in quadrature (delta method). Answers to one question are correlated, so this is a
    lower bound on the true uncertainty; it is still far better than none."""
    usable = [(w, r) for w, r in rates if w > 0]
    total = sum(w for w, _ in usable)
    if not usable or total <= 0:
        return None
    mean = sum(w * r.value for w, r in usable) / total
    variance = sum((w / total) ** 2 * ((r.high - r.low) / (2 * Z95)) ** 2 for w, r in usable)
    half = Z95 * math.sqrt(variance)
    return Rate(mean, max(0.0, mean - half), min(100.0, mean + half))


@dataclass(frozen=True)
class Change:
    before: float  # percent
    after: float
    delta: float  # percentage points
    p_value: float
    significant: bool

    @property
    def label(self) -> str:
        return "significant" if self.significant else "within noise"


def two_proportion_test(x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05) -> Change | None:
    """Pooled two-sided z-test of p1 = p2 (first sample before, second after)."""
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else math.erfc(abs(p2 - p1) / se / math.sqrt(2))
    return Change(100 * p1, 100 * p2, 100 * (p2 - p1), p_value, p_value < alpha)


def rank_weighted(rate_percent: float, average_rank: float | None) -> float:
    """Rankscale's published score: rate x 1 / (1 + 0.1 x (average position - 1))."""
    if average_rank is None:
        return 0.0
    return rate_percent / (1 + 0.1 * (average_rank - 1))
