"""`outrank doctor` (is every configured platform usable, with a current, priced model?) and
`outrank scan --estimate` (what would a scan cost, before anything is called)."""

from __future__ import annotations

import math
import time
from typing import Any

from outrank import PLATFORMS
from outrank.config import BASE_URL_ENV_VARS, KEY_ENV_VARS, Settings
from outrank.costs import load_prices
from outrank.errors import ProviderError

# Tokens assumed per call for an estimate; real scans record what each call actually used.
ASSUMED_USAGE = {
    "ask": {"input_tokens": 3000, "output_tokens": 700, "search_calls": 1},
    "analyze": {"input_tokens": 4500, "output_tokens": 600, "search_calls": 0},
    "research": {"input_tokens": 700, "output_tokens": 600, "search_calls": 0},
    "extract": {"input_tokens": 6000, "output_tokens": 900, "search_calls": 0},
}
EXTRACT_BATCH = 10


def check_platforms(settings: Settings) -> dict[str, Any]:
    """Which keys and base URLs are set, and whether each configured model answers a tiny request."""
    from outrank.providers import build_provider

    prices = load_prices(settings.prices)
    report = []
    for name in PLATFORMS:
        config = settings.platforms.get(name)
        entry: dict[str, Any] = {
            "platform": name,
            "key": "set" if config else f"missing ({' or '.join(KEY_ENV_VARS[name])})",
            "base_url": (config.base_url if config else None) or f"default ({BASE_URL_ENV_VARS[name]} not set)",
            "model": config.model if config else None,
        }
        if config is None:
            report.append(entry | {"status": "skipped"})
            continue
        found = prices.find(config.model)
        entry["price"] = f"{found[0]} @ {prices.as_of}" if found else "unknown: calls will be recorded unpriced"
        started = time.monotonic()
        try:
            reply = build_provider(config).ping()
        except ProviderError as exc:
            retired = exc.status == 404
            report.append(entry | {"status": "retired-or-unknown-model" if retired else "error", "error": str(exc)})
            continue
        latency = round((time.monotonic() - started) * 1000)
        status = "ok" if found else "unpriced-model"
        report.append(entry | {"status": status, "model_reported": reply.model, "latency_ms": latency})
    usable = [r for r in report if r["status"] in ("ok", "unpriced-model")]
    healthy = bool(usable) and all(r["status"] in ("ok", "skipped") for r in report)
    return {"config": str(settings.config_path) if settings.config_path else None, "platforms": report, "ok": healthy}


def estimate(settings: Settings) -> dict[str, Any]:
    """Calls and expected cost per platform for one scan with these settings; nothing is called or written."""
    prices = load_prices(settings.prices)
    platforms = list(settings.platforms)
    questions, samples = settings.question_count, settings.samples
    analyst = settings.analyst_platform() or platforms[0]
    extractor = settings.extractor or analyst
    answers = questions * samples * len(platforms)
    plan: dict[str, dict[str, int]] = {p: {"ask": questions * samples, "research": 1} for p in platforms}
    plan[analyst]["analyze"] = 1
    if extractor in plan:
        plan[extractor]["extract"] = math.ceil(answers / EXTRACT_BATCH)
    result: dict[str, Any] = {}
    for platform, kinds in plan.items():
        model = settings.platforms[platform].model
        costs = [prices.cost({"model": model, **ASSUMED_USAGE[kind]})[0] for kind in kinds]
        per_call = dict(zip(kinds, costs, strict=True))
        total = None if None in costs else sum(c * kinds[k] for k, c in per_call.items() if c is not None)
        result[platform] = {"model": model, "calls": sum(kinds.values()), "by_kind": kinds, "cost_usd": total}
    known = [r["cost_usd"] for r in result.values() if r["cost_usd"] is not None]
    return {
        "questions": questions,
        "samples": samples,
        "platforms": result,
        "calls": sum(r["calls"] for r in result.values()),
        "cost_usd": sum(known),
        "unpriced_platforms": [p for p, r in result.items() if r["cost_usd"] is None],
        "price_table": prices.as_of,
        "assumed_tokens_per_call": ASSUMED_USAGE,
    }
