"""Simulated provider endpoints on 127.0.0.1 that speak each provider's real wire protocol.

The real SDKs talk to it unchanged: OpenAI Responses (`/openai/v1/responses`), Anthropic Messages
(`/anthropic/v1/messages`), Gemini generateContent (`/gemini/v1beta/models/{model}:generateContent`) and the
Perplexity Agent API (`/perplexity/v1/responses`). It counts every call and can inject faults (error statuses
with Retry-After, hangs), which is how the tests prove retries, timeouts and resume without mocks.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from outrank.demo import wire
from outrank.demo.loopback import LoopbackServer, QuietHandler
from outrank.demo.scenario import Scenario

GEMINI_PATH = re.compile(r"^/gemini/v1(?:beta)?/models/(?P<model>[^:/]+):generateContent$")
ROUTES = {
    "/openai/v1/responses": "chatgpt",
    "/anthropic/v1/messages": "claude",
    "/perplexity/v1/responses": "perplexity",
    "/perplexity/v1/agent": "perplexity",
}


@dataclass
class Fault:
    """Make the next `times` matching calls fail (times=-1: every call)."""

    platform: str
    status: int | None = None
    hang: float = 0.0
    times: int = 1
    retry_after: float | None = None
    kind: str = "ask"  # ask | structured (or analysis | research | extraction, to target one) | any
    message: str = "simulated fault"


@dataclass
class Hit:
    platform: str
    kind: str
    call_id: str | None
    status: int


@dataclass
class SimulatorState:
    scenario: Scenario = field(default_factory=Scenario)
    faults: list[Fault] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)
    structured_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (platform, body)
    ask_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def enter(self, platform: str) -> None:
        with self.lock:
            self.in_flight[platform] = self.in_flight.get(platform, 0) + 1
            self.max_in_flight[platform] = max(self.max_in_flight.get(platform, 0), self.in_flight[platform])

    def leave(self, platform: str) -> None:
        with self.lock:
            self.in_flight[platform] -= 1

    def take_fault(self, platform: str, kind: str, topic: str = "") -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.platform == platform and fault.kind in (kind, topic, "any") and fault.times != 0:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def count(self, platform: str | None = None, kind: str | None = None, status: int | None = None) -> int:
        with self.lock:
            return sum(
                1
                for h in self.hits
                if (platform is None or h.platform == platform)
                and (kind is None or h.kind == kind)
                and (status is None or h.status == status)
            )


def _json_schema_of(platform: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of a structured-output request, or None for a web-search question."""
    if platform == "chatgpt":
        fmt = (body.get("text") or {}).get("format") or {}
        return fmt.get("schema") if fmt.get("type") == "json_schema" else None
    if platform == "claude":
        fmt = (body.get("output_config") or {}).get("format") or {}
        return fmt.get("schema") if fmt.get("type") == "json_schema" else None
    if platform == "gemini":
        config = body.get("generationConfig") or {}
        return config.get("responseJsonSchema") or config.get("responseSchema")
    fmt = body.get("response_format") or {}
    return (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None


def _topic(schema: dict[str, Any] | None) -> str:
    """Which structured call this is, so a test can fault exactly one kind."""
    properties = (schema or {}).get("properties", {})
    if not schema:
        return ""
    return "research" if "questions" in properties else "extraction" if "answers" in properties else "analysis"


def _question_of(platform: str, body: dict[str, Any]) -> str:
    if platform == "claude":
        content = body["messages"][0]["content"]
        return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
    if platform == "gemini":
        return " ".join(p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", []))
    value = body.get("input")
    return value if isinstance(value, str) else json.dumps(value)


def _has_key(platform: str, headers: Any) -> bool:
    if platform == "gemini":
        return bool(headers.get("x-goog-api-key"))
    if platform == "claude":
        return bool(headers.get("x-api-key") or headers.get("authorization"))
    return str(headers.get("authorization", "")).startswith("Bearer ")


def error_body(platform: str, status: int, message: str) -> dict[str, Any]:
    if platform == "claude":
        kinds = {
            429: "rate_limit_error",
            529: "overloaded_error",
            404: "not_found_error",
            401: "authentication_error",
        }
        return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}
    if platform == "gemini":
        names = {429: "RESOURCE_EXHAUSTED", 404: "NOT_FOUND", 503: "UNAVAILABLE", 401: "UNAUTHENTICATED"}
        return {"error": {"code": status, "message": message, "status": names.get(status, "INTERNAL")}}
    codes = {429: "rate_limit_exceeded", 404: "model_not_found", 401: "invalid_api_key"}
    return {"error": {"message": message, "type": "error", "param": None, "code": codes.get(status)}}


class _Handler(QuietHandler):
    server: SimulatorServer

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        route = self.path.split("?", 1)[0]
        platform, model = ROUTES.get(route), str(body.get("model", ""))
        if gemini := GEMINI_PATH.match(route):
            platform, model = "gemini", gemini["model"]
        if platform is None:
            self._send(404, {"error": {"message": f"no route {route}"}})
            return
        self.server.state.enter(platform)
        self.in_flight_as: str | None = platform
        try:
            self._serve(platform, model, body)
        finally:
            self._leave()

    def _leave(self) -> None:
        # Counted out before the reply is written: once the client has it, it may send its next call.
        if platform := getattr(self, "in_flight_as", None):
            self.server.state.leave(platform)
            self.in_flight_as = None

    def _serve(self, platform: str, model: str, body: dict[str, Any]) -> None:
        state = self.server.state
        schema = _json_schema_of(platform, body)
        kind = "structured" if schema is not None else "ask"
        with state.lock:
            (state.structured_requests if schema is not None else state.ask_requests).append((platform, body))
        call_id = self.headers.get("x-client-request-id")
        if not _has_key(platform, self.headers):
            self._reply(platform, kind, call_id, 401, error_body(platform, 401, "missing API key"))
            return
        topic = _topic(schema)
        if fault := state.take_fault(platform, kind, topic):
            if fault.hang:
                time.sleep(fault.hang)
            if fault.status:
                headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                self._reply(
                    platform,
                    kind,
                    call_id,
                    fault.status,
                    error_body(platform, fault.status, fault.message),
                    headers,
                )
                return
        if delay := state.delays.get(platform):
            time.sleep(delay)
        if schema is not None:
            reply = state.scenario.structured(schema, platform, _question_of(platform, body))
            payload = wire.structured(platform, model, json.dumps(reply))
        else:
            question = _question_of(platform, body)
            text, sources = state.scenario.answer(platform, question, call_id or "")
            payload = wire.answer(platform, model, question, text, sources)
        self._reply(platform, kind, call_id, 200, payload)

    def _reply(
        self,
        platform: str,
        kind: str,
        call_id: str | None,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.server.state.record(Hit(platform, kind, call_id, status))
        self._send(status, payload, headers)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._leave()
        self.send_body(status, json.dumps(payload).encode(), "application/json", headers)


class SimulatorServer(LoopbackServer):
    def __init__(self, state: SimulatorState | None = None, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.state = state or SimulatorState()

    def base_urls(self) -> dict[str, str]:
        """Base URLs in the form each SDK's base-URL knob expects."""
        return {
            "chatgpt": f"{self.url}/openai/v1",
            "claude": f"{self.url}/anthropic",
            "gemini": f"{self.url}/gemini/",
            "perplexity": f"{self.url}/perplexity",
        }
