"""Perplexity: the Agent API (`/v1/responses`) through the openai SDK, with its web_search tool.

Perplexity retired Sonar chat completions in September 2026; the Agent API is its documented replacement.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import openai

from outrank.providers.base import (
    NEUTRAL_SYSTEM_PROMPT,
    PING_PROMPT,
    Answer,
    Citation,
    Location,
    Provider,
    call_stainless_sdk,
    citation,
    unique_citations,
)

DEFAULT_BASE_URL = "https://api.perplexity.ai"


def agent_base_url(base_url: str | None) -> str:
    return (base_url or DEFAULT_BASE_URL).rstrip("/").removesuffix("/v1") + "/v1"


def agent_citations(output: list[dict[str, Any]]) -> list[Citation]:
    cited: list[Citation] = []
    searched: list[Citation] = []
    for item in output:
        if item.get("type") == "search_results":
            searched += [citation(r["url"], r.get("title")) for r in item.get("results", []) if r.get("url")]
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            for note in part.get("annotations") or []:
                if note.get("url"):
                    cited.append(citation(note["url"], note.get("title")))
    # Perplexity cites its search results by number; without annotations those results are the sources.
    return unique_citations(cited or searched)


def output_text(output: list[dict[str, Any]]) -> str:
    return "".join(
        part.get("text", "")
        for item in output
        if item.get("type") == "message"
        for part in item.get("content") or []
        if part.get("type") == "output_text"
    )


class Perplexity(Provider):
    platform = "perplexity"

    @cached_property
    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key,
            base_url=agent_base_url(self.config.base_url),
            max_retries=0,
            timeout=self.config.timeout,
        )

    def _create(self, **kwargs: Any) -> dict[str, Any]:
        # The raw body keeps Perplexity's own fields (search_results items, usage.cost).
        raw = call_stainless_sdk(self, openai, lambda: self.client.responses.with_raw_response.create(**kwargs))
        data: dict[str, Any] = json.loads(raw.text)
        return data

    def ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        tool: dict[str, Any] = {"type": "web_search"}
        if location and location.country:
            fields = {"country": location.country, "region": location.region, "city": location.city}
            tool["user_location"] = {k: v for k, v in fields.items() if v}
        data = self._create(
            model=self.config.model,
            instructions=system,
            input=question,
            tools=[tool],
            max_output_tokens=4000,
            extra_headers={"X-Client-Request-Id": call_id},
        )
        output = data.get("output") or []
        usage = data.get("usage") or {}
        invocations = ((usage.get("tool_calls_details") or {}).get("web_search") or {}).get("invocation")
        cost = (usage.get("cost") or {}).get("total_cost")
        return Answer(
            text=output_text(output),
            model=data.get("model") or self.config.model,
            citations=agent_citations(output),
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            search_calls=int(invocations or sum(1 for i in output if i.get("type") == "search_results")),
            cost_usd=float(cost) if cost is not None else None,
        )

    def structured(self, *, system: str, prompt: str, name: str, schema: dict[str, Any]) -> Answer:
        return self._plain(
            instructions=system,
            input=prompt,
            max_output_tokens=4000,
            extra_body={"response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}},
        )

    def ping(self) -> Answer:
        return self._plain(input=PING_PROMPT, max_output_tokens=16)

    def _plain(self, **kwargs: Any) -> Answer:
        data = self._create(model=self.config.model, **kwargs)
        usage = data.get("usage") or {}
        cost = (usage.get("cost") or {}).get("total_cost")
        return Answer(
            text=output_text(data.get("output") or []),
            model=data.get("model") or self.config.model,
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            cost_usd=float(cost) if cost is not None else None,
        )
