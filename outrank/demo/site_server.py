"""Serve a folder of pages on 127.0.0.1, as the sample website for the demo and the tests."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from outrank.demo.loopback import LoopbackServer, QuietHandler

BUNDLED_SITE = Path(__file__).parent / "site"


class _SiteHandler(QuietHandler):
    server: SiteServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append(path)
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
