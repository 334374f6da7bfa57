"""Building and updating an index, atomically and incrementally.

>>> report = build(["articles/"], "my-index")
>>> report = update(["articles/"], "my-index")   # only new and changed articles are embedded
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import vectors as vector_index
from .analysis import analyze, detect_language
from .articles import DEFAULT_MAX_FILE_MB, ReadProblem, ReadResult, read_sources
from .chunking import ChunkSettings, SentenceChunker
from .embedders import Embedder, ModelSpec, load_embedder, spec_of
from .errors import (
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    NoArticlesError,
    QAError,
    RemovalRefusedError,
)
from .records import Article, Chunk, Sentence
from .segment import split_sentences
from .store import (
    DATABASE,
    FORMAT_VERSION,
    MANIFEST,
    READERS,
    SCHEMA,
    SENTENCE_VECTORS,
    VECTORS,
    IndexStore,
    Manifest,
    check_model,
    embedding_text,
    fsync_dir,
    release_when_unread,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total); stages: read, segment, embed, write."""

LOCK = ".lock"
MAX_REMOVAL_SHARE = 0.5
"""An update removes at most this share of an index's articles unless told to (a source that
is down must not wipe an archive)."""


@dataclass
class BuildReport:
    """What a build or an update did, how long each stage took, and what it could not read."""

    index_dir: str
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    texts_encoded: int = 0
    problems: list[ReadProblem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
        ]
        line = f"{self.kind}: {', '.join(parts)}; {self.chunks_embedded} chunks embedded"
        if self.counts:
            line += (
                f"; index has {self.counts['articles']} articles, "
                f"{self.counts['sentences']} sentences, {self.counts['chunks']} chunks"
            )
        if self.problems:
            line += f"; {len(self.problems)} problem(s), listed above"
        return line

    def to_dict(self) -> dict[str, object]:
        return {
            "index_dir": self.index_dir,
            "kind": self.kind,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks_embedded": self.chunks_embedded,
            "sentences_embedded": self.sentences_embedded,
            "texts_encoded": self.texts_encoded,
            "problems": [str(p) for p in self.problems],
            "timings": self.timings,
            "counts": self.counts,
        }


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
) -> BuildReport:
    """Build a new index of the articles under ``sources`` in ``index_dir``.

    Raises:
        IndexExistsError: an index is there already and ``rebuild`` is false.
        NoArticlesError: no source held a readable article (the old index is untouched).
        IndexLockedError: another build or update is writing to ``index_dir``.
    """
    path = Path(index_dir).expanduser()
    settings = chunk_settings or ChunkSettings()
    if (path / MANIFEST).exists() and not rebuild:  # checked again under the lock
        raise _exists(path)
    created = _make_index_dir(path)
    try:
        embedder = embedder or load_embedder(model)
        return _build(sources, path, embedder, settings, rebuild, max_file_mb, progress)
    except BaseException:
        if created and not (path / MANIFEST).exists():  # a first build that failed leaves nothing
            shutil.rmtree(path, ignore_errors=True)
        raise


def _exists(path: Path) -> IndexExistsError:
    return IndexExistsError(
        f"an index exists at {path}: add articles with `article-qa index update "
        f"SOURCE... --index {path}`, or replace it with --rebuild"
    )


def _make_index_dir(path: Path) -> bool:
    """Create the index directory if needed; True if it was created here."""
    if path.is_dir():
        return False
    if path.exists():
        raise IndexNotFoundError(f"cannot put an index at {path}: it is a file, not a directory")
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise IndexNotFoundError(
            f"cannot create the index directory {path} ({exc.strerror or exc}); choose another place"
        ) from None
    return True


