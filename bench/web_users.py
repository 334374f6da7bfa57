"""Users of the web app through its HTTP API (gradio_client, or plain HTTP to ``/api/ask``), as
the load benchmark drives them: each asks as the page does and checks its answer; many ask
without pause, or at the same moment.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.webapp import QUESTIONS

ERROR_WORDS = re.compile(r"\bErreur\b|\bError\b|aq-error")


def strip_tags(fragment: Any) -> str:
    """The text of an HTML fragment, its white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(str(fragment)))).strip()


ROW = re.compile(r'<div class="aq-row (user|assistant)-row">')


def chat_rows(chat: Any) -> list[tuple[str, str]]:
    """The chat's HTML (as ``/question`` returns it) as ``(role, html)``, oldest first."""
    parts = ROW.split(chat if isinstance(chat, str) else "")
    return list(zip(parts[1::2], parts[2::2], strict=True))


def check_chat(chat: Any, question: str) -> str | None:
    """Why this chat is not a good answer to ``question`` (``None``: it is)."""
    rows = chat_rows(chat)
    if not rows:
        return f"no chat returned ({type(chat).__name__})"
    asked = [body for role, body in rows if role == "user"]
    answers = [body for role, body in rows if role == "assistant"]
    if not asked or html.escape(question) not in asked[-1]:
        return "the latest question in the chat is not the one asked"
    if not answers or rows[-1][0] != "assistant":
        return "no answer after the question"
    if found := ERROR_WORDS.search(answers[-1]):
        return f"the answer holds {found.group(0)!r}: {strip_tags(answers[-1])[:200]}"
    return None


def page_id(client: Any) -> str:
    """The id of ``client``'s conversation (the page makes one when it loads; ``/question``
    takes it), made the first time it is asked for."""
    if not hasattr(client, "aq_page"):
        client.aq_page = uuid.uuid4().hex
    return str(client.aq_page)


@dataclass
class Asked:
    """One question sent and its answer: when, how long it took, what went wrong."""

    at: float
    seconds: float
    error: str | None = None
    answer_html: str = field(default="", repr=False)
    user: int = -1
    question: str = ""
    step: str = ""  # where it went wrong: "/question", "/ask", "check" or "session"


ENDPOINT = {"name": "page"}
"""How questions are sent (``--endpoint``): ``page`` the page's Gradio event, ``ask`` the Gradio API's
one call, ``rest`` one plain HTTP request to ``/api/ask``."""


def ask(client: Any, question: str, user: int = -1) -> Asked:
    """Send ``question`` to ``/question``, as the page does for a composed answer (one event:
    the question is taken into the page's chat, then answered), and time it (or to ``/ask``
    alone, with ``--endpoint ask``, or ``/api/ask`` with ``--endpoint rest``)."""
    if ENDPOINT["name"] in ("ask", "rest"):
        return ask_once(client, question, user)
    at = time.monotonic()
    step, body = "/question", ""
    try:
        _box, chat, _choices, _reader = client.predict(
            question, "", None, None, 5, "quoted", page_id(client), "fr", api_name="/question"
        )
        step = "check"
        error = check_chat(chat, question)
        rows = chat_rows(chat)
        body = rows[-1][1] if rows else ""
    except Exception as exc:  # a failed call is what is being counted
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    return Asked(at, time.monotonic() - at, error, body, user, question, step)


def ask_once(client: Any, question: str, user: int = -1) -> Asked:
    """Send ``question`` to the HTTP API's ``/ask`` (one call, JSON back) and time it."""
    at = time.monotonic()
    body, error = "", None
    try:
        answer = client.predict(question, api_name="/ask")
        if not isinstance(answer, dict) or "error" in answer:
            error = f"no answer: {str(answer)[:300]}"
        elif answer.get("question") != question:
            error = "the answer is not to the question asked"
        else:
            body = str(answer.get("text", ""))
    except Exception as exc:  # a failed call is what is being counted
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    seconds = time.monotonic() - at
    return Asked(at, seconds, error, body, user, question, "/ask" if error else "")


CLIENT_TLS = {"default": False}
"""Whether clients build gradio_client's default TLS context (``--client-default-tls``)."""


