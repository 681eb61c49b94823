"""Success bodies in each provider's wire format (see shared provider-protocols notes)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from outrank.providers.base import domain_of

Sources = list[tuple[str, str]]


def _usage_tokens(question: str, text: str) -> tuple[int, int]:
    return 200 + len(question) // 4, len(text) // 4


def answer(platform: str, model: str, question: str, text: str, sources: Sources) -> dict[str, Any]:
    builders = {"chatgpt": openai_answer, "claude": anthropic_answer, "gemini": gemini_answer}
    return builders.get(platform, perplexity_answer)(model, question, text, sources)


def structured(platform: str, model: str, text: str) -> dict[str, Any]:
    if platform == "claude":
        return _anthropic_message(model, [{"type": "text", "text": text}], 300, len(text) // 4, searches=0)
    if platform == "gemini":
        return _gemini_response(model, text, None, 300, len(text) // 4)
    return _responses_body(model, [_message_item(text, [])], 300, len(text) // 4)


def _message_item(text: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_{uuid.uuid4().hex[:12]}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": annotations}],
    }


def _url_citations(text: str, sources: Sources) -> list[dict[str, Any]]:
    return [
        {"type": "url_citation", "url": url, "title": title, "start_index": 0, "end_index": len(text)}
        for url, title in sources
    ]


def _responses_body(model: str, output: list[dict[str, Any]], tokens_in: int, tokens_out: int) -> dict[str, Any]:
    return {
        "id": f"resp_{uuid.uuid4().hex[:12]}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": model,
        "error": None,
        "incomplete_details": None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": tokens_in,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": tokens_out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": tokens_in + tokens_out,
        },
    }


def openai_answer(model: str, question: str, text: str, sources: Sources) -> dict[str, Any]:
    search = {
        "type": "web_search_call",
        "id": f"ws_{uuid.uuid4().hex[:12]}",
        "status": "completed",
        "action": {
            "type": "search",
            "query": question,
            "sources": [{"type": "url", "url": u} for u, _ in sources],
        },
    }
    tracked = [(f"{url}?utm_source=openai", title) for url, title in sources]
    tokens_in, tokens_out = _usage_tokens(question, text)
    body = _responses_body(
        f"{model}-2026-03-17",
        [search, _message_item(text, _url_citations(text, tracked))],
        tokens_in,
        tokens_out,
    )
    return body


def perplexity_answer(model: str, question: str, text: str, sources: Sources) -> dict[str, Any]:
    results = {
        "type": "search_results",
        "queries": [question],
        "results": [
            {"id": i, "title": title, "url": url, "snippet": f"{title}.", "source": "web"}
            for i, (url, title) in enumerate(sources, 1)
        ],
    }
    tokens_in, tokens_out = _usage_tokens(question, text)
    body = _responses_body(model, [results, _message_item(text, _url_citations(text, sources))], tokens_in, tokens_out)
    body["usage"]["cost"] = {
        "currency": "USD",
        "total_cost": round(0.005 + tokens_in * 1e-6 + tokens_out * 1e-6, 6),
    }
    body["usage"]["tool_calls_details"] = {"web_search": {"invocation": 1}}
    return body


def _anthropic_message(
    model: str, content: list[dict[str, Any]], tokens_in: int, tokens_out: int, searches: int
) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:12]}",
        "type": "message",
        "role": "assistant",
        "model": f"{model}-20251001",
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "server_tool_use": {"web_search_requests": searches, "web_fetch_requests": 0},
        },
    }


def anthropic_answer(model: str, question: str, text: str, sources: Sources) -> dict[str, Any]:
    tool_id = f"srvtoolu_{uuid.uuid4().hex[:12]}"
    results = [
        {
            "type": "web_search_result",
            "url": url,
            "title": title,
            "encrypted_content": "c2ltdWxhdGVk",
            "page_age": None,
        }
        for url, title in sources
    ]
    citations = [
        {
            "type": "web_search_result_location",
            "url": url,
            "title": title,
            "encrypted_index": "aQ==",
            "cited_text": title,
        }
        for url, title in sources
    ]
    content: list[dict[str, Any]] = [
        {"type": "server_tool_use", "id": tool_id, "name": "web_search", "input": {"query": question}},
        {"type": "web_search_tool_result", "tool_use_id": tool_id, "content": results},
        {"type": "text", "text": text, "citations": citations},
    ]
    tokens_in, tokens_out = _usage_tokens(question, text)
    return _anthropic_message(model, content, tokens_in, tokens_out, searches=1)


def _gemini_response(
    model: str, text: str, grounding: dict[str, Any] | None, tokens_in: int, tokens_out: int
) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": [{"text": text}]},
        "finishReason": "STOP",
        "index": 0,
    }
    if grounding:
        candidate["groundingMetadata"] = grounding
    return {
        "candidates": [candidate],
        "usageMetadata": {
            "promptTokenCount": tokens_in,
            "candidatesTokenCount": tokens_out,
            "totalTokenCount": tokens_in + tokens_out,
        },
        "modelVersion": model,
        "responseId": uuid.uuid4().hex[:12],
    }


def gemini_answer(model: str, question: str, text: str, sources: Sources) -> dict[str, Any]:
    # Real grounding chunks carry a Google redirect URI, with the source's domain as the title.
    chunks = [
        {
            "web": {
                "uri": f"https://vertexaisearch.cloud.google.com/grounding-api-redirect/{uuid.uuid4().hex}",
                "title": domain_of(url),
            }
        }
        for url, _ in sources
    ]
    grounding = {
        "webSearchQueries": [question],
        "groundingChunks": chunks,
        "groundingSupports": [
            {"segment": {"startIndex": 0, "endIndex": len(text.encode())}, "groundingChunkIndices": [0]}
        ],
    }
    tokens_in, tokens_out = _usage_tokens(question, text)
    return _gemini_response(model, text, grounding, tokens_in, tokens_out)
