"""The Milvus backend's writes: a new epoch of collections, filled, then named by the head row.

An update copies the articles it keeps from the current epoch inside the engine (their
vectors and BM25 weights as stored: nothing is encoded again), then adds the new ones. The
head row is replaced last; a writer that dies before leaves an epoch the next writer drops.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..documents import Article
from ..manifest import Manifest
from ..storage import PreparedArticle, stored_pages
from . import schema
from .connection import WRITE_TIMEOUT, Location, call, collection, ensure_meta, published_head, put
from .store import MilvusStore

logger = logging.getLogger(__name__)

BATCH = 1000
STATS_PART_CHARS = 60_000
SUFFIXES = ("articles", "sentences", "chunks")


class MilvusWriter:
    """A new epoch of the index at ``where`` (``base``: the store of the epoch it starts from)."""

    def __init__(self, where: Location, client: Any, dimension: int, *, base: MilvusStore | None) -> None:
        self.where = where
        self.client = client
        self.base = base
        ensure_meta(where, client)
        head = self._head()
        self.previous = int(head["epoch"]) if head else None
        self._drop_unpublished(self.previous)
        self.epoch = max(self._epochs(), default=0) + 1
        self.generation = f"g{self.epoch:06d}"
        self.published = False
        for suffix, (fields, indexes) in schema.schemas(dimension).items():
            call(
                where,
                client.create_collection,
                self.name(suffix),
                schema=fields,
                index_params=indexes,
                timeout=WRITE_TIMEOUT,
            )
            call(where, client.load_collection, self.name(suffix))
        self.excluded: set[str] = set()
        self.copied = base is None
        self.frequencies: Counter[str] = Counter(base.document_frequencies_all() if base else {})
        self.avgdl = float(head.get("avgdl", 0.0)) if head and base else 0.0
        self.next_number = 0
        self.counts = {"articles": 0, "sentences": 0, "chunks": 0}
        self.languages: Counter[str] = Counter()

    def name(self, suffix: str) -> str:
        return collection(self.where.name, self.epoch, suffix)

    def _head(self) -> dict[str, Any] | None:
        return published_head(self.where, self.client)

    def _epochs(self) -> list[int]:
        prefix = f"{self.where.name}__e"
        found = []
        for name in call(self.where, self.client.list_collections):
            number = name[len(prefix) :].split("_", 1)[0] if name.startswith(prefix) else ""
            if number.isdigit():
                found.append(int(number))
        return found

    def _drop_unpublished(self, current: int | None) -> None:
        """Drop epochs after the published one: a killed writer left them."""
        for epoch in set(self._epochs()):
            if current is None or epoch > current:
                self._drop(epoch)

    def _drop(self, epoch: int) -> None:
        for suffix in SUFFIXES:
            name = collection(self.where.name, epoch, suffix)
            if call(self.where, self.client.has_collection, name):
                call(self.where, self.client.drop_collection, name)
        stats = call(
            self.where,
            self.client.query,
            self.where.meta,
            filter=f'key like "stats:{epoch}:%"',
            output_fields=["key"],
        )
        if stats:
            call(self.where, self.client.delete, self.where.meta, ids=[r["key"] for r in stats])

    # -- writes ------------------------------------------------------------------------
    def delete(self, article_ids: Sequence[str]) -> None:
        """Leave these articles out of the copy of the current epoch."""
        self.excluded.update(article_ids)

    def _copy(self) -> None:
        """Copy the base epoch's articles, less the excluded ones, with their sentences and chunks."""
        base = self.base
        assert base is not None
        self.copied = True
        articles = [
            r
            for r in call(
                self.where, self.client.query, base.name("articles"), filter="", output_fields=["*"]
            )
            if r["id"] not in self.excluded
        ]
        for r in articles:  # an epoch written before format 5 kept no date as written apart
            r.setdefault("date_text", r.get("date"))
            r.setdefault("author", None)  # nor, before format 6, authors and pages
            r.setdefault("pages", None)
        self.next_number = max((r["number"] for r in articles), default=-1) + 1
        self._insert("articles", articles)
        self.counts["articles"] += len(articles)
        self.languages.update(r.get("lang") or "" for r in articles)
        keys = [schema.key(r["number"], o) for r in articles for o in range(r["sentence_count"])]
        for begin in range(0, len(keys), BATCH * 5):
            rows = call(
                self.where, self.client.get, base.name("sentences"), ids=keys[begin : begin + BATCH * 5]
            )
            self._insert("sentences", rows)
            self.counts["sentences"] += len(rows)
        kept = {r["id"] for r in articles}
        chunk_rows = call(self.where, self.client.query, base.name("chunks"), filter="", output_fields=["*"])
        for row in chunk_rows:
            if row["article"] in kept:
                continue
            self.frequencies.subtract(set(_terms(row)))  # a removed chunk no longer holds its terms
        kept_rows = [_sparse_as_dict(r) for r in chunk_rows if r["article"] in kept]
        self._insert("chunks", kept_rows)
        self.counts["chunks"] += len(kept_rows)

    def add(
        self, articles: Sequence[PreparedArticle], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray
    ) -> None:
        if not self.copied:
            self._copy()
        if not self.avgdl:  # a build: the average chunk length of what it indexes
            lengths = [
                len(p.title_terms.split()) + len(p.chunk_terms(c).split()) for p in articles for c in p.chunks
            ]
            self.avgdl = sum(lengths) / len(lengths) if lengths else 1.0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        article_rows, sentence_rows, chunk_rows = [], [], []
        s_row = c_row = 0
        for p in articles:
            a = p.article
            number = self.next_number
            self.next_number += 1
            previous_end = 0
            for s, terms in zip(p.sentences, p.terms, strict=True):
                sentence_rows.append({
                    "id": schema.key(number, s.ordinal), "article": a.id, "ordinal": s.ordinal,
                    "start": s.start, "end": s.end, "piece": a.text[previous_end : s.end], "terms": terms,
                    "vector": sentence_vectors[s_row].tolist(),
                })  # fmt: skip
                previous_end = s.end
                s_row += 1
            article_rows.append({
                "id": a.id, "number": number, "title": a.title, "date": a.date, "date_text": a.date_text,
                "url": a.url, "source": a.source, "category": a.category, "lang": a.lang, "path": a.path,
                "line": a.line, "author": a.author, "pages": _pages(a),
                "content_hash": a.content_hash, "indexed_at": now, "sentence_count": len(p.sentences),
                "tail": a.text[previous_end:], "dummy": [0.0, 0.0],
            })  # fmt: skip
            title = p.title_terms.split()
            for c in p.chunks:
                body = p.chunk_terms(c).split()
                self.frequencies.update(set(title) | set(body))
                chunk_rows.append({
                    "id": schema.key(number, c.ordinal), "article": a.id, "ordinal": c.ordinal,
                    "first_sentence": c.first_sentence, "last_sentence": c.last_sentence, "start": c.start,
                    "end": c.end, "text": c.text, "title_terms": p.title_terms, "body_terms": " ".join(body),
                    "date": a.date, "source": a.source, "category": a.category,
                    "vector": chunk_vectors[c_row].tolist(), "bm25": schema.chunk_weights(title, body, self.avgdl),
                })  # fmt: skip
                c_row += 1
            self.languages[a.lang or ""] += 1
        self._insert("articles", article_rows)
        self._insert("sentences", sentence_rows)
        self._insert("chunks", chunk_rows)
        self.counts["articles"] += len(article_rows)
        self.counts["sentences"] += len(sentence_rows)
        self.counts["chunks"] += len(chunk_rows)

    def _insert(self, suffix: str, rows: Sequence[dict[str, Any]]) -> None:
        for begin in range(0, len(rows), BATCH):
            call(self.where, self.client.insert, self.name(suffix), data=list(rows[begin : begin + BATCH]))

    def totals(self) -> tuple[dict[str, int], dict[str, int]]:
        if not self.copied:
            self._copy()
        return dict(self.counts), {k: v for k, v in self.languages.items() if v > 0}

    def publish(self, manifest: Manifest) -> Manifest:
        """Write the term statistics, then replace the head row: the commit point."""
        if not self.copied:
            self._copy()
        manifest = replace(manifest, generation=self.generation, vector_index="milvus-flat")
        for suffix in SUFFIXES:  # sealed segments, on disk, before the head names them
            call(self.where, self.client.flush, self.name(suffix))
        parts = list(_parts({t: n for t, n in self.frequencies.items() if n > 0}))
        for i, part in enumerate(parts):
            put(self.where, self.client, f"stats:{self.epoch}:{i}", part)
        head = {
            "epoch": self.epoch,
            "manifest": asdict(manifest),
            "stats_parts": len(parts),
            "avgdl": self.avgdl,
        }
        put(self.where, self.client, "head", json.dumps(head, ensure_ascii=False))
        self.published = True  # from here on the epoch is the index: never aborted
        for epoch in self._epochs():  # keep the one just replaced: a reader may still be on it
            if epoch not in (self.epoch, self.previous):
                self._drop(epoch)
        logger.info("published epoch %s of %s", self.epoch, self.where.uri)
        return manifest

    def abort(self) -> None:
        """Drop the unpublished epoch (the published one is untouched)."""
        try:
            head = self._head()
            if self.published or (head and int(head["epoch"]) == self.epoch):
                return  # the commit point was passed (the head may be written though the call failed)
            self._drop(self.epoch)
        except Exception:  # the engine may be gone: the next writer drops it
            logger.warning("could not drop the unpublished epoch %s of %s", self.epoch, self.where.uri)


