"""A small web server for the tests of fetching: pages, feeds, documents and misbehaviour,
served on 127.0.0.1 only, started and stopped by each test that needs it.

Each route is a :class:`Route` (status, type, body, headers, a delay, an ``ETag``); a test
changes the routes while the server runs (a feed gains an item) and reads the requests it got
(how many, with which conditional headers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes | str = b""
    type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a page that never answers: longer than the timeout)
    etag: str | None = None  # answered 304 to If-None-Match with it
    fail_first: int = 0  # answer 503 to this many requests first


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    sent: int = 0  # bytes of the body answered


class WebServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self.request_record = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(self.request_record)
                route = server.routes.get(self.path)
                if route is None:
                    self._answer(404, "text/plain", b"not found", {})
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.fail_first > 0:
                    route.fail_first -= 1
                    self._answer(503, "text/plain", b"busy", {})
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                    if self.headers.get("If-None-Match") == route.etag:
                        self._answer(304, route.type, b"", headers)
                        return
                body = route.body.encode() if isinstance(route.body, str) else route.body
                self._answer(route.status, route.type, body, headers)

            def _answer(self, status: int, kind: str, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    if "Content-Length" not in headers:
                        self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                        self.request_record.sent = len(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

        return Handler

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def web_server() -> Iterator[WebServer]:
    server = WebServer().start()
    try:
        yield server
    finally:
        server.stop()
