"""Claude: the Messages API with the web search server tool."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import anthropic

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

# Long server-tool turns can stop with pause_turn; sending the turn back continues it.
MAX_CONTINUATIONS = 3


def web_search_tool(location: Location | None) -> dict[str, Any]:
    tool: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    if location and location.country:
        fields = {
            "country": location.country,
            "region": location.region,
            "city": location.city,
            "timezone": location.timezone,
        }
        tool["user_location"] = {"type": "approximate"} | {k: v for k, v in fields.items() if v}
    return tool


def message_citations(content: list[Any]) -> list[Citation]:
    found = []
    for block in content:
        if getattr(block, "type", None) != "text":
            continue
        for note in getattr(block, "citations", None) or []:
            if getattr(note, "url", None):
                found.append(citation(note.url, getattr(note, "title", None)))
    return unique_citations(found)


class Claude(Provider):
    platform = "claude"

    @cached_property
    def client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key=self.config.api_key,
            base_url=self.config.base_url,
            max_retries=0,
            timeout=self.config.timeout,
        )

    def _create(self, **kwargs: Any) -> Any:
        return call_stainless_sdk(self, anthropic, lambda: self.client.messages.create(**kwargs))

    def ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        content: list[Any] = []
        input_tokens = output_tokens = searches = 0
        model = self.config.model
        for _ in range(MAX_CONTINUATIONS + 1):
            # No temperature/top_p: API version 2026-10-21 rejects sampling parameters.
            message = self._create(
                model=self.config.model,
                max_tokens=4000,
                system=system,
                messages=messages,
                tools=[web_search_tool(location)],
                extra_headers={"X-Client-Request-Id": call_id},
            )
            content.extend(message.content)
            model = message.model
            input_tokens += message.usage.input_tokens
            output_tokens += message.usage.output_tokens
            server_tools = getattr(message.usage, "server_tool_use", None)
            searches += getattr(server_tools, "web_search_requests", 0) or 0
            if message.stop_reason != "pause_turn":
                break
            messages = [*messages, {"role": "assistant", "content": message.content}]
        text = "".join(block.text for block in content if getattr(block, "type", None) == "text")
        return Answer(
            text=text,
            model=model,
            citations=message_citations(content),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            search_calls=searches,
        )

    def structured(self, *, system: str, prompt: str, name: str, schema: dict[str, Any]) -> Answer:
        return self._plain(
            max_tokens=4000,
            system=system,
            messages=[{"role": "user", "content": prompt}],
            output_config={"format": {"type": "json_schema", "schema": schema}},
        )

    def ping(self) -> Answer:
        return self._plain(max_tokens=16, messages=[{"role": "user", "content": PING_PROMPT}])

    def _plain(self, **kwargs: Any) -> Answer:
        message = self._create(model=self.config.model, **kwargs)
        return Answer(
            text="".join(block.text for block in message.content if getattr(block, "type", None) == "text"),
            model=message.model,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
        )
