"""Coordinates for the report's inline SVG charts (the template draws them; no JavaScript is needed to read
them). Numbers only come out of here; every label is escaped by the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 640


@dataclass
class Bar:
    label: str
    value: float  # 0..1
    highlight: bool
    y: float = 0.0
    width: float = 0.0


@dataclass
class BarChart:
    bars: list[Bar]
    width: int = WIDTH
    label_width: int = 220
    bar_height: int = 22
    gap: int = 8
    height: int = field(init=False)

    def __post_init__(self) -> None:
        plot = self.width - self.label_width - 60
        for index, bar in enumerate(self.bars):
            bar.y = index * (self.bar_height + self.gap)
            bar.width = max(1.0, plot * max(0.0, min(1.0, bar.value)))
        self.height = max(1, len(self.bars) * (self.bar_height + self.gap))


def share_of_voice_chart(ours: float | None, domain: str, competitors: list[dict[str, Any]]) -> BarChart | None:
    bars = [Bar(domain, ours, True)] if ours is not None else []
    bars += [Bar(c["name"], c["share_of_voice"], False) for c in competitors[:8] if c["share_of_voice"] is not None]
    return BarChart(sorted(bars, key=lambda b: -b.value)) if bars else None


@dataclass
class TrendPoint:
    scan_id: int
    label: str
    score: float
    low: float
    high: float
    x: float = 0.0
    y: float = 0.0
    y_low: float = 0.0
    y_high: float = 0.0


@dataclass
class TrendChart:
    points: list[TrendPoint]
    width: int = WIDTH
    height: int = 220
    pad: int = 36
    line: str = ""
    band: str = ""
    ticks: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        plot_w, plot_h = self.width - 2 * self.pad, self.height - 2 * self.pad
        step = plot_w / max(1, len(self.points) - 1)

        def y_of(value: float) -> float:
            return self.pad + plot_h * (1 - value / 100)

        for index, point in enumerate(self.points):
            point.x = self.pad + (step * index if len(self.points) > 1 else plot_w / 2)
            point.y, point.y_low, point.y_high = y_of(point.score), y_of(point.low), y_of(point.high)
        self.line = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)
        upper = [f"{p.x:.1f},{p.y_high:.1f}" for p in self.points]
        lower = [f"{p.x:.1f},{p.y_low:.1f}" for p in reversed(self.points)]
        self.band = " ".join(upper + lower)
        self.ticks = [(y_of(v), v) for v in (0, 25, 50, 75, 100)]


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def trend_chart(history: list[dict[str, Any]], *, width: int = WIDTH, height: int = 220) -> TrendChart | None:
    """Every scored scan of the domain, oldest to newest (never just the first or last few)."""
    points = [
        TrendPoint(
            h["scan_id"], h["created_at"][:10], h["score"], _or(h["ci_low"], h["score"]), _or(h["ci_high"], h["score"])
        )
        for h in history
        if h["score"] is not None
    ]
    if not points:
        return None
    pad = 36 if height > 60 else 2
    return TrendChart(points, width=width, height=height, pad=pad)
