"""The Milvus backend's reads: one epoch of an index, through pymilvus.

An epoch never changes once the head row names it, so what is read of it (term statistics,
categories, dates) is kept for the store's lifetime. The articles that come with chunks and
sentence blocks carry no text (it is not needed to answer); :meth:`MilvusStore.article` reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import bm25
from ..documents import Article, Chunk, Sentence
from ..errors import IndexDamagedError, IndexNotFoundError
from ..filters import Filters
from ..manifest import Manifest
from ..storage import ChunkHit, Copy, SentenceBlock, SentenceReads, pages_of
from . import schema
from .connection import Location, call, collection


class MilvusStore(SentenceReads):
    """Read access to the epoch of the index at ``location`` its head named when opened."""

    def __init__(self, location: Location, client: Any, head: dict[str, Any], manifest: Manifest) -> None:
        self.where = location
        self.location = location.uri
        self.client = client
        self.epoch = int(head["epoch"])
        self.manifest = manifest
        self._frequencies: dict[str, int] | None = None
        self._stats_parts = int(head.get("stats_parts", 0))
        self._distinct: dict[str, list[str]] = {}
        self._dates: tuple[str | None, str | None] | None = None
        self.article_fields = list(schema.article_fields(manifest.format_version))
        self._article_output = [f for f in self.article_fields if f != "tail"]  # all but the text

    def name(self, suffix: str) -> str:
        return collection(self.where.name, self.epoch, suffix)

    # -- articles ----------------------------------------------------------------------
    def article(self, article_id: str) -> Article:
        rows = call(self.where, self.client.get, self.name("articles"), ids=[article_id])
        if not rows:
            raise KeyError(f"no article {article_id!r} in the index")
        return _article(rows[0], self._text(rows[0]))

    def articles(self) -> Iterator[Article]:
        rows = self._all_articles(self.article_fields)
        for row in sorted(rows, key=lambda r: r["number"]):
            yield _article(row, self._text(row))

    def _text(self, row: dict[str, Any]) -> str:
        """An article's text: its sentences' pieces, then what follows the last sentence."""
        keys = [schema.key(row["number"], o) for o in range(row["sentence_count"])]
        pieces = (
            call(self.where, self.client.get, self.name("sentences"), ids=keys, output_fields=["piece"])
            if keys
            else []
        )
        return "".join(p["piece"] for p in pieces) + (row.get("tail") or "")

    def _all_articles(self, fields: list[str]) -> list[dict[str, Any]]:
        return list(
            call(self.where, self.client.query, self.name("articles"), filter="", output_fields=fields)
        )

    def article_hashes(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str | None]]:
        fields = ["id", "content_hash", "path"]
        if ids is None:
            rows = self._all_articles(fields)
        else:
            rows = [
                row
                for begin in range(0, len(ids), 1000)
                for row in call(
                    self.where, self.client.get, self.name("articles"), ids=list(ids[begin : begin + 1000]),
                    output_fields=fields,
                )
            ]  # fmt: skip
        return {r["id"]: (r["content_hash"], r.get("path")) for r in rows}

    def languages(self, article_ids: Sequence[str]) -> dict[str, str | None]:
        if not article_ids:
            return {}
        rows = call(
            self.where, self.client.get, self.name("articles"), ids=list(article_ids), output_fields=["lang"]
        )
        return {r["id"]: r.get("lang") for r in rows}

    def distinct(self, column: str) -> list[str]:
        if column not in ("category", "source", "lang"):
            raise ValueError(f"column must be category, source or lang, got {column!r}")
        if column not in self._distinct:
            values = {r.get(column) for r in self._all_articles([column])}
            self._distinct[column] = sorted(v for v in values if v is not None)
        return self._distinct[column]

    def date_range(self) -> tuple[str | None, str | None]:
        if self._dates is None:
            dates = [r["date"] for r in self._all_articles(["date"]) if r.get("date")]
            self._dates = (min(dates), max(dates)) if dates else (None, None)
        return self._dates

    # -- sentences and chunks ----------------------------------------------------------
    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]:
        """One read of the spans' articles, one of all their sentences (by key)."""
        if not spans:
            return {}, []
        ids = list(dict.fromkeys(aid for aid, _, _ in spans))
        rows = call(
            self.where, self.client.get, self.name("articles"), ids=ids, output_fields=self._article_output
        )
        found = {r["id"]: r for r in rows}
        keys: list[int] = []
        for aid, first, last in spans:
            row = found.get(aid)
            if row is not None:
                top = min(last, row["sentence_count"] - 1)
                keys.extend(schema.key(row["number"], o) for o in range(max(first, 0), top + 1))
        fields = ["article", "ordinal", "start", "end", "piece", "terms"] + (["vector"] if vectors else [])
        read = (
            call(self.where, self.client.get, self.name("sentences"), ids=keys, output_fields=fields)
            if keys
            else []
        )
        by_key = {r["id"]: r for r in read}
        blocks = []
        for aid, first, last in spans:
            row = found.get(aid)
            picked = []
            if row is not None:
                top = min(last, row["sentence_count"] - 1)
                picked = [
                    by_key[k]
                    for o in range(max(first, 0), top + 1)
                    if (k := schema.key(row["number"], o)) in by_key
                ]
            sentences = [Sentence(aid, r["ordinal"], r["start"], r["end"], _sentence_text(r)) for r in picked]
            terms = [tuple((r.get("terms") or "").split()) for r in picked]
            matrix = (
                np.asarray([r["vector"] for r in picked], dtype=np.float32) if vectors and picked else None
            )
            blocks.append(SentenceBlock(sentences, terms, matrix))
        return {aid: _article(row, "") for aid, row in found.items()}, blocks

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkHit]:
        if not chunk_ids:
            return {}
        rows = call(
            self.where,
            self.client.get,
            self.name("chunks"),
            ids=list(chunk_ids),
            output_fields=list(schema.CHUNK_FIELDS),
        )
        ids = list(dict.fromkeys(r["article"] for r in rows))
        articles = (
            call(
                self.where,
                self.client.get,
                self.name("articles"),
                ids=ids,
                output_fields=self._article_output,
            )
            if ids
            else []
        )
        of = {a["id"]: _article(a, "") for a in articles}
        hits = {}
        for r in rows:
            chunk = Chunk(
                r["article"],
                r["ordinal"],
                r["first_sentence"],
                r["last_sentence"],
                r["start"],
                r["end"],
                r["text"],
                r["id"],
            )
            hits[int(r["id"])] = ChunkHit(chunk, of[r["article"]])
        return hits

    def chunk_ids(self, filters: Filters | None = None) -> list[int]:
        rows = call(
            self.where,
            self.client.query,
            self.name("chunks"),
            filter=schema.expression(filters),
            output_fields=["id"],
        )
        return sorted(int(r["id"]) for r in rows)

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        if not chunk_ids:
            return np.zeros((0, self.manifest.dimension), dtype=np.float32)
        rows = call(
            self.where, self.client.get, self.name("chunks"), ids=list(chunk_ids), output_fields=["vector"]
        )
        by_id = {r["id"]: r["vector"] for r in rows}
        return np.asarray([by_id[i] for i in chunk_ids], dtype=np.float32)

    def copies(self, article_ids: Sequence[str], limit: int = 20) -> dict[str, tuple[int, list[Copy]]]:
        """None: the Milvus backend does not find stories (near-duplicates); every copy is searched."""
        return {}

    # -- search ------------------------------------------------------------------------
    def dense_search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        hits = call(
            self.where,
            self.client.search,
            self.name("chunks"),
            data=[np.asarray(query, dtype=np.float32).reshape(-1).tolist()],
            anns_field="vector",
            limit=k,
            filter=schema.expression(filters),
            search_params={"metric_type": "IP"},
            output_fields=[],
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        *,
        filters: Filters | None = None,
        max_postings: int = bm25.LEXICAL_MAX_POSTINGS,
    ) -> list[tuple[int, float]]:
        """BM25 as the embedded backend ranks it: the question's IDF against stored weights."""
        unique = list(dict.fromkeys(t for t in terms if t))
        if not unique:
            return []
        frequencies = self.document_frequencies(unique)
        if max_postings and len(unique) * self.manifest.counts.get("chunks", 0) > max_postings:
            unique = bm25.within_budget(unique, frequencies, max_postings)
        weights = schema.query_weights(unique, frequencies, self.manifest.counts.get("chunks", 0))
        if not weights:
            return []
        hits = call(
            self.where,
            self.client.search,
            self.name("chunks"),
            data=[weights],
            anns_field="bm25",
            limit=k,
            filter=schema.expression(filters),
            search_params={"metric_type": "IP"},
            output_fields=[],
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0] if h["distance"] > 0]

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        every = self.document_frequencies_all()
        return {t: every.get(t, 0) for t in dict.fromkeys(terms)}

    def document_frequencies_all(self) -> dict[str, int]:
        """Every term's chunk count, read once (a writer starts the next epoch's from them)."""
        if self._frequencies is None:
            self._frequencies = self._read_frequencies()
        return self._frequencies

    def _read_frequencies(self) -> dict[str, int]:
        keys = [f"stats:{self.epoch}:{i}" for i in range(self._stats_parts)]
        rows = call(self.where, self.client.get, self.where.meta, ids=keys) if keys else []
        if len(rows) != len(keys):
            raise IndexDamagedError(
                f"index at {self.location} is damaged: its term statistics are incomplete; rebuild it"
            )
        frequencies: dict[str, int] = {}
        for row in rows:
            frequencies.update(json.loads(row["value"]))
        return frequencies

    # -- the index as a whole ----------------------------------------------------------
    def published_generation(self) -> str | None:
        from .connection import read_head

        try:
            return read_head(self.where, self.client)[1].generation
        except (IndexNotFoundError, IndexDamagedError):
            return None

    def size_bytes(self) -> int | None:
        """None: the engine's files are not known through its API."""
        return None

    def segment_count(self) -> None:
        """None: the engine keeps its own segments, not article-qa."""
        return None

    def close(self) -> None:
        """Nothing to close per thread; the connection goes with the store."""


def _sentence_text(row: dict[str, Any]) -> str:
    piece = row["piece"] or ""
    return piece[len(piece) - (row["end"] - row["start"]) :]


def _article(row: dict[str, Any], text: str) -> Article:
    return Article(
        id=row["id"],
        title=row.get("title") or "",
        text=text,
        date=row.get("date"),
        date_text=row.get("date_text"),  # None before format 5: the date, as stored
        url=row.get("url"),
        source=row.get("source"),
        category=row.get("category"),
        lang=row.get("lang"),
        path=row.get("path"),
        line=row.get("line"),
        author=row.get("author"),  # None before format 6, with the pages
        pages=pages_of(row.get("pages")),
        content_hash=row.get("content_hash") or "",
    )
