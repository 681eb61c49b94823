"""Serve a folder of pages on 127.0.0.1, as the sample website for the demo and the tests."""

from __future__ import annotations

import mimetypes
import threading
import time
from pathlib import Path

from outrank.demo.loopback import LoopbackServer, QuietHandler

BUNDLED_SITE = Path(__file__).parent / "site"


class _SiteHandler(QuietHandler):
    server: SiteServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.arrive(path)
        try:
            if self.server.delay:
                time.sleep(self.server.delay)
        finally:
            # Counted out before the reply is written: once the client has it, it may send the next request.
            self.server.leave()
        self._serve(path)

    def _serve(self, path: str) -> None:
        if path in self.server.routes:
            status, headers, body = self.server.routes[path]
            headers = dict(headers)
            self.send_body(status, body, headers.pop("content-type", "text/html; charset=utf-8"), headers)
            return
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        file = (self.server.root / relative).resolve()
        if self.server.root not in file.parents or not file.is_file():
            self.send_body(404, b"not found", "text/plain")
            return
        body = file.read_bytes().replace(b"__BASE__", self.server.url.encode())
        kind = mimetypes.guess_type(file.name)[0] or (
            "text/plain" if file.suffix == ".txt" else "application/octet-stream"
        )
        self.send_body(200, body, f"{kind}; charset=utf-8" if kind.startswith("text") else kind)


class SiteServer(LoopbackServer):
    def __init__(self, root: Path = BUNDLED_SITE, port: int = 0) -> None:
        super().__init__(_SiteHandler, port)
        self.root = root.resolve()
        self.requests: list[str] = []
        # Extra responses by path (status, headers, body), for redirects and odd pages in tests.
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.delay = 0.0  # seconds before each response, to observe concurrency
        self.started: list[float] = []  # monotonic arrival time of each request
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()

    def arrive(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)
            self.started.append(time.monotonic())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
