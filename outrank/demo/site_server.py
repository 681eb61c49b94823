"""Serve a folder of pages on 127.0.0.1, as the sample website for the demo and the tests."""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BUNDLED_SITE = Path(__file__).parent / "site"


class _SiteHandler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append(path)
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        file = (self.server.root / relative).resolve()
        if self.server.root not in file.parents or not file.is_file():
            self._send(404, b"not found", "text/plain")
            return
        body = file.read_bytes().replace(b"__BASE__", self.server.url.encode())
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, body, f"{kind}; charset=utf-8" if kind.startswith("text") else kind)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path = BUNDLED_SITE, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _SiteHandler)
        self.root = root.resolve()
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> SiteServer:
        threading.Thread(target=self.serve_forever, args=(0.05,), name="site", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
