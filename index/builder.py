"""Building and updating an index, atomically and incrementally.

A build or an update reads the sources, decides what changed, has the articles that did made
ready and encoded (:mod:`index.prepare`), and publishes a generation through the backend's
writer (:mod:`index.backends`).

>>> report = build(["articles/"], "my-index")
>>> report = update(["articles/"], "my-index")   # only new and changed articles are embedded
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .backends import backend_for
from .changes import find_changes
from .chunking import ChunkSettings, SentenceChunker
from .documents import Article
from .embedders import Embedder, load_embedder, spec_of
from .errors import (
    IndexDamagedError,
    IndexExistsError,
    IndexMismatchError,
    NoArticlesError,
    OptionError,
    RemovalRefusedError,
)
from .fetch import Fetcher, FetchPolicy, redacted
from .manifest import FORMAT_VERSION, Manifest, check_model
from .model_spec import ModelSpec
from .prepare import add_articles
from .readers import DEFAULT_MAX_FILE_MB
from .readers.file_states import FileStates, states_path
from .report import BuildReport, Progress
from .sources import SourcesRead, SourceState, counted, merged, read_all
from .storage import Backend, Storage, Writer

logger = logging.getLogger(__name__)

MAX_REMOVAL_SHARE = 0.5
"""An update removes at most this share of an index's articles unless told to (a source that
is down must not wipe an archive)."""


def build(
    sources: Sequence[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    chunk_settings: ChunkSettings | None = None,
    rebuild: bool = False,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    progress: Progress | None = None,
    fetch: FetchPolicy | Fetcher | None = None,
) -> BuildReport:
    """Build a new index of the articles under ``sources`` at ``index_dir`` (a directory or a URI).

    ``sources`` are files, folders, and URLs of pages and feeds (fetched under ``fetch``); the
    index remembers them (``update`` with no source reads them again).

    Raises:
        IndexExistsError: an index is there already and ``rebuild`` is false.
        NoArticlesError: no source held a readable article (the old index is untouched).
        IndexLockedError: another build or update is writing to ``index_dir``.
    """
    backend = backend_for(index_dir)
    settings = chunk_settings or ChunkSettings()
    if backend.exists() and not rebuild:  # checked again under the lock
        raise _exists(backend)
    created = backend.prepare()
    try:
        embedder = embedder or load_embedder(model)
        return _build(sources, backend, embedder, settings, rebuild, max_file_mb, progress, fetch)
    except BaseException:
        if created and not backend.exists():  # a first build that failed leaves nothing
            backend.discard()
        raise


def _exists(backend: Backend) -> IndexExistsError:
    """The refusal of a build over an existing index: an update adds to a sound one; a
    damaged one (or one of another format) can only be replaced."""
    where = backend.location
    try:
        backend.open().close()
    except (IndexDamagedError, IndexMismatchError) as exc:  # the message says how to rebuild
        return IndexExistsError(str(exc), **{**exc.data, "damaged": True})
    return IndexExistsError(
        f"an index exists at {where}: add articles with `article-qa index update "
        f"SOURCE... --index {where}`, or replace it with --rebuild",
        damaged=False,
    )


def _build(
    sources: Sequence[str | os.PathLike[str]],
    backend: Backend,
    embedder: Embedder,
    settings: ChunkSettings,
    rebuild: bool,
    max_file_mb: float,
    progress: Progress | None,
    fetch: FetchPolicy | Fetcher | None,
) -> BuildReport:
    with backend.writing():
        if backend.exists() and not rebuild:
            raise _exists(backend)
        report = BuildReport(backend.location, "build")
        files = FileStates(states_path(backend.location), {}, max_file_mb=max_file_mb)
        read = _read(sources, {}, fetch, max_file_mb, report, progress, build=True, known=files)
        articles = read.result.articles
        dimension = embedder.dimension  # loads the model: a model that fails leaves nothing behind
        with _aborting(backend.new_writer(dimension, base=None)) as writer:
            add_articles(writer, articles, SentenceChunker(settings), embedder, report, progress)
            report.added = [a.id for a in articles]
            registry = merged([], counted(read.states, read.origin, report.added, [], {}))
            _publish(writer, spec_of(embedder), dimension, settings, None, report, registry)
        files.save(
            read.result.files, read.result.roots, stamp=backend.read_manifest().digest(), replace_all=True
        )
    return report


def update(
    sources: Sequence[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    *,
    model: str | ModelSpec | None = None,
    embedder: Embedder | None = None,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    allow_removals: bool = False,
    progress: Progress | None = None,
    fetch: FetchPolicy | Fetcher | None = None,
) -> BuildReport:
    """Bring the index at ``index_dir`` (a directory or a URI) up to date with ``sources``
    (files, folders, URLs of pages and feeds; none: every source the index remembers).

    New articles are added, changed ones re-indexed, and articles whose file under one of
    ``sources`` is gone are removed. Unchanged articles are never re-embedded. Articles of
    other sources, and those under a file or directory that could not be read this time (an
    empty directory, an unmounted share), are kept; so are a page's or a feed's articles,
    whatever the page or feed says now (a feed drops its old items; a page may be down).

    Raises:
        RemovalRefusedError: the update would remove more than ``MAX_REMOVAL_SHARE`` of the
            articles (and more than one) and ``allow_removals`` is false; nothing is changed.
    """
    backend = backend_for(index_dir)
    backend.read_manifest()  # IndexNotFoundError before anything is created
    with backend.writing():
        store = backend.open(model=model, searching=False)
        manifest = store.manifest
        embedder = embedder or load_embedder(manifest.model_spec)
        check_model(backend.location, manifest, spec_of(embedder))
        report = BuildReport(backend.location, "update")
        registry = [s for s in map(SourceState.from_dict, manifest.sources) if s is not None]
        if not sources:
            sources = [s.location for s in registry]
            if not sources:
                store.close()
                raise OptionError(
                    f"the index at {backend.location} records no sources (it was built before they "
                    f"were recorded): name them once, `article-qa index update SOURCE... --index {backend.location}`"
                )
        files = FileStates.load(
            states_path(backend.location), stamp=manifest.digest(), max_file_mb=max_file_mb
        )
        if not files.trusted:  # its rows are checked against the index's articles
            files.indexed = store.article_hashes()
        previous = {s.location: s for s in registry}
        read = _read(sources, previous, fetch, max_file_mb, report, progress, known=files)
        found = find_changes(store, read, files)
        new, gone = found.new, found.gone
        # An edited article keeps the language it was detected in (detection needs a model
        # that takes half a second to load, for one article).
        stored = store.languages([a.id for a in found.changed if not a.lang])
        changed = [
            a if a.lang or not stored.get(a.id) else replace(a, lang=stored[a.id]) for a in found.changed
        ]
        report.unchanged = len(read.result.articles) - len(new) - len(changed) + len(read.result.kept)
        removed = list(gone)
        if not allow_removals and len(removed) > max(1, MAX_REMOVAL_SHARE * found.total):
            raise RemovalRefusedError(
                f"this update would remove {len(removed)} of the {found.total} articles of {backend.location} "
                f"(their files are gone from {', '.join(read.result.roots)}); if that is what you want, "
                "run it again with --allow-removals; nothing was changed",
                removed=len(removed),
                total=found.total,
            )
        report.added, report.changed, report.removed = (
            [a.id for a in new],
            [a.id for a in changed],
            removed,
        )
        states = counted(read.states, read.origin, report.added, report.changed, gone)
        _revise(backend, store, report, [*new, *changed], embedder, progress, merged(registry, states))
        touched = {*report.changed, *report.removed}
        files.save(
            read.result.files, read.result.roots, stamp=backend.read_manifest().digest(), touched=touched
        )
    return report


def remove(index_dir: str | os.PathLike[str], article_ids: Sequence[str]) -> BuildReport:
    """Remove these articles from the index at ``index_dir`` (unknown ids are ignored).

    Nothing is encoded and the model is not loaded; the change is published atomically.
    """
    backend = backend_for(index_dir)
    backend.read_manifest()
    with backend.writing():
        store = backend.open(searching=False)
        known = store.article_hashes()
        report = BuildReport(backend.location, "remove")
        report.removed = [a for a in dict.fromkeys(article_ids) if a in known]
        report.unchanged = len(known) - len(report.removed)
        _revise(backend, store, report, [], None, None)
    return report


def compact(index_dir: str | os.PathLike[str]) -> BuildReport:
    """Merge the segments of the index at ``index_dir`` into one, leaving out deleted articles.

    Updates merge by themselves past a share of the index (:mod:`index.embedded.writer`); this
    does it now, for example before copying an index or timing it. Nothing is encoded; the
    change is published atomically. An index that is one segment already is left as it is.
    """
    backend = backend_for(index_dir)
    backend.read_manifest()
    with backend.writing():
        store = backend.open(searching=False)
        manifest = store.manifest
        report = BuildReport(backend.location, "compact")
        report.unchanged = manifest.counts.get("articles", 0)
        if not backend.fragmented():
            report.counts = dict(manifest.counts)
            store.close()
            return report
        _revise(backend, store, report, [], None, None, compact=True)
    return report


def _revise(
    backend: Backend,
    store: Storage,
    report: BuildReport,
    articles: Sequence[Article],
    embedder: Embedder | None,
    progress: Progress | None,
    sources: Sequence[SourceState] | None = None,
    *,
    compact: bool = False,
) -> None:
    """Publish a new generation: the current one less ``report``'s removed and changed
    articles, plus ``articles`` (new and changed) encoded by ``embedder`` (``compact``: merged
    into one segment, even when nothing changes), and ``sources`` as the sources' states
    (None: kept as they are; a read that changed only them publishes a generation that holds
    the same articles)."""
    manifest = store.manifest
    registry: list[dict[str, Any]] = (
        list(manifest.sources) if sources is None else [s.to_dict() for s in sources]
    )
    if not (articles or report.removed or compact or _unread(registry) != _unread(manifest.sources)):
        report.counts = dict(manifest.counts)
        store.close()
        return
    t = time.perf_counter()
    with _aborting(backend.new_writer(manifest.dimension, base=store, compact=compact)) as writer:
        writer.delete([*report.removed, *report.changed])
        report.timings["write"] = time.perf_counter() - t
        settings = manifest.chunk_settings
        if articles:
            assert embedder is not None
            add_articles(writer, articles, SentenceChunker(settings), embedder, report, progress)
        _publish(
            writer, manifest.model_spec, manifest.dimension, settings, manifest.created_at, report, registry
        )


def _unread(registry: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sources' states without the time of their read: a read that changed nothing else
    publishes nothing (an update's writes follow what changed)."""
    return [{k: v for k, v in s.items() if k != "read_at"} for s in registry]