def _build(
    sources: Sequence[str | os.PathLike[str]],
    path: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    rebuild: bool,
    max_file_mb: float,
    progress: Progress | None,
) -> BuildReport:
    with _writer_lock(path):
        if (path / MANIFEST).exists() and not rebuild:
            raise _exists(path)
        report = BuildReport(str(path), "build")
        read = _read(sources, max_file_mb, report, progress)
        previous = _current_generation(path)
        dimension = embedder.dimension  # loads the model: a model that fails leaves nothing behind
        gen = _new_generation(path)
        db = _create_database(gen)
        chunker = SentenceChunker(settings)
        vectors = _Vectors.empty(dimension)
        _add_articles(db, vectors, read.articles, chunker, embedder, report, progress)
        report.added = [a.id for a in read.articles]
        manifest = _manifest(db, gen, spec_of(embedder), dimension, settings, created=None, report=report)
        _publish(path, db, vectors, gen, manifest, report, previous)
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
) -> BuildReport:
    """Bring the index in ``index_dir`` up to date with ``sources``.

    New articles are added, changed ones re-indexed, and articles whose file under one of
    ``sources`` is gone are removed. Unchanged articles are never re-embedded. Articles of
    other sources, and those under a file or directory that could not be read this time (an
    empty directory, an unmounted share), are kept.

    Raises:
        RemovalRefusedError: the update would remove more than ``MAX_REMOVAL_SHARE`` of the
            articles (and more than one) and ``allow_removals`` is false; nothing is changed.
    """
    path = Path(index_dir).expanduser()
    Manifest.read(path)  # IndexNotFoundError before anything is created
    with _writer_lock(path):
        store = IndexStore.open(path, model=model)
        manifest = store.manifest
        embedder = embedder or load_embedder(manifest.model_spec)
        check_model(path, manifest, spec_of(embedder))
        report = BuildReport(str(path), "update")
        read = _read(sources, max_file_mb, report, progress)
        known = store.article_hashes()
        new = [a for a in read.articles if a.id not in known]
        changed = [a for a in read.articles if a.id in known and known[a.id][0] != a.content_hash]
        # An edited article keeps the language it was detected in (detection needs a model
        # that takes half a second to load, for one article).
        stored = store.languages([a.id for a in changed if not a.lang])
        changed = [a if a.lang or not stored.get(a.id) else replace(a, lang=stored[a.id]) for a in changed]
        report.unchanged = len(read.articles) - len(new) - len(changed)
        removed = _gone(known, read)
        if not allow_removals and len(removed) > max(1, MAX_REMOVAL_SHARE * len(known)):
            raise RemovalRefusedError(
                f"this update would remove {len(removed)} of the {len(known)} articles of {path} "
                f"(their files are gone from {', '.join(read.roots)}); if that is what you want, "
                "run it again with --allow-removals; nothing was changed",
                removed=len(removed),
                total=len(known),
            )
        report.added, report.changed, report.removed = (
            [a.id for a in new],
            [a.id for a in changed],
            removed,
        )
        _revise(path, store, report, [*new, *changed], embedder, progress)
    return report


def remove(index_dir: str | os.PathLike[str], article_ids: Sequence[str]) -> BuildReport:
    """Remove these articles from the index in ``index_dir`` (unknown ids are ignored).

    Nothing is encoded and the model is not loaded; the change is published atomically.
    """
    path = Path(index_dir).expanduser()
    Manifest.read(path)
    with _writer_lock(path):
        store = IndexStore.open(path)
        known = store.article_hashes()
        report = BuildReport(str(path), "remove")
        report.removed = [a for a in dict.fromkeys(article_ids) if a in known]
        report.unchanged = len(known) - len(report.removed)
        _revise(path, store, report, [], None, None)
    return report


def _revise(
    path: Path,
    store: IndexStore,
    report: BuildReport,
    articles: Sequence[Article],
    embedder: Embedder | None,
    progress: Progress | None,
) -> None:
    """Publish a new generation: the current one less ``report``'s removed and changed
    articles, plus ``articles`` (new and changed) encoded by ``embedder``."""
    manifest = store.manifest
    if not (articles or report.removed):
        report.counts = dict(manifest.counts)
        store.close()
        return
    t = time.perf_counter()
    gen = _new_generation(path)
    db = sqlite3.connect(gen / DATABASE, isolation_level=None)
    store.db.backup(db)
    store.close()
    _fast_writes(db)
    vectors = _Vectors(store.vectors, store.sentence_vectors)
    db.execute("BEGIN")
    stale_chunks, stale_sentences = _delete_articles(db, [*report.removed, *report.changed])
    vectors.chunks.remove_ids(np.asarray(stale_chunks, dtype=np.int64))
    vectors.sentences.remove_ids(np.asarray(stale_sentences, dtype=np.int64))
    db.execute("COMMIT")
    report.timings["write"] = time.perf_counter() - t
    settings = manifest.chunk_settings
    if articles:
        assert embedder is not None
        _add_articles(db, vectors, articles, SentenceChunker(settings), embedder, report, progress)
    result = _manifest(
        db, gen, manifest.model_spec, manifest.dimension, settings, created=manifest.created_at, report=report
    )
    _publish(path, db, vectors, gen, result, report, manifest.generation)


