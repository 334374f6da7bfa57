"""Reading one reply of an OpenAI-compatible chat-completions server, whatever the server does.

A reply is bounded three ways: a deadline for the whole reply (``timeout``, from the request
to the last piece: a server that sends one token a second is cut off there), a budget of pieces
and characters (``max_tokens``; a server may ignore the ``max_tokens`` it is sent), and a budget
of bytes read (``max_bytes``). The request runs in a thread of its own, so that the caller keeps
the deadline; the reply is read whole or as server-sent events. What the server writes is
logged (shortened, secrets masked), never put in an error a client may see.

:class:`qa.Endpoint` says where and how to ask; this module reads what comes back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import EndpointError

__all__ = ["CHARS_PER_TOKEN", "ReplyRequest", "read_reply"]

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 16
"""A reply is read up to ``max_tokens`` pieces and ``max_tokens`` times this many characters
(a token is rarely more than a word)."""

CONNECT_SECONDS = 10.0


@dataclass(frozen=True)
class ReplyRequest:
    """One request to a chat-completions server, and the bounds on reading its reply.

    ``url`` is where the request goes (no credentials in it: those are in ``headers`` or
    ``auth``); ``shown_url`` is the URL as messages may show it; ``mask`` hides the secrets in
    a text the server wrote before it is logged; ``trust_env`` lets httpx use the proxy settings.
    """

    url: str
    shown_url: str
    body: Mapping[str, Any]
    timeout: float
    max_tokens: int
    max_bytes: int
    trust_env: bool = True
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)
    mask: Callable[[str], str] = field(default=lambda text: text, repr=False)


def read_reply(request: ReplyRequest) -> Iterator[str]:
    """The reply to ``request``, piece by piece as the server sends it, until the server ends
    it or a budget is spent (what came until then is the reply).

    Raises:
        EndpointError: no usable reply (the reason is in ``data["reason"]``), or the deadline
            passed (``timeout``): the request is then cancelled.
    """
    deadline = time.monotonic() + request.timeout
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    reading = _Reading(request, pieces)
    thread = threading.Thread(target=reading.run, name="llm-reply", daemon=True)
    thread.start()
    sent = chars = count = 0
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise EndpointError(
                    f"the language model did not finish within {request.timeout:g} s", reason="timeout"
                ) from None
            if kind == "end":
                break
            if kind == "error":
                raise value
            count += 1
            chars += len(value)
            sent += 1
            yield value
            if count >= request.max_tokens or chars >= request.max_tokens * CHARS_PER_TOKEN:
                logger.info("stopped reading the language model's reply at its budget")
                break
    finally:
        reading.cancel()
    if not sent:
        raise EndpointError("the language model's reply was empty", reason="empty")


def _log_server_text(request: ReplyRequest, what: str, text: str) -> None:
    """Log what the server wrote (an error body), shortened and with every secret masked."""
    logger.warning("%s: %s", what, request.mask(_short(text)))


class _Reading:
    """One request, read in a thread of its own so that the caller keeps the deadline:
    pieces go into ``out`` as ``("piece", text)``, then ``("end", None)`` or ``("error", exc)``.
    :meth:`cancel` shuts the connection, which ends a read that is waiting."""

    def __init__(self, request: ReplyRequest, out: queue.Queue[tuple[str, Any]]) -> None:
        self.request = request
        self.out = out
        self.cancelled = threading.Event()
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled.set()
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        try:
            for piece in self._pieces():
                if self.cancelled.is_set():
                    return
                self.out.put(("piece", piece))
            self.out.put(("end", None))
        except EndpointError as exc:
            self.out.put(("error", exc))
        except Exception as exc:  # anything the client raises ends the reply
            if not self.cancelled.is_set():
                logger.warning("the language model's reply failed: %s", type(exc).__name__)
            self.out.put(("error", EndpointError("the language model's reply failed", reason="connection")))

    def _pieces(self) -> Iterator[str]:
        import httpx

        request = self.request
        timeout = httpx.Timeout(request.timeout, connect=min(request.timeout, CONNECT_SECONDS))
        try:
            with (
                httpx.Client(timeout=timeout, trust_env=request.trust_env, auth=request.auth) as client,
                client.stream(
                    "POST", request.url, json=dict(request.body), headers=dict(request.headers)
                ) as reply,
            ):
                self._hold(reply)
                chunks = _bounded(reply.iter_raw(), request.max_bytes)
                if reply.status_code != 200:
                    _log_server_text(
                        request,
                        f"the language model's server answered HTTP {reply.status_code}",
                        _text(chunks, 4096),
                    )
                    raise EndpointError(
                        f"the language model's server answered HTTP {reply.status_code}",
                        reason="http",
                        status=reply.status_code,
                    )
                if not reply.headers.get("content-type", "").startswith("text/event-stream"):
                    # A server that does not stream sends the whole reply at once.
                    text = _content(_json(_text(chunks, request.max_bytes), request), request)
                    if text:
                        yield text
                else:
                    yield from _events(_lines(chunks), request)
        except httpx.TimeoutException as exc:
            raise EndpointError(
                f"the language model did not answer within {request.timeout:g} s", reason="timeout"
            ) from exc
        except httpx.HTTPError as exc:
            if self.cancelled.is_set():
                return
            raise EndpointError(
                f"cannot reach the language model at {request.shown_url}: {type(exc).__name__}",
                reason="connection",
            ) from None

    def _hold(self, reply: Any) -> None:
        """Keep the reply's socket, so that :meth:`cancel` can shut it."""
        stream = reply.extensions.get("network_stream")
        found = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = found if isinstance(found, socket.socket) else None
            if self.cancelled.is_set() and self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)


