"""What the app's ASGI middlewares share (:mod:`.health`, :mod:`.rest`, :mod:`.page_head`,
:mod:`.api_defaults`): the ASGI types, reading a request's body up to a bound, a request's
header, and a response's headers with another length."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["Message", "Receive", "Scope", "Send", "header", "read_body", "with_length"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message], bool]:
    """A request's body, the messages it came in, and whether it is whole: not when the client
    went away, nor once it is over ``limit`` bytes (the rest is left unread)."""
    body, messages = b"", []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return body, messages, False
        body += message.get("body", b"")
        if len(body) > limit:
            return body, messages, False
        if not message.get("more_body", False):
            return body, messages, True


def header(scope: Scope | Message, name: bytes) -> bytes:
    """The value of the header ``name`` (lower case) of a request (its scope) or of a response
    (its ``http.response.start`` message), b"" when it has none."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return b""


def with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``content-length`` set to ``length``."""
    return [(k, v) for k, v in headers if k.lower() != b"content-length"] + [
        (b"content-length", str(length).encode())
    ]
