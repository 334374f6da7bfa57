"""A client of the OpenAI-compatible chat-completions API (Ollama, vLLM, llama.cpp's
``llama-server``, hosted APIs), through ``httpx`` (the ``llm`` extra).

Only ``messages``, ``temperature``, ``max_tokens``, ``seed`` and ``stream`` are sent. The API
key is read from an environment variable when a request is sent, never taken as an argument
that a command line would show. Nothing is sent anywhere unless an endpoint is configured.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from index.errors import OptionError, QAError

__all__ = ["KEY_VARIABLE", "MODEL_VARIABLE", "URL_VARIABLE", "Endpoint", "EndpointError"]

URL_VARIABLE = "ARTICLE_QA_LLM_URL"
MODEL_VARIABLE = "ARTICLE_QA_LLM_MODEL"
KEY_VARIABLE = "ARTICLE_QA_LLM_KEY"
"""The environment variables that configure an endpoint: its base URL (``…/v1``), the model's
name, and the API key (if the server wants one)."""


class EndpointError(QAError):
    """The language model's server did not give a usable reply.

    ``reason`` (in :attr:`data`): ``timeout``, ``connection``, ``http``, ``malformed`` or
    ``empty``.
    """

    code = "endpoint"


@dataclass(frozen=True)
class Endpoint:
    """Where a language model answers: an OpenAI-compatible ``/chat/completions``.

    Args:
        url: the API's base URL, such as ``http://127.0.0.1:8080/v1`` (``/chat/completions``
            is added).
        model: the model's name, as the server knows it.
        key_variable: the environment variable holding the API key (none sent if unset).
        timeout: seconds to wait for the server to connect, and between two parts of a reply.
        temperature, max_tokens, seed: sent with each request.
    """

    url: str
    model: str
    key_variable: str = KEY_VARIABLE
    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int | None = 0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise OptionError(
                f"the language model's URL must start with http:// or https://, got {self.url!r}",
                option="llm_url",
                reason="not_a_url",
                value=self.url,
            )
        if not self.model.strip():
            raise OptionError(
                f"name the language model with --llm-model NAME (or ${MODEL_VARIABLE})",
                option="llm_model",
                reason="missing",
            )
        if self.timeout <= 0 or self.max_tokens < 1:
            raise OptionError("timeout and max_tokens must be positive", option="llm_timeout")
        if importlib.util.find_spec("httpx") is None:
            raise OptionError(
                "composed answers need httpx: pip install 'article-qa[llm]'",
                option="llm_url",
                reason="missing_extra",
            )

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
    def chat_url(self) -> str:
        return self.url.rstrip("/") + "/chat/completions"

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.key_variable, "").strip()
        return {"Authorization": f"Bearer {key}"} if key else {}

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
        """The reply to ``messages``, piece by piece as the server sends it.

        Raises:
            EndpointError: no usable reply (the reason is in ``data["reason"]``).
        """
        import httpx

        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        sent = False
        try:
            with (
                httpx.Client(timeout=timeout, trust_env=not self.local) as client,
                client.stream(
                    "POST", self.chat_url, json=self._body(messages, True), headers=self._headers()
                ) as reply,
            ):
                if reply.status_code != 200:
                    reply.read()
                    raise EndpointError(
                        f"the language model's server answered HTTP {reply.status_code}: {_short(reply.text)}",
                        reason="http",
                        status=reply.status_code,
                    )
                if not reply.headers.get("content-type", "").startswith("text/event-stream"):
                    # A server that does not stream sends the whole reply at once.
                    text = _content(_json(reply.read().decode("utf-8", "replace")))
                    if text:
                        sent = True
                        yield text
                else:
                    for piece in _events(reply.iter_lines()):
                        sent = True
                        yield piece
        except httpx.TimeoutException as exc:
            raise EndpointError(
                f"the language model did not answer within {self.timeout:g} s", reason="timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise EndpointError(
                f"cannot reach the language model at {self.url}: {type(exc).__name__}", reason="connection"
            ) from exc
        if not sent:
            raise EndpointError("the language model's reply was empty", reason="empty")


def _events(lines: Iterator[str]) -> Iterator[str]:
    """The text pieces of a server-sent event stream of chat-completion chunks."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        chunk = _json(data)
        if isinstance(chunk.get("error"), dict | str):
            raise EndpointError(
                f"the language model's server failed: {_short(str(chunk['error']))}", reason="http"
            )
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise EndpointError("the language model's reply is not a chat completion", reason="malformed")
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str) and piece:
                yield piece


def _content(reply: dict[str, Any]) -> str:
    """The text of a whole (non-streamed) chat completion."""
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EndpointError(
            "the language model's reply is not a chat completion", reason="malformed"
        ) from None
    if content is not None and not isinstance(content, str):
        raise EndpointError("the language model's reply is not text", reason="malformed")
    return content or ""


def _json(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise EndpointError(
            f"the language model's reply is not JSON: {_short(data)}", reason="malformed"
        ) from None
    if not isinstance(value, dict):
        raise EndpointError("the language model's reply is not a JSON object", reason="malformed")
    return value


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