def _pages(article: Article) -> str | None:
    """The article's stored page offsets, if they fit a VARCHAR (thousands of pages may not:
    its citations then name no page)."""
    stored = stored_pages(article.pages)
    if stored is not None and len(stored) > schema.TEXT_MAX:
        logger.warning(
            "%s: %d pages are too many to keep their offsets", article.id, len(article.pages or ())
        )
        return None
    return stored


def _terms(row: dict[str, Any]) -> list[str]:
    return (row.get("title_terms") or "").split() + (row.get("body_terms") or "").split()


def _sparse_as_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A chunk row read back, ready to insert again (its sparse weights as a plain dict)."""
    bm25 = row.get("bm25")
    if bm25 is not None and not isinstance(bm25, dict):
        row = {**row, "bm25": dict(bm25)}
    return row


def _parts(frequencies: dict[str, int]) -> Iterable[str]:
    """The statistics as JSON objects of at most ``STATS_PART_CHARS`` characters."""
    part: dict[str, int] = {}
    size = 2
    for term, count in sorted(frequencies.items()):
        entry = len(json.dumps(term, ensure_ascii=False)) + len(str(count)) + 4  # "term": n,_
        if part and size + entry > STATS_PART_CHARS:
            yield json.dumps(part, ensure_ascii=False)
            part, size = {}, 2
        part[term] = count
        size += entry
    if part or not frequencies:
        yield json.dumps(part, ensure_ascii=False)
