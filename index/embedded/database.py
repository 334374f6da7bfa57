"""The embedded backend's reads: one published generation's SQLite database and FAISS vectors.

See :mod:`index.embedded.layout` for the directory; :mod:`index.embedded.writer` writes it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..embedders import ModelSpec, as_spec
from ..errors import IndexDamagedError
from ..filters import Filters
from ..manifest import Manifest, check_model
from ..records import Article, Chunk, Sentence
from ..storage import LEXICAL_MAX_POSTINGS, ChunkHit, SentenceBlock, SentenceReads, within_budget
from . import vectors as vector_index
from .layout import DATABASE, SENTENCE_VECTORS, VECTORS, current_generation, hold

SCHEMA = """
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT, url TEXT, source TEXT, category TEXT,
    lang TEXT,
    path TEXT,
    line INTEGER,
    content_hash TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX articles_category ON articles(category);
CREATE INDEX articles_date ON articles(date);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    terms TEXT NOT NULL,
    UNIQUE (article, ordinal)
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL,
    last_sentence INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX chunks_article ON chunks(article);
CREATE VIRTUAL TABLE chunk_terms USING fts5(title, body, tokenize = "unicode61 remove_diacritics 0 tokenchars '.,'");
CREATE VIRTUAL TABLE chunk_vocab USING fts5vocab(chunk_terms, row);
"""


class IndexStore(SentenceReads):
    """Read access to a published index generation. Safe to share between threads.

    >>> store = IndexStore.open("my-index")
    >>> store.manifest.counts["articles"]
    """

    def __init__(self, index_dir: Path, manifest: Manifest, vectors: Any, sentence_vectors: Any) -> None:
        self.index_dir = index_dir
        self.location = str(index_dir)
        self.manifest = manifest
        self.generation_dir = index_dir / manifest.generation
        self.vectors = vectors
        self.sentence_vectors = sentence_vectors
        self._local = threading.local()
        # The open ``.readers`` file, shared-locked: the generation is not deleted while held.
        self._held: Any = None

    @classmethod
    def open(cls, index_dir: str | os.PathLike[str], *, model: str | ModelSpec | None = None) -> IndexStore:
        """Open the index at ``index_dir`` and hold its current generation while this store lives.

        Raises:
            IndexNotFoundError: there is no index there.
            IndexDamagedError: its manifest, database or vectors cannot be read.
            IndexMismatchError: it was built with another format version, or with another
                model than ``model`` (when given).
        """
        import faiss

        path = Path(index_dir).expanduser()
        for _ in range(5):  # a writer may publish and delete between our reads: read again
            manifest = Manifest.read(path)
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
            vectors = faiss.read_index(str(gen / VECTORS))
            sentence_vectors = faiss.read_index(str(gen / SENTENCE_VECTORS))
        except RuntimeError as exc:
            raise IndexDamagedError(f"index at {path} is damaged: cannot read its vectors ({exc})") from None
        store = cls(path, manifest, vectors, sentence_vectors)
        store._held = held
        if held:  # released when the store goes, so writers may delete the generation then;
            # a finalizer (not __del__) holds the file until it runs, whatever order the
            # garbage collector takes the store and the file in
            weakref.finalize(store, held.close)
        try:
            store.db.execute("SELECT COUNT(*) FROM articles").fetchone()
        except sqlite3.Error as exc:
            store.close()
            raise IndexDamagedError(
                f"index at {path} is damaged: cannot read {gen.name}/{DATABASE} ({exc})"
            ) from None
        return store

    # -- connections -------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """This thread's read-only connection (generations never change: immutable)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            uri = (self.generation_dir / DATABASE).resolve().as_uri() + "?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (the generation stays held until the store goes)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- articles ----------------------------------------------------------------------
    _ARTICLE_COLUMNS = "id, title, text, date, url, source, category, lang, path, line, content_hash"

    def article(self, article_id: str) -> Article:
        row = self.db.execute(
            f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no article {article_id!r} in the index")
        return _article(row)

    def articles(self) -> Iterator[Article]:
        for row in self.db.execute(f"SELECT {self._ARTICLE_COLUMNS} FROM articles ORDER BY rowid"):
            yield _article(row)

    def article_hashes(self) -> dict[str, tuple[str, str | None]]:
        """``{article id: (content hash, source path)}`` for every article."""
        rows = self.db.execute("SELECT id, content_hash, path FROM articles")
        return {r[0]: (r[1], r[2]) for r in rows}

    def languages(self, article_ids: Sequence[str]) -> dict[str, str | None]:
        """The stored language of each of these articles (unknown ids are left out)."""
        found: dict[str, str | None] = {}
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin : begin + 500])
            rows = self.db.execute(
                f"SELECT id, lang FROM articles WHERE id IN ({','.join('?' * len(part))})", part
            )
            found.update(dict(rows))
        return found

    def distinct(self, column: str) -> list[str]:
        """The distinct non-empty values of an article column (category, source, lang)."""
        if column not in ("category", "source", "lang"):
            raise ValueError(f"column must be category, source or lang, got {column!r}")
        rows = self.db.execute(
            f"SELECT DISTINCT {column} FROM articles WHERE {column} IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def date_range(self) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT MIN(date), MAX(date) FROM articles").fetchone()
        return row[0], row[1]

    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]:
        """For each ``(article id, first, last)``, that article's sentences ``first..last``.

        One query for the articles, one for all the sentences, one FAISS call for their
        vectors: what a question's 30 candidate passages need, without 60 round trips.
        Returns the articles by id and one block per span (empty for an unknown article).
        """
        if not spans:
            return {}, []
        ids = list(dict.fromkeys(aid for aid, _, _ in spans))
        found = self.db.execute(
            f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids
        )
        articles = {row[0]: _article(row) for row in found}
        values = ",".join(["(?,?,?,?)"] * len(spans))
        params = [v for n, (aid, first, last) in enumerate(spans) for v in (n, aid, first, last)]
        rows = self.db.execute(
            f"WITH wanted(n, aid, lo, hi) AS (VALUES {values}) "
            "SELECT w.n, w.aid, s.id, s.ordinal, s.start, s.end, s.terms FROM wanted w "
            "JOIN articles a ON a.id = w.aid "
            "JOIN sentences s ON s.article = a.rowid AND s.ordinal BETWEEN w.lo AND w.hi "
            "ORDER BY w.n, s.ordinal",
            params,
        ).fetchall()
        matrix = None
        if vectors and rows:
            matrix = self.sentence_vectors.reconstruct_batch(np.asarray([r[2] for r in rows], dtype=np.int64))
        grouped: list[list[int]] = [[] for _ in spans]
        for i, row in enumerate(rows):
            grouped[row[0]].append(i)
        blocks = []
        for picks in grouped:
            sentences, terms = [], []
            for i in picks:
                _, aid, _, ordinal, start, end, words = rows[i]
                sentences.append(Sentence(aid, ordinal, start, end, articles[aid].text[start:end]))
                terms.append(tuple(words.split()))
            rows_of = matrix[picks] if matrix is not None and picks else None
            blocks.append(SentenceBlock(sentences, terms, rows_of))
        return articles, blocks

    # -- chunks ------------------------------------------------------------------------
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkHit]:
        """The chunks with these ids (unknown ids are left out), with their articles."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"SELECT c.id, c.ordinal, c.first_sentence, c.last_sentence, c.start, c.end, "
            f"{', '.join('a.' + c.strip() for c in self._ARTICLE_COLUMNS.split(','))} "
            f"FROM chunks c JOIN articles a ON a.rowid = c.article WHERE c.id IN ({marks})",
            list(chunk_ids),
        )
        hits = {}
        for row in rows:
            article = _article(row[6:])
            cid, ordinal, first, last, start, end = row[:6]
            chunk = Chunk(article.id, ordinal, first, last, start, end, article.text[start:end], cid)
            hits[cid] = ChunkHit(chunk, article)
        return hits

    def dense_search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest ``query`` (inner product of unit vectors), best first."""
        ids = None
        if filters is not None and not filters.empty:
            ids = np.asarray(self.chunk_ids(filters), dtype=np.int64)
            if ids.size == 0:
                return []
        scores, ids_found = vector_index.search(self.vectors, query, k, ids)
        return [(int(i), float(s)) for i, s in zip(ids_found[0], scores[0], strict=True) if i >= 0]

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        *,
        filters: Filters | None = None,
        max_postings: int = LEXICAL_MAX_POSTINGS,
    ) -> list[tuple[int, float]]:
        """The ``k`` best chunks for analysed ``terms`` by BM25 (any term may match), best first.

        Only chunks of articles that meet ``filters`` count. BM25 scores every chunk holding any
        term, so on a large index the commonest terms are left out once the rarer ones hold
        ``max_postings`` chunks between them (0: never): they weigh least in BM25 and cost most.
        """
        unique = list(dict.fromkeys(t for t in terms if t))
        if not unique:
            return []
        # The terms hold at most chunks × terms postings: below the budget, no lookup is needed.
        if max_postings and len(unique) * self.manifest.counts.get("chunks", 0) > max_postings:
            unique = within_budget(unique, self.document_frequencies(unique), max_postings)
        # Terms are quoted as FTS5 strings, so no user text is ever read as query syntax.
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)
        allowed_sql, params = where(filters)
        if not allowed_sql:  # no join: each matching row would otherwise cost two lookups
            rows = self.db.execute(
                "SELECT rowid, bm25(chunk_terms, 0.5, 1.0) AS score FROM chunk_terms "
                "WHERE chunk_terms MATCH ? ORDER BY score LIMIT ?",
                [match, k],
            )
        else:
            rows = self.db.execute(
                "SELECT f.rowid, bm25(chunk_terms, 0.5, 1.0) AS score FROM chunk_terms f "
                "JOIN chunks c ON c.id = f.rowid JOIN articles a ON a.rowid = c.article "
                f"WHERE chunk_terms MATCH ? AND {allowed_sql} ORDER BY score LIMIT ?",
                [match, *params, k],
            )
        return [(int(r[0]), -float(r[1])) for r in rows]

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (0 for unknown terms), for IDF weights."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return {}
        marks = ",".join("?" * len(unique))
        rows = self.db.execute(f"SELECT term, doc FROM chunk_vocab WHERE term IN ({marks})", unique)
        found = dict(rows)
        return {t: int(found.get(t, 0)) for t in unique}

    def chunk_ids(self, filters: Filters | None = None) -> list[int]:
        """Ids of the chunks whose article meets ``filters`` (all chunks without)."""
        allowed_sql, params = where(filters)
        rows = self.db.execute(
            "SELECT c.id FROM chunks c JOIN articles a ON a.rowid = c.article"
            + (f" WHERE {allowed_sql}" if allowed_sql else "")
            + " ORDER BY c.id",
            params,
        )
        return [r[0] for r in rows]

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these chunks, one row each, in order."""
        if not chunk_ids:
            return np.zeros((0, self.manifest.dimension), dtype=np.float32)
        return self.vectors.reconstruct_batch(np.asarray(chunk_ids, dtype=np.int64))

    def published_generation(self) -> str | None:
        """The generation the index's manifest names now (this store may hold an older one)."""
        return current_generation(self.index_dir)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.generation_dir.iterdir() if p.is_file())


def where(filters: Filters | None) -> tuple[str, list[Any]]:
    """``filters`` as a condition on the article ``a`` with its parameters (never user text in SQL)."""
    if filters is None or filters.empty:
        return "", []
    parts: list[str] = []
    params: list[Any] = []
    for column, value in (("category", filters.category), ("source", filters.source)):
        if value:
            parts.append(f"a.{column} = ?")
            params.append(value)
    if filters.date_from:
        parts.append("a.date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        parts.append("a.date <= ?")
        params.append(filters.date_to_bound)
    if filters.article_ids:
        parts.append(f"a.id IN ({','.join('?' * len(filters.article_ids))})")
        params.extend(filters.article_ids)
    return " AND ".join(parts), params


def _article(row: Sequence[Any]) -> Article:
    return Article(
        id=row[0],
        title=row[1],
        text=row[2],
        date=row[3],
        url=row[4],
        source=row[5],
        category=row[6],
        lang=row[7],
        path=row[8],
        line=row[9],
        content_hash=row[10],
    )
