"""The whole evaluation ``article-qa eval`` runs on one data set: index it (or reuse its index),
ask the chosen questions, measure, then ask again of an index without a seeded share of the
articles, and of a language model if one is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import index
from index.embedders import spec_of
from index.location import is_remote

from ..assistant import Assistant
from ..endpoint import Endpoint
from ..generative import GenerativeAnswerer
from ..records import Answer
from ..rerank import CrossEncoderReranker, Reranker, as_reranker
from .datasets import asked_in, load_dataset, select_questions
from .fixtures import default_eval_dir, prepare_index, removal_for
from .metrics import evaluate, evaluate_composed, evaluate_removal, percentile


@dataclass(frozen=True)
class EvalReport:
    """What :func:`evaluate_dataset` measured (``metrics``, by name, in the order they are
    reported) and the index it asked (``index``: a directory, or an engine's URI)."""

    index: str | Path
    metrics: dict[str, Any]


def evaluate_dataset(
    dataset: Path,
    *,
    model: str | None = None,
    embedder: index.Embedder | None = None,
    split: str = "all",
    limit: int | None = None,
    questions_file: Path | None = None,
    eval_dir: Path | None = None,
    target: str | Path | None = None,
    chunk_vectors: str | None = None,
    remove: float = 0.2,
    seed: int = 0,
    top_k: int = 5,
    threshold: float | None = None,
    fusion: str = "linear",
    endpoint: Endpoint | None = None,
    reranker: str | Path | Reranker | Any | None = None,
    progress: index.Progress | None = None,
) -> EvalReport:
    """Index the SQuAD-format file ``dataset`` and measure the answers to its questions.

    Args:
        dataset: a SQuAD v1.1 or v2.0 JSON file.
        model, embedder: the embedding model (a name, or one already loaded; default: the
            default model).
        split, limit: which questions are asked (:func:`~qa.eval.select_questions`).
        questions_file: ask the questions as this SQuAD-format file words them, by id (the
            data set's questions in another language, :func:`~qa.eval.asked_in`).
        eval_dir: where the data set's index is kept (default: :func:`~qa.eval.default_eval_dir`).
        target: index the data set there instead (a directory, or an engine's URI).
        chunk_vectors: the index's chunk vectors (see ``index.ChunkSettings``; default its own).
        remove, seed: the share of the articles the removal measure leaves out (0: no removal
            measure), and the seed of its draw.
        top_k, threshold, fusion: the assistant's options (see :class:`~qa.Assistant`).
        endpoint: also measure the answers this language model composes.
        reranker: re-read the scorer's best sentences with this cross-encoder (see
            :class:`~qa.Assistant`); its cost per question is reported.
        progress: told how the indexing goes.

    Raises:
        IndexNotFoundError: there is no file at ``dataset``.
        ArticleFormatError: the file is not in SQuAD format.
        OptionError: the removal measure was asked of an index in an engine.
    """
    if not dataset.is_file():
        raise index.IndexNotFoundError(f"no data set at {dataset}: give a SQuAD-format JSON file")
    if questions_file is not None and not questions_file.is_file():
        raise index.IndexNotFoundError(
            f"no questions file at {questions_file}: give a SQuAD-format JSON file"
        )
    articles, questions = load_dataset(dataset)
    if questions_file is not None:
        questions = asked_in(questions, questions_file)
    if reranker is not None:
        reranker = as_reranker(reranker)
        if isinstance(reranker, CrossEncoderReranker):
            reranker.load()  # a re-ranker that cannot load fails before the index is built
    embedder = embedder or index.load_embedder(model)
    settings = index.ChunkSettings(chunk_vectors=chunk_vectors) if chunk_vectors else index.ChunkSettings()
    eval_dir = eval_dir or default_eval_dir(dataset, spec_of(embedder), settings)
    if target is not None and is_remote(target) and remove > 0:
        raise index.OptionError(
            "the removal measure copies the index's files: with an index in an engine, add --remove 0",
            option="remove",
        )
    index_dir = prepare_index(
        dataset, articles, eval_dir, embedder, progress, settings=settings, target=target
    )
    questions = select_questions(questions, part=split, limit=limit)
    options: dict[str, Any] = {"top_k": top_k, "fusion": fusion}
    if threshold is not None:
        options["threshold"] = threshold
    if reranker is not None:
        options["reranker"] = reranker  # one loaded model for both indexes
    assistant = Assistant.open(index_dir, embedder=embedder, **options)
    answers: list[Answer] = []
    metrics: dict[str, Any] = {"split": split}
    if questions_file is not None:
        metrics["questions_from"] = questions_file.name
    metrics.update(
        evaluate(assistant, questions, on_question=lambda gold, answer, ranked: answers.append(answer))
    )
    costs = [a.rerank for a in answers if a.rerank is not None]
    if costs:
        metrics.update(
            {
                "reranker": costs[0].model,
                "rerank_fitted": costs[0].fitted,
                "rerank_pairs_per_question": round(sum(c.pairs for c in costs) / len(costs), 2),
                "rerank_ms_p50": round(percentile([c.ms for c in costs], 0.5), 2),
            }
        )
    if remove > 0:
        without, gone = removal_for(Path(index_dir), articles, share=remove, seed=seed)  # a directory here
        smaller = Assistant.open(without, embedder=embedder, **options)
        metrics.update({"removed_share": remove, **evaluate_removal(smaller, questions, gone)})
    if endpoint is not None:
        metrics["llm_model"] = endpoint.model
        metrics.update(evaluate_composed(assistant, questions, GenerativeAnswerer(endpoint)))
    return EvalReport(index_dir, metrics)
