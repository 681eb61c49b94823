"""HTTP fetching for the crawler: per-host limits and politeness, size caps, content types, charsets, redirects.

Every problem with one URL becomes a `Skipped` with a reason a person can read; the crawler records it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from bs4.dammit import UnicodeDammit

from outrank import __version__
from outrank.config import CrawlLimits
from outrank.site.guard import AddressRefused, GuardedBackend, GuardedTransport, Resolver, system_resolver

ROBOTS_AGENT = "outrank"
USER_AGENT = f"{ROBOTS_AGENT}/{__version__} (AI visibility audit)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class Skipped(Exception):
    """A URL that was not crawled, and why."""

    def __init__(self, url: str, reason: str, *, transient: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    status_code: int
    content_type: str
    charset: str | None
    body: bytes
    elapsed_ms: int

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


def decode_html(body: bytes, declared: str | None) -> tuple[str, str]:
    """The page's text and the encoding it was read with: header charset, then BOM/meta, then detection."""
    dammit = UnicodeDammit(body, known_definite_encodings=[declared] if declared else [], is_html=True)
    if dammit.unicode_markup is None:
        return body.decode("utf-8", errors="replace"), "utf-8"
    return dammit.unicode_markup, (dammit.original_encoding or "utf-8").lower()


class HostThrottle:
    """At most `per_host` requests in flight per host, and request starts at least `delay` seconds apart."""

    def __init__(self, per_host: int, delay: float) -> None:
        self.per_host = per_host
        self.delay = delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def set_delay(self, delay: float) -> None:
        with self._lock:
            self.delay = delay

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.delay
            if start > now:
                time.sleep(start - now)
            yield


class Fetcher:
    def __init__(
        self,
        limits: CrawlLimits,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        trusted: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.limits = limits
        self.throttle = HostThrottle(limits.per_host, limits.delay)
        backend = GuardedBackend(allow_private=allow_private, resolver=resolver, trusted=trusted)
        self.client = httpx.Client(
            transport=GuardedTransport(backend, max_connections=max(limits.per_host * 2, 4)),
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*;q=0.5"},
            timeout=limits.timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        *,
        accept: tuple[str, ...] | None = HTML_TYPES,
        max_bytes: int | None = None,
        may_visit: Callable[[str], str | None] = lambda _url: None,
    ) -> Fetched:
        """GET with redirects followed by hand; `may_visit` returns a reason to stop at a hop, or None."""
        current = url
        for _ in range(self.limits.max_redirects + 1):
            if reason := may_visit(current):
                raise Skipped(url, reason if current == url else f"redirected to {current}, which is {reason}")
            location, fetched = self._get_once(url, current, accept, max_bytes or self.limits.max_bytes)
            if location is None and fetched is not None:
                return fetched
            current = urljoin(current, location)
        raise Skipped(url, f"more than {self.limits.max_redirects} redirects")

    def _get_once(
        self, url: str, current: str, accept: tuple[str, ...] | None, max_bytes: int
    ) -> tuple[str | None, Fetched | None]:
        started = time.monotonic()
        try:
            with self.throttle.slot(urlsplit(current).netloc), self.client.stream("GET", current) as response:
                if response.is_redirect and response.headers.get("location"):
                    return response.headers["location"], None
                body = self._read(url, response, accept, max_bytes)
        except AddressRefused as exc:
            raise Skipped(url, str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise Skipped(url, f"timed out after {self.limits.timeout:g} s", transient=True) from exc
        except httpx.TransportError as exc:
            raise Skipped(url, f"connection failed: {exc or type(exc).__name__}", transient=True) from exc
        content_type = response.headers.get("content-type", "")
        return None, Fetched(
            url=url,
            final_url=current,
            status_code=response.status_code,
            content_type=content_type.split(";", 1)[0].strip().lower(),
            charset=response.charset_encoding,
            body=body,
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )

    def _read(self, url: str, response: httpx.Response, accept: tuple[str, ...] | None, max_bytes: int) -> bytes:
        if response.status_code >= 400:
            raise Skipped(url, f"HTTP {response.status_code}", transient=response.status_code >= 500)
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if accept is not None and media_type and media_type not in accept:
            raise Skipped(url, f"not HTML ({media_type})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise Skipped(url, f"larger than the {max_bytes:,} byte limit ({int(declared):,} bytes)")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise Skipped(url, f"larger than the {max_bytes:,} byte limit")
            chunks.append(chunk)
        return b"".join(chunks)
