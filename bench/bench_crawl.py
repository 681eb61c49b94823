"""Crawl time of the bundled demo site and of a generated 200-page site with a 1,000-URL gzip sitemap.

Run: python bench/bench_crawl.py [runs]. Targets on a 2-core machine, loopback, no politeness delay:
demo site (7 pages) under 0.5 s; 20 pages chosen from the 1,000-URL sitemap under 2 s.
With the default 0.1 s politeness delay the crawl is paced by the delay, which is reported too.
"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from outrank.config import CrawlLimits
from outrank.demo.site_server import SiteServer
from outrank.site.crawler import Crawler
from outrank.site.fetch import Fetcher

SECTIONS = ("services", "locations", "blog", "products", "team", "news", "tags")


def big_site(root: Path, base_url: str) -> None:
    words = " ".join(["Useful words about the business and what it offers to its customers."] * 60)
    paths = [f"/{SECTIONS[i % len(SECTIONS)]}/page-{i}.html" for i in range(1000)]
    for path in paths[:200]:
        file = root / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(
            f"<html><head><title>{path}</title></head><body><main><h1>{path}</h1><p>{words}</p></main></body></html>"
        )
    (root / "index.html").write_text(
        "<html><head><title>Home</title></head><body><main><h1>Home</h1></main></body></html>"
    )
    urls = "".join(f"<url><loc>{base_url}{p}</loc></url>" for p in paths)  # gzip hides __BASE__ from the server
    (root / "sitemap.xml.gz").write_bytes(gzip.compress(f"<urlset>{urls}</urlset>".encode()))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\nSitemap: /sitemap.xml.gz\n")


def time_crawl(root: Path | None, limits: CrawlLimits, runs: int) -> tuple[float, int]:
    server = (SiteServer(root) if root else SiteServer()).start()
    if root:
        big_site(root, server.url)
    try:
        timings, pages = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            result = Crawler(Fetcher(limits, allow_private=True)).crawl(server.url)
            timings.append(time.perf_counter() - started)
            pages = len(result["pages"])
        return statistics.median(timings), pages
    finally:
        server.stop()


def main(runs: int) -> None:
    fast = CrawlLimits(delay=0.0)
    seconds, pages = time_crawl(None, fast, runs)
    print(f"demo site, no delay:       {pages} pages, median {seconds * 1000:.0f} ms over {runs} runs")
    seconds, pages = time_crawl(None, CrawlLimits(), runs)
    print(f"demo site, default delay:  {pages} pages, median {seconds * 1000:.0f} ms over {runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, pages = time_crawl(Path(tmp), replace(fast, max_pages=20), runs)
        print(f"1,000-URL sitemap, no delay: {pages} pages, median {seconds * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
