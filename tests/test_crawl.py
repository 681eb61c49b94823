"""The crawler against a real local site: robots, sitemap index + gzip, ranking, redirects, odd pages, the guard."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from outrank.config import CrawlLimits
from outrank.demo.site_server import SiteServer
from outrank.site.crawler import Crawler
from outrank.site.fetch import Fetcher, Skipped
from outrank.site.guard import CrawlError

SITE = Path(__file__).parent / "sites" / "crawl"
PAGE_URLS = [
    "/", "/contact.html", "/about.html", "/old-services", "/download", "/big.html", "/latin1.html",
    "/cp1252.html", "/private/secret.html", "/to-loopback", "/missing.html",
]  # fmt: skip
LIMITS = CrawlLimits(max_pages=20, per_host=3, delay=0.0, timeout=5.0, max_bytes=50_000)


def html(title: str, body: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body><main>{body}</main></body></html>"


@pytest.fixture
def crawl_site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    server = SiteServer(root).start()
    sitemap = "".join(f"<url><loc>{server.url}{path}</loc></url>" for path in PAGE_URLS)
    xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap}</urlset>'
    (root / "maps" / "pages.xml.gz").write_bytes(gzip.compress(xml.encode()))
    other = SiteServer(root).start()  # a second loopback origin to redirect to
    latin1 = html("Café Crème", "<h1>Crème brûlée à la carte</h1>").encode("iso-8859-1")
    cp1252 = ('<meta charset="windows-1252">' + html("Quotes", "<h1>\u201csmart\u201d quotes \u2013 dash</h1>")).encode(
        "cp1252"
    )
    server.routes |= {
        "/old-services": (301, {"location": "/services.html"}, b""),
        "/download": (200, {"content-type": "application/pdf"}, b"%PDF-1.4 not a page"),
        "/big.html": (200, {}, html("Big", "x" * 80_000).encode()),
        "/latin1.html": (200, {"content-type": "text/html; charset=iso-8859-1"}, latin1),
        "/cp1252.html": (200, {"content-type": "text/html"}, cp1252),
        "/to-loopback": (302, {"location": f"http://localhost:{urlsplit(other.url).port}/"}, b""),
    }
    server.other = other  # type: ignore[attr-defined]
    yield server
    other.stop()
    server.stop()


def crawl(server: SiteServer, **kwargs: object) -> dict[str, object]:
    return Crawler(Fetcher(LIMITS, **kwargs)).crawl(server.url)  # type: ignore[arg-type]


def by_path(result: dict[str, object]) -> dict[str, dict[str, object]]:
    pages = result["pages"]
    assert isinstance(pages, list)
    return {urlsplit(p["final_url"]).path: p for p in pages}


def skips(result: dict[str, object]) -> dict[str, str]:
    skipped = result["skipped"]
    assert isinstance(skipped, list)
    return {urlsplit(s["url"]).path: s["reason"] for s in skipped}


def test_crawl_reads_the_sitemap_index_and_gzip_and_records_every_skip(crawl_site: SiteServer) -> None:
    result = crawl(crawl_site, allow_private=True)
    pages = by_path(result)
    assert {"/", "/about.html", "/contact.html", "/services.html", "/latin1.html", "/cp1252.html"} <= set(pages)
    assert "/team.html" in pages  # found only through a link on the homepage
    sitemaps = {urlsplit(s["url"]).path: s for s in result["sitemaps"]}  # type: ignore[attr-defined]
    assert sitemaps["/maps/sitemap_index.xml"]["kind"] == "index" and sitemaps["/maps/sitemap_index.xml"]["declared"]
    assert sitemaps["/maps/pages.xml.gz"]["gzip"] is True and sitemaps["/maps/pages.xml.gz"]["count"] == 11
    reasons = skips(result)
    assert reasons["/private/secret.html"] == "disallowed by robots.txt"
    assert reasons["/download"] == "not HTML (application/pdf)"
    assert reasons["/big.html"].startswith("larger than the 50,000 byte limit")
    assert reasons["/missing.html"] == "HTTP 404"
    assert "/private/secret.html" not in crawl_site.requests  # robots.txt is obeyed, not just reported
    assert "/brochure.pdf" not in crawl_site.requests and not any("elsewhere" in u for u in crawl_site.requests)
    assert pages["/services.html"]["url"].endswith("/old-services")  # redirect followed, original kept


def test_pages_are_chosen_by_value_not_sitemap_order(crawl_site: SiteServer) -> None:
    limits = CrawlLimits(max_pages=4, per_host=1, delay=0.0, max_bytes=50_000)
    result = Crawler(Fetcher(limits, allow_private=True)).crawl(crawl_site.url)
    # /old-services ranks as an unknown page by its URL; it lands on the services page.
    assert [p["kind"] for p in result["pages"]] == ["home", "about", "contact", "services"]  # type: ignore[index]
    assert not any("/blog/" in path for path in crawl_site.requests)  # news listed first, fetched never


def test_charsets_are_detected_from_header_and_meta(crawl_site: SiteServer) -> None:
    pages = by_path(crawl(crawl_site, allow_private=True))
    assert pages["/latin1.html"]["title"] == "Café Crème" and pages["/latin1.html"]["charset"] == "iso-8859-1"
    assert pages["/cp1252.html"]["h1"] == "\u201csmart\u201d quotes \u2013 dash"
    assert pages["/cp1252.html"]["charset"] == "windows-1252"


def test_extraction_reads_structure_json_ld_graph_and_social_tags(crawl_site: SiteServer) -> None:
    home = by_path(crawl(crawl_site, allow_private=True))["/"]
    assert home["h1"] == "Handmade kitchens from Bristol" and home["canonical"] == "/"
    assert home["headings"] == [
        {"level": 2, "text": "Kitchens"},
        {"level": 3, "text": "Oak"},
        {"level": 2, "text": "Wardrobes"},
    ]
    assert "Handmade kitchens" in home["text"] and "Harbour Lane" not in home["text"]  # footer left out
    assert home["open_graph"] == {"title": "Brightwater Joinery", "type": "website"}
    assert {"lang": "en-gb", "href": "/"} in home["hreflang"]
    business = next(e for e in home["json_ld"] if "LocalBusiness" in e["types"])
    assert business["address"]["addressCountry"] == "GB" and business["area_served"] == ["Bristol", "Bath"]
    assert business["offers"] == ["Bespoke kitchens"]
    assert {"types": [], "error": "invalid JSON-LD"} in home["json_ld"]
    assert home["client_side"] is False


def test_guard_refuses_a_redirect_to_loopback(crawl_site: SiteServer) -> None:
    port = urlsplit(crawl_site.url).port
    # The sample site itself stands in for a public one; everything else on loopback stays refused.
    fetcher = Fetcher(LIMITS, allow_private=False, trusted=frozenset({("127.0.0.1", port)}))
    with pytest.raises(Skipped, match=r"refused loopback address localhost .*OUTRANK_ALLOW_PRIVATE=1"):
        fetcher.get(crawl_site.url + "/to-loopback")
    assert fetcher.get(crawl_site.url + "/about.html").status_code == 200
    with pytest.raises(CrawlError, match="refused loopback address localhost"):
        Crawler(fetcher).crawl(crawl_site.url + "/to-loopback")  # a homepage that redirects there
    assert crawl_site.other.requests == []  # type: ignore[attr-defined]
    # Inside a crawl, a redirect off the site is never followed at all.
    result = crawl(crawl_site, allow_private=False, trusted=frozenset({("127.0.0.1", port)}))
    assert skips(result)["/to-loopback"].endswith("which is off the site")
    assert "/about.html" in by_path(result)


def test_guard_refuses_the_first_url_and_names_resolving_to_private_space(crawl_site: SiteServer) -> None:
    with pytest.raises(CrawlError, match=r"refused loopback address 127\.0\.0\.1"):
        crawl(crawl_site, allow_private=False)
    assert crawl_site.requests == []
    # DNS is the boundary we cannot reach offline; a resolver answering with private space stands in for it.
    for address, kind in (("10.1.2.3", "private"), ("169.254.169.254", "link-local"), ("::1", "loopback")):
        fetcher = Fetcher(LIMITS, allow_private=False, resolver=lambda _host, _port, a=address: [a])
        with pytest.raises(Skipped, match=f"refused {kind} address intranet.example"):
            fetcher.get("http://intranet.example/")


def test_redirect_loops_stop_at_the_limit(crawl_site: SiteServer) -> None:
    crawl_site.routes["/loop"] = (302, {"location": "/loop"}, b"")
    with pytest.raises(Skipped, match="more than 5 redirects"):
        Fetcher(LIMITS, allow_private=True).get(crawl_site.url + "/loop")


def test_robots_blocking_the_homepage_fails_the_crawl_clearly(crawl_site: SiteServer) -> None:
    crawl_site.routes["/robots.txt"] = (200, {"content-type": "text/plain"}, b"User-agent: outrank\nDisallow: /\n")
    with pytest.raises(CrawlError, match=r"robots\.txt at .* disallows outrank"):
        crawl(crawl_site, allow_private=True)
    assert crawl_site.requests == ["/robots.txt"]


def test_per_host_limit_and_politeness_delay_hold(crawl_site: SiteServer) -> None:
    crawl_site.delay = 0.05
    Crawler(Fetcher(CrawlLimits(per_host=2, delay=0.0, max_bytes=50_000), allow_private=True)).crawl(crawl_site.url)
    assert crawl_site.max_in_flight == 2
    crawl_site.started.clear()
    polite = CrawlLimits(per_host=4, delay=0.15, max_pages=4, max_bytes=50_000)
    Crawler(Fetcher(polite, allow_private=True)).crawl(crawl_site.url)
    gaps = [b - a for a, b in zip(crawl_site.started, crawl_site.started[1:], strict=False)]
    assert len(gaps) >= 5 and min(gaps) >= 0.14  # request starts on one host stay at least `delay` apart


def test_crawl_delay_in_robots_raises_the_politeness_delay(crawl_site: SiteServer) -> None:
    robots = b"User-agent: *\nCrawl-delay: 0.3\n"
    crawl_site.routes["/robots.txt"] = (200, {"content-type": "text/plain"}, robots)
    Crawler(Fetcher(CrawlLimits(max_pages=2, delay=0.0, max_bytes=50_000), allow_private=True)).crawl(crawl_site.url)
    gaps = [b - a for a, b in zip(crawl_site.started[1:], crawl_site.started[2:], strict=False)]
    assert gaps and min(gaps) >= 0.29
