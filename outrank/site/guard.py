"""The SSRF guard: every TCP connection the crawler opens goes to an address that was checked.

The check runs inside the connection itself (a custom httpcore network backend), on the address about to be
dialled. So it covers the first URL, every redirect hop and every name, and a DNS answer that changes between
a check and the connect (rebinding) cannot slip through: there is no second lookup.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

from outrank.errors import OutrankError

Resolver = Callable[[str, int], list[str]]
ALLOW_HINT = "set OUTRANK_ALLOW_PRIVATE=1 to allow loopback and private addresses"


class CrawlError(OutrankError):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class AddressRefused(CrawlError):
    def __init__(self, host: str, address: str, kind: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"refused {kind} address {shown}; {ALLOW_HINT}", transient=False)
        self.address = address


def address_kind(address: str) -> str | None:
    """Why an address must not be fetched, or None when it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or not ip.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CrawlError(f"cannot resolve {host}: {exc.strerror}", transient=False) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.SyncBackend):
    """Resolves each host once, refuses non-public answers, then dials exactly the address it checked."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        trusted: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        # (address, port) pairs treated as public; only tests use it, to stand a loopback site in for a real one.
        self.trusted = trusted

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolver(host.strip("[]"), port)
        if not self.allow_private:
            for address in addresses:
                kind = address_kind(address)
                if kind and (address, port) not in self.trusted:
                    raise AddressRefused(host, address, kind)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"no address for {host}")


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose every connection goes through GuardedBackend."""

    def __init__(self, backend: GuardedBackend, *, max_connections: int = 10) -> None:
        self.pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self.pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Stream(response.stream),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.pool.close()


class _Stream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self.stream

    def close(self) -> None:
        close = getattr(self.stream, "close", None)
        if close is not None:
            close()


class _httpx_errors:
    """Re-raise httpcore's exceptions as the httpx ones callers catch."""

    MAPPING: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
        (httpcore.ConnectTimeout, httpx.ConnectTimeout),
        (httpcore.ReadTimeout, httpx.ReadTimeout),
        (httpcore.WriteTimeout, httpx.WriteTimeout),
        (httpcore.PoolTimeout, httpx.PoolTimeout),
        (httpcore.ConnectError, httpx.ConnectError),
        (httpcore.ReadError, httpx.ReadError),
        (httpcore.WriteError, httpx.WriteError),
        (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
        (httpcore.LocalProtocolError, httpx.LocalProtocolError),
        (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
        (httpcore.NetworkError, httpx.NetworkError),
        (httpcore.ProtocolError, httpx.ProtocolError),
    )

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            return
        for core_error, httpx_error in self.MAPPING:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc)) from exc
