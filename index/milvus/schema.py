"""The Milvus backend's collections, its filter expressions, and BM25 computed by article-qa.

An index ``NAME`` is a head row in ``NAME__meta`` naming its current *epoch*, and one set of
collections per epoch (``NAME__e3_articles``, ``_sentences``, ``_chunks``). A build or an update
writes a new epoch and then replaces the head row: readers see the old epoch or the new one,
never a half-written one.

Lexical search ranks by the same BM25 as the embedded backend's FTS5 table (:mod:`index.bm25`,
over article-qa's own analysed terms): each chunk stores
its term weights as a sparse vector, a question sends its terms' IDF, and the inner product is
the BM25 score. The engine's analyzers are never used (Milvus Lite ignores their filters).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from .. import bm25
from ..filters import Filters

TEXT_MAX = 65_535
"""The longest VARCHAR a Milvus cluster accepts by default."""
SENTENCE_BITS = 20
"""A sentence's or a chunk's key is its article's number shifted by this, plus its ordinal."""
DUMMY_DIM = 2
"""Milvus wants a vector field in every collection: tables without vectors get a tiny one."""

ARTICLE_FIELDS = (
    "id", "number", "title", "date", "date_text", "url", "source", "category", "lang", "path", "line",
    "author", "pages", "content_hash", "indexed_at", "sentence_count", "tail",
)  # fmt: skip
"""The fields of an article; an epoch written before format 5 has no ``date_text``, one written
before format 6 no ``author`` nor ``pages`` (:func:`index.storage.stored_pages`)."""
CHUNK_FIELDS = ("id", "article", "ordinal", "first_sentence", "last_sentence", "start", "end", "text")


def article_fields(format_version: int) -> tuple[str, ...]:
    """The article fields an epoch written in ``format_version`` holds."""
    later = {"author": 6, "pages": 6, "date_text": 5}
    return tuple(f for f in ARTICLE_FIELDS if format_version >= later.get(f, 0))


def key(article_number: int, ordinal: int) -> int:
    return (article_number << SENTENCE_BITS) | ordinal


def quote(value: str) -> str:
    """``value`` as a Milvus string literal (the only escapes its parser knows)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def expression(filters: Filters | None) -> str:
    """``filters`` as a Milvus boolean expression on chunk fields ("" for none)."""
    if filters is None or filters.empty:
        return ""
    parts = []
    for field, value in (("category", filters.category), ("source", filters.source)):
        if value:
            parts.append(f"{field} == {quote(value)}")
    if filters.date_from:
        parts.append(f"date >= {quote(filters.date_from)}")
    if filters.date_to_bound:
        parts.append(f"date <= {quote(filters.date_to_bound)}")
    if filters.article_ids:
        parts.append(f"article in [{', '.join(quote(a) for a in filters.article_ids)}]")
    return " and ".join(parts)


def term_key(term: str) -> int:
    """A term's dimension in the sparse vectors (32 bits of its digest)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little") % (2**32 - 1)


def chunk_weights(title_terms: Sequence[str], body_terms: Sequence[str], avgdl: float) -> dict[int, float]:
    """A chunk's BM25 term weights (:func:`index.bm25.term_weights`) keyed by dimension."""
    weights: dict[int, float] = {}
    for term, weight in bm25.term_weights(title_terms, body_terms, avgdl).items():
        k = term_key(term)
        weights[k] = weights.get(k, 0.0) + weight
    return weights


def query_weights(terms: Iterable[str], frequencies: dict[str, int], n: int) -> dict[int, float]:
    """A question's sparse vector: each known term's IDF."""
    return {term_key(t): bm25.idf(frequencies[t], n) for t in terms if frequencies.get(t, 0) > 0}


def schemas(dimension: int) -> dict[str, tuple[Any, Any]]:
    """``{suffix: (schema, index params)}`` of an epoch's collections."""
    from pymilvus import DataType, MilvusClient

    def new() -> Any:
        return MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)

    def text(schema: Any, name: str, length: int = TEXT_MAX) -> None:
        schema.add_field(name, DataType.VARCHAR, max_length=length, nullable=True)

    articles = new()
    articles.add_field("id", DataType.VARCHAR, max_length=4096, is_primary=True)
    articles.add_field("number", DataType.INT64)
    for name in ("title", "date_text", "url", "path", "author", "pages", "tail"):
        text(articles, name)
    for name in ("date", "source", "category", "lang", "content_hash", "indexed_at"):
        text(articles, name, 1024)
    articles.add_field("line", DataType.INT64, nullable=True)
    articles.add_field("sentence_count", DataType.INT64)
    articles.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)

    sentences = new()
    sentences.add_field("id", DataType.INT64, is_primary=True)
    text(sentences, "article", 4096)
    for name in ("ordinal", "start", "end"):
        sentences.add_field(name, DataType.INT64)
    text(sentences, "piece")  # the article's text from the previous sentence's end to this one's
    text(sentences, "terms")
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)

    chunks = new()
    chunks.add_field("id", DataType.INT64, is_primary=True)
    text(chunks, "article", 4096)
    for name in ("ordinal", "first_sentence", "last_sentence", "start", "end"):
        chunks.add_field(name, DataType.INT64)
    text(chunks, "text")
    text(chunks, "title_terms")
    text(chunks, "body_terms")
    for name in ("date", "source", "category"):
        text(chunks, name, 1024)
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    chunks.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)

    def indexes(*fields: tuple[str, str, str]) -> Any:
        params = MilvusClient.prepare_index_params()
        for field, kind, metric in fields:
            params.add_index(field_name=field, index_type=kind, metric_type=metric)
        return params

    return {
        "articles": (articles, indexes(("dummy", "FLAT", "L2"))),
        "sentences": (sentences, None),  # read back by key only: no index
        "chunks": (chunks, indexes(("vector", "FLAT", "IP"), ("bm25", "SPARSE_INVERTED_INDEX", "IP"))),
    }


def meta_schema() -> tuple[Any, Any]:
    """``NAME__meta``: the head row (epoch and manifest), the writer's lock, term statistics."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, max_length=256, is_primary=True)
    schema.add_field("value", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
    params = MilvusClient.prepare_index_params()
    params.add_index(field_name="dummy", index_type="FLAT", metric_type="L2")
    return schema, params
