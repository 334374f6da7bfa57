"""The embedded backend's lexical search: BM25 over each segment's postings, summed with numpy.

FTS5 ranks by BM25 in C, but walks every posting of every term of a question one at a time:
9.4 ms at the median over 100,000 articles, a third of a question (docs/benchmarks.md,
section 8). A segment written since also keeps its postings as arrays, written once with it
(:func:`write_postings`):

- ``postings``: one row per term, its chunk count (``df``), the chunks holding it (``rows``:
  int32, each chunk's id less the segment's first chunk id) and its column-weighted count in
  each (``counts``: uint16, twice :func:`index.bm25.term_counts`, which counts a title term 0.5);
- ``lexicon``: the segment's first chunk id and each chunk's length in terms (float32).

A question reads its terms' rows (an indexed lookup each) and sums their BM25 weights with
``numpy.bincount``, over the statistics of the whole index: its chunks, their mean length and
each term's chunk count summed over segments. On a one-segment index that is FTS5's
``bm25()``; on any it is the Milvus backend's score. The copies of a story and the chunks of
deleted articles are masked out as FTS5's query leaves them out, and a filter becomes the
mask of the chunks it allows.

An index with a segment written before (no ``postings`` table) is searched by FTS5 as it was
(:mod:`index.embedded.database`); ``article-qa index compact`` rewrites it with postings.
"""

from __future__ import annotations

import heapq
import sqlite3
from array import array
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .. import bm25
from ..filters import Filters
from ..manifest import Manifest
from .segment import Segment

POSTINGS_SCHEMA = """
CREATE TABLE postings (term TEXT PRIMARY KEY, df INTEGER NOT NULL, rows BLOB NOT NULL, counts BLOB NOT NULL);
CREATE TABLE lexicon (first_chunk INTEGER NOT NULL, lengths BLOB NOT NULL);
"""


def write_postings(db: sqlite3.Connection) -> None:
    """Write the postings of the segment database ``db`` from its full-text table (once, when
    the segment is written, before it is published)."""
    db.executescript(POSTINGS_SCHEMA)
    low, high = db.execute("SELECT MIN(rowid), MAX(rowid) FROM chunk_terms").fetchone()
    first = int(low or 0)
    lengths = np.zeros(int(high) - first + 1 if high is not None else 0, dtype=np.float32)
    rows: dict[str, array[int]] = {}
    counts: dict[str, array[int]] = {}
    for rowid, title, body in db.execute("SELECT rowid, title, body FROM chunk_terms"):
        row = rowid - first
        title_terms, body_terms = title.split(), body.split()
        lengths[row] = len(title_terms) + len(body_terms)
        for term, count in bm25.term_counts(title_terms, body_terms).items():
            if term not in rows:
                rows[term], counts[term] = array("i"), array("H")
            rows[term].append(row)
            counts[term].append(min(round(count * 2), 0xFFFF))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO postings (term, df, rows, counts) VALUES (?,?,?,?)",
        ((term, len(r), r.tobytes(), counts[term].tobytes()) for term, r in rows.items()),
    )
    db.execute("INSERT INTO lexicon (first_chunk, lengths) VALUES (?,?)", (first, lengths.tobytes()))
    db.execute("COMMIT")