# -- stages --------------------------------------------------------------------------------


def _read(
    sources: Sequence[str | os.PathLike[str]],
    max_file_mb: float,
    report: BuildReport,
    progress: Progress | None,
) -> ReadResult:
    t = time.perf_counter()
    read = read_sources(sources, max_file_mb=max_file_mb)
    report.timings["read"] = time.perf_counter() - t
    report.problems = read.problems
    for problem in read.problems:
        logger.warning("%s", problem)
    if progress is not None:
        progress("read", len(read.files), len(read.files))
    if not read.articles:
        listed = "; ".join(str(p) for p in read.problems[:5]) or "no article files found"
        raise NoArticlesError(
            f"no readable article in {', '.join(map(str, sources)) or 'the sources'} ({listed}); "
            "nothing was changed",
            problems=len(read.problems),
        )
    return read


def _gone(known: dict[str, tuple[str, str | None]], read: ReadResult) -> list[str]:
    """Indexed articles whose file lies under a source root but was not read back.

    An article is kept when its file, or a directory above it, is among the problems: the
    file is there but did not read this time, or the directory could not be listed (or held
    no article file at all).
    """
    seen = {a.id for a in read.articles}
    failed = {Path(p.path) for p in read.problems}
    roots = [Path(r) for r in read.roots]
    gone = []
    for article_id, (_, stored_path) in known.items():
        if article_id in seen or not stored_path:
            continue
        file = Path(stored_path)
        if file in failed or any(parent in failed for parent in file.parents):
            continue
        if any(file == root or root in file.parents for root in roots):
            gone.append(article_id)
    return gone


