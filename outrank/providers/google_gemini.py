"""Gemini: generateContent with Google Search grounding (Gemini Developer API)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from outrank.providers.base import (
    NEUTRAL_SYSTEM_PROMPT,
    PING_PROMPT,
    Answer,
    Citation,
    Location,
    Provider,
    citation,
    domain_of,
    is_transport_error,
    transport_error,
    unique_citations,
    with_location_context,
)

# Grounding links point at a Google redirect host; the chunk title carries the source's domain.
REDIRECT_HOSTS = ("vertexaisearch.cloud.google.com", "grounding-api-redirect")


def grounding_citations(response: Any) -> list[Citation]:
    found = []
    for candidate in (response.candidates or [])[:1]:
        metadata = candidate.grounding_metadata
        for chunk in (metadata.grounding_chunks or []) if metadata else []:
            web = chunk.web
            if not web or not web.uri:
                continue
            title = web.title or ""
            if any(host in web.uri for host in REDIRECT_HOSTS) and "." in title and " " not in title.strip():
                site = title.strip().lower()
                found.append(citation(f"https://{site}/", title))
            else:
                found.append(citation(web.uri, title))
    return unique_citations([c for c in found if c.domain and not domain_of(c.url).endswith(REDIRECT_HOSTS[0])])


class Gemini(Provider):
    platform = "gemini"

    @cached_property
    def client(self) -> genai.Client:
        # Retries stay off in the SDK (no retry_options) so the step engine owns them.
        options = types.HttpOptions(api_version="v1beta", timeout=int(self.config.timeout * 1000))
        if self.config.base_url:
            options.base_url = self.config.base_url
        return genai.Client(api_key=self.config.api_key, http_options=options)

    def _generate(self, contents: str, config: types.GenerateContentConfig) -> Any:
        try:
            return self.client.models.generate_content(model=self.config.model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            headers = exc.response.headers if getattr(exc, "response", None) is not None else None
            raise self.error(str(exc.message or exc), status=exc.code, headers=headers, body=exc.details) from exc
        except Exception as exc:
            if is_transport_error(exc):
                raise transport_error(self.config, exc) from exc
            raise

    def ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        config = types.GenerateContentConfig(
            system_instruction=system,
            tools=[types.Tool(google_search=types.GoogleSearch())],
            max_output_tokens=4000,
            http_options=types.HttpOptions(headers={"X-Client-Request-Id": call_id}),
        )
        response = self._generate(with_location_context(question, location), config)
        usage = response.usage_metadata
        candidate = (response.candidates or [None])[0]
        metadata = candidate.grounding_metadata if candidate else None
        return Answer(
            text=response.text or "",
            model=response.model_version or self.config.model,
            citations=grounding_citations(response),
            input_tokens=(usage.prompt_token_count or 0) if usage else 0,
            output_tokens=((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else 0,
            search_calls=len(metadata.web_search_queries or []) if metadata else 0,
        )

    def structured(self, *, system: str, prompt: str, name: str, schema: dict[str, Any]) -> Answer:
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_json_schema=schema,
            max_output_tokens=4000,
        )
        return self._plain(prompt, config)

    def ping(self) -> Answer:
        return self._plain(PING_PROMPT, types.GenerateContentConfig(max_output_tokens=16))

    def _plain(self, contents: str, config: types.GenerateContentConfig) -> Answer:
        response = self._generate(contents, config)
        usage = response.usage_metadata
        return Answer(
            text=str(response.text or ""),
            model=response.model_version or self.config.model,
            input_tokens=(usage.prompt_token_count or 0) if usage else 0,
            output_tokens=((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else 0,
        )