def _bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """``chunks`` until ``limit`` bytes have come; past it, :class:`EndpointError`."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise EndpointError(
                f"the language model's reply passed {limit // 1024} KiB: it was cut off", reason="too_large"
            )
        yield chunk


def _text(chunks: Iterator[bytes], limit: int) -> str:
    """The first ``limit`` bytes of ``chunks`` as text (a body too large raises, see :func:`_bounded`)."""
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit]).decode("utf-8", "replace")


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """The lines of a byte stream (a line never grows past what :func:`_bounded` lets through)."""
    pending = bytearray()
    for chunk in chunks:
        scanned = len(pending)
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", scanned)) != -1:
            yield bytes(pending[start:end]).rstrip(b"\r").decode("utf-8", "replace")
            start = scanned = end + 1
        del pending[:start]
    if pending:
        yield bytes(pending).decode("utf-8", "replace")


def _events(lines: Iterator[str], request: ReplyRequest) -> Iterator[str]:
    """The text pieces of a server-sent event stream of chat-completion chunks."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        chunk = _json(data, request)
        if isinstance(chunk.get("error"), dict | str):
            _log_server_text(request, "the language model's server reported an error", str(chunk["error"]))
            raise EndpointError("the language model's server reported an error", reason="http")
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise EndpointError("the language model's reply is not a chat completion", reason="malformed")
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str) and piece:
                yield piece


def _content(reply: dict[str, Any], request: ReplyRequest) -> str:
    """The text of a whole (non-streamed) chat completion."""
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        if "error" in reply:
            _log_server_text(request, "the language model's server reported an error", str(reply["error"]))
        raise EndpointError(
            "the language model's reply is not a chat completion", reason="malformed"
        ) from None
    if content is not None and not isinstance(content, str):
        raise EndpointError("the language model's reply is not text", reason="malformed")
    return (content or "")[: request.max_tokens * CHARS_PER_TOKEN]


def _json(data: str, request: ReplyRequest) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        _log_server_text(request, "the language model's reply is not JSON", data)
        raise EndpointError("the language model's reply is not JSON", reason="malformed") from None
    if not isinstance(value, dict):
        raise EndpointError("the language model's reply is not a JSON object", reason="malformed")
    return value


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
