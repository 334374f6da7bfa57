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

from .api_defaults import Receive, Scope, Send

if TYPE_CHECKING:
    from .state import LiveAssistant

__all__ = ["HEALTH_PATHS", "Operations", "basic_credentials", "reply"]

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
Login = Callable[[str, str], Awaitable[bool]]


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
        if self.login is not None and not await self._logged_in(scope):
            realm = [(b"www-authenticate", b'Basic realm="article-qa", charset="UTF-8"')]
            await reply(send, scope, 401, b"log in with the app's user and password\n", extra=realm)
            return
        from .monitor import CONTENT_TYPE

        body = await anyio.to_thread.run_sync(monitor.exposition)
        await reply(send, scope, 200, body, content_type=CONTENT_TYPE)

    async def _logged_in(self, scope: Scope) -> bool:
        assert self.login is not None
        user, password = basic_credentials(scope)
        return await self.login(user, password)


def basic_credentials(scope: Scope) -> tuple[str, str]:
    """The user and password of a request's ``Authorization: Basic`` header ('' if none)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization" and value[:6].lower() == b"basic ":
            try:
                user, _, password = (
                    base64.b64decode(value[6:].strip(), validate=True).decode("utf-8").partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                return "", ""
            return user, password
    return "", ""


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
