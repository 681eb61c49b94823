"""ChatGPT: the OpenAI Responses API with the `web_search` tool."""

from __future__ import annotations

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


def web_search_tool(location: Location | None) -> dict[str, Any]:
    tool: dict[str, Any] = {"type": "web_search", "search_context_size": "medium"}
    # Without user_location the tool assumes the United States; an empty approximate location avoids that.
    user_location: dict[str, Any] = {"type": "approximate"}
    if location:
        fields = {"country": location.country, "region": location.region, "city": location.city}
        user_location |= {k: v for k, v in (fields | {"timezone": location.timezone}).items() if v}
    tool["user_location"] = user_location
    return tool


def responses_citations(output: list[Any]) -> list[Citation]:
    found = []
    for item in output:
        if getattr(item, "type", None) != "message":
            continue
        for part in getattr(item, "content", []) or []:
            for note in getattr(part, "annotations", []) or []:
                if getattr(note, "type", None) == "url_citation" and getattr(note, "url", None):
                    found.append(citation(note.url, getattr(note, "title", None)))
    return unique_citations(found)


class ChatGPT(Provider):
    platform = "chatgpt"

    @cached_property
    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key,
            base_url=self.config.base_url,
            max_retries=0,
            timeout=self.config.timeout,
        )

    def ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        response = call_stainless_sdk(
            self,
            openai,
            lambda: self.client.responses.create(
                model=self.config.model,
                instructions=system,
                input=question,
                tools=[web_search_tool(location)],  # type: ignore[list-item]
                max_output_tokens=4000,
                store=False,
                extra_headers={"X-Client-Request-Id": call_id},
            ),
        )
        usage = response.usage
        return Answer(
            text=response.output_text,
            model=response.model,
            citations=responses_citations(response.output),
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            search_calls=sum(1 for item in response.output if item.type == "web_search_call"),
        )

    def structured(self, *, system: str, prompt: str, name: str, schema: dict[str, Any]) -> Answer:
        fmt = {"format": {"type": "json_schema", "name": name, "schema": schema, "strict": True}}
        return self._plain(instructions=system, input=prompt, text=fmt, max_output_tokens=4000)

    def ping(self) -> Answer:
        return self._plain(input=PING_PROMPT, max_output_tokens=16)

    def _plain(self, **kwargs: Any) -> Answer:
        response = call_stainless_sdk(
            self, openai, lambda: self.client.responses.create(model=self.config.model, store=False, **kwargs)
        )
        usage = response.usage
        return Answer(
            text=str(response.output_text),
            model=response.model,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
        )
