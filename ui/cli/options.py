"""What the commands share: option types, the options that name an index or a language
model, and SIGTERM turned into an exception while an index is written."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import settings
from index.location import default_index_dir, resolve_location

if TYPE_CHECKING:
    from qa import Endpoint


def index_arg(parser: argparse.ArgumentParser, *, help: str | None = None) -> None:
    """``--index DIR|URI``: where the index is."""
    parser.add_argument(
        "--index",
        type=resolve_location,
        default=None,
        metavar="DIR|URI",
        help=help
        or "index directory, or milvus://HOST:PORT/NAME or milvus-lite:FILE.db/NAME "
        "(default: $ARTICLE_QA_INDEX or ~/.local/share/article-qa/index)",
    )


def index_of(args: argparse.Namespace) -> str | Path:
    """The index the options name, else the default one."""
    return args.index or default_index_dir()


def within(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within ``low..high``, or a message saying so."""

    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be within {low:g}..{high:g}, got {value}")
        return number

    return parse


def llm_args(parser: argparse.ArgumentParser, what: str) -> None:
    """The options that name a language model's OpenAI-compatible endpoint."""
    parser.add_argument(
        "--llm-url",
        default=None,
        metavar="URL",
        help=f"{what}: an OpenAI-compatible API such as http://127.0.0.1:8080/v1 "
        "(default $ARTICLE_QA_LLM_URL; none: answers quote the articles). "
        "An API key, if needed, is read from $ARTICLE_QA_LLM_KEY only",
    )
    parser.add_argument(
        "--llm-model", default=None, metavar="NAME", help="the model's name (default $ARTICLE_QA_LLM_MODEL)"
    )
    parser.add_argument(
        "--llm-timeout",
        type=within(float, 1.0, 600.0),
        default=60.0,
        metavar="SECONDS",
        help="the whole reply's deadline: past it the model is cut off and the answer quoted (default 60)",
    )


def reranker_arg(parser: argparse.ArgumentParser) -> None:
    """``--reranker NAME_OR_PATH``: a cross-encoder that re-reads the scorer's best sentences."""
    parser.add_argument(
        "--reranker",
        default=None,
        metavar="NAME_OR_PATH",
        help="re-read the scorer's 10 best sentences with this sentence-transformers CrossEncoder: "
        "the folder it was saved to, or a name in this machine's Hugging Face cache (default "
        f"${settings.RERANKER_VARIABLE}; none: no re-ranking). Until `make fit RERANKER=...` fits it, "
        "it changes no answer; ask --json reports its cost",
    )


def reranker_of(args: argparse.Namespace) -> str | None:
    """The re-ranker the options or the environment name, if any."""
    return args.reranker or settings.reranker()


def endpoint_of(args: argparse.Namespace) -> Endpoint | None:
    """The endpoint the options or the environment name, if any."""
    from qa import Endpoint

    return Endpoint.from_env(url=args.llm_url, model=args.llm_model, timeout=args.llm_timeout)


class Terminated(BaseException):
    """SIGTERM, raised in the command that runs, so that its clean-up runs (not an Exception:
    nothing that catches those may swallow it)."""


@contextlib.contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command that writes an index runs.

    Its default action ends the process at once: a first build then left a directory with a
    lock file and half a generation. Raised instead, it goes through the same clean-up as an
    error or Ctrl+C (a first build leaves nothing, a rebuild or an update the index it had).
    A second SIGTERM during that clean-up ends the process as before.
    """
    previous = signal.getsignal(signal.SIGTERM)
    # Only the main thread may set it; a SIGTERM the caller ignores stays ignored.
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield
        return
    if previous is None:  # set outside Python: put the default back
        previous = signal.SIG_DFL

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, previous)
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
