"""A client of the OpenAI-compatible chat-completions API (Ollama, vLLM, llama.cpp's
``llama-server``, hosted APIs), through ``httpx`` (the ``llm`` extra).

Only ``messages``, ``temperature``, ``max_tokens``, ``seed`` and ``stream`` are sent. The API
key is read from an environment variable, never taken as an argument that a command line would
show. Nothing is sent anywhere unless an endpoint is configured.

A reply is bounded three ways, whatever the server does: a deadline for the whole reply
(``timeout``, from the request to the last piece: a server that sends one token a second is
cut off there), a budget of pieces and characters (``max_tokens``; a server may ignore the
``max_tokens`` it is sent), and a budget of bytes read (``max_bytes``). Secrets never leave
through messages: URLs are shown without their credentials, and a server's own error text is
logged (shortened, secrets masked), never put in an error a client may see.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from index.errors import OptionError, QAError

__all__ = ["KEY_VARIABLE", "MODEL_VARIABLE", "URL_VARIABLE", "Endpoint", "EndpointError", "shown_url"]

logger = logging.getLogger(__name__)

URL_VARIABLE = "ARTICLE_QA_LLM_URL"
MODEL_VARIABLE = "ARTICLE_QA_LLM_MODEL"
KEY_VARIABLE = "ARTICLE_QA_LLM_KEY"
"""The environment variables that configure an endpoint: its base URL (``…/v1``), the model's
name, and the API key (if the server wants one)."""

CHARS_PER_TOKEN = 16
"""A reply is read up to ``max_tokens`` pieces and ``max_tokens`` times this many characters
(a token is rarely more than a word)."""

CONNECT_SECONDS = 10.0


class EndpointError(QAError):
    """The language model's server did not give a usable reply.

    ``reason`` (in :attr:`data`): ``timeout``, ``connection``, ``http``, ``malformed``,
    ``too_large`` or ``empty``. The message never holds what the server wrote (that goes to
    the log, its secrets masked).
    """

    code = "endpoint"


def shown_url(url: str) -> str:
    """``url`` as it may be shown or logged: without the user and password it may hold."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


