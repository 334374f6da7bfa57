"""The storage seam: what a build writes and what the assistant reads, whatever holds it.

An index lives in a *backend*, named by its location:

- a directory (``my-index``): the embedded backend, SQLite + FAISS on this machine
  (:mod:`index.embedded`), the default;
- ``milvus://HOST:PORT/NAME`` or ``milvus-lite:PATH/FILE.db/NAME``: a Milvus server or cluster,
  or a Milvus Lite file (:mod:`index.milvus`, the ``milvus`` extra).

The builder (:mod:`index.builder`) only reads, segments, chunks and embeds; it hands whole
articles with their vectors to a :class:`Writer` and publishes. The assistant reads through
:class:`Storage`. Searches take :class:`~index.filters.Filters`, never query text of a
backend, and nothing outside a backend touches its connections, tables or vector indexes.

>>> store = open_index("my-index")
>>> store.manifest.counts["articles"]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .documents import Article, Chunk, Sentence
from .embedders import ModelSpec
from .filters import Filters
from .manifest import Manifest

MILVUS_SCHEMES = ("milvus://", "milvus-lite:")
# Chunks a BM25 query may score (bench/scale.py: at 100,000 articles the commonest terms of a
# question hold up to ~140,000 chunks; this bound leaves 99.4% of the top 5 as they were).
LEXICAL_MAX_POSTINGS = 100_000


@dataclass(frozen=True)
class SentenceBlock:
    """Consecutive sentences of one article, their analysed terms in order, their vectors (rows)."""

    sentences: list[Sentence]
    terms: list[tuple[str, ...]]
    vectors: np.ndarray | None


@dataclass(frozen=True)
class ChunkHit:
    """A chunk with the metadata of its article, as read back from the index."""

    chunk: Chunk
    article: Article


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready to be written: its sentences and chunks, their analysed terms.

    ``terms[i]`` holds sentence ``i``'s terms joined by spaces; a chunk's terms are those of
    its sentences. Vectors come beside, one row per sentence and per chunk, in this order.
    """

    article: Article
    sentences: list[Sentence]
    terms: list[str]
    chunks: list[Chunk]
    title_terms: str

    def chunk_terms(self, chunk: Chunk) -> str:
        return " ".join(self.terms[chunk.first_sentence : chunk.last_sentence + 1])


def embedding_text(title: str, text: str) -> str:
    """The text embedded for a chunk or a sentence: its article's title, then the text.

    The title gives a sentence its subject (``Il rata le virage…`` is about Spain).
    """
    return f"{title}\n\n{text}"


class SentenceReads:
    """What every backend derives from its ``sentence_blocks``: one article's sentences."""

    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]:
        raise NotImplementedError

    def sentences(self, article: Article, first: int = 0, last: int | None = None) -> list[Sentence]:
        """The sentences ``first..last`` (inclusive) of ``article``, text included."""
        return self.sentence_block(article, first, last, vectors=False).sentences

    def sentence_block(
        self, article: Article, first: int = 0, last: int | None = None, *, vectors: bool = True
    ) -> SentenceBlock:
        """The sentences ``first..last`` of ``article`` with their analysed terms and unit vectors."""
        span = (article.id, first, last if last is not None else 2**40)
        return self.sentence_blocks([span], vectors=vectors)[1][0]


class Storage(Protocol):
    """Read access to one published generation of an index. Safe to share between threads."""

    location: str
    manifest: Manifest

    # articles
    def article(self, article_id: str) -> Article: ...
    def articles(self) -> Iterator[Article]: ...
    def article_hashes(self) -> dict[str, tuple[str, str | None]]: ...
    def languages(self, article_ids: Sequence[str]) -> dict[str, str | None]: ...
    def distinct(self, column: str) -> list[str]: ...
    def date_range(self) -> tuple[str | None, str | None]: ...

    # sentences and chunks
    def sentences(self, article: Article, first: int = 0, last: int | None = None) -> list[Sentence]: ...
    def sentence_block(
        self, article: Article, first: int = 0, last: int | None = None, *, vectors: bool = True
    ) -> SentenceBlock: ...
    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]: ...
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkHit]: ...
    def chunk_ids(self, filters: Filters | None = None) -> list[int]: ...
    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray: ...

    # search
    def dense_search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None
    ) -> list[tuple[int, float]]: ...
    def lexical_search(
        self, terms: Sequence[str], k: int, *, filters: Filters | None = None
    ) -> list[tuple[int, float]]: ...
    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]: ...

    # the index as a whole
    def published_generation(self) -> str | None: ...
    def size_bytes(self) -> int | None: ...
    def close(self) -> None: ...


class Writer(Protocol):
    """A new generation being written: invisible to readers until :meth:`publish`."""

    generation: str

    def delete(self, article_ids: Sequence[str]) -> None: ...
    def add(
        self, articles: Sequence[PreparedArticle], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray
    ) -> None: ...
    def totals(self) -> tuple[dict[str, int], dict[str, int]]: ...
    def publish(self, manifest: Manifest) -> Manifest: ...
    def abort(self) -> None: ...


class Backend(Protocol):
    """Where an index lives: opening it, locking it for one writer, starting a generation."""

    location: str

    def exists(self) -> bool: ...
    def read_manifest(self) -> Manifest: ...
    def open(self, *, model: str | ModelSpec | None = None) -> Storage: ...
    def writing(self) -> AbstractContextManager[None]: ...
    def prepare(self) -> bool: ...
    def discard(self) -> None: ...
    def fragmented(self, store: Storage) -> bool: ...
    def new_writer(self, dimension: int, *, base: Storage | None, compact: bool = False) -> Writer: ...


def within_budget(terms: Sequence[str], frequencies: dict[str, int], budget: int) -> list[str]:
    """The rarest ``terms`` whose chunk counts add up to at most ``budget`` (the rarest always)."""
    kept: list[str] = []
    total = 0
    for term in sorted(terms, key=lambda t: frequencies.get(t, 0)):
        count = frequencies.get(term, 0)
        if kept and total + count > budget:
            break
        kept.append(term)
        total += count
    return kept


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names an index in an engine (a URI) rather than a directory."""
    return isinstance(location, str) and location.startswith(MILVUS_SCHEMES)


def resolve_location(location: str | os.PathLike[str]) -> str | Path:
    """A URI as given, a directory with ``~`` expanded."""
    return str(location) if is_remote(location) else Path(location).expanduser()


def local_dir(location: str | os.PathLike[str], *, suffix: str) -> Path:
    """A directory on this machine that goes with the index: ``DIR{suffix}`` beside an index
    directory, or for an index in an engine, one named after its URI under the data directory."""
    where = resolve_location(location)
    if isinstance(where, Path):
        return where.with_name(where.name + suffix)
    from .settings import data_dir

    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", where).strip("_")
    return data_dir() / "remote" / (slug + suffix)


def backend_for(location: str | os.PathLike[str]) -> Backend:
    """The backend that holds the index at ``location`` (nothing is opened yet)."""
    if is_remote(location):
        from .milvus import MilvusBackend

        return MilvusBackend(str(location))
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(location)


def open_index(location: str | os.PathLike[str], *, model: str | ModelSpec | None = None) -> Storage:
    """Open the index at ``location`` (a directory or a URI) and hold its current generation.

    Raises:
        IndexNotFoundError: there is no index there.
        IndexDamagedError: it cannot be read.
        IndexMismatchError: it was built with another format, or another model than ``model``.
    """
    return backend_for(location).open(model=model)
