"""``/healthz``, ``/readyz`` and ``/metrics`` on the app's own port, for a supervisor, a load
balancer and Prometheus.

- ``GET /healthz``: 200 while the server's event loop answers (it is alive).
- ``GET /readyz``: 200 when the index is open and a search in it works; 503 otherwise (the
  model still loading, the index's files gone). The reason is in the server's log, not in the
  answer, which anyone who reaches the port can read.
- ``GET /metrics``: the :class:`~ui.web.monitor.Monitor`'s metrics. When the app has a login,
  they are behind the same one, as HTTP Basic (Prometheus' ``basic_auth``); a failed attempt
  waits as a failed login does.

This ASGI middleware answers those three paths itself and passes every other request on
untouched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio.to_thread

from .asgi import Receive, Scope, Send, header

if TYPE_CHECKING:
    from .state import LiveAssistant

__all__ = ["BASIC_REALM", "HEALTH_PATHS", "Login", "Operations", "logged_in", "reply"]

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
Login = Callable[[str, str], Awaitable[bool]]
BASIC_REALM = [(b"www-authenticate", b'Basic realm="article-qa", charset="UTF-8"')]
"""The header of a 401 that asks for the app's user and password as HTTP Basic."""


class Operations:
    """Answer the operator's paths for ``live``; ``login`` (the app's own check) guards
    ``/metrics`` when set."""

    def __init__(
        self, app: Callable[..., Awaitable[None]], live: LiveAssistant, login: Login | None = None
    ) -> None:
        self.app = app
        self.live = live
        self.login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/") or "/"
        if scope.get("type") != "http" or path not in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        if scope.get("method") not in ("GET", "HEAD"):
            await reply(send, scope, 405, b"use GET\n", extra=[(b"allow", b"GET, HEAD")])
        elif path == "/healthz":
            await reply(send, scope, 200, b"ok\n")
        elif path == "/readyz":
            reason = await anyio.to_thread.run_sync(self.live.unready)
            await reply(send, scope, 503 if reason else 200, b"not ready\n" if reason else b"ready\n")
        else:
            await self._metrics(scope, send)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        monitor = self.live.monitor
        if monitor is None:
            await reply(send, scope, 404, b"metrics are off\n")
            return
        if self.login is not None and not await logged_in(self.login, scope):
            await reply(send, scope, 401, b"log in with the app's user and password\n", extra=BASIC_REALM)
            return
        from .monitor import CONTENT_TYPE

        body = await anyio.to_thread.run_sync(monitor.exposition)
        await reply(send, scope, 200, body, content_type=CONTENT_TYPE)


async def logged_in(login: Login, scope: Scope) -> bool:
    """Whether the request's HTTP Basic user and password pass the app's ``login``."""
    return await login(*_basic(scope))


def _basic(scope: Scope) -> tuple[str, str]:
    """The user and password of a request's ``Authorization: Basic`` header ('' if none)."""
    value = header(scope, b"authorization")
    if value[:6].lower() != b"basic ":
        return "", ""
    try:
        user, _, password = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


async def reply(
    send: Send,
    scope: Scope,
    status: int,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
