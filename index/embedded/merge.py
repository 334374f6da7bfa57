"""Merging segments: the live rows and vectors of several segments copied into one.

Ids are kept (chunk, sentence and article row ids), and rows go in id order, so a merged
index reads and ranks exactly as one built or updated in place would: same full-text
statistics, same vectors in the same order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import vectors as vector_index
from .layout import DATABASE
from .lexical import write_postings
from .segment import ARTICLE_COLUMNS, Segment, new_database
from .stories import copy_story_tables

BATCH = 100_000
"""Vectors copied at a time (a bound on the memory a merge takes)."""


def merge(sources: Sequence[Segment], target: Path, dimension: int) -> vector_index.Pair:
    """Copy the live rows of ``sources`` (in order) into a new database file ``target``;
    return their live vectors as a :class:`~index.embedded.vectors.Pair` to write beside it."""
    target.unlink(missing_ok=True)
    db = new_database(target)
    pair = vector_index.Pair.empty(dimension)
    try:
        for segment in sources:
            db.execute("ATTACH DATABASE ? AS src", (str(segment.path / DATABASE),))
            try:
                _copy_rows(db, segment)
                _copy_vectors(db, segment, pair)
            finally:
                db.execute("DETACH DATABASE src")
        for segment in sources:  # once every live article is in: the stories they belong to
            db.execute("ATTACH DATABASE ? AS src", (str(segment.path / DATABASE),))
            try:
                _fill_gone(db, segment)
                copy_story_tables(db, segment)
            finally:
                db.execute("DETACH DATABASE src")
        write_postings(db)
        db.execute("PRAGMA journal_mode = DELETE")
    finally:
        db.close()
    return pair


def _copy_rows(db: sqlite3.Connection, segment: Segment) -> None:
    """Copy the live rows of the segment attached as ``src``."""
    db.execute("BEGIN")
    _fill_gone(db, segment)
    columns = f"rowid, {ARTICLE_COLUMNS}, story, indexed_at"
    story = "story" if segment.has_stories else "rowid"  # before stories: each its own
    db.execute(
        f"INSERT INTO main.articles ({columns}) SELECT rowid, {segment.article_columns()}, {story}, indexed_at "
        "FROM src.articles WHERE rowid NOT IN temp.gone ORDER BY rowid"
    )
    for table in ("sentences", "chunks"):
        db.execute(
            f"INSERT INTO main.{table} SELECT * FROM src.{table} WHERE article NOT IN temp.gone ORDER BY id"
        )
    db.execute(
        "INSERT INTO main.chunk_terms (rowid, title, body) SELECT f.rowid, f.title, f.body "
        "FROM src.chunk_terms f JOIN src.chunks c ON c.id = f.rowid "
        "WHERE c.article NOT IN temp.gone ORDER BY f.rowid"
    )
    db.execute("COMMIT")


def _fill_gone(db: sqlite3.Connection, segment: Segment) -> None:
    """``temp.gone``: the segment's deleted row ids."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS gone (rowid INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.gone")
    db.executemany("INSERT INTO temp.gone VALUES (?)", [(i,) for i in sorted(segment.gone)])


def _copy_vectors(db: sqlite3.Connection, segment: Segment, pair: vector_index.Pair) -> None:
    """Add the live vectors of the segment attached as ``src`` to ``pair``, in id order."""
    for table, into in (("chunks", pair.chunks), ("sentences", pair.sentences)):
        ids = np.asarray(
            [
                r[0]
                for r in db.execute(f"SELECT id FROM src.{table} WHERE article NOT IN temp.gone ORDER BY id")
            ],
            dtype=np.int64,
        )
        if ids.size == 0:
            continue
        stored = segment.vectors if table == "chunks" else segment.sentence_vectors
        for begin in range(0, ids.size, BATCH):
            part = ids[begin : begin + BATCH]
            into.add_with_ids(np.ascontiguousarray(stored.reconstruct_batch(part), dtype=np.float32), part)
