"""The assistant: one object to ask questions of an index and get cited answers.

>>> from qa import Assistant
>>> assistant = Assistant.open("my-index")
>>> answer = assistant.ask("Qui a rompu ses relations avec la Corée du Nord ?")
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, overload

import numpy as np

import index
from index import Embedder, Storage, load_embedder, open_index
from index.embedders import spec_of
from index.errors import OptionError
from index.filters import Filters
from index.manifest import check_model

from . import fitted
from .answerers import Answerer, AnswerRequest, ExtractiveAnswerer, StreamingAnswerer, make_request
from .fitted import ScorerWeights
from .fitted_rerank import RerankFit
from .question import QuestionAnalysis, analyze_question, checked_question, history_turn
from .records import Answer, Passage, RerankCost, Turn
from .rerank import Reranker, Reranking, RerankUsage, as_reranker
from .retriever import Retriever
from .scoring import ScoredSentence, distinct_passages, rank_passages, score_sentences, select
from .stories import with_other_sources

MAX_TOP_K = 100
"""The most passages a question may read."""

__all__ = ["MAX_TOP_K", "Assistant"]


class Assistant:
    """Answers questions over one index with cited sentences, or says it found nothing.

    Stateless between questions: a conversation is passed back as ``history``. Safe to share
    between threads. The model is loaded once, on first use.

    Args:
        store: an opened index.
        embedder: the model the index was built with (loaded from the manifest's name if None).
        top_k: passages read for each question.
        threshold: the least score (0..1) a sentence needs to be cited; below it, abstain.
            ``None`` (the default) takes the fitted threshold of the question's language
            (or the one fitted for the index's model, :data:`qa.fitted.MODEL_CONSTANTS`).
        weights, passage_weight: the sentence scorer's weights (``None``: those fitted for
            the index's model, :mod:`qa.fitted`).
        cross_weights: the weights for sentences of articles in another language than the
            question's (``None``: those fitted on cross-lingual pairs for the default model;
            a model with its own fit uses ``weights`` for both).
        fusion: how dense and lexical lists are fused (see :class:`qa.retriever.Retriever`).
        candidates: passages whose sentences are scored before the ``top_k`` are kept.
        max_citations: at most this many cited sentences.
        answerer: writes the answer from the selected sentences (default: it quotes them,
            :class:`ExtractiveAnswerer`; :class:`qa.GenerativeAnswerer` has a model compose it).
        reranker: a cross-encoder that reads the scorer's best sentences again (:mod:`qa.rerank`;
            a name, a folder, a loaded ``CrossEncoder``, a ``Reranker``; default: none), and
        rerank_fit: its combination with the scorer (default: :mod:`qa.fitted_rerank`'s).
    """

    def __init__(
        self,
        store: Storage,
        embedder: Embedder | None = None,
        *,
        top_k: int = 5,
        threshold: float | None = None,
        fusion: str = "linear",
        candidates: int = 30,
        max_citations: int = 3,
        weights: ScorerWeights | None = None,
        passage_weight: float | None = None,
        cross_weights: ScorerWeights | None = None,
        answerer: Answerer | None = None,
        reranker: str | os.PathLike[str] | Reranker | Any | None = None,
        rerank_fit: RerankFit | None = None,
    ) -> None:
        if rerank_fit is not None and reranker is None:
            raise OptionError("rerank_fit is given without a reranker", option="rerank_fit")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            said = f"threshold must be within 0..1, got {threshold}"
            raise OptionError(said, option="threshold", low=0, high=1, value=threshold)
        if not 1 <= max_citations <= 10:
            raise OptionError(f"max_citations must be within 1..10, got {max_citations}")
        _check_top_k(top_k)
        self.store = store
        self.embedder = embedder or load_embedder(store.manifest.model_spec)
        check_model(store.location, store.manifest, spec_of(self.embedder))
        candidates = max(candidates, top_k)  # a larger top_k reads more candidates
        own = fitted.MODEL_CONSTANTS.get(store.manifest.model)  # the index's model's own fit, if any
        self.retriever = Retriever(
            store,
            self.embedder,
            top_k=top_k,
            fusion=fusion,
            dense_weight=own.dense_weight if own else fitted.DENSE_WEIGHT,
        )
        self.top_k = top_k
        self.candidates = candidates
        self.threshold = threshold
        self.model_threshold: float | None = own.threshold if own else None
        self.max_citations = max_citations
        self.weights: ScorerWeights = (
            weights if weights is not None else own.weights if own else fitted.WEIGHTS
        )
        self.cross_weights: ScorerWeights = (
            cross_weights if cross_weights is not None else self.weights if own else fitted.CROSS_WEIGHTS
        )
        self.script_weights = (
            cross_weights if cross_weights is not None else self.weights if own else fitted.SCRIPT_WEIGHTS
        )
        fitted_passage = own.passage_weight if own else fitted.PASSAGE_WEIGHT
        self.passage_weight: float = passage_weight if passage_weight is not None else fitted_passage
        self.answerer: Answerer = answerer or ExtractiveAnswerer()
        self.reranking = Reranking(as_reranker(reranker), rerank_fit) if reranker is not None else None

    # -- construction --------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        index_dir: str | os.PathLike[str],
        *,
        model: str | None = None,
        embedder: Embedder | None = None,
        quick_start: bool = False,
        **options: Any,
    ) -> Assistant:
        """Open the index at ``index_dir`` (see :class:`Assistant` for ``options``); with ``quick_start``
        its model's lightest engine encodes questions until the full one is loaded (as ``ask`` does)."""
        store = open_index(index_dir, model=model or (spec_of(embedder) if embedder else None))
        if quick_start and not embedder:
            embedder = load_embedder(store.manifest.model_spec, quick_queries=True)
        return cls(store, embedder, **options)

    @classmethod
    def build(
        cls,
        sources: Sequence[str | os.PathLike[str]],
        index_dir: str | os.PathLike[str],
        *,
        model: str | None = None,
        embedder: Embedder | None = None,
        rebuild: bool = False,
        **options: Any,
    ) -> Assistant:
        """Index ``sources`` into ``index_dir``, then open it."""
        embedder = embedder or load_embedder(model)
        index.build(sources, index_dir, embedder=embedder, rebuild=rebuild)
        return cls.open(index_dir, embedder=embedder, **options)

    @overload
    def threshold_for(self, language: str) -> float: ...
    @overload
    def threshold_for(self, language: str, *, pair: str) -> float | Mapping[str, float]: ...
    def threshold_for(self, language: str, *, pair: str = "same") -> float | Mapping[str, float]:
        """The abstention threshold for a question in ``language``; ``pair`` ``cross`` or ``script``: for a
        sentence of an article in another language or script (fitted: by its language, or ``default``)."""
        if self.threshold is not None:
            return self.threshold
        reranked = self.reranking.fit.threshold(language) if self.reranking is not None else None
        if reranked is not None:  # the combined score's scale is the re-ranker fit's
            return reranked
        if self.model_threshold is not None:
            return self.model_threshold
        if pair != "same":
            return fitted.SCRIPT_THRESHOLDS if pair == "script" else fitted.CROSS_THRESHOLDS
        return fitted.THRESHOLDS.get(language, fitted.THRESHOLDS["default"])

    @property
    def reranker(self) -> Reranker | None:
        """The re-ranker, if one is set (loaded on first use, then kept)."""
        return self.reranking.reranker if self.reranking is not None else None

    @property
    def location(self) -> str:
        """Where the index is: its directory, or its URI."""
        return self.store.location

    def close(self) -> None:
        self.store.close()

    # -- questions -----------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> list[Passage]:
        """The passages that best match ``query``, ranked as :meth:`ask` ranks them."""
        analysis = analyze_question(
            checked_question(query), languages=self.store.manifest.languages.keys(), history=history
        )
        vector = self.embedder.encode_queries([analysis.retrieval_text])[0]
        k = self.top_k if top_k is None else top_k
        return self._ranked(analysis, vector, filters, k, {}, RerankUsage())[0][:k]

    def _ranked(
        self,
        analysis: QuestionAnalysis,
        vector: np.ndarray,
        filters: Filters | None,
        top_k: int,
        timings: dict[str, float],
        usage: RerankUsage,
    ) -> tuple[list[Passage], list[ScoredSentence]]:
        """Retrieve candidates, score their sentences (and re-rank the best, if a re-ranker is
        set); all candidates, best passage first."""
        _check_top_k(top_k)
        candidates = self.retriever.search(
            analysis,
            filters=filters,
            top_k=max(self.candidates, top_k),
            query_vector=vector,
            timings=timings,
        )
        t = time.perf_counter()
        scored = score_sentences(
            self.store,
            analysis,
            candidates,
            vector,
            weights=self.weights,
            cross_weights=self.cross_weights,
            script_weights=self.script_weights,
        )
        if self.reranking is not None:
            before = usage.seconds + usage.load_seconds
            scored = self.reranking.apply(analysis.retrieval_text, scored, usage)
            timings["rerank"] = usage.seconds + usage.load_seconds
            t += timings["rerank"] - before  # the re-ranker's time is its own stage, not selection's
        ranked = rank_passages(candidates, scored, len(candidates), passage_weight=self.passage_weight)
        timings["select"] = time.perf_counter() - t
        return distinct_passages(ranked), scored

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn | tuple[str, str] | str] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        answerer: Answerer | None = None,
    ) -> Answer:
        """Answer ``question`` with cited sentences from the articles, or abstain.

        Args:
            question: the question, in any language of the index.
            history: earlier turns, oldest first (``Turn``, ``(question, answer)`` or a question).
            filters: which articles may answer (category, source, dates, ids).
            top_k: passages to read (default: the assistant's ``top_k``).
            answerer: who writes this answer (default: the assistant's ``answerer``).

        Raises:
            QuestionError: the question is empty.
            UnknownFilterError: a filter names a category or source the index lacks.
        """
        return self.ask_with_candidates(
            question, history=history, filters=filters, top_k=top_k, answerer=answerer
        )[0]

    def ask_with_candidates(
        self,
        question: str,
        *,
        history: Sequence[Turn | tuple[str, str] | str] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        answerer: Answerer | None = None,
    ) -> tuple[Answer, list[Passage]]:
        """:meth:`ask`, also returning every candidate passage in rank order, beyond ``top_k``
        (what ``article-qa eval`` measures recall@k on: one retrieval serves both)."""
        started = time.perf_counter()
        request, ranked, writer, cost = self._prepare(question, history, filters, top_k, answerer)
        composing = time.perf_counter()
        return self._finish(request, writer.answer(request), started, composing, cost), ranked

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[Turn | tuple[str, str] | str] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        answerer: Answerer | None = None,
    ) -> Iterator[str | Answer]:
        """:meth:`ask`, showing a composed answer as it is written: the text so far (``str``)
        as it grows, then the :class:`Answer` (a quoted answer comes at once, alone)."""
        started = time.perf_counter()
        request, _, writer, cost = self._prepare(question, history, filters, top_k, answerer)
        composing = time.perf_counter()
        if not isinstance(writer, StreamingAnswerer):
            yield self._finish(request, writer.answer(request), started, composing, cost)
            return
        for part in writer.stream(request):
            yield self._finish(request, part, started, composing, cost) if isinstance(part, Answer) else part

    def _prepare(
        self,
        question: str,
        history: Sequence[Turn | tuple[str, str] | str],
        filters: Filters | None,
        top_k: int | None,
        answerer: Answerer | None,
    ) -> tuple[AnswerRequest, list[Passage], Answerer, RerankCost | None]:
        """Retrieve, score and select: the answerer's request, every candidate passage, who
        writes the answer (the quoted answer when the scorer abstains: no model is asked
        where the articles are silent), and what re-ranking cost (None without a re-ranker).

        A question with a conversation behind it is read with the subject of the conversation,
        and again on its own: the reading whose best sentence scores higher answers, so that a
        follow-up ("Et en avril ?") keeps its subject and a new topic is not dragged back to the
        old one.
        """
        timings: dict[str, float] = {}
        usage = RerankUsage()
        turns = tuple(history_turn(t) for t in history)
        languages = self.store.manifest.languages.keys()
        k = self.top_k if top_k is None else top_k
        t = time.perf_counter()
        question = checked_question(question)
        readings = [analyze_question(question, languages=languages, history=turns)]
        if readings[0].subject_terms:
            readings.append(analyze_question(question, languages=languages))
        timings["analyse"] = time.perf_counter() - t
        result: tuple[AnswerRequest, list[Passage]] | None = None
        best = -1.0  # the best cited sentence's score so far: the reading that answers best wins
        for analysis in readings:
            t = time.perf_counter()
            vector = self.embedder.encode_queries([analysis.retrieval_text])[0]
            timings["encode"] = timings.get("encode", 0.0) + time.perf_counter() - t
            ranked, scored = self._ranked(analysis, vector, filters, k, timings, usage)
            passages = ranked[:k]
            said = " ".join(t.answer for t in turns) if analysis.subject_terms else ""
            chosen = select(
                scored,
                passages,
                threshold=self.threshold_for(analysis.language),
                cross_threshold=self.threshold_for(analysis.language, pair="cross"),
                script_threshold=self.threshold_for(analysis.language, pair="script"),
                max_citations=self.max_citations,
                already_said=said,
            )
            if result is None or (chosen and chosen[0].score > best):
                request = make_request(
                    analysis.text,
                    analysis.language,
                    turns,
                    chosen,
                    scored,
                    passages,
                    timings,
                    encode=self.embedder.encode_queries,
                )
                result = (request, ranked)
                best = chosen[0].score if chosen else best
        assert result is not None
        request, ranked = result
        writer = (answerer or self.answerer) if request.chosen else _QUOTED
        return request, ranked, writer, self.reranking.cost(usage) if self.reranking is not None else None

    def _finish(
        self,
        request: AnswerRequest,
        answer: Answer,
        started: float,
        composing: float,
        cost: RerankCost | None,
    ) -> Answer:
        """``answer`` with the other sources of its cited stories (:mod:`qa.stories`), its timings
        (the request's, the answerer's part, ``compose``, ``stories``, the ``total``) and what
        re-ranking cost."""
        timings = request.timings
        timings.pop("fuse", None)
        timings["compose"] = time.perf_counter() - composing
        answer = with_other_sources(self.store, answer, timings)
        timings["total"] = time.perf_counter() - started
        same = answer.timings is timings and cost is None
        return answer if same else replace(answer, timings=timings, rerank=cost)


_QUOTED = ExtractiveAnswerer()


def _check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        said = f"top_k must be within 1..{MAX_TOP_K}, got {top_k}"
        raise OptionError(said, option="top_k", low=1, high=MAX_TOP_K, value=top_k)
