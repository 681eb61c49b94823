"""The one provider interface that serves all four platforms and the demo's simulated endpoints.

Each platform module turns its SDK's response into an `Answer` and its SDK's errors into `ProviderError`,
so the engine can retry only transient failures and the pipeline never sees vendor types.
"""

from __future__ import annotations

import email.utils
import re
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from outrank.config import PlatformConfig
from outrank.errors import ProviderError

NEUTRAL_SYSTEM_PROMPT = (
    "You are a helpful assistant. Search the web when it helps, and answer the user's question "
    "accurately with current information."
)
# The original tool's prompt, kept as an option: it nudges assistants to name businesses more than a plain user
# would see, so mention rates measured with it are not comparable with neutral ones.
NUDGE_SYSTEM_PROMPT = (
    "Answer from current web search results. Be specific and mention actual company and business names, "
    "with location context where relevant. Cite your sources and keep the answer balanced."
)
SYSTEM_PROMPTS = {"neutral": NEUTRAL_SYSTEM_PROMPT, "nudge": NUDGE_SYSTEM_PROMPT}
PING_PROMPT = "Reply with the single word OK."
TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class Location:
    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None
    city: str | None = None
    timezone: str | None = None

    def describe(self) -> str:
        return ", ".join(part for part in (self.city, self.region, self.country) if part)


@dataclass(frozen=True)
class Citation:
    url: str
    domain: str
    title: str | None = None


@dataclass(frozen=True)
class Answer:
    text: str
    model: str
    citations: list[Citation] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    search_calls: int = 0
    latency_ms: int = 0
    cost_usd: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        citations = [Citation(**c) for c in data.get("citations", [])]
        return cls(**{**data, "citations": citations})


class Provider(ABC):
    """A platform that answers questions with its own web search, and returns schema-shaped JSON."""

    platform: str

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config

    @abstractmethod
    def ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        """Ask one question with the platform's native web search or grounding turned on."""

    @abstractmethod
    def structured(self, *, system: str, prompt: str, name: str, schema: dict[str, Any]) -> Answer:
        """An answer whose text is JSON constrained by the platform's native JSON-schema output."""

    @abstractmethod
    def ping(self) -> Answer:
        """The smallest real request to the configured model (no tools), to prove the key and model work."""

    def timed_ask(
        self, question: str, *, location: Location | None, call_id: str, system: str = NEUTRAL_SYSTEM_PROMPT
    ) -> Answer:
        started = time.monotonic()
        answer = self.ask(question, location=location, call_id=call_id, system=system)
        latency = int((time.monotonic() - started) * 1000)
        return Answer(**{**answer.__dict__, "latency_ms": latency})

    def error(self, message: str, *, status: int | None, headers: Any = None, body: Any = None) -> ProviderError:
        return status_error(self.config, message, status=status, headers=headers, body=body)


def redact(text: str, config: PlatformConfig) -> str:
    """Errors can echo a key back (in part); keys never reach the database, logs or reports."""
    if config.api_key:
        text = text.replace(config.api_key, "[redacted]")
    return re.sub(r"\b(sk|pplx|AIza|sk-ant)[-_A-Za-z0-9*]{6,}", "[redacted]", text)


def parse_retry_after(headers: Any, body: Any = None) -> float | None:
    """Seconds the server asked us to wait: retry-after-ms, retry-after (seconds or HTTP date), or Google's
    RetryInfo.retryDelay in the error body."""
    if headers is not None:
        if (ms := headers.get("retry-after-ms")) is not None:
            try:
                return max(0.0, float(ms) / 1000)
            except ValueError:
                pass
        if (value := headers.get("retry-after")) is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(value)
                if parsed is not None:
                    return max(0.0, parsed.timestamp() - time.time())
    for detail in _error_details(body):
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                continue
    return None


def _error_details(body: Any) -> list[Any]:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("details"), list):
            return list(error["details"])
    return []


def _non_retryable_quota(body: Any) -> bool:
    """429s that mean "out of money", not "slow down": retrying cannot help."""
    text = str(body).lower()
    return "insufficient_quota" in text or "enforced_spend_limit" in text


def status_error(
    config: PlatformConfig, message: str, *, status: int | None, headers: Any = None, body: Any = None
) -> ProviderError:
    env_hint = f"OUTRANK_{config.name.upper()}_MODEL"
    message = redact(message, config)
    transient = status in TRANSIENT_STATUSES and not _non_retryable_quota(body)
    if status == 401:
        message = f"the API key was rejected; check the {config.name} key. ({message})"
    elif status == 403:
        message = f"the key has no access to model {config.model!r}; check the account. ({message})"
    elif status == 404:
        message = (
            f"model {config.model!r} was not found (retired or misspelt); set {env_hint} to a current model. "
            f"({message})"
        )
    elif status == 429 and not transient:
        message = f"the account is out of quota or over its spend limit. ({message})"
    return ProviderError(
        config.name,
        message,
        status=status,
        transient=transient,
        retry_after=parse_retry_after(headers, body) if transient else None,
    )


def transport_error(config: PlatformConfig, exc: BaseException) -> ProviderError:
    kind = "timed out" if "timeout" in type(exc).__name__.lower() else "connection failed"
    return ProviderError(config.name, f"request {kind} ({redact(str(exc), config)})", transient=True)


def is_transport_error(exc: BaseException) -> bool:
    """httpx and httpx2 timeouts and connection errors, whichever transport the SDK uses."""
    module = type(exc).__module__
    return module.startswith(("httpx", "httpcore")) and isinstance(exc, Exception)


TRACKING_PARAMS = ("utm_", "gclid", "fbclid")


def clean_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(TRACKING_PARAMS)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def domain_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def citation(url: str, title: str | None) -> Citation:
    cleaned = clean_url(url)
    return Citation(url=cleaned, domain=domain_of(cleaned), title=title or None)


def unique_citations(citations: list[Citation]) -> list[Citation]:
    seen: dict[str, Citation] = {}
    for item in citations:
        seen.setdefault(item.url, item)
    return list(seen.values())


def call_stainless_sdk(provider: Provider, sdk: Any, fn: Any) -> Any:
    """Run an openai- or anthropic-SDK call, translating its errors (the two SDKs share error types)."""
    try:
        return fn()
    except sdk.APIStatusError as exc:
        raise provider.error(
            str(getattr(exc, "message", exc)),
            status=exc.status_code,
            headers=exc.response.headers,
            body=exc.body,
        ) from exc
    except sdk.APIConnectionError as exc:
        raise transport_error(provider.config, exc) from exc


def with_location_context(question: str, location: Location | None) -> str:
    """For APIs with no location parameter, the location is stated the same way in the question."""
    if location is None or not location.describe():
        return question
    return f"{question}\n\n(I am located in {location.describe()}.)"
