"""Arguments an HTTP client leaves out of an API call, filled with their defaults.

Gradio refuses a call to ``/gradio_api/call/ask`` whose ``data`` holds fewer values than the
function has parameters, with ``{"error": null}`` and a traceback in the server's log;
``gradio_client`` fills them itself, a plain HTTP client does not. This ASGI middleware fills
the missing trailing values of the app's own API endpoints from their Python defaults, so
that ``{"data": ["Qui … ?"]}`` is a whole question, and ``{"data": []}`` reaches the handler
(which says the question is empty). Nothing else of a request is read or changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from .asgi import Message, Receive, Scope, Send, read_body, with_length

__all__ = ["ApiDefaults"]

MAX_BODY = 1 << 20
"""A larger body is passed on as it came (a question is at most 2,000 characters)."""

_CALL = re.compile(r"/(?:gradio_api/)?(?:call|run)/([A-Za-z0-9_]+)/?$")


class ApiDefaults:
    """Pad ``data`` of a JSON call to one of ``defaults``' endpoints (name → every parameter's
    default, in order)."""

    def __init__(self, app: Callable[..., Awaitable[None]], defaults: Mapping[str, Sequence[Any]]) -> None:
        self.app = app
        self.defaults = {name: list(values) for name, values in defaults.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _CALL.search(scope.get("path", "")) if scope.get("type") == "http" else None
        if match is None or scope.get("method") != "POST" or match.group(1) not in self.defaults:
            await self.app(scope, receive, send)
            return
        body, messages, complete = await read_body(receive, MAX_BODY)
        padded = _padded(body, self.defaults[match.group(1)]) if complete else None
        if padded is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        await self.app(
            {**scope, "headers": with_length(scope.get("headers", []), len(padded))},
            _replay([{"type": "http.request", "body": padded, "more_body": False}], receive),
            send,
        )


def _padded(body: bytes, defaults: list[Any]) -> bytes | None:
    """``body`` with ``data`` padded to ``defaults``' length; None when there is nothing to do."""
    try:
        call = json.loads(body)
    except ValueError:
        return None
    if not isinstance(call, dict) or not isinstance(call.get("data", []), list):
        return None
    data = call.get("data", [])
    if len(data) >= len(defaults):
        return None
    call["data"] = [*data, *defaults[len(data) :]]
    return json.dumps(call).encode()


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` again, then goes on with the real one."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
