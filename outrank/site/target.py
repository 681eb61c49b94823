"""What the user asked to scan: the site's identity (its domain) and where to start crawling."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from outrank.errors import BadInput
from outrank.site.guard import CrawlError, address_kind, system_resolver

HOST_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


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


def check_target_allowed(target: Target, *, allow_private: bool) -> None:
    """Refuse a target whose name resolves to a non-public address before anything is written."""
    if allow_private:
        return
    parts = urlsplit(target.base_url)
    host = (parts.hostname or "").strip("[]")
    try:
        addresses = system_resolver(host, parts.port or 443)
    except CrawlError as exc:
        raise BadInput(str(exc)) from exc
    for address in addresses:
        if kind := address_kind(address):
            raise BadInput(
                f"refusing to scan {target.domain}: it resolves to {kind} address {address} "
                "(set OUTRANK_ALLOW_PRIVATE=1 to allow loopback and private addresses)"
            )