def has_postings(segment: Segment) -> bool:
    """Whether ``segment`` was written with its postings (one written before was not)."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lexicon'"
    return segment.db.execute(sql).fetchone() is not None


def fts_totals(segment: Segment) -> tuple[int, int]:
    """The full-text table's row count and token count (all columns), as FTS5 keeps them."""
    row = segment.db.execute("SELECT block FROM chunk_terms_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0, 0
    numbers = _varints(bytes(row[0]))
    return numbers[0], sum(numbers[1:])


def _varints(data: bytes) -> list[int]:
    """SQLite's variable-length integers, one after another (FTS5's averages record)."""
    numbers: list[int] = []
    i = 0
    while i < len(data):
        value = 0
        for n in range(9):
            byte = data[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        numbers.append(value)
    return numbers


class Searched(Protocol):
    """What the searches read of the index (an :class:`~index.embedded.database.IndexStore`)."""

    manifest: Manifest
    segments: list[Segment]

    def lexical_totals(self) -> tuple[int, float]: ...

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]: ...


class Postings:
    """One segment's postings, read as questions need them. Thread-safe (reads only)."""

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        first, lengths = segment.db.execute("SELECT first_chunk, lengths FROM lexicon").fetchone()
        self.first = int(first)
        self.lengths = np.frombuffer(lengths, dtype=np.float32)
        self._norms: tuple[float, np.ndarray] | None = None

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many of this segment's chunks hold each of ``terms`` that any does."""
        marks = ",".join("?" * len(terms))
        return dict(self.segment.db.execute(f"SELECT term, df FROM postings WHERE term IN ({marks})", terms))

    def norms(self, avgdl: float) -> np.ndarray:
        """Each chunk's BM25 length norm ``k1 · (1 - b + b · D / avgdl)`` (kept for this avgdl)."""
        kept = self._norms
        if kept is None or kept[0] != avgdl:
            scale = self.lengths / avgdl if avgdl else np.ones(self.lengths.size)
            kept = self._norms = (avgdl, bm25.K1 * (1 - bm25.B + bm25.B * scale))
        return kept[1]

    def search(
        self, idfs: dict[str, float], k: int, avgdl: float, filters: Filters | None
    ) -> list[tuple[int, float]]:
        """The ``k`` best live chunks here for terms of these IDFs, best first (ties by id)."""
        span = self.lengths.size
        marks = ",".join("?" * len(idfs))
        found = self.segment.db.execute(
            f"SELECT term, rows, counts FROM postings WHERE term IN ({marks})", list(idfs)
        ).fetchall()
        if not found or not span:
            return []
        norms = self.norms(avgdl)
        rows, weights = [], []
        for term, stored_rows, stored_counts in found:
            row = np.frombuffer(stored_rows, dtype=np.int32)
            count = np.frombuffer(stored_counts, dtype=np.uint16) * 0.5
            rows.append(row)
            weights.append(idfs[term] * (bm25.K1 + 1) * count / (count + norms[row]))
        scores = np.bincount(np.concatenate(rows), weights=np.concatenate(weights), minlength=span)
        if filters is None or filters.empty:
            scores[self.segment.left_out_chunks() - self.first] = 0.0  # one article a story, none gone
        else:
            allowed = np.zeros(span, dtype=bool)
            allowed[np.asarray(self.segment.chunk_ids(filters), dtype=np.int64) - self.first] = True
            scores[~allowed] = 0.0
        hits = np.flatnonzero(scores > 0)  # in id order
        if hits.size > k:  # the best k; of those tied with the k-th, the first ids (as FTS5)
            kth = -np.partition(-scores[hits], k - 1)[k - 1]
            above, tied = hits[scores[hits] > kth], hits[scores[hits] == kth]
            hits = np.concatenate([above, tied[: k - above.size]])
        hits = hits[np.lexsort((hits, -scores[hits]))]
        return [(int(h) + self.first, float(scores[h])) for h in hits]


def search(
    store: Searched,
    postings: Sequence[Postings],
    terms: Sequence[str],
    k: int,
    filters: Filters | None,
    max_postings: int,
) -> list[tuple[int, float]]:
    """The ``k`` best chunks of ``store`` for ``terms`` (distinct, non-empty) by BM25 over every
    segment's ``postings``; past ``max_postings`` the commonest terms are left out, as FTS5's
    search leaves them out (:func:`index.bm25.within_budget`)."""
    frequencies = store.document_frequencies(terms)  # summed over the segments' postings
    kept = [t for t in terms if frequencies[t]]
    if max_postings:
        kept = bm25.within_budget(kept, frequencies, max_postings)
    if not kept:
        return []
    n, avgdl = store.lexical_totals()
    idfs = {t: bm25.idf(frequencies[t], n) for t in kept}
    found = [hit for part in postings for hit in part.search(idfs, k, avgdl, filters)]
    if len(postings) == 1:
        return found
    return heapq.nsmallest(k, found, key=lambda hit: (-hit[1], hit[0]))


def fts_search(
    store: Searched, terms: Sequence[str], k: int, filters: Filters | None, max_postings: int
) -> list[tuple[int, float]]:
    """:func:`search` for an index with a segment written without postings: FTS5 ranks the
    first segment over its own statistics, and the small segments an update wrote are ranked
    by the same BM25 over the statistics of all segments, which FTS5 cannot see."""
    unique = list(terms)
    frequencies = None
    # The terms hold at most chunks × terms postings: below the budget, no lookup is needed.
    if max_postings and len(unique) * store.manifest.counts.get("chunks", 0) > max_postings:
        frequencies = store.document_frequencies(unique)
        unique = bm25.within_budget(unique, frequencies, max_postings)
    # Terms are quoted as FTS5 strings, so no user text is ever read as query syntax.
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)
    first, *rest = store.segments
    found = first.fts_search(match, k, filters)
    if not rest:
        return found
    frequencies = frequencies or store.document_frequencies(unique)
    n, avgdl = store.lexical_totals()
    idfs = {t: bm25.idf(frequencies.get(t, 0), n) for t in unique}
    for segment in rest:
        for cid, title, body in segment.fts_matches(match, filters):
            weights = bm25.term_weights(title.split(), body.split(), avgdl)
            found.append((int(cid), bm25.score(weights, idfs)))
    return heapq.nsmallest(k, found, key=lambda hit: (-hit[1], hit[0]))
