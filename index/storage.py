"""The storage seam: what a build writes and what the assistant reads, whatever holds it.

An index lives in a *backend*, named by its location (:mod:`index.location`): the embedded
backend, SQLite + FAISS in a directory (:mod:`index.embedded`), or Milvus (:mod:`index.milvus`).
This module names what every backend does (:class:`Backend`, :class:`Storage`,
:class:`Writer`) and the values they exchange; :mod:`index.backends` chooses and opens one.

The builder (:mod:`index.builder`) only reads, segments, chunks and embeds; it hands whole
articles with their vectors to a :class:`Writer` and publishes. The assistant reads through
:class:`Storage`. Searches take :class:`~index.filters.Filters`, never query text of a
backend, and nothing outside a backend touches its connections, tables or vector indexes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .documents import Article, Chunk, Sentence
from .filters import Filters
from .manifest import Manifest
from .model_spec import ModelSpec


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
class Copy:
    """Another article of the same story as one read (:mod:`index.stories`): a near-duplicate
    published elsewhere, as a wire story is by many papers."""

    article_id: str
    title: str
    source: str | None
    url: str | None
    date: str | None


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
    signature: np.ndarray | None = None
    """The MinHash signature of its text (:func:`index.stories.signature`; None: none made)."""

    def chunk_terms(self, chunk: Chunk) -> str:
        return " ".join(self.terms[chunk.first_sentence : chunk.last_sentence + 1])


def stored_pages(pages: Sequence[int] | None) -> str | None:
    """An article's page offsets as a backend stores them: ``"0 1520 3012"`` (None: no pages)."""
    return None if pages is None else " ".join(map(str, pages))


def pages_of(stored: str | None) -> tuple[int, ...] | None:
    """The page offsets :func:`stored_pages` wrote; None for none, or for a value that is not
    offsets from 0 up (citations then name no page rather than a wrong one)."""
    if not stored:
        return None
    try:
        pages = tuple(int(n) for n in stored.split())
    except ValueError:
        return None
    if pages[0] != 0 or any(b < a for a, b in itertools.pairwise(pages)):
        return None
    return pages


class SentenceReads:
    """The reads of :class:`Storage` that every backend derives from its ``sentence_blocks``."""

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
    def article_hashes(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str | None]]:
        """``{article id: (content hash, source path)}`` of every article, or of those of ``ids``
        that the index holds."""
        ...

    def languages(self, article_ids: Sequence[str]) -> dict[str, str | None]: ...
    def copies(self, article_ids: Sequence[str], limit: int = 20) -> dict[str, tuple[int, list[Copy]]]:
        """For each of these articles whose story has other live articles (near-duplicates),
        how many, and the first ``limit``. A search without filters reads one article of each
        story; one with filters reads every article that meets them."""
        ...

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
    def size_bytes(self) -> int | None:
        """The bytes the index takes on this machine; None when an engine keeps it."""
        ...

    def segment_count(self) -> int | None:
        """How many segments the generation reads; None when the backend has no segments."""
        ...

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
    def open(self, *, model: str | ModelSpec | None = None, searching: bool = True) -> Storage:
        """The published generation, held while the store lives (``searching``: whether it
        will answer searches; a writer's does not, so what only searches need is not made)."""
        ...

    def writing(self) -> AbstractContextManager[None]: ...
    def prepare(self) -> bool:
        """Make what the first write needs; True if it was created here (a failure discards it)."""
        ...

    def discard(self) -> None:
        """Drop what a first build that failed left behind."""
        ...

    def fragmented(self) -> bool:
        """Whether the published generation would read faster merged (``compact`` does it)."""
        ...

    def copy_to(self, target: str | os.PathLike[str]) -> None:
        """Copy the published generation to a new index at ``target``, for that copy to be
        changed while this index stays as it is."""
        ...

    def new_writer(self, dimension: int, *, base: Storage | None, compact: bool = False) -> Writer: ...