def _add_articles(
    db: sqlite3.Connection,
    vectors: _Vectors,
    articles: Sequence[Article],
    chunker: SentenceChunker,
    embedder: Embedder,
    report: BuildReport,
    progress: Progress | None,
) -> None:
    t = time.perf_counter()
    prepared: list[tuple[Article, list[Sentence], list[str], list[Chunk], str]] = []
    for i, article in enumerate(articles):
        if not article.lang:  # detected here, for the articles being indexed only
            article = replace(article, lang=detect_language(f"{article.title}\n{article.text}"))
        sentences = split_sentences(
            article.text, lang=article.lang, article_id=article.id, max_chars=chunker.settings.chunk_size
        )
        chunks = chunker.chunk(article.text, sentences)
        # Each sentence is analysed once; a chunk's terms are those of its sentences.
        terms = [" ".join(analyze(s.text, article.lang)) for s in sentences]
        title_terms = " ".join(analyze(article.title, article.lang))
        prepared.append((article, sentences, terms, chunks, title_terms))
        if progress is not None and (i % 50 == 0 or i + 1 == len(articles)):
            progress("segment", i + 1, len(articles))
    report.timings["segment"] = report.timings.get("segment", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    chunk_ids: list[int] = []
    texts: list[str] = []
    sentence_ids: list[int] = []
    sentence_texts: list[str] = []
    spans: list[tuple[int, int]] = []  # each chunk's rows in the sentence matrix
    db.execute("BEGIN")
    for article, sentences, terms, chunks, title_terms in prepared:
        first_row = len(sentence_texts)  # where this article's sentences start in the matrix
        cur = db.execute(
            "INSERT INTO articles (id, title, text, date, url, source, category, lang, path, "
            "line, content_hash, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.id, article.title, article.text, article.date, article.url,
                article.source, article.category, article.lang, article.path, article.line,
                article.content_hash, now,
            ),
        )  # fmt: skip
        rowid = cur.lastrowid
        for s, sentence_terms in zip(sentences, terms, strict=True):
            sid = db.execute(
                "INSERT INTO sentences (article, ordinal, start, end, terms) VALUES (?,?,?,?,?)",
                (rowid, s.ordinal, s.start, s.end, sentence_terms),
            ).lastrowid
            sentence_ids.append(int(sid or 0))
            sentence_texts.append(embedding_text(article.title, s.text))
        for chunk in chunks:
            body_terms = " ".join(terms[chunk.first_sentence : chunk.last_sentence + 1])
            cid = db.execute(
                "INSERT INTO chunks (article, ordinal, first_sentence, last_sentence, start, end) "
                "VALUES (?,?,?,?,?,?)",
                (rowid, chunk.ordinal, chunk.first_sentence, chunk.last_sentence, chunk.start, chunk.end),
            ).lastrowid
            db.execute(
                "INSERT INTO chunk_terms (rowid, title, body) VALUES (?,?,?)",
                (cid, title_terms, body_terms),
            )
            chunk_ids.append(int(cid or 0))
            texts.append(embedding_text(article.title, chunk.text))
            spans.append((first_row + chunk.first_sentence, first_row + chunk.last_sentence + 1))
    report.timings["write"] = report.timings.get("write", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    derived = chunker.settings.chunk_vectors == "sentences"
    total = len(sentence_texts) + (0 if derived else len(texts))

    def on_embed(offset: int) -> Callable[[int, int], None] | None:
        return (lambda done, _: progress("embed", offset + done, total)) if progress else None

    if derived:
        sentence_matrix = embedder.encode_documents(sentence_texts, progress=on_embed(0))
        matrix = _sentence_sums(sentence_matrix, spans)
    else:
        matrix = embedder.encode_documents(texts, progress=on_embed(0))
        sentence_matrix = embedder.encode_documents(sentence_texts, progress=on_embed(len(texts)))
    report.timings["embed"] = report.timings.get("embed", 0.0) + time.perf_counter() - t
    report.chunks_embedded += len(texts)
    report.sentences_embedded += len(sentence_texts)
    report.texts_encoded += total

    t = time.perf_counter()
    if texts:
        vectors.chunks.add_with_ids(matrix, np.asarray(chunk_ids, dtype=np.int64))
    if sentence_texts:
        vectors.sentences.add_with_ids(sentence_matrix, np.asarray(sentence_ids, dtype=np.int64))
    db.execute("COMMIT")
    report.timings["write"] += time.perf_counter() - t


def _sentence_sums(sentence_matrix: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each chunk's vector from its sentences': their sum, L2-normalised."""
    out = np.zeros((len(spans), sentence_matrix.shape[1]), dtype=np.float32)
    for row, (begin, end) in enumerate(spans):
        out[row] = sentence_matrix[begin:end].sum(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.ascontiguousarray(out / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _delete_articles(db: sqlite3.Connection, article_ids: Sequence[str]) -> tuple[list[int], list[int]]:
    """Delete these articles with their sentences, chunks and terms; return the vector ids."""
    chunks: list[int] = []
    sentences: list[int] = []
    for article_id in article_ids:
        row = db.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            continue
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE article = ?", row)]
        db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in ids])
        sentences.extend(r[0] for r in db.execute("SELECT id FROM sentences WHERE article = ?", row))
        db.execute("DELETE FROM chunks WHERE article = ?", row)
        db.execute("DELETE FROM sentences WHERE article = ?", row)
        db.execute("DELETE FROM articles WHERE rowid = ?", row)
        chunks.extend(ids)
    return chunks, sentences


# -- generations, publishing, locking --------------------------------------------------------


@dataclass
class _Vectors:
    """The two FAISS indexes of a generation: chunks and sentences, keyed by their ids."""

    chunks: Any
    sentences: Any

    @classmethod
    def empty(cls, dimension: int) -> _Vectors:
        return cls(vector_index.empty(dimension), vector_index.empty_readback(dimension))

    def write(self, gen: Path) -> None:
        import faiss

        self.chunks = vector_index.sized(self.chunks)
        faiss.write_index(self.chunks, str(gen / VECTORS))
        faiss.write_index(self.sentences, str(gen / SENTENCE_VECTORS))


def _fast_writes(db: sqlite3.Connection) -> None:
    # A generation is private until published, and fsynced before: no journal is needed.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")


def _create_database(gen: Path) -> sqlite3.Connection:
    db = sqlite3.connect(gen / DATABASE, isolation_level=None)
    _fast_writes(db)
    db.executescript(SCHEMA)
    return db


def _manifest(
    db: sqlite3.Connection,
    gen: Path,
    spec: ModelSpec,
    dimension: int,
    settings: ChunkSettings,
    *,
    created: str | None,
    report: BuildReport,
) -> Manifest:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    counts = {
        "articles": db.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
        "sentences": db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0],
        "chunks": db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0],
    }
    languages = dict(db.execute("SELECT COALESCE(lang, ''), COUNT(*) FROM articles GROUP BY 1"))
    report.counts = counts
    return Manifest(
        format_version=FORMAT_VERSION,
        generation=gen.name,
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
    )


def _publish(
    path: Path,
    db: sqlite3.Connection,
    vectors: _Vectors,
    gen: Path,
    manifest: Manifest,
    report: BuildReport,
    previous: str | None,
) -> None:
    t = time.perf_counter()
    # Pages freed by deleted articles stay in the file and are reused by the next inserts;
    # no VACUUM, which would rewrite the whole database on every update.
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    vectors.write(gen)
    manifest = replace(manifest, vector_index=vector_index.kind(vectors.chunks))
    for name in (DATABASE, VECTORS, SENTENCE_VECTORS):
        with open(gen / name, "rb") as f:
            os.fsync(f.fileno())
    fsync_dir(gen)
    manifest.write(path)  # the commit point
    _remove_old_generations(path, keep={gen.name, previous})
    report.timings["write"] = report.timings.get("write", 0.0) + time.perf_counter() - t
    logger.info("published %s in %s", gen.name, path)


def _current_generation(path: Path) -> str | None:
    try:
        return Manifest.read(path).generation
    except QAError:  # no index yet, or a damaged one or one of another format being replaced
        return None


def _new_generation(path: Path) -> Path:
    _drop_unpublished(path)
    numbers = [int(p.name[1:]) for p in path.glob("g[0-9]*") if p.name[1:].isdigit()]
    gen = path / f"g{max(numbers, default=0) + 1:06d}"
    gen.mkdir()
    (gen / READERS).touch()
    return gen


def _drop_unpublished(path: Path) -> None:
    """Delete generations newer than the published one: a killed writer left them.

    Only when the manifest can be read (or there is none at all): with a damaged manifest,
    which generation is the real one is unknown, and nothing is deleted.
    """
    if (path / MANIFEST).exists():
        current = _current_generation(path)
        if current is None:
            return
    else:
        current = ""
    for stale in path.glob("g[0-9]*"):
        if stale.is_dir() and stale.name > current:
            shutil.rmtree(stale, ignore_errors=True)
    for tmp in path.glob(f".{MANIFEST}.*.tmp"):  # a manifest write that was killed
        tmp.unlink(missing_ok=True)


def _remove_old_generations(path: Path, keep: set[str | None]) -> None:
    """Drop generations that are neither current nor the one just replaced, unless a reader
    (a running server, a question being answered) still holds one: it goes in a later update."""
    for old in path.glob("g[0-9]*"):
        if old.name in keep or not old.is_dir():
            continue
        held = release_when_unread(old)
        if held is None:
            logger.info("kept %s: a reader still uses it", old.name)
            continue
        try:
            shutil.rmtree(old, ignore_errors=True)
        finally:
            if held is not True:
                held.close()


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    """Hold ``DIR/.lock``; a second writer gets :class:`IndexLockedError` at once."""
    with open(path / LOCK, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLockedError(
                f"another build or update ({holder}) is writing to {path}; "
                "wait for it to finish, then run yours again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
