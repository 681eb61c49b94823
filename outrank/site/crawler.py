"""The crawl: robots.txt, llms.txt, sitemaps, then the most valuable pages, fetched concurrently.

The result is plain JSON (it is the crawl step's checkpoint): the pages, every URL skipped with its reason,
and the site-level files the AI readiness checks read.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from outrank.site.discover import (
    COMMON_SITEMAP_PATHS,
    Robots,
    normalize_link,
    page_value,
    parse_sitemap,
    rank_urls,
    site_host,
)
from outrank.site.extract import extract_page
from outrank.site.fetch import Fetched, Fetcher, Skipped, decode_html
from outrank.site.guard import CrawlError

SITE_FILE_BYTES = 512_000
SITEMAP_BYTES = 10_000_000
MAX_CRAWL_DELAY = 5.0
TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown", "")


class Crawler:
    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.limits = fetcher.limits
        self.skipped: dict[str, str] = {}
        self.robots: Robots | None = None
        self.host = ""

    def crawl(self, base_url: str) -> dict[str, Any]:
        started = time.monotonic()
        try:
            return self._crawl(base_url) | {"elapsed_ms": round((time.monotonic() - started) * 1000)}
        finally:
            self.fetcher.close()

    def _crawl(self, base_url: str) -> dict[str, Any]:
        self.robots = self._robots(base_url)
        self._apply_crawl_delay()
        if not self.robots.allows(base_url):
            raise CrawlError(
                f"robots.txt at {self.robots.url} disallows outrank from crawling {base_url}", transient=False
            )
        home_fetch = self._home(base_url)
        self.host = site_host(urlsplit(home_fetch.final_url).netloc)
        home_url = normalize_link(home_fetch.final_url, base_url, self.host) or base_url
        home_fetch = replace(home_fetch, final_url=home_url)
        origin = urljoin(home_fetch.final_url, "/")
        if urljoin(base_url, "/") != origin:  # the site lives on another origin (e.g. www.): its rules apply
            self.robots = self._robots(origin)
            self._apply_crawl_delay()
        home = self._page(home_fetch)
        pages = {home["final_url"]: home}
        sitemaps, sitemap_urls = self._sitemaps(origin)
        candidates = [u for raw in sitemap_urls if (u := normalize_link(raw, origin, self.host))]
        discovered_by_links = 0
        if len(candidates) < self.limits.max_pages - 1:
            links = self._links(home)
            discovered_by_links = len(set(links) - set(candidates))
            candidates += links
        self._fetch_rounds(pages, candidates, origin)
        return {
            "home_url": home["final_url"],
            "pages": list(pages.values()),
            "skipped": [{"url": url, "reason": reason} for url, reason in self.skipped.items()],
            "robots": {k: getattr(self.robots, k) for k in ("url", "status", "detail", "text")},
            "sitemaps": sitemaps,
            "llms_txt": self._llms_txt(origin),
            "discovery": {"sitemap_urls": len(sitemap_urls), "link_urls": discovered_by_links},
        }

    # -- site files --------------------------------------------------------------------------------------

    def _robots(self, origin: str) -> Robots:
        url = urljoin(origin, "/robots.txt")
        try:
            fetched = self.fetcher.get(url, accept=None, max_bytes=SITE_FILE_BYTES)
        except Skipped as exc:
            status = "missing" if exc.reason.startswith("HTTP 4") else "unreachable"
            return Robots(url=url, status=status, detail=exc.reason)
        if fetched.content_type in ("text/html", "application/xhtml+xml"):
            return Robots(url=url, status="missing", detail=f"served {fetched.content_type}, not a robots file")
        return Robots.from_text(url, fetched.text())

    def _apply_crawl_delay(self) -> None:
        delay = self.robots.crawl_delay() if self.robots else None
        if delay is not None:
            self.fetcher.throttle.set_delay(min(max(delay, self.limits.delay), MAX_CRAWL_DELAY))

    def _llms_txt(self, origin: str) -> dict[str, Any]:
        url = urljoin(origin, "/llms.txt")
        try:
            fetched = self.fetcher.get(url, accept=None, max_bytes=SITE_FILE_BYTES)
        except Skipped as exc:
            return {"url": url, "status": "missing", "detail": exc.reason, "text": ""}
        if fetched.content_type not in TEXT_TYPES:
            return {"url": url, "status": "missing", "detail": f"served {fetched.content_type}", "text": ""}
        return {"url": url, "status": "found", "detail": f"{len(fetched.body):,} bytes", "text": fetched.text()}

    def _sitemaps(self, origin: str) -> tuple[list[dict[str, Any]], list[str]]:
        declared = self.robots.sitemaps() if self.robots else []
        usual = [urljoin(origin, path) for path in COMMON_SITEMAP_PATHS]
        queue = list(dict.fromkeys(declared + usual))
        report: list[dict[str, Any]] = []
        urls: list[str] = []
        seen: set[str] = set()
        while queue and len(seen) < self.limits.max_sitemaps and len(urls) < self.limits.max_sitemap_urls:
            url = queue.pop(0)
            if url in seen or (url in usual and url not in declared and any(e["status"] == "ok" for e in report)):
                continue  # the usual paths are only probed until one sitemap is found
            seen.add(url)
            entry: dict[str, Any] = {"url": url, "declared": url in declared}
            try:
                fetched = self.fetcher.get(url, accept=None, max_bytes=SITEMAP_BYTES)
                kind, locs = parse_sitemap(fetched.body, SITEMAP_BYTES)
            except (Skipped, ValueError) as exc:
                detail = exc.reason if isinstance(exc, Skipped) else str(exc)
                entry |= {"status": "missing" if detail == "HTTP 404" else "error", "detail": detail}
                report.append(entry)
                continue
            entry |= {"status": "ok", "kind": kind, "count": len(locs), "gzip": fetched.body[:2] == b"\x1f\x8b"}
            report.append(entry)
            if kind == "index":
                queue = _rank_child_sitemaps(locs) + queue
            else:
                urls.extend(locs[: self.limits.max_sitemap_urls - len(urls)])
        return report, urls

    # -- pages -------------------------------------------------------------------------------------------

    def _home(self, base_url: str) -> Fetched:
        try:
            return self.fetcher.get(base_url)
        except Skipped as exc:
            raise CrawlError(f"cannot crawl {base_url}: {exc.reason}", transient=exc.transient) from exc

    def _may_visit(self, url: str) -> str | None:
        if site_host(urlsplit(url).netloc) != self.host:
            return "off the site"
        if self.robots is not None and not self.robots.allows(url):
            return "disallowed by robots.txt"
        return None

    def _fetch_page(self, url: str) -> dict[str, Any] | Skipped:
        try:
            return self._page(self.fetcher.get(url, may_visit=self._may_visit))
        except Skipped as exc:
            return exc

    def _page(self, fetched: Fetched) -> dict[str, Any]:
        html, encoding = decode_html(fetched.body, fetched.charset)
        kind, value = page_value(fetched.final_url)
        page = extract_page(fetched.url, html)
        return page | {
            "final_url": fetched.final_url,
            "status_code": fetched.status_code,
            "kind": kind,
            "value": value,
            "content_type": fetched.content_type,
            "charset": encoding,
            "bytes": len(fetched.body),
            "fetch_ms": fetched.elapsed_ms,
        }

    def _links(self, page: dict[str, Any]) -> list[str]:
        base = page["final_url"]
        return [u for href in page.get("links", []) if (u := normalize_link(href, base, self.host))]

    def _fetch_rounds(self, pages: dict[str, dict[str, Any]], candidates: list[str], origin: str) -> None:
        attempted = {urljoin(origin, "/"), *pages}
        with ThreadPoolExecutor(max_workers=self.limits.per_host, thread_name_prefix="crawl") as pool:
            for _round in range(self.limits.max_link_rounds + 1):
                batch = self._next_batch(candidates, attempted, self.limits.max_pages - len(pages))
                if not batch:
                    return
                for result in pool.map(self._fetch_page, batch):
                    self._take(pages, result)
                new_links = [link for page in list(pages.values()) for link in self._links(page)]
                candidates = [u for u in dict.fromkeys(candidates + new_links) if u not in attempted]

    def _next_batch(self, candidates: list[str], attempted: set[str], room: int) -> list[str]:
        batch: list[str] = []
        for url in rank_urls(candidates):
            if len(batch) >= room:
                break
            if url in attempted:
                continue
            attempted.add(url)
            if reason := self._may_visit(url):
                self.skipped[url] = reason
                continue
            batch.append(url)
        return batch

    def _take(self, pages: dict[str, dict[str, Any]], result: dict[str, Any] | Skipped) -> None:
        if isinstance(result, Skipped):
            self.skipped[result.url] = result.reason
        elif result["final_url"] in pages:
            self.skipped[result["url"]] = f"same page as {result['final_url']}"
        else:
            pages[result["final_url"]] = result


def _rank_child_sitemaps(urls: list[str]) -> list[str]:
    def weight(url: str) -> int:
        name = url.lower().rsplit("/", 1)[-1]
        if any(word in name for word in ("page", "service", "product", "location")):
            return 0
        if any(word in name for word in ("post", "blog", "tag", "category", "author", "news")):
            return 2
        return 1

    return sorted(urls, key=weight)
