"""Crawl: the homepage plus sitemap pages, fetched concurrently, with an SSRF guard on every hop."""

from __future__ import annotations

import ipaddress
import re
import socket
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

from outrank import __version__
from outrank.errors import BadInput, OutrankError

USER_AGENT = f"outrank/{__version__} (+https://github.com/outrank; AI visibility audit)"
MAX_REDIRECTS = 5
MAX_BODY_BYTES = 3_000_000
PAGE_TEXT_LIMIT = 20_000
HOST_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class CrawlError(OutrankError):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Target:
    domain: str  # identity of the site: host, plus :port when one was given
    base_url: str  # where to crawl


def parse_target(target: str) -> Target:
    """Accept `example.com`, `www.example.com/path` or an http(s) URL with an optional port."""
    raw = target.strip()
    if not raw or any(ch.isspace() for ch in raw):
        raise BadInput(f"invalid target {target!r}: give a domain like example.com or an http(s) URL")
    has_scheme = "://" in raw
    parts = urlsplit(raw if has_scheme else f"https://{raw}")
    if parts.scheme not in ("http", "https"):
        raise BadInput(f"invalid target {target!r}: only http and https URLs can be scanned")
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise BadInput(f"invalid target {target!r}: the port is not a number from 1 to 65535") from None
    if not host or not (_is_ip(host) or host == "localhost" or ("." in host and HOST_PATTERN.match(host))):
        raise BadInput(f"invalid target {target!r}: {host or 'no host'} is not a domain name")
    host = host.removeprefix("www.")
    domain = f"{host}:{port}" if port else host
    netloc = parts.netloc.rsplit("@", 1)[-1] if has_scheme else (f"{parts.hostname}:{port}" if port else parts.hostname)
    return Target(domain=domain, base_url=f"{parts.scheme}://{netloc}/")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def refused_address(host: str) -> str | None:
    """The first non-public address the host resolves to, or None when every address is public."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise CrawlError(f"cannot resolve {host}: {exc.strerror}", transient=False) from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def check_url_allowed(url: str, *, allow_private: bool) -> None:
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    if bad := refused_address(host):
        raise CrawlError(
            f"refusing to fetch {url}: {host} resolves to non-public address {bad} "
            "(set OUTRANK_ALLOW_PRIVATE=1 to allow loopback and private addresses)",
            transient=False,
        )


@dataclass
class Page:
    url: str
    status_code: int
    title: str | None
    meta_description: str | None
    h1: str | None
    text: str
    word_count: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Crawler:
    def __init__(self, *, allow_private: bool, max_pages: int = 15, timeout: float = 15.0, workers: int = 4) -> None:
        self.allow_private = allow_private
        self.max_pages = max_pages
        self.workers = workers
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=False, trust_env=False
        )

    def fetch(self, url: str) -> httpx.Response:
        """GET with redirects followed by hand, so every hop passes the address check."""
        for _ in range(MAX_REDIRECTS + 1):
            check_url_allowed(url, allow_private=self.allow_private)
            try:
                response = self.client.get(url)
            except httpx.TransportError as exc:
                raise CrawlError(f"fetching {url} failed: {exc}", transient=True) from exc
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if len(response.content) > MAX_BODY_BYTES:
                raise CrawlError(f"{url} is larger than {MAX_BODY_BYTES} bytes", transient=False)
            return response
        raise CrawlError(f"too many redirects from {url}", transient=False)

    def crawl(self, base_url: str) -> list[dict[str, Any]]:
        home = self.fetch(base_url)
        if home.status_code >= 500:
            raise CrawlError(f"{base_url} answered HTTP {home.status_code}", transient=True)
        if home.status_code >= 400:
            raise CrawlError(f"{base_url} answered HTTP {home.status_code}", transient=False)
        urls = [u for u in self.sitemap_urls(str(home.url)) if u.rstrip("/") != str(home.url).rstrip("/")]
        pages = [extract(str(home.url), home.status_code, home.text)]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for page in pool.map(self._try_page, urls[: self.max_pages - 1]):
                if page is not None:
                    pages.append(page)
        return [page.to_json() for page in pages]

    def _try_page(self, url: str) -> Page | None:
        try:
            response = self.fetch(url)
        except CrawlError:
            return None
        if response.status_code != 200 or "html" not in response.headers.get("content-type", "html"):
            return None
        return extract(url, response.status_code, response.text)

    def sitemap_urls(self, home_url: str) -> list[str]:
        host = urlsplit(home_url).netloc
        try:
            response = self.fetch(urljoin(home_url, "/sitemap.xml"))
        except CrawlError:
            return []
        if response.status_code != 200:
            return []
        with warnings.catch_warnings():
            # html.parser reads <loc> fine and, unlike an XML parser, cannot be made to expand entities.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(response.text, "html.parser")
        locs = [loc.get_text(strip=True) for loc in soup.find_all("loc")]
        same_site = [u for u in locs if urlsplit(u).netloc == host]
        return list(dict.fromkeys(same_site))


def _text_of(node: Any) -> str | None:
    if node is None:
        return None
    text = " ".join(node.get_text(" ", strip=True).split())
    return text or None


def extract(url: str, status_code: int, html: str) -> Page:
    soup = BeautifulSoup(html, "html.parser")
    description = soup.find("meta", attrs={"name": "description"})
    content = description.get("content") if description else None
    title, h1 = _text_of(soup.title), _text_of(soup.find("h1"))
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "template"]):
        tag.decompose()
    body_text = _text_of(soup.body or soup) or ""
    return Page(
        url=url,
        status_code=status_code,
        title=title,
        meta_description=str(content).strip() if content else None,
        h1=h1,
        text=body_text[:PAGE_TEXT_LIMIT],
        word_count=len(body_text.split()),
    )