class RestClient:
    """A program asking ``POST /api/ask`` over one plain HTTP connection, kept alive: what
    ``--endpoint rest`` uses instead of a gradio_client ``Client``."""

    def __init__(self, url: str) -> None:
        where = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=120)

    def predict(self, question: str, api_name: str = "/ask") -> Any:
        """The answer's JSON (an error's ``{"error": ..., "code": ...}`` as it came)."""
        body = json.dumps({"question": question}).encode("utf-8")
        try:
            self.connection.request("POST", "/api/ask", body, {"content-type": "application/json"})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        return json.loads(data)

    def close(self) -> None:
        self.connection.close()


def new_client(url: str, *, gradio: bool = False) -> Any:
    """A gradio_client ``Client`` of its own (a session), for plain HTTP on 127.0.0.1 (with
    ``--endpoint rest``, a :class:`RestClient`, unless ``gradio``).

    gradio_client opens a new httpx client for every request it sends (a POST and an event
    stream per call), and httpx loads the system's CA certificates into each unless
    ``verify`` is off: about 40 ms of CPU per request, for plain HTTP that uses no TLS. That
    measured 137 ms of the load generator's CPU per question (and 123 ms per ``Client``),
    more than the server spends (about 75 ms), all of it under the one GIL of this process
    and on the server's cores. So the TLS context is skipped, unless ``--client-default-tls``
    asks for gradio_client's default.
    """
    if ENDPOINT["name"] == "rest" and not gradio:
        return RestClient(url)
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=CLIENT_TLS["default"])


def session(url: str, done: list[Asked]) -> Any | None:
    """A new session (``Client``), or ``None`` with the failure counted as an error in ``done``."""
    at = time.monotonic()
    try:
        return new_client(url)
    except Exception as exc:  # a session that cannot start is an error the user meets
        error = f"new session: {type(exc).__name__}: {exc}"
        done.append(Asked(at, time.monotonic() - at, error, step="session"))
        time.sleep(0.5)
        return None


def load(url: str, users: int, duration: float, turns: int, side: Callable[[float], None]) -> list[Asked]:
    """``users`` users asking without pause for ``duration`` seconds; ``side`` runs meanwhile."""
    ready = threading.Barrier(users + 1)  # every first session open before the clock starts
    go = threading.Event()
    clock: dict[str, float] = {}

    def user(i: int) -> list[Asked]:
        done: list[Asked] = []
        client = session(url, done)
        try:
            ready.wait()
            go.wait()
            n = turn = 0
            while time.monotonic() < clock["stop"]:
                if client is not None and turn == turns:  # a new conversation
                    client.close()
                    client = None
                if client is None:
                    client, turn = session(url, done), 0
                    continue
                done.append(ask(client, QUESTIONS[(i + n) % len(QUESTIONS)], i))
                n, turn = n + 1, turn + 1
        finally:
            if client is not None:
                client.close()
        return done

    with ThreadPoolExecutor(max_workers=users + 1) as pool:
        futures = [pool.submit(user, i) for i in range(users)]
        ready.wait(timeout=600)
        start = time.monotonic()
        clock["stop"] = start + duration
        go.set()
        side_job = pool.submit(side, start)
        samples = [s for f in futures for s in f.result()]
        side_job.result()
    return samples


def burst(url: str, users: int, rounds: int) -> list[Asked]:
    """``users`` users sending a question at the same moment, ``rounds`` times."""
    barrier = threading.Barrier(users)

    def user(i: int) -> list[Asked]:
        done: list[Asked] = []
        client = None
        for r in range(rounds):
            if client is not None and r % 3 == 0:  # short conversations, as in web_latency.py
                client.close()
                client = None
            if client is None:
                client = session(url, done)
            barrier.wait()  # opening a session is not timed
            if client is not None:
                done.append(ask(client, QUESTIONS[(r + i) % len(QUESTIONS)], i))
        if client is not None:
            client.close()
        return done

    with ThreadPoolExecutor(max_workers=users) as pool:
        return [s for done in pool.map(user, range(users)) for s in done]
