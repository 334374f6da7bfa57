"""The embedded backend's reads: one published generation, over its segments.

See :mod:`index.embedded.layout` for the directory and :mod:`index.embedded.segment` for one
segment; :mod:`index.embedded.writer` writes them. After a build or a merge a generation is
one segment and every read is one query, as it always was; after an update it is that segment,
less the articles the update deleted, plus a small segment of the articles it added.
"""

from __future__ import annotations

import heapq
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import bm25
from ..documents import Article, Sentence
from ..errors import IndexDamagedError
from ..filters import Filters
from ..manifest import Manifest, check_model
from ..model_spec import ModelSpec, as_spec
from ..storage import ChunkHit, Copy, SentenceBlock, SentenceReads
from . import lexical
from . import vectors as vector_index
from .layout import DATABASE, Record, current_generation, damaged, hold
from .manifest_file import read_manifest
from .segment import SCHEMA, Segment, article_of, chunk_of, where
from .stories import copies_of, copies_to_hide

__all__ = ["SCHEMA", "IndexStore", "where"]


class IndexStore(SentenceReads):
    """Read access to a published index generation. Safe to share between threads.

    >>> store = IndexStore.open("my-index")
    >>> store.manifest.counts["articles"]
    """

    def __init__(self, index_dir: Path, manifest: Manifest, segments: Sequence[Segment]) -> None:
        self.index_dir = index_dir
        self.location = str(index_dir)
        self.manifest = manifest
        self.generation_dir = index_dir / manifest.generation
        self.segments = list(segments)
        self.record = Record(
            [s.name for s in self.segments], {s.name: sorted(s.gone) for s in segments if s.gone}
        )
        # The open ``.readers`` file, shared-locked: the generation is not deleted while held.
        self._held: Any = None
        self._stats: tuple[int, float] | None = None
        self._postings: list[lexical.Postings] | None = None  # every segment's, when all have them
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        index_dir: str | os.PathLike[str],
        *,
        model: str | ModelSpec | None = None,
        searching: bool = True,
    ) -> IndexStore:
        """Open the index at ``index_dir`` and hold its current generation while this store lives
        (``searching``: whether it works out the story copies that searches leave out).

        Raises:
            IndexNotFoundError: there is no index there.
            IndexDamagedError: its manifest, database or vectors cannot be read.
            IndexMismatchError: it was built with another format version, or with another
                model than ``model`` (when given).
        """
        path = Path(index_dir).expanduser()
        for _ in range(5):  # a writer may publish and delete between our reads: read again
            manifest = read_manifest(path)
            if model is not None:
                check_model(path, manifest, as_spec(model))
            gen = path / manifest.generation
            held = hold(gen)
            if held is not None:
                break
        else:
            raise IndexDamagedError(
                f"index at {path} is damaged: its manifest names {manifest.generation}, which is missing; "
                "rebuild it"
            )
        try:
            record = Record.read(gen, digest=manifest.segment_records.get(manifest.generation))
        except IndexDamagedError:
            if held:
                held.close()
            raise
        segments = [Segment(path / name, record.deleted.get(name, ())) for name in record.segments]
        store = cls(path, manifest, segments)
        store._held = held
        if held:  # released when the store goes, so writers may delete the generation then;
            # a finalizer (not __del__) holds the file until it runs, whatever order the
            # garbage collector takes the store and the file in
            weakref.finalize(store, held.close)
        try:
            store._check(gen)
        except IndexDamagedError:
            store.close()
            raise
        if searching:
            for segment, copies in zip(segments, copies_to_hide(segments), strict=True):
                segment.hide(copies)  # an unfiltered search reads one article of each story
        return store

    def _check(self, gen: Path) -> None:
        """Refuse a generation whose segments cannot be read, or whose record does not match
        the manifest: the articles its segments hold, less those it deletes, must be the
        manifest's count (what an index written before records had digests is checked by)."""
        live = 0
        for segment in self.segments:
            try:
                rows = segment.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                gone = 0
                if segment.gone:
                    sql = "SELECT COUNT(*) FROM articles WHERE rowid IN temp.gone"
                    gone = segment.db.execute(sql).fetchone()[0]
            except (sqlite3.Error, OSError) as exc:
                raise IndexDamagedError(
                    f"index at {self.index_dir} is damaged: cannot read {segment.name}/{DATABASE} ({exc}); "
                    "rebuild it",
                    path=str(self.index_dir),
                    generation=segment.name,
                    file=DATABASE,
                ) from None
            if gone != len(segment.gone):
                raise damaged(gen, f"deletes articles that {segment.name} does not hold", problem="mismatch")
            live += rows - gone
        counted = self.manifest.counts.get("articles")
        if counted is not None and live != counted:
            raise damaged(
                gen,
                f"names segments holding {live} articles where the manifest counts {counted}",
                problem="mismatch",
            )

    # -- the first segment (the only one after a build or a merge) ---------------------
    @property
    def db(self) -> Any:
        """The first segment's connection for this thread (tests and tools look inside)."""
        return self.segments[0].db

    @property
    def vectors(self) -> Any:
        return self.segments[0].vectors

    @property
    def sentence_vectors(self) -> Any:
        return self.segments[0].sentence_vectors

    def close(self) -> None:
        """Close this thread's connections (the generation stays held until the store goes)."""
        for segment in self.segments:
            segment.close()

    # -- articles ----------------------------------------------------------------------
    def article(self, article_id: str) -> Article:
        for segment in self.segments:
            rows = segment.article_rows([article_id])
            if rows:
                return article_of(rows[0])
        raise KeyError(f"no article {article_id!r} in the index")

    def articles(self) -> Iterator[Article]:
        for segment in self.segments:
            yield from segment.articles()

    def article_hashes(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str | None]]:
        found: dict[str, tuple[str, str | None]] = {}
        for segment in self.segments:
            if ids is None:
                rows = segment.query("SELECT id, content_hash, path FROM articles a WHERE 1{live}")
            else:
                rows = segment.article_rows(ids, "id, content_hash, path")
            found.update((r[0], (r[1], r[2])) for r in rows)
        return found

    def locate(self, article_ids: Sequence[str]) -> dict[str, tuple[Segment, int]]:
        """The segment and row id of each of these articles (unknown ids are left out)."""
        ids = list(dict.fromkeys(article_ids))
        return {
            row[0]: (segment, int(row[1]))
            for segment in self.segments
            for row in segment.article_rows(ids, "id, rowid")
        }

    def copies(self, article_ids: Sequence[str], limit: int = 20) -> dict[str, tuple[int, list[Copy]]]:
        return copies_of(self.segments, article_ids, limit)

    def languages(self, article_ids: Sequence[str]) -> dict[str, str | None]:
        """The stored language of each of these articles (unknown ids are left out)."""
        ids = list(article_ids)
        return {row[0]: row[1] for segment in self.segments for row in segment.article_rows(ids, "id, lang")}

    def distinct(self, column: str) -> list[str]:
        """The distinct non-empty values of an article column (category, source, lang)."""
        if column not in ("category", "source", "lang"):
            raise ValueError(f"column must be category, source or lang, got {column!r}")
        values: set[str] = set()
        for segment in self.segments:
            values.update(
                r[0]
                for r in segment.query(
                    f"SELECT DISTINCT {column} FROM articles a WHERE {column} IS NOT NULL{{live}}"
                )
            )
        return sorted(values)

    def date_range(self) -> tuple[str | None, str | None]:
        lows, highs = [], []
        for segment in self.segments:
            low, high = segment.query("SELECT MIN(date), MAX(date) FROM articles a WHERE 1{live}")[0]
            if low is not None:
                lows.append(low)
                highs.append(high)
        return (min(lows), max(highs)) if lows else (None, None)

    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]:
        """For each ``(article id, first, last)``, that article's sentences ``first..last``.

        Per segment, one query for the articles, one for all the sentences, one FAISS call for
        their vectors: what a question's 30 candidate passages need, without 60 round trips.
        Returns the articles by id and one block per span (empty for an unknown article).
        """
        if not spans:
            return {}, []
        ids = list(dict.fromkeys(aid for aid, _, _ in spans))
        articles: dict[str, Article] = {}
        home: dict[str, int] = {}
        for number, segment in enumerate(self.segments):
            for row in segment.article_rows(ids):
                articles[row[0]] = article_of(row)
                home[row[0]] = number
        grouped: list[list[tuple[Sentence, tuple[str, ...]]]] = [[] for _ in spans]
        matrices: list[np.ndarray | None] = [None] * len(spans)
        for number, segment in enumerate(self.segments):
            wanted = [(n, aid, lo, hi) for n, (aid, lo, hi) in enumerate(spans) if home.get(aid) == number]
            if not wanted:
                continue
            rows = segment.sentence_rows(wanted)
            matrix = None
            if vectors and rows:
                ids_here = np.asarray([r[2] for r in rows], dtype=np.int64)
                matrix = segment.sentence_vectors.reconstruct_batch(ids_here)
            picks: dict[int, list[int]] = {}
            for i, (n, aid, _, ordinal, start, end, words) in enumerate(rows):
                text = articles[aid].text
                grouped[n].append((Sentence(aid, ordinal, start, end, text[start:end]), tuple(words.split())))
                picks.setdefault(n, []).append(i)
            if matrix is not None:
                for n, rows_of in picks.items():
                    matrices[n] = matrix[rows_of]
        blocks = [
            SentenceBlock([s for s, _ in group], [t for _, t in group], matrices[n])
            for n, group in enumerate(grouped)
        ]
        return articles, blocks

    # -- chunks ------------------------------------------------------------------------
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkHit]:
        """The chunks with these ids (unknown ids are left out), with their articles."""
        if not chunk_ids:
            return {}
        hits = {}
        for segment in self.segments:
            for row in segment.chunk_rows(chunk_ids):
                chunk, article = chunk_of(row)
                hits[row[0]] = ChunkHit(chunk, article)
        return hits

    def chunk_ids(self, filters: Filters | None = None) -> list[int]:
        """Ids of the chunks whose article meets ``filters`` (all chunks without)."""
        ids: list[int] = []
        for segment in self.segments:
            ids.extend(segment.chunk_ids(filters))
        return sorted(ids) if len(self.segments) > 1 else ids

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these chunks, one row each, in order."""
        out = np.zeros((len(chunk_ids), self.manifest.dimension), dtype=np.float32)
        if not chunk_ids:
            return out
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        done = np.zeros(len(wanted), dtype=bool)
        for segment in self.segments:
            here = ~done if len(self.segments) == 1 else np.isin(wanted, segment.holding(chunk_ids)) & ~done
            if here.any():
                out[here] = segment.vectors.reconstruct_batch(wanted[here])
                done |= here
        return out

    # -- search ------------------------------------------------------------------------
    def dense_search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest ``query`` (inner product of unit vectors), best first."""
        found: list[tuple[int, float]] = []
        filtered = filters is not None and not filters.empty
        for segment in self.segments:
            allowed = None
            if filtered:
                allowed = np.asarray(segment.chunk_ids(filters), dtype=np.int64)
                if allowed.size == 0:
                    continue
            left_out = None if filtered else segment.unsearched()  # unfiltered: one article a story
            with vector_index.one_thread():
                scores, ids = vector_index.search(segment.vectors, query, k, allowed, left_out=left_out)
            found.extend((int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0)
        if len(self.segments) == 1:
            return found
        return heapq.nsmallest(k, found, key=lambda hit: (-hit[1], hit[0]))

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        *,
        filters: Filters | None = None,
        max_postings: int = bm25.LEXICAL_MAX_POSTINGS,
    ) -> list[tuple[int, float]]:
        """The ``k`` best chunks for analysed ``terms`` by BM25 (any term may match), best first.

        Only chunks of articles that meet ``filters`` count. BM25 scores every chunk holding any
        term, so on a large index the commonest terms are left out once the rarer ones hold
        ``max_postings`` chunks between them (0: never): they weigh least in BM25 and cost most.

        Segments written with their postings are ranked from them (:mod:`index.embedded.lexical`)
        by BM25 over the statistics of all segments. Otherwise the first segment is ranked by
        FTS5 over its own statistics, and the small segments an update wrote by the same BM25
        (:mod:`index.bm25`) over the statistics of all segments, which FTS5 cannot see.
        """
        unique = list(dict.fromkeys(t for t in terms if t))
        if not unique:
            return []
        postings = self._segment_postings()
        if postings:
            return lexical.search(self, postings, unique, k, filters, max_postings)
        return lexical.fts_search(self, unique, k, filters, max_postings)

    def _segment_postings(self) -> list[lexical.Postings]:
        """Every segment's postings; none when a segment was written without them."""
        with self._lock:
            if self._postings is None:
                found = all(lexical.has_postings(s) for s in self.segments)
                self._postings = [lexical.Postings(s) for s in self.segments] if found else []
            return self._postings

    def lexical_totals(self) -> tuple[int, float]:
        """Chunks and mean chunk length (tokens) over every segment's full-text table."""
        with self._lock:
            if self._stats is None:
                rows = tokens = 0
                for segment in self.segments:
                    r, t = lexical.fts_totals(segment)
                    rows, tokens = rows + r, tokens + t
                self._stats = (rows, tokens / rows if rows else 0.0)
            return self._stats

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (0 for unknown terms), for IDF weights."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return {}
        counts = dict.fromkeys(unique, 0)
        # The postings' counts are FTS5's, by primary key (0.04 against 0.49 ms at 100,000 articles).
        for part in self._segment_postings() or self.segments:
            for term, doc in part.document_frequencies(unique).items():
                counts[term] += int(doc)
        return counts

    # -- the index as a whole ----------------------------------------------------------
    def published_generation(self) -> str | None:
        """The generation the index's manifest names now (this store may hold an older one)."""
        return current_generation(self.index_dir)

    def segment_count(self) -> int:
        """How many segments this generation reads (one after a build or a merge)."""
        return len(self.segments)

    def size_bytes(self) -> int:
        """The segments' files, and the generation's own when it is not one of them."""
        total = sum(s.size_bytes() for s in self.segments)
        if all(s.path != self.generation_dir for s in self.segments):
            total += sum(p.stat().st_size for p in self.generation_dir.iterdir() if p.is_file())
        return total
