"""What each call cost: a dated, editable price table, and a ledger row per call.

A model the table does not know is recorded as unpriced and flagged (in the ledger, the summary and `doctor`),
never priced at $0.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlite_utils import Database

from outrank.store.db import utcnow


@dataclass(frozen=True)
class Price:
    input: float  # USD per million input tokens
    output: float  # USD per million output tokens
    search: float = 0.0  # USD per search call or grounded prompt


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    models: dict[str, Price]

    def find(self, model: str) -> tuple[str, Price] | None:
        """The model's price: an exact id, else the longest known id it starts with (dated snapshots)."""
        name = model.removeprefix("models/")
        if name in self.models:
            return name, self.models[name]
        known = [key for key in self.models if name.startswith(key)]
        return (key := max(known, key=len), self.models[key]) if known else None

    def cost(self, usage: dict[str, Any]) -> tuple[float | None, str]:
        """(USD or None when unpriced, where the figure came from)."""
        if usage.get("cost_usd") is not None:
            return float(usage["cost_usd"]), "provider"
        found = self.find(str(usage.get("model") or ""))
        if found is None:
            return None, "unpriced"
        key, price = found
        tokens = usage.get("input_tokens", 0) * price.input + usage.get("output_tokens", 0) * price.output
        return tokens / 1_000_000 + usage.get("search_calls", 0) * price.search, f"{key} @ {self.as_of}"


def load_prices(overrides: dict[str, dict[str, float]] | None = None) -> PriceTable:
    data = tomllib.loads(resources.files("outrank").joinpath("prices.toml").read_text(encoding="utf-8"))
    models = {name: Price(**values) for name, values in data["models"].items()}
    for name, values in (overrides or {}).items():
        base = models.get(name, Price(0.0, 0.0))
        models[name] = Price(**{**base.__dict__, **values})
    as_of = str(data["as_of"]) + (" + config" if overrides else "")
    return PriceTable(as_of=as_of, models=models)


def usage_of(platform: str, answer: Any) -> dict[str, Any]:
    return {
        "platform": platform,
        "model": answer.model,
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "search_calls": answer.search_calls,
        "cost_usd": answer.cost_usd,
    }


def record_cost(db: Database, scan_id: int, step_key: str, usage: dict[str, Any], prices: PriceTable) -> None:
    """One ledger row per call, written in the same transaction as the call's result."""
    cost, source = prices.cost(usage)
    db.execute(
        "INSERT INTO cost_ledger (scan_id, step_key, platform, model, input_tokens, output_tokens, search_calls,"
        " cost_usd, priced, price_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scan_id, step_key) DO UPDATE SET model = excluded.model,"
        " input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,"
        " search_calls = excluded.search_calls, cost_usd = excluded.cost_usd, priced = excluded.priced,"
        " price_source = excluded.price_source",
        [
            scan_id,
            step_key,
            usage["platform"],
            usage["model"],
            usage.get("input_tokens", 0),
            usage.get("output_tokens", 0),
            usage.get("search_calls", 0),
            cost,
            int(cost is not None),
            source,
            utcnow(),
        ],
    )


def scan_cost(db: Database, scan_id: int) -> dict[str, Any]:
    rows = list(
        db.query(
            "SELECT platform, COUNT(*) AS calls, SUM(cost_usd) AS usd, SUM(1 - priced) AS unpriced,"
            " GROUP_CONCAT(DISTINCT CASE WHEN priced = 0 THEN model END) AS unpriced_models"
            " FROM cost_ledger WHERE scan_id = ? GROUP BY platform ORDER BY platform",
            [scan_id],
        )
    )
    return {
        "usd": sum(r["usd"] or 0.0 for r in rows),
        "calls": sum(r["calls"] for r in rows),
        "unpriced_calls": sum(r["unpriced"] for r in rows),
        "unpriced_models": sorted({m for r in rows if r["unpriced_models"] for m in r["unpriced_models"].split(",")}),
        "platforms": {r["platform"]: {"calls": r["calls"], "usd": r["usd"] or 0.0} for r in rows},
    }
