"""``POST /api/ask``: one question, JSON in and JSON out, in one plain HTTP request.

    curl -s http://127.0.0.1:7860/api/ask -H 'content-type: application/json' \\
         -d '{"question": "Qui a rompu ses relations avec la Corée du Nord ?"}'

It answers as Gradio's ``/ask`` does (:func:`ui.web.chat.answer_json`: ``Answer.to_dict()``, or
``{"error": message, "code": ...}`` with the message in ``lang``), with the same fields:
``question`` (required), ``category``, ``date_from``, ``date_to``, ``top_k``, ``lang``
("fr" or "en") and ``composed``. Gradio's takes two requests (a call, then its result as a
stream of events) and a session of its own for each call; this one skips both: a server under
32 clients spent 31-35 ms of CPU on an answer through it, 46-57 through Gradio's
(docs/benchmarks.md, stop 39).

- The status says what happened: 200 an answer (an abstention is one), 400 a request to
  correct (not JSON, an unknown field, a bad option or question), 401 a login is needed (HTTP
  Basic, the app's user and password, when the app has a login), 405 not a POST, 413 a body
  over :data:`MAX_BODY`, 415 not ``application/json`` (so a web page elsewhere cannot make a
  browser send one without asking first), 503 the index cannot answer now or too many
  questions wait (``retry-after``).
- At most ``at_once`` questions are answered at a time (the app's own bound), and at most
  :data:`MAX_WAITING` more wait for their turn.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from .asgi import Receive, Scope, Send, header, read_body
from .health import BASIC_REALM, Login, logged_in, reply
from .state import WAITING_AT_MOST

if TYPE_CHECKING:
    from .state import LiveAssistant

__all__ = ["ASK_PATH", "FIELDS", "MAX_BODY", "MAX_WAITING", "AskEndpoint"]

ASK_PATH = "/api/ask"
MAX_BODY = 64 * 1024
"""The largest request body read, in bytes (a question is at most a few thousand characters)."""
MAX_WAITING = WAITING_AT_MOST
"""Questions that may wait for their turn beyond those answered at once (as many as in Gradio's
queue); one more is refused with 503 and ``retry-after``."""
FIELDS = ("question", "category", "date_from", "date_to", "top_k", "lang", "composed")
_CLIENT_CODES = frozenset({"option", "question", "unknown_filter"})
_JSON = "application/json; charset=utf-8"


class AskEndpoint:
    """ASGI middleware that answers ``POST /api/ask`` for ``live`` and passes every other
    request on untouched; ``login`` (the app's own check) guards it when set."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        live: LiveAssistant,
        at_once: int,
        login: Login | None = None,
    ) -> None:
        self.app = app
        self.live = live
        self.login = login
        self.limiter = anyio.CapacityLimiter(at_once)
        self.admitted = 0  # answered or waiting; the event loop's alone, so no lock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or (scope.get("path", "").rstrip("/") or "/") != ASK_PATH:
            await self.app(scope, receive, send)
            return
        if scope.get("method") != "POST":
            await _error(send, scope, 405, "use POST with a JSON body", "request", [(b"allow", b"POST")])
            return
        if self.login is not None and not await logged_in(self.login, scope):
            await _error(
                send, scope, 401, "log in with the app's user and password (HTTP Basic)", "login", BASIC_REALM
            )
            return
        if not header(scope, b"content-type").lower().strip().startswith(b"application/json"):
            await _error(
                send, scope, 415, "send the question as JSON (content-type: application/json)", "request"
            )
            return
        body, _, whole = await read_body(receive, MAX_BODY)
        if not whole:
            if len(body) > MAX_BODY:
                await _error(send, scope, 413, f"the request body is over {MAX_BODY} bytes", "request")
            return  # else the client went away
        fields, problem = _fields(body)
        if problem:
            await _error(send, scope, 400, problem, "request")
            return
        if self.admitted >= self.limiter.total_tokens + MAX_WAITING:
            await _error(
                send,
                scope,
                503,
                "too many questions wait: ask again shortly",
                "busy",
                [(b"retry-after", b"1")],
            )
            return
        self.admitted += 1
        try:
            answered = await anyio.to_thread.run_sync(
                partial(_answer, self.live, fields), limiter=self.limiter
            )
        finally:
            self.admitted -= 1
        code = answered.get("code") if "error" in answered else None
        status = 200 if code is None else 400 if code in _CLIENT_CODES else 503
        await reply(send, scope, status, _dumps(answered), content_type=_JSON)


def _answer(live: LiveAssistant, fields: dict[str, Any]) -> dict[str, Any]:
    from .chat import answer_json
    from .i18n import language

    return answer_json(
        live,
        fields["question"],
        category=fields.get("category"),
        date_from=fields.get("date_from"),
        date_to=fields.get("date_to"),
        top_k=fields.get("top_k"),
        lang=language(fields.get("lang", "fr")),  # as Gradio's /ask
        compose=fields.get("composed", False),
    )


def _fields(body: bytes) -> tuple[dict[str, Any], str | None]:
    """The request's fields, or what is wrong with it."""
    try:
        given = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return {}, 'the body is not JSON: send {"question": "…"}'
    if not isinstance(given, dict):
        return {}, 'the body must be a JSON object: {"question": "…"}'
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        return {}, f"unknown field(s) {', '.join(map(repr, unknown))}: the fields are {', '.join(FIELDS)}"
    if "question" not in given:
        return {}, 'the field "question" is missing'
    fields = {k: v for k, v in given.items() if v is not None}
    fields.setdefault("question", "")
    for name in ("category", "date_from", "date_to"):
        if fields.get(name) == "":
            fields.pop(name)
    return fields, None


def _dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


async def _error(
    send: Send,
    scope: Scope,
    status: int,
    message: str,
    code: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await reply(
        send, scope, status, _dumps({"error": message, "code": code}), content_type=_JSON, extra=extra
    )
