"""The embedded backend's writes: a new generation, filled, then published atomically.

A build writes one segment. An update writes a generation that keeps the current segments,
marks the articles it removes or changes as deleted (by row id, in ``segments.json``), and
writes a segment of only the articles it adds: it costs what changed, not what exists. When
the small segments and the deleted articles together pass :data:`MERGE_SHARE` of the first
segment, the update merges every segment into one; past :data:`MAX_SEGMENTS` it merges the
small ones together. Nothing is visible to readers until :meth:`EmbeddedWriter.publish`
replaces ``manifest.json``; a writer killed before that leaves a generation the next writer
drops.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..errors import QAError
from ..manifest import Manifest
from ..storage import PreparedArticle, stored_pages
from . import vectors as vector_index
from .database import IndexStore
from .layout import (
    DATABASE,
    SENTENCE_VECTORS,
    VECTORS,
    Record,
    current_generation,
    new_generation,
    remove_old_generations,
)
from .lexical import write_postings
from .manifest_file import fsync_dir, read_manifest, write_manifest
from .merge import merge
from .segment import Segment, new_database
from .stories import StoryAssigner

logger = logging.getLogger(__name__)

MERGE_SHARE = 0.1
"""An update merges every segment into one when the articles of the small segments plus the
deleted ones exceed this share of the first segment's: an update then costs what exists,
about once per tenth of the index that changes, and full-text statistics stay within a tenth
of exact between merges."""

MAX_SEGMENTS = 8
"""An update that would leave more segments than this merges the small ones into one."""

MERGING = "merging.sqlite"


class EmbeddedWriter:
    """A generation of the index at ``path`` being written (``base``: the one it starts from)."""

    def __init__(self, path: Path, dimension: int, *, base: IndexStore | None, compact: bool = False) -> None:
        self.path = path
        self.compact = compact  # merge every segment whatever the share
        self.dimension = dimension
        self.previous = current_generation(path)
        self.dir = new_generation(path)
        self.generation = self.dir.name
        self.published = False
        self.base = base
        try:
            self._start(base)
        except BaseException:  # an error, Ctrl+C or SIGTERM before the builder can abort us
            if getattr(self, "db", None) is not None:
                self.db.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _start(self, base: IndexStore | None) -> None:
        """Open the new segment's database, its ids going on from the base's."""
        self.kept: list[Segment] = list(base.segments) if base is not None else []
        self.deleted: dict[str, set[int]] = {s.name: set(s.gone) for s in self.kept}
        self.removed: Counter[str] = Counter()  # articles, sentences, chunks deleted here
        self.removed_languages: Counter[str] = Counter()
        self.db = new_database(self.dir / DATABASE)
        # Ids go on from the largest any segment holds: unique across the index.
        tops = [s.max_ids() for s in self.kept] or [(0, 0, 0)]
        self.next_article = max(t[0] for t in tops) + 1
        for table, top in (("sentences", max(t[1] for t in tops)), ("chunks", max(t[2] for t in tops))):
            if top:
                self.db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, top))
        self.vectors = vector_index.Pair.empty(self.dimension)
        self.stories = StoryAssigner(self.kept, self.db)
        # The digests of the published generations' records (see layout.Record), carried on.
        self.digests = _published_digests(self.path, base)

    def delete(self, article_ids: Sequence[str]) -> None:
        """Mark these articles deleted: every read leaves them out from the new generation on."""
        if self.base is None:
            return
        for segment, rowid in self.base.locate(article_ids).values():
            if rowid in self.deleted[segment.name]:
                continue
            self.deleted[segment.name].add(rowid)
            sentences, chunks, lang = segment.db.execute(
                "SELECT (SELECT COUNT(*) FROM sentences WHERE article = ?1), "
                "(SELECT COUNT(*) FROM chunks WHERE article = ?1), "
                "(SELECT COALESCE(lang, '') FROM articles WHERE rowid = ?1)",
                (rowid,),
            ).fetchone()
            self.removed.update(articles=1, sentences=sentences, chunks=chunks)
            self.removed_languages[lang] += 1

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
            rowid = self.next_article
            self.next_article += 1
            story = self.stories.assign(rowid, prepared.signature)
            db.execute(
                "INSERT INTO articles (rowid, id, title, text, date, date_text, url, source, category, lang, "
                "path, line, author, pages, story, content_hash, indexed_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rowid, a.id, a.title, a.text, a.date, a.date_text, a.url, a.source, a.category, a.lang,
                 a.path, a.line, a.author, stored_pages(a.pages), story, a.content_hash, now),
            )  # fmt: skip
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
        counts = Counter(
            {
                table: self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("articles", "sentences", "chunks")
            }
        )
        languages = Counter(
            dict(self.db.execute("SELECT COALESCE(lang, ''), COUNT(*) FROM articles GROUP BY 1"))
        )
        if self.base is not None:
            counts.update(self.base.manifest.counts)
            counts.subtract(self.removed)
            languages.update(self.base.manifest.languages)
            languages.subtract(self.removed_languages)
        return dict(counts), {lang: n for lang, n in languages.items() if n > 0}

    def publish(self, manifest: Manifest) -> Manifest:
        """Write the vectors, make everything durable, then replace the manifest (the commit point)."""
        added = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        write_postings(self.db)
        self.db.execute("PRAGMA journal_mode = DELETE")
        self.db.close()
        self.vectors.write(str(self.dir / VECTORS), str(self.dir / SENTENCE_VECTORS))
        rows = {s.name: _rows(s) for s in self.kept} | {self.generation: added}
        # Segments whose articles are all deleted are dropped from the generation.
        kept = [s.name for s in self.kept if len(self.deleted[s.name]) < rows[s.name]]
        record = Record(
            [*kept, *([self.generation] if added or not kept else [])],
            {name: sorted(self.deleted[name]) for name in kept if self.deleted[name]},
        )

        def segments(names: Sequence[str]) -> list[Segment]:
            return [Segment(self.path / name, record.deleted.get(name, ())) for name in names]

        if self.base is None:
            kind = vector_index.kind(self.vectors.chunks)
        else:
            kind = self.base.manifest.vector_index
        if self.base is not None and self._merge_all(record, rows):
            kind = self._merge(segments(record.segments))
            record = Record([self.generation])
        elif len(record.segments) > MAX_SEGMENTS:
            first = record.segments[0]
            self._merge(segments(record.segments[1:]))
            record = Record([first, self.generation], {k: v for k, v in record.deleted.items() if k == first})
        if self.generation not in record.segments:  # nothing added here: no segment of its own
            for name in (DATABASE, VECTORS, SENTENCE_VECTORS):
                (self.dir / name).unlink(missing_ok=True)
        if record.segments != [self.generation]:
            record.write(self.dir)
        digests = {**self.digests, self.generation: record.digest()}
        digests = {name: digest for name, digest in digests.items() if (self.path / name).is_dir()}
        manifest = replace(manifest, generation=self.generation, vector_index=kind, segment_records=digests)
        for name in (DATABASE, VECTORS, SENTENCE_VECTORS):
            if (self.dir / name).exists():
                with open(self.dir / name, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(self.dir)
        write_manifest(manifest, self.path)
        self.published = True  # from here on the generation is the index: never aborted
        remove_old_generations(self.path, keep={self.generation, self.previous}, digests=digests)
        logger.info("published %s in %s (%d segments)", self.generation, self.path, len(record.segments))
        return manifest

    def _merge_all(self, record: Record, rows: dict[str, int]) -> bool:
        """Whether to merge every segment (``rows``: the articles each one's files hold)."""
        if self.compact:  # asked for: what holds several segments, or one without postings
            return True
        if len(record.segments) < 2 and not record.deleted:
            return False
        first, *small = record.segments
        deleted = sum(len(v) for v in record.deleted.values())
        return sum(rows[name] for name in small) + deleted > MERGE_SHARE * rows[first]

    def _merge(self, sources: Sequence[Segment]) -> str:
        """Merge ``sources`` into this generation's own segment; the chunk index's kind."""
        target = self.dir / MERGING
        pair = merge(sources, target, self.dimension)
        for source in sources:
            source.close()
        os.replace(target, self.dir / DATABASE)
        pair.write(str(self.dir / VECTORS), str(self.dir / SENTENCE_VECTORS))
        logger.info("merged %d segments into %s", len(sources), self.generation)
        return vector_index.kind(pair.chunks)

    def abort(self) -> None:
        """Drop the unpublished generation (the published one is untouched)."""
        if self.published or current_generation(self.path) == self.generation:
            return  # the commit point was passed (a failure after it must not delete the index)
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _published_digests(path: Path, base: IndexStore | None) -> dict[str, str]:
    """The digests of the records of the generations published so far, by generation: those
    the manifest keeps, and the base generation's own (checked when it was opened)."""
    if base is not None:
        return {**base.manifest.segment_records, base.manifest.generation: base.record.digest()}
    try:
        return dict(read_manifest(path).segment_records)
    except QAError:  # no index yet, or a damaged one being replaced
        return {}


def _rows(segment: Segment) -> int:
    """How many articles a segment's files hold, deleted ones included."""
    return int(segment.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
