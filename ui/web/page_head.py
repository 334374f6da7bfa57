"""A script put first in the page's ``<head>``, before any of Gradio's.

Gradio adds ``launch(head=...)`` to the page from its own code, after its modules have run;
:data:`~ui.web.style.FRAME_GUARD_HEAD` must run before them (a module keeps the
``requestAnimationFrame`` it found when it loaded). This ASGI middleware writes it into the HTML
of the page itself (``GET /``), and passes every other request on untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .asgi import Receive, Scope, Send, header, with_length

__all__ = ["FirstInHead"]

PAGE_PATHS = ("/", "")


class FirstInHead:
    """ASGI middleware: ``script`` (HTML) right after the page's ``<head>``."""

    def __init__(self, app: Callable[..., Awaitable[None]], script: str) -> None:
        self.app = app
        self.script = script.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") not in ("GET", "HEAD")
            or scope.get("path") not in PAGE_PATHS
        ):
            await self.app(scope, receive, send)
            return
        # The page uncompressed, to write into it (it is a few hundred kilobytes on loopback).
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        started: dict[str, Any] = {}
        parts: list[bytes] = []

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._send_page(started, b"".join(parts), send)

        await self.app({**scope, "headers": headers}, receive, keep)

    async def _send_page(self, started: dict[str, Any], body: bytes, send: Send) -> None:
        headers = list(started.get("headers", []))
        is_html = header(started, b"content-type").lower().startswith(b"text/html")
        at = body.lower().find(b"<head>") if is_html else -1
        if at >= 0:
            at += len(b"<head>")
            body = body[:at] + self.script + body[at:]
            headers = with_length(headers, len(body))
        elif is_html and not body:  # HEAD: the length the page has when asked with GET
            given = header(started, b"content-length")
            if given.isdigit():
                headers = with_length(headers, int(given) + len(self.script))
        await send({**started, "headers": headers})
        await send({"type": "http.response.body", "body": body})
