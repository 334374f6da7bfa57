"""A client of the OpenAI-compatible chat-completions API (Ollama, vLLM, llama.cpp's
``llama-server``, hosted APIs), through ``httpx`` (the ``llm`` extra).

Only ``messages``, ``temperature``, ``max_tokens``, ``seed`` and ``stream`` are sent. The API
key is read from an environment variable, never taken as an argument that a command line would
show. Nothing is sent anywhere unless an endpoint is configured. Secrets never leave through
messages: URLs are shown without their credentials, and a server's own error text is logged
with every secret masked (:mod:`qa.reply` reads a reply, within its deadline and budgets).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from index import settings
from index.errors import MissingDependencyError, OptionError

from .reply import ReplyRequest, read_reply

__all__ = ["Endpoint", "shown_url"]


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
            is read (see :data:`qa.reply.CHARS_PER_TOKEN`).
        max_bytes: the most bytes read from the server for one reply.

    Raises:
        OptionError: the URL is not http(s), the model is unnamed, a bound is not positive,
            or the API key cannot be sent in an HTTP header.
        MissingDependencyError: httpx is not installed (the ``llm`` extra).
    """

    url: str
    model: str
    key_variable: str = settings.LLM_KEY_VARIABLE
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
                f"name the language model with --llm-model NAME (or ${settings.LLM_MODEL_VARIABLE})",
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
            raise MissingDependencyError(
                "composed answers need httpx: pip install 'article-qa[llm]'", extra="llm", package="httpx"
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
        if environ is None:
            url, model = url or settings.llm_url(), model or settings.llm_model()
        else:
            url = url or environ.get(settings.LLM_URL_VARIABLE, "").strip()
            model = model or environ.get(settings.LLM_MODEL_VARIABLE, "").strip()
        if not url:
            return None
        return cls(url, model or "", **options)

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
        return settings.secret(self.key_variable)

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
        """The reply to ``messages``, piece by piece, within this endpoint's deadline and
        budgets (:func:`qa.reply.read_reply`).

        Raises:
            EndpointError: no usable reply, or the deadline passed.
        """
        yield from read_reply(
            ReplyRequest(
                url=self.chat_url,
                shown_url=self.shown_url,
                body=self._body(messages, True),
                timeout=self.timeout,
                max_tokens=self.max_tokens,
                max_bytes=self.max_bytes,
                trust_env=not self.local,
                headers=self._headers(),
                auth=self._auth(),
                mask=self.mask,
            )
        )

    def mask(self, text: str) -> str:
        """``text`` with the API key, the URL's password and any bearer token replaced by ``***``."""
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return re.sub(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", r"\1 ***", text)
