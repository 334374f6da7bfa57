"""The embedded backend's writes: a new generation, filled, then published atomically.

A build starts from an empty generation; an update from a copy of the current one, less the
articles it removes or changes. Nothing is visible to readers until :meth:`EmbeddedWriter.publish`
replaces ``manifest.json``; a writer killed before that leaves a generation the next writer drops.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..manifest import Manifest, fsync_dir
from ..storage import PreparedArticle
from . import vectors as vector_index
from .database import SCHEMA, IndexStore
from .layout import (
    DATABASE,
    SENTENCE_VECTORS,
    VECTORS,
    current_generation,
    new_generation,
    remove_old_generations,
)

logger = logging.getLogger(__name__)


class EmbeddedWriter:
    """A generation of the index at ``path`` being written (``base``: the one it starts from)."""

    def __init__(self, path: Path, dimension: int, *, base: IndexStore | None) -> None:
        self.path = path
        self.previous = current_generation(path)
        self.dir = new_generation(path)
        self.generation = self.dir.name
        self.published = False
        self.db = sqlite3.connect(self.dir / DATABASE, isolation_level=None)
        if base is None:
            _fast_writes(self.db)
            self.db.executescript(SCHEMA)
            self.vectors = vector_index.Pair.empty(dimension)
        else:
            base.db.backup(self.db)
            base.close()
            _fast_writes(self.db)
            # The base's FAISS objects are taken over (the base store is not read any more).
            self.vectors = vector_index.Pair(base.vectors, base.sentence_vectors)

    def delete(self, article_ids: Sequence[str]) -> None:
        """Delete these articles with their sentences, chunks, terms and vectors."""
        chunks: list[int] = []
        sentences: list[int] = []
        db = self.db
        db.execute("BEGIN")
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
        self.vectors.chunks.remove_ids(np.asarray(chunks, dtype=np.int64))
        self.vectors.sentences.remove_ids(np.asarray(sentences, dtype=np.int64))
        db.execute("COMMIT")

    def add(
        self, articles: Sequence[PreparedArticle], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray
    ) -> None:
        """Insert the articles in order; row ``i`` of each matrix is their ``i``-th chunk / sentence."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db = self.db
        chunk_ids: list[int] = []
        sentence_ids: list[int] = []
        db.execute("BEGIN")
        for prepared in articles:
            a = prepared.article
            rowid = db.execute(
                "INSERT INTO articles (id, title, text, date, url, source, category, lang, path, "
                "line, content_hash, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (a.id, a.title, a.text, a.date, a.url, a.source, a.category, a.lang, a.path, a.line,
                 a.content_hash, now),
            ).lastrowid  # fmt: skip
            for s, terms in zip(prepared.sentences, prepared.terms, strict=True):
                sid = db.execute(
                    "INSERT INTO sentences (article, ordinal, start, end, terms) VALUES (?,?,?,?,?)",
                    (rowid, s.ordinal, s.start, s.end, terms),
                ).lastrowid
                sentence_ids.append(int(sid or 0))
            for c in prepared.chunks:
                cid = db.execute(
                    "INSERT INTO chunks (article, ordinal, first_sentence, last_sentence, start, end) "
                    "VALUES (?,?,?,?,?,?)",
                    (rowid, c.ordinal, c.first_sentence, c.last_sentence, c.start, c.end),
                ).lastrowid
                db.execute(
                    "INSERT INTO chunk_terms (rowid, title, body) VALUES (?,?,?)",
                    (cid, prepared.title_terms, prepared.chunk_terms(c)),
                )
                chunk_ids.append(int(cid or 0))
        if chunk_ids:
            self.vectors.chunks.add_with_ids(chunk_vectors, np.asarray(chunk_ids, dtype=np.int64))
        if sentence_ids:
            self.vectors.sentences.add_with_ids(sentence_vectors, np.asarray(sentence_ids, dtype=np.int64))
        db.execute("COMMIT")

    def totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """The counts of articles, sentences and chunks, and articles by language."""
        counts = {
            table: self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "sentences", "chunks")
        }
        languages = dict(self.db.execute("SELECT COALESCE(lang, ''), COUNT(*) FROM articles GROUP BY 1"))
        return counts, languages

    def publish(self, manifest: Manifest) -> Manifest:
        """Write the vectors, make everything durable, then replace the manifest (the commit point)."""
        # Pages freed by deleted articles stay in the file and are reused by the next inserts;
        # no VACUUM, which would rewrite the whole database on every update.
        self.db.execute("PRAGMA journal_mode = DELETE")
        self.db.close()
        self.vectors.write(str(self.dir / VECTORS), str(self.dir / SENTENCE_VECTORS))
        manifest = replace(
            manifest, generation=self.generation, vector_index=vector_index.kind(self.vectors.chunks)
        )
        for name in (DATABASE, VECTORS, SENTENCE_VECTORS):
            with open(self.dir / name, "rb") as f:
                os.fsync(f.fileno())
        fsync_dir(self.dir)
        manifest.write(self.path)
        self.published = True  # from here on the generation is the index: never aborted
        remove_old_generations(self.path, keep={self.generation, self.previous})
        logger.info("published %s in %s", self.generation, self.path)
        return manifest

    def abort(self) -> None:
        """Drop the unpublished generation (the published one is untouched)."""
        if self.published or current_generation(self.path) == self.generation:
            return  # the commit point was passed (a failure after it must not delete the index)
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _fast_writes(db: sqlite3.Connection) -> None:
    # A generation is private until published, and fsynced before: no journal is needed.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
