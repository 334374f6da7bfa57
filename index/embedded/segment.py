"""One segment of an embedded index: a directory's SQLite database and FAISS vectors.

A segment is written once (by a build, an update or a merge) and never changed. Articles that
a later generation deleted (``gone``: their row ids) stay in its files and are left out of
every read; its full-text statistics still count them until the next merge, as Lucene's do.
Chunk, sentence and article ids are unique across the segments of an index.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..documents import Article, Chunk
from ..filters import Filters
from ..storage import pages_of
from .layout import DATABASE, SENTENCE_VECTORS, VECTORS
from .vectors import excluding, shared

SCHEMA = """
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT, date_text TEXT, url TEXT, source TEXT, category TEXT,
    lang TEXT,
    path TEXT,
    line INTEGER,
    author TEXT,
    pages TEXT,
    story INTEGER,
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
CREATE INDEX articles_story ON articles(story);
CREATE TABLE stories (story INTEGER PRIMARY KEY, signature BLOB NOT NULL);
CREATE TABLE story_bands (key INTEGER NOT NULL, story INTEGER NOT NULL);
CREATE INDEX story_bands_key ON story_bands(key);
"""
"""Articles of one story (:mod:`index.embedded.stories`) have the same ``story``, the row id of its
first article; ``stories`` and ``story_bands`` keep that one's signature and band keys."""

ARTICLE_COLUMNS = (
    "id, title, text, date, date_text, url, source, category, lang, path, line, author, pages, content_hash"
)
"""What :func:`article_of` reads. A segment written before format 5 has no ``date_text``: its
:meth:`Segment.article_columns` read it as the date, stored as given (not read as ISO 8601).
One written before format 6 has no ``author`` nor ``pages``: they read as NULL. ``pages`` holds
:func:`index.storage.stored_pages`."""
ARTICLE_FIELDS = tuple(c.strip() for c in ARTICLE_COLUMNS.split(","))
LATER_COLUMNS = {"date_text": "date", "author": "NULL", "pages": "NULL"}
"""The article columns older segments lack, and what is read instead."""


def new_database(path: Path) -> sqlite3.Connection:
    """A new, empty segment database at ``path``, open for writing.

    A segment is private until its generation is published, and fsynced before: no journal.
    """
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(SCHEMA)
    return db