class _aborting:
    """Abort ``writer`` when the block fails (a kill leaves it to the next writer to drop)."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def __enter__(self) -> Writer:
        return self.writer

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is not None:
            self.writer.abort()


# -- stages --------------------------------------------------------------------------------


def _read(
    sources: Sequence[str | os.PathLike[str]],
    registry: dict[str, SourceState],
    fetch: FetchPolicy | Fetcher | None,
    max_file_mb: float,
    report: BuildReport,
    progress: Progress | None,
    *,
    build: bool = False,
    known: FileStates | None = None,
) -> SourcesRead:
    """Read ``sources``. Raises :class:`NoArticlesError` when a build reads no article, or an
    update of paths only does (a page's or feed's read, even failed, is recorded)."""
    t = time.perf_counter()
    read = read_all(sources, registry, fetch, max_file_mb=max_file_mb, known=known)
    result = read.result
    report.timings["read"] = time.perf_counter() - t
    report.problems = result.problems
    for problem in result.problems:
        logger.warning("%s", problem)
    if progress is not None:
        progress("read", len(result.files), len(result.files))
    if not result.articles and (build or read.failed()):
        listed = "; ".join(str(p) for p in result.problems[:5]) or "no article files found"
        raise NoArticlesError(
            f"no readable article in {', '.join(redacted(str(s)) for s in sources) or 'the sources'} ({listed}); "
            "nothing was changed",
            problems=len(result.problems),
        )
    return read


def _publish(
    writer: Writer,
    spec: ModelSpec,
    dimension: int,
    settings: ChunkSettings,
    created: str | None,
    report: BuildReport,
    sources: Sequence[dict[str, Any] | SourceState],
) -> None:
    t = time.perf_counter()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    counts, languages = writer.totals()
    report.counts = counts
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        generation=writer.generation,
        model=spec.model,
        runtime=spec.runtime,
        dimension=dimension,
        chunk_vectors=settings.chunk_vectors,
        chunk_size=settings.chunk_size,
        overlap=settings.overlap,
        counts=counts,
        languages=languages,
        created_at=created or now,
        updated_at=now,
        last_build={
            "kind": report.kind,
            "at": now,
            "added": len(report.added),
            "changed": len(report.changed),
            "removed": len(report.removed),
            "unchanged": report.unchanged,
            "chunks_embedded": report.chunks_embedded,
            "problems": len(report.problems),
        },
        sources=[s.to_dict() if isinstance(s, SourceState) else dict(s) for s in sources],
    )
    writer.publish(manifest)
    report.timings["write"] = report.timings.get("write", 0.0) + time.perf_counter() - t
