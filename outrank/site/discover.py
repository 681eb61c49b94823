"""Which URLs to crawl: robots.txt (protego), sitemaps (indexes and gzip), links, ranked by what they are worth.

A business is described by its home, about, services, locations, contact and FAQ pages, so those are fetched
first whatever order a sitemap lists them in; blog archives, legal pages and tag listings come last.
"""

from __future__ import annotations

import re
import warnings
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from protego import Protego

from outrank.site.fetch import ROBOTS_AGENT

ROBOTS_TEXT_LIMIT = 100_000
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap-index.xml", "/wp-sitemap.xml")
ASSET_EXTENSIONS = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "avif",
        "svg",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "pdf",
        "zip",
        "gz",
        "rar",
        "7z",
        "css",
        "js",
        "mjs",
        "json",
        "xml",
        "txt",
        "csv",
        "rss",
        "atom",
        "mp3",
        "mp4",
        "m4a",
        "mov",
        "avi",
        "webm",
        "wav",
        "ogg",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "dmg",
        "exe",
        "apk",
    ]
)
# (kind, value, pattern for a path segment); first match wins, so order matters.
PAGE_KINDS: tuple[tuple[str, int, re.Pattern[str]], ...] = tuple(
    (kind, value, re.compile(pattern))
    for kind, value, pattern in (
        ("about", 90, r"^(about(-us)?|who-we-are|our-story|company|our-practice|our-clinic)$"),
        ("services", 85, r"^(services?|solutions|what-we-do|treatments?|products?|shop|store|menu|pricing|plans)$"),
        ("locations", 80, r"^(locations?|areas?(-we-serve|-served)?|service-areas?|stores|branches|find-us|offices?)$"),
        ("contact", 75, r"^(contact(-us)?|get-in-touch|book(ing)?|appointments?|visit(-us)?)$"),
        ("faq", 70, r"^(faqs?|frequently-asked-questions|questions|help)$"),
        ("team", 50, r"^(team|our-team|people|staff|leadership|dentists|doctors|practitioners)$"),
        ("reviews", 45, r"^(reviews?|testimonials|case-studies|results)$"),
        (
            "low",
            5,
            r"^(blog|news|posts?|articles?|tags?|category|categories|author|feed|page|privacy(-policy)?|"
            r"terms.*|cookies?.*|legal|login|signin|sign-in|register|cart|checkout|account|search|wp-.*)$",
        ),
    )
)


@dataclass
class Robots:
    url: str
    status: str  # "found", "missing" or "unreachable"
    detail: str
    text: str = ""
    parser: Protego | None = field(default=None, repr=False)

    @classmethod
    def from_text(cls, url: str, text: str) -> Robots:
        text = text[:ROBOTS_TEXT_LIMIT]
        return cls(
            url=url, status="found", detail=f"{len(text.splitlines())} lines", text=text, parser=Protego.parse(text)
        )

    def allows(self, url: str, agent: str = ROBOTS_AGENT) -> bool:
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str = ROBOTS_AGENT) -> float | None:
        delay = self.parser.crawl_delay(agent) if self.parser else None
        return float(delay) if delay is not None else None

    def sitemaps(self) -> list[str]:
        return [urljoin(self.url, url) for url in self.parser.sitemaps] if self.parser else []


def site_host(netloc: str) -> str:
    return netloc.lower().removeprefix("www.")


def normalize_link(href: str, base: str, host: str) -> str | None:
    """An absolute, fragment- and query-free URL on the site's own host, or None for anything else."""
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:", "sms:")):
        return None
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https") or site_host(parts.netloc) != host:
        return None
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if path.rsplit(".", 1)[-1].lower() in ASSET_EXTENSIONS and "." in path.rsplit("/", 1)[-1]:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def page_value(url: str) -> tuple[str, int]:
    """What kind of page a URL probably is, and how much it tells about the business (0-100)."""
    segments = [s for s in urlsplit(url).path.lower().split("/") if s]
    if not segments or (segments[-1] in ("index.html", "index.htm", "index.php") and len(segments) == 1):
        return "home", 100
    depth_penalty = 12 * (len(segments) - 1)
    for position, segment in enumerate(segments[:2]):
        stem = segment.rsplit(".", 1)[0]
        for kind, value, pattern in PAGE_KINDS:
            if pattern.match(stem):
                if kind == "low":
                    return "low", value
                return kind, max(value - depth_penalty - 5 * position, 10)
    return "other", max(30 - depth_penalty, 10)


def rank_urls(urls: list[str]) -> list[str]:
    """Most valuable first; among equals, shallower paths and then the order found."""
    order = {url: index for index, url in enumerate(dict.fromkeys(urls))}
    return sorted(order, key=lambda u: (-page_value(u)[1], urlsplit(u).path.count("/"), order[u]))


def gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress at most max_bytes, so a small .gz cannot expand into gigabytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = inflater.decompress(body, max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"decompresses to more than {max_bytes:,} bytes")
    return data


def parse_sitemap(body: bytes, max_bytes: int) -> tuple[str, list[str]]:
    """('index', child sitemap URLs) or ('urlset', page URLs); gzip is detected by its magic bytes."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_bytes)
    text = body.decode("utf-8", errors="replace")
    with warnings.catch_warnings():
        # html.parser reads <loc> fine and, unlike an XML parser, cannot be made to expand external entities.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "html.parser")
    if soup.find("sitemapindex"):
        return "index", [loc.get_text(strip=True) for loc in soup.select("sitemap > loc")]
    if soup.find("urlset"):
        return "urlset", [loc.get_text(strip=True) for loc in soup.select("url > loc")]
    plain = [line.strip() for line in text.splitlines() if line.strip().startswith(("http://", "https://"))]
    return "urlset", plain