class Segment:
    """Read access to the segment in directory ``path``, less the articles ``gone``. Thread-safe."""

    def __init__(self, path: Path, gone: Iterable[int] = ()) -> None:
        self.path = path
        self.name = path.name
        self.gone = frozenset(gone)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._files: dict[str, Any] = {}  # FAISS indexes by file name, once read
        self._gone_chunks: np.ndarray | None = None
        self.copies: frozenset[int] = frozenset()  # live articles unfiltered searches leave out
        self._unsearched: Any = None
        self._left_out: np.ndarray | None = None

    # -- files -------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """This thread's read-only connection (a segment never changes: immutable)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            uri = (self.path / DATABASE).resolve().as_uri() + "?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            if self.gone:  # what every read leaves out, as tables the queries can use
                conn.execute("CREATE TEMP TABLE gone (rowid INTEGER PRIMARY KEY)")
                conn.executemany("INSERT INTO temp.gone VALUES (?)", [(i,) for i in sorted(self.gone)])
                conn.execute("CREATE TEMP TABLE gone_chunks (id INTEGER PRIMARY KEY)")
                conn.execute(
                    "INSERT INTO temp.gone_chunks SELECT id FROM main.chunks WHERE article IN temp.gone"
                )
            if self.copies:
                _hide(conn, self.copies)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @property
    def vectors(self) -> Any:
        """The chunk vectors (FAISS), read when first needed."""
        return self._loaded(VECTORS)

    @property
    def sentence_vectors(self) -> Any:
        """The sentence vectors (FAISS, read back by id only), read when first needed."""
        return self._loaded(SENTENCE_VECTORS)

    def _loaded(self, name: str) -> Any:
        found = self._files.get(name)
        if found is None:
            with self._lock:
                found = self._files.get(name)
                if found is None:
                    found = self._files[name] = shared(self.path / name, mapped=True)
        return found

    def hide(self, copies: set[int]) -> None:
        """Leave these live articles out of unfiltered searches (copies of a story told elsewhere)."""
        self.copies = frozenset(copies)
        self._unsearched = self._left_out = None
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.copies:
            _hide(conn, self.copies)

    @functools.cached_property
    def has_stories(self) -> bool:
        """Whether this segment records stories (one written before them does not)."""
        return "story" in self.columns

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    @functools.cached_property
    def columns(self) -> frozenset[str]:
        """The columns of this segment's articles table (older formats have fewer)."""
        return frozenset(row[1] for row in self.db.execute("PRAGMA table_info(articles)"))

    def article_columns(self, prefix: str = "") -> str:
        """:data:`ARTICLE_COLUMNS` as this segment can read them, each after ``prefix`` (``a.``);
        a column it lacks (:data:`LATER_COLUMNS`) is read as what stands for it."""
        read = []
        for name in ARTICLE_FIELDS:
            if name in self.columns:
                read.append(prefix + name)
            else:
                instead = LATER_COLUMNS[name]
                read.append(instead if instead == "NULL" else prefix + instead)
        return ", ".join(read)

    # -- what is left out --------------------------------------------------------------
    def live(self) -> str:
        """`` AND`` a condition that leaves out the gone articles (the articles table as ``a``), or ""."""
        return " AND a.rowid NOT IN temp.gone" if self.gone else ""

    def live_chunk(self, column: str) -> str:
        """`` AND`` a condition that leaves out the chunks of gone articles, or ""."""
        return f" AND {column} NOT IN temp.gone_chunks" if self.gone else ""

    def gone_chunks(self) -> np.ndarray:
        """Ids of the chunks of gone articles."""
        if self._gone_chunks is None:
            rows = self.db.execute("SELECT id FROM temp.gone_chunks ORDER BY id") if self.gone else []
            self._gone_chunks = np.asarray([r[0] for r in rows], dtype=np.int64)
        return self._gone_chunks

    def left_out_chunks(self) -> np.ndarray:
        """Ids of the chunks an unfiltered search leaves out (of gone articles and of copies)."""
        if self._left_out is None:
            ids = self.gone_chunks()
            if self.copies:
                rows = self.db.execute("SELECT id FROM temp.copy_chunks")
                ids = np.union1d(ids, np.asarray([r[0] for r in rows], dtype=np.int64))
            self._left_out = ids
        return self._left_out

    def unsearched(self) -> Any:
        """The FAISS selector of :meth:`left_out_chunks`, made once; None when nothing is."""
        if self._unsearched is None and (self.gone or self.copies):
            self._unsearched = excluding(self.left_out_chunks())
        return self._unsearched

    # -- reads -------------------------------------------------------------------------
    def article_rows(self, ids: Sequence[str], columns: str | None = None) -> list[tuple[Any, ...]]:
        """``columns`` (:meth:`article_columns` by default) of these articles that live here."""
        columns = columns or self.article_columns()
        return self.by_ids(f"SELECT {columns} FROM articles a WHERE id IN ({{marks}}){self.live()}", ids)

    def by_ids(self, sql: str, ids: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` for ``ids``, 500 at a time (``{marks}`` is where their placeholders go)."""
        rows: list[tuple[Any, ...]] = []
        for begin in range(0, len(ids), 500):
            part = list(ids[begin : begin + 500])
            rows.extend(self.db.execute(sql.format(marks=",".join("?" * len(part))), part))
        return rows

    def articles(self) -> Iterator[Article]:
        rows = self.db.execute(
            f"SELECT {self.article_columns()} FROM articles a WHERE 1{self.live()} ORDER BY rowid"
        )
        for row in rows:
            yield article_of(row)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` over the live articles ``a`` (``{live}`` marks where the condition goes)."""
        return self.db.execute(sql.format(live=self.live())).fetchall()

    def sentence_rows(self, spans: Sequence[tuple[int, str, int, int]]) -> list[tuple[Any, ...]]:
        """``(n, article id, sentence id, ordinal, start, end, terms)`` of each span
        ``(n, article id, first, last)``'s sentences here, by ``n`` then ordinal."""
        values = ",".join(["(?,?,?,?)"] * len(spans))
        params = [v for span in spans for v in span]
        return self.db.execute(
            f"WITH wanted(n, aid, lo, hi) AS (VALUES {values}) "
            "SELECT w.n, w.aid, s.id, s.ordinal, s.start, s.end, s.terms FROM wanted w "
            f"JOIN articles a ON a.id = w.aid{self.live()} "
            "JOIN sentences s ON s.article = a.rowid AND s.ordinal BETWEEN w.lo AND w.hi "
            "ORDER BY w.n, s.ordinal",
            params,
        ).fetchall()

    def chunk_rows(self, chunk_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """``(id, ordinal, first, last, start, end, *ARTICLE_COLUMNS)`` of these chunks here."""
        marks = ",".join("?" * len(chunk_ids))
        return self.db.execute(
            f"SELECT c.id, c.ordinal, c.first_sentence, c.last_sentence, c.start, c.end, "
            f"{self.article_columns('a.')} "
            f"FROM chunks c JOIN articles a ON a.rowid = c.article WHERE c.id IN ({marks}){self.live()}",
            list(chunk_ids),
        ).fetchall()

    def holding(self, chunk_ids: Sequence[int]) -> list[int]:
        """Those of these chunk ids that are live here."""
        sql = f"SELECT id FROM chunks c WHERE id IN ({{marks}}){self.live_chunk('c.id')}"
        return [r[0] for r in self.by_ids(sql, chunk_ids)]

    def chunk_ids(self, filters: Filters | None) -> list[int]:
        allowed_sql, params = where(filters)
        rows = self.db.execute(
            "SELECT c.id FROM chunks c JOIN articles a ON a.rowid = c.article "
            f"WHERE 1{' AND ' + allowed_sql if allowed_sql else ''}{self.live()} ORDER BY c.id",
            params,
        )
        return [r[0] for r in rows]

    def fts_search(self, match: str, k: int, filters: Filters | None) -> list[tuple[int, float]]:
        """The ``k`` best chunks for the FTS5 query ``match`` by this segment's own BM25."""
        allowed_sql, params = where(filters)
        if not allowed_sql:  # no join: each matching row would otherwise cost two lookups
            rows = self.db.execute(
                "SELECT rowid, bm25(chunk_terms, 0.5, 1.0) AS score FROM chunk_terms "
                f"WHERE chunk_terms MATCH ?{self.live_chunk('rowid')}{self._no_copy('rowid')} "
                "ORDER BY score LIMIT ?",
                [match, k],
            )
        else:
            rows = self.db.execute(
                "SELECT f.rowid, bm25(chunk_terms, 0.5, 1.0) AS score FROM chunk_terms f "
                "JOIN chunks c ON c.id = f.rowid JOIN articles a ON a.rowid = c.article "
                f"WHERE chunk_terms MATCH ? AND {allowed_sql}{self.live()} ORDER BY score LIMIT ?",
                [match, *params, k],
            )
        return [(int(r[0]), -float(r[1])) for r in rows]

    def fts_matches(self, match: str, filters: Filters | None) -> list[tuple[int, str, str]]:
        """``(chunk id, title terms, body terms)`` of every live chunk matching ``match``."""
        allowed_sql, params = where(filters)
        return self.db.execute(
            "SELECT f.rowid, f.title, f.body FROM chunk_terms f "
            "JOIN chunks c ON c.id = f.rowid JOIN articles a ON a.rowid = c.article "
            f"WHERE chunk_terms MATCH ?{' AND ' + allowed_sql if allowed_sql else self._no_copy('c.id')}"
            f"{self.live()}",
            [match, *params],
        ).fetchall()

    def _no_copy(self, column: str) -> str:
        return f" AND {column} NOT IN temp.copy_chunks" if self.copies else ""

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        marks = ",".join("?" * len(terms))
        return dict(
            self.db.execute(f"SELECT term, doc FROM chunk_vocab WHERE term IN ({marks})", list(terms))
        )

    def max_ids(self) -> tuple[int, int, int]:
        """The largest article row id, sentence id and chunk id here (0 when empty)."""
        row = self.db.execute(
            "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM articles), "
            "(SELECT COALESCE(MAX(id), 0) FROM sentences), (SELECT COALESCE(MAX(id), 0) FROM chunks)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])


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


def article_of(row: Sequence[Any]) -> Article:
    """A row of :data:`ARTICLE_COLUMNS` as its article (the columns are named as its fields)."""
    fields = dict(zip(ARTICLE_FIELDS, row, strict=True))
    fields["pages"] = pages_of(fields["pages"])
    return Article(**fields)


def chunk_of(row: Sequence[Any]) -> tuple[Chunk, Article]:
    """A :meth:`Segment.chunk_rows` row as its chunk and article."""
    article = article_of(row[6:])
    cid, ordinal, first, last, start, end = row[:6]
    return Chunk(article.id, ordinal, first, last, start, end, article.text[start:end], cid), article


def _hide(conn: sqlite3.Connection, copies: frozenset[int]) -> None:
    """``temp.copies`` (these article row ids) and ``temp.copy_chunks`` (their chunks) on ``conn``."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS copies (rowid INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS copy_chunks (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.copies")
    conn.execute("DELETE FROM temp.copy_chunks")
    conn.executemany("INSERT INTO temp.copies VALUES (?)", [(i,) for i in sorted(copies)])
    conn.execute("INSERT INTO temp.copy_chunks SELECT id FROM main.chunks WHERE article IN temp.copies")
