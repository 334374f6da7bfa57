"""Hybrid retrieval: dense search and BM25 in the index's backend, fused, filtered.

>>> retriever = Retriever(store, embedder, top_k=5)
>>> passages = retriever.search(analyze_question("Qui a rompu ?", languages=["fr"]))
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from index import Embedder, Filters, Storage
from index.analysis import analyze
from index.errors import OptionError

from .errors import UnknownFilterError
from .fitted import DENSE_WEIGHT
from .question import QuestionAnalysis
from .records import Passage

FUSIONS = ("linear", "rrf", "dense", "lexical")


def min_max(values: Sequence[float]) -> list[float]:
    """``values`` scaled to 0..1 (all 1.0 when they are equal)."""
    if not values:
        return []
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 1.0 for v in values]


def _min_max(items: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Scores of (id, score) pairs scaled to 0..1 within their list."""
    return dict(zip((c for c, _ in items), min_max([s for _, s in items]), strict=True))


class Retriever:
    """Find the passages that match a question.

    Args:
        store: an opened index.
        embedder: the model the index was built with.
        top_k: passages returned.
        candidates: how deep each of the dense and lexical lists is read before fusion.
        fusion: ``"linear"`` (the default: min-max normalised scores, ``dense_weight`` times
            dense plus the rest lexical), ``"rrf"`` (reciprocal rank fusion, the dense list
            weighted by ``dense_weight``), or ``"dense"`` / ``"lexical"`` alone.
        rrf_k: the constant of reciprocal rank fusion.
        dense_weight: the dense list's share in the fusion (default: the fitted one,
            :data:`qa.fitted.DENSE_WEIGHT`).
    """

    def __init__(
        self,
        store: Storage,
        embedder: Embedder,
        *,
        top_k: int = 5,
        candidates: int = 50,
        fusion: str = "linear",
        rrf_k: int = 60,
        dense_weight: float = DENSE_WEIGHT,
    ) -> None:
        if top_k <= 0:
            raise OptionError(f"top_k must be > 0, got {top_k}")
        if candidates < top_k:
            raise OptionError(f"candidates must be >= top_k ({top_k}), got {candidates}")
        if fusion not in FUSIONS:
            raise OptionError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if rrf_k <= 0:
            raise OptionError(f"rrf_k must be > 0, got {rrf_k}")
        if not 0.0 <= dense_weight <= 1.0:
            raise OptionError(f"dense_weight must be within 0..1, got {dense_weight}")
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.candidates = candidates
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight

    def check_filters(self, filters: Filters) -> None:
        """Raise :class:`UnknownFilterError` for a category or source the index does not hold."""
        for column, value in (("category", filters.category), ("source", filters.source)):
            if value:
                known = self.store.distinct(column)
                if value not in known:
                    raise UnknownFilterError(
                        f"no {column} {value!r} in the index; known: {', '.join(known) or 'none'}",
                        column=column,
                        value=value,
                    )

    def search(
        self,
        question: QuestionAnalysis,
        *,
        filters: Filters | None = None,
        top_k: int | None = None,
        query_vector: np.ndarray | None = None,
        timings: dict[str, float] | None = None,
    ) -> list[Passage]:
        """The ``top_k`` passages for ``question``, best first, each with its component ranks."""
        filters = filters or Filters()
        k = self.top_k if top_k is None else top_k
        if k <= 0:
            raise OptionError(f"top_k must be > 0, got {k}")
        self.check_filters(filters)
        depth = max(self.candidates, k)
        spent = timings if timings is not None else {}

        dense: list[tuple[int, float]] = []
        if self.fusion != "lexical":
            if query_vector is None:
                t = time.perf_counter()
                query_vector = self.embedder.encode_queries([question.retrieval_text])[0]
                spent["encode"] = time.perf_counter() - t
            t = time.perf_counter()
            dense = self.store.dense_search(query_vector, depth, filters=filters)
            spent["dense"] = time.perf_counter() - t

        lexical: list[tuple[int, float]] = []
        if self.fusion != "dense":
            t = time.perf_counter()
            terms = list(question.terms) + list(question.subject_terms)
            for other in self.store.manifest.languages:
                if other and other != question.language:  # multilingual index: its analyses too
                    terms += analyze(question.retrieval_text, other)
            lexical = self.store.lexical_search(terms, depth, filters=filters)
            spent["lexical"] = time.perf_counter() - t

        t = time.perf_counter()
        ranked = self._fuse(dense, lexical)[:k]
        passages = self._passages(ranked, dense, lexical)
        spent["fuse"] = time.perf_counter() - t
        return passages

    def _fuse(
        self, dense: Sequence[tuple[int, float]], lexical: Sequence[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        if self.fusion == "dense":
            return list(dense)
        if self.fusion == "lexical":
            return list(lexical)
        if self.fusion == "linear":
            d, lx = _min_max(dense), _min_max(lexical)
            a = self.dense_weight
            fused = {c: a * d.get(c, 0.0) + (1 - a) * lx.get(c, 0.0) for c in {*d, *lx}}
            return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        scores: dict[int, float] = {}
        for rank, (cid, _) in enumerate(dense, start=1):
            scores[cid] = scores.get(cid, 0.0) + self.dense_weight / (self.rrf_k + rank)
        for rank, (cid, _) in enumerate(lexical, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (self.rrf_k + rank)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _passages(
        self,
        ranked: Sequence[tuple[int, float]],
        dense: Sequence[tuple[int, float]],
        lexical: Sequence[tuple[int, float]],
    ) -> list[Passage]:
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        lexical_rank = {cid: r for r, (cid, _) in enumerate(lexical, start=1)}
        hits = self.store.chunks([cid for cid, _ in ranked])
        passages = []
        for cid, score in ranked:
            hit = hits.get(cid)
            if hit is None:
                continue
            c, a = hit.chunk, hit.article
            passages.append(
                Passage(
                    chunk_id=cid,
                    text=c.text,
                    article_id=a.id,
                    title=a.title,
                    start=c.start,
                    end=c.end,
                    first_sentence=c.first_sentence,
                    last_sentence=c.last_sentence,
                    score=score,
                    date=a.date,
                    category=a.category,
                    source=a.source,
                    url=a.url,
                    dense_rank=dense_rank.get(cid),
                    lexical_rank=lexical_rank.get(cid),
                    date_text=a.date_text,
                )
            )
        return passages
