"""The small HTTP server both simulated services share: 127.0.0.1 only, quiet, started in a thread."""

from __future__ import annotations

import contextlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up already (a timeout test); there is nothing left to deliver.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing a kept-alive connection is normal; anything else is still reported.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> Self:
        # A short poll interval makes shutdown (and so every test teardown) quick.
        threading.Thread(target=self.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