@dataclass(frozen=True)
class Endpoint:
    """Where a language model answers: an OpenAI-compatible ``/chat/completions``.

    Args:
        url: the API's base URL, such as ``http://127.0.0.1:8080/v1`` (``/chat/completions``
            is added). A ``user:password@`` in it is sent as HTTP basic authentication (unless
            an API key is set) and never shown.
        model: the model's name, as the server knows it.
        key_variable: the environment variable holding the API key (none sent if unset).
        timeout: seconds the whole reply may take; at this deadline it is cancelled.
        temperature, max_tokens, seed: sent with each request; ``max_tokens`` also bounds what
            is read (see :data:`CHARS_PER_TOKEN`).
        max_bytes: the most bytes read from the server for one reply.

    Raises:
        OptionError: the URL is not http(s), the model is unnamed, a bound is not positive,
            the API key cannot be sent in an HTTP header, or httpx is not installed.
    """

    url: str
    model: str
    key_variable: str = KEY_VARIABLE
    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int | None = 0
    max_bytes: int = 512 * 1024

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OptionError(
                f"the language model's URL must start with http:// or https://, got {shown_url(self.url)!r}",
                option="llm_url",
                reason="not_a_url",
                value=shown_url(self.url),
            )
        if not self.model.strip():
            raise OptionError(
                f"name the language model with --llm-model NAME (or ${MODEL_VARIABLE})",
                option="llm_model",
                reason="missing",
            )
        if self.timeout <= 0 or self.max_tokens < 1 or self.max_bytes < 1024:
            raise OptionError(
                "timeout and max_tokens must be positive, max_bytes at least 1024", option="llm_timeout"
            )
        if not self._key().isascii():
            raise OptionError(
                f"${self.key_variable} holds characters other than ASCII, which an HTTP header cannot "
                "carry: check the API key",
                option="llm_key",
                reason="not_ascii",
                variable=self.key_variable,
            )
        if importlib.util.find_spec("httpx") is None:
            raise OptionError(
                "composed answers need httpx: pip install 'article-qa[llm]'",
                option="llm_url",
                reason="missing_extra",
            )

    def __repr__(self) -> str:
        return f"Endpoint({shown_url(self.url)!r}, {self.model!r}, timeout={self.timeout:g})"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        url: str | None = None,
        model: str | None = None,
        **options: Any,
    ) -> Endpoint | None:
        """The endpoint that ``url`` and ``model`` name, each in default of
        ``$ARTICLE_QA_LLM_URL`` and ``$ARTICLE_QA_LLM_MODEL``; ``None`` when no URL is set."""
        env = os.environ if environ is None else environ
        url = url or env.get(URL_VARIABLE, "").strip()
        if not url:
            return None
        return cls(url, model or env.get(MODEL_VARIABLE, "").strip(), **options)

    @property
    def local(self) -> bool:
        """Whether the server is on this machine (proxy settings are then not used)."""
        return (urlsplit(self.url).hostname or "") in {"127.0.0.1", "localhost", "::1"}

    @property
    def shown_url(self) -> str:
        """The URL as it may be shown: without its credentials."""
        return shown_url(self.url)

    @property
    def chat_url(self) -> str:
        """Where requests go (without credentials: those go in a header)."""
        parts = urlsplit(self.url)
        bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        return bare.rstrip("/") + "/chat/completions"

    def _key(self) -> str:
        return os.environ.get(self.key_variable, "").strip()

    def _secrets(self) -> list[str]:
        """What must never be shown: the API key, and the URL's password."""
        parts = urlsplit(self.url)
        found = [self._key(), parts.password or "", unquote(parts.password or "")]
        return [s for s in found if len(s) >= 3]

    def _headers(self) -> dict[str, str]:
        key = self._key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _auth(self) -> tuple[str, str] | None:
        """The URL's ``user:password``, as basic authentication (an API key, when set, is the
        one ``Authorization`` header sent instead)."""
        parts = urlsplit(self.url)
        if (parts.username is None and parts.password is None) or self._key():
            return None
        return unquote(parts.username or ""), unquote(parts.password or "")

    def _body(self, messages: Sequence[Mapping[str, str]], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def stream(self, messages: Sequence[Mapping[str, str]]) -> Iterator[str]:
        """The reply to ``messages``, piece by piece as the server sends it, until the server
        ends it or a budget is spent (what came until then is the reply).

        Raises:
            EndpointError: no usable reply (the reason is in ``data["reason"]``), or the
                deadline passed (``timeout``): the request is then cancelled.
        """
        deadline = time.monotonic() + self.timeout
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        reading = _Reading(self, messages, pieces)
        thread = threading.Thread(target=reading.run, name="llm-reply", daemon=True)
        thread.start()
        sent = chars = count = 0
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    raise EndpointError(
                        f"the language model did not finish within {self.timeout:g} s", reason="timeout"
                    ) from None
                if kind == "end":
                    break
                if kind == "error":
                    raise value
                count += 1
                chars += len(value)
                sent += 1
                yield value
                if count >= self.max_tokens or chars >= self.max_tokens * CHARS_PER_TOKEN:
                    logger.info("stopped reading the language model's reply at its budget")
                    break
        finally:
            reading.cancel()
        if not sent:
            raise EndpointError("the language model's reply was empty", reason="empty")

    def log_server_text(self, what: str, text: str) -> None:
        """Log what the server wrote (an error body), shortened and with every secret masked."""
        logger.warning("%s: %s", what, self.mask(_short(text)))

    def mask(self, text: str) -> str:
        """``text`` with the API key, the URL's password and any bearer token replaced by ``***``."""
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return re.sub(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", r"\1 ***", text)


class _Reading:
    """One request, read in a thread of its own so that the caller keeps the deadline:
    pieces go into ``out`` as ``("piece", text)``, then ``("end", None)`` or ``("error", exc)``.
    :meth:`cancel` shuts the connection, which ends a read that is waiting."""

    def __init__(
        self, endpoint: Endpoint, messages: Sequence[Mapping[str, str]], out: queue.Queue[tuple[str, Any]]
    ) -> None:
        self.endpoint = endpoint
        self.messages = messages
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

        endpoint = self.endpoint
        timeout = httpx.Timeout(endpoint.timeout, connect=min(endpoint.timeout, CONNECT_SECONDS))
        try:
            with (
                httpx.Client(timeout=timeout, trust_env=not endpoint.local, auth=endpoint._auth()) as client,
                client.stream(
                    "POST",
                    endpoint.chat_url,
                    json=endpoint._body(self.messages, True),
                    headers=endpoint._headers(),
                ) as reply,
            ):
                self._hold(reply)
                chunks = _bounded(reply.iter_raw(), endpoint.max_bytes)
                if reply.status_code != 200:
                    endpoint.log_server_text(
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
                    text = _content(_json(_text(chunks, endpoint.max_bytes), endpoint), endpoint)
                    if text:
                        yield text
                else:
                    yield from _events(_lines(chunks), endpoint)
        except httpx.TimeoutException as exc:
            raise EndpointError(
                f"the language model did not answer within {endpoint.timeout:g} s", reason="timeout"
            ) from exc
        except httpx.HTTPError as exc:
            if self.cancelled.is_set():
                return
            raise EndpointError(
                f"cannot reach the language model at {endpoint.shown_url}: {type(exc).__name__}",
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


def _events(lines: Iterator[str], endpoint: Endpoint) -> Iterator[str]:
    """The text pieces of a server-sent event stream of chat-completion chunks."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        chunk = _json(data, endpoint)
        if isinstance(chunk.get("error"), dict | str):
            endpoint.log_server_text("the language model's server reported an error", str(chunk["error"]))
            raise EndpointError("the language model's server reported an error", reason="http")
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise EndpointError("the language model's reply is not a chat completion", reason="malformed")
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str) and piece:
                yield piece


def _content(reply: dict[str, Any], endpoint: Endpoint) -> str:
    """The text of a whole (non-streamed) chat completion."""
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        if "error" in reply:
            endpoint.log_server_text("the language model's server reported an error", str(reply["error"]))
        raise EndpointError(
            "the language model's reply is not a chat completion", reason="malformed"
        ) from None
    if content is not None and not isinstance(content, str):
        raise EndpointError("the language model's reply is not text", reason="malformed")
    return (content or "")[: endpoint.max_tokens * CHARS_PER_TOKEN]


def _json(data: str, endpoint: Endpoint) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        endpoint.log_server_text("the language model's reply is not JSON", data)
        raise EndpointError("the language model's reply is not JSON", reason="malformed") from None
    if not isinstance(value, dict):
        raise EndpointError("the language model's reply is not a JSON object", reason="malformed")
    return value


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
