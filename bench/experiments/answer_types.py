"""Does spaCy's French pipeline add to sentence choice? (issue 9, point 4)

    PYTHONPATH=. python -m bench.experiments.answer_types [--limit N] [--out bench/results/answer_types.json]

Needs the ``answer-types`` extra: ``pip install -e ".[answer-types]"`` (spaCy and its French model).

On the questions of bench/fit.py's sets (the *fit* part of PIAF v1.1 and SQuAD v1.1 dev, all of
fr-news-dev), the candidate rows are collected exactly as ``bench.fit.collect`` does (it is
called, with ``score_sentences`` wrapped to keep the question and the candidates' texts), and
two signals from ``fr_core_news_md`` are added for French questions (0 for English ones):

- ``ent_kind``: the sentence holds, outside the question's own words, what the question asks
  for (``QuestionAnalysis.kind``): a PER entity for a person, a LOC entity for a place, a
  number token (``like_num`` or POS NUM) for a number, a date-like token (a year, a month, a
  century: the French model has no DATE entity) for a date;
- ``lemma``: the share of the IDF weight of the question's content lemmas found among the
  sentence's lemmas (IDF over the lemmas of every sentence of the set's index).

It reports citation@1 with bench.fit's 2-fold protocol (fit on one half of the fit questions,
measured on the other half, per set; as ``bench.fit.ablation``) for the current signals and
with each new signal, then fits on all the fit questions and measures on the *test* questions
of PIAF (held out), and spaCy's cost (load time, sentences/s, ms per question). It writes
bench/results/answer_types.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench import fit
from bench.common import RESULTS, commit, machine, sha256, write_json
from bench.experiments.spacy_signals import French, ent_kind, index_idf, lemma_share
from bench.fit import SETS, open_set
from bench.listwise import fit_weights, probabilities, quality
from index.embedders import spec_of
from qa import Assistant
from qa.eval import GoldQuestion, load_dataset, percentile, select_questions
from qa.fitted import FEATURES, WEIGHTS, ScorerWeights
from qa.question import QuestionAnalysis
from qa.records import Passage
from qa.scoring import ScoredSentence

NEW = ("ent_kind", "lemma")
ALL = (*FEATURES, *NEW)
# Signal sets compared: name -> the columns of ALL it keeps.
CONFIGS = {
    "current": FEATURES,
    "current + ent_kind": (*FEATURES, "ent_kind"),
    "current + lemma": (*FEATURES, "lemma"),
    "current + both": ALL,
    "current - kind + ent_kind": (*(f for f in FEATURES if f != "kind"), "ent_kind"),
}
COST_QUESTIONS = 100  # PIAF test questions timed for the uncached cost per question


@dataclass
class Question:
    """One question's collect() row with what the new signals need."""

    row: dict[str, Any]
    analysis: QuestionAnalysis
    texts: list[str]  # the candidate sentences, in the row's order


@contextlib.contextmanager
def recording(into: list[tuple[QuestionAnalysis, list[str]]]) -> Iterator[None]:
    """While open, ``bench.fit.collect`` also leaves each question's analysis and candidate texts."""
    original = fit.score_sentences

    def record(
        store: index.Storage,
        question: QuestionAnalysis,
        passages: Sequence[Passage],
        question_vector: np.ndarray,
        *,
        weights: ScorerWeights = WEIGHTS,
    ) -> list[ScoredSentence]:
        scored = original(store, question, passages, question_vector, weights=weights)
        into.append((question, [s.sentence.text for s in scored]))
        return scored

    fit.score_sentences = record
    try:
        yield
    finally:
        fit.score_sentences = original


def collect_texts(assistant: Assistant, questions: Sequence[GoldQuestion]) -> tuple[list[Question], float]:
    """``bench.fit.collect``'s rows with their analyses and texts; and the seconds per question."""
    seen: list[tuple[QuestionAnalysis, list[str]]] = []
    started = time.perf_counter()
    with recording(seen):
        rows = fit.collect(assistant, questions)
    per_question = (time.perf_counter() - started) / max(len(rows), 1)
    if len(seen) != len(rows):
        raise RuntimeError(f"{len(rows)} rows but {len(seen)} scorings recorded")
    out = []
    for row, (analysis, texts) in zip(rows, seen, strict=True):
        if len(texts) != len(row["x"]):
            raise RuntimeError("a row's candidates and texts differ in number")
        out.append(Question(row, analysis, texts))
    return out, per_question


def add_signals(
    questions: list[Question], french: French | None, idf: dict[str, float], default: float
) -> list[dict[str, Any]]:
    """The rows with ``ent_kind`` and ``lemma`` appended to every candidate's features."""
    rows = []
    for q in questions:
        if french is None or q.analysis.language != "fr":
            extra = [[0.0, 0.0] for _ in q.texts]
        else:
            french.parse_all([q.analysis.text, *q.texts])
            asked = french.cache[q.analysis.text]
            extra = [
                [
                    ent_kind(q.analysis.kind, asked, french.cache[t]),
                    lemma_share(asked, french.cache[t], idf, default),
                ]
                for t in q.texts
            ]
        rows.append({**q.row, "x": [[*x, *e] for x, e in zip(q.row["x"], extra, strict=True)]})
    return rows


def columns(rows: list[dict[str, Any]], names: Sequence[str]) -> list[dict[str, Any]]:
    keep = [ALL.index(n) for n in names]
    return [{**r, "x": [[f[i] for i in keep] for f in r["x"]]} for r in rows]


def two_fold(sets: dict[str, list[dict[str, Any]]], names: Sequence[str], folds: int = 2) -> dict[str, float]:
    """citation@1 per set, fitted on one half of the fit questions and measured on the other
    (``bench.fit.ablation``'s protocol)."""
    scores = {name: 0.0 for name in sets}
    for fold in range(folds):
        train = [r for rows in sets.values() for n, r in enumerate(rows) if n % folds != fold]
        w = fit_weights(columns(train, names), features=len(names))
        for name, rows in sets.items():
            held = [r for n, r in enumerate(rows) if n % folds == fold]
            scores[name] += quality(columns(held, names), w, 0.0)["citation@1"] / folds
    return {k: round(v, 4) for k, v in scores.items()}


def right_at_1(rows: list[dict[str, Any]], w: np.ndarray) -> list[bool]:
    """Per answerable question with candidates: whether the best sentence holds the answer."""
    return [bool(r["y"][int(np.argmax(probabilities(r, w)))]) for r in rows if r["answerable"] and r["x"]]


def held_out(
    train: list[dict[str, Any]], test: list[dict[str, Any]], n_answerable: int
) -> dict[str, dict[str, Any]]:
    """Fitted on all the fit questions, citation@1 on the held-out test questions, per config,
    with the questions won and lost against the current signals (paired)."""
    right: dict[str, list[bool]] = {}
    out: dict[str, dict[str, Any]] = {}
    for config, names in CONFIGS.items():
        w = fit_weights(columns(train, names), features=len(names))
        right[config] = right_at_1(columns(test, names), w)
        out[config] = {
            "citation@1": round(sum(right[config]) / max(n_answerable, 1), 4),
            "weights": dict(zip((*names, "intercept"), (round(float(v), 3) for v in w), strict=True)),
        }
        base = right["current"]
        out[config]["vs_current"] = {
            "won": sum(a and not b for a, b in zip(right[config], base, strict=True)),
            "lost": sum(b and not a for a, b in zip(right[config], base, strict=True)),
        }
        print("held out", config, out[config]["citation@1"], out[config]["vs_current"], flush=True)
    return out


def cost(french: French, questions: Sequence[Question], collect_ms: float) -> dict[str, Any]:
    """Added ms per question: parsing the question and its candidate sentences, no cache."""
    every, only_question, sentences = [], [], []
    french.uncached(["Échauffement du pipeline."])
    for q in questions:
        started = time.perf_counter()
        french.uncached([q.analysis.text])
        only_question.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        french.uncached([q.analysis.text, *q.texts])
        every.append((time.perf_counter() - started) * 1000)
        sentences.append(len(q.texts))
    return {
        "questions_timed": len(questions),
        "on": "PIAF test questions, evenly spread",
        "candidate_sentences_per_question_mean": round(statistics.fmean(sentences), 1),
        "uncached_ms_per_question": {
            "mean": round(statistics.fmean(every), 1),
            "p50": round(percentile(every, 0.5), 1),
            "p95": round(percentile(every, 0.95), 1),
        },
        "question_only_ms": {
            "mean": round(statistics.fmean(only_question), 2),
            "p50": round(percentile(only_question, 0.5), 2),
            "p95": round(percentile(only_question, 0.95), 2),
            "note": "the added cost if sentences were parsed when indexing and their parses stored",
        },
        "current_collect_ms_per_question": {
            "mean": round(collect_ms, 1),
            "note": "retrieval + current sentence scoring (bench.fit.collect), for scale",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model spec (default: the default model)")
    parser.add_argument("--limit", type=int, default=None, help="questions per set and part, evenly spread")
    parser.add_argument("--out", type=Path, default=RESULTS / "answer_types.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder(args.model)

    # 1. The candidate rows, as bench.fit.collect makes them, with the texts.
    fit_sets = {name: open_set(name, embedder, args.limit, 0.2, 0) for name in SETS}
    collected: dict[str, list[Question]] = {}
    collect_s: list[float] = []
    for name, fs in fit_sets.items():
        collected[name], per_question = collect_texts(fs.assistant, fs.questions)
        collect_s.append(per_question)
        print("collected", name, len(collected[name]), f"{per_question * 1000:.0f} ms/question", flush=True)
    piaf = fit_sets["piaf"]
    _, every_piaf = load_dataset(piaf.path)
    test_questions = select_questions(every_piaf, part="test", limit=args.limit)
    test, per_question = collect_texts(piaf.assistant, test_questions)
    print("collected piaf test", len(test), f"{per_question * 1000:.0f} ms/question", flush=True)

    # 2. spaCy: load, parse every sentence of the French indexes (lemma IDF), add the signals.
    french = French()
    print("spaCy", french.version, f"import {french.import_s:.1f} s, load {french.load_s:.1f} s", flush=True)
    rows: dict[str, list[dict[str, Any]]] = {}
    test_rows: list[dict[str, Any]] = []
    parsed = 0
    parse_s = 0.0
    for name, fs in fit_sets.items():
        if fs.language != "fr":
            rows[name] = add_signals(collected[name], None, {}, 0.0)
            continue
        idf, default, n, seconds = index_idf(fs.assistant.store, french)
        parsed, parse_s = parsed + n, parse_s + seconds
        print("parsed", name, n, f"sentences in {seconds:.1f} s", flush=True)
        rows[name] = add_signals(collected[name], french, idf, default)
        if name == "piaf":
            test_rows = add_signals(test, french, idf, default)
    for name, set_rows in rows.items():
        fired = [f[ALL.index("ent_kind")] for r in set_rows for f in r["x"]]
        print(name, "ent_kind share of candidates", round(statistics.fmean(fired or [0.0]), 3), flush=True)

    # 3. citation@1: 2-fold on the fit questions, then fit on all of them and measure on PIAF test.
    folds = {}
    for config, names in CONFIGS.items():
        folds[config] = two_fold(rows, names)
        print("2-fold", config, folds[config], flush=True)
    train = [r for set_rows in rows.values() for r in set_rows]
    answerable = sum(q.answerable for q in test_questions)
    test_figures = held_out(train, test_rows, answerable)

    # 4. Cost, on this machine.
    timed_ids = {g.id for g in select_questions(test_questions, limit=COST_QUESTIONS)}
    spend = cost(
        french,
        [q for q, g in zip(test, test_questions, strict=True) if g.id in timed_ids],
        statistics.fmean(collect_s) * 1000,
    )
    spend = {
        "spacy": french.version,
        "pipes": french.pipes,
        "import_s": round(french.import_s, 2),
        "load_s": round(french.load_s, 2),
        "bulk_sentences_per_s": round(parsed / parse_s, 1) if parse_s else None,
        "bulk_sentences": parsed,
        "batch_size": french.batch_size,
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
        **spend,
    }
    print("cost", json.dumps(spend), flush=True)

    write_json(
        args.out,
        {
            "commit": commit(),
            "model": str(spec_of(embedder)),
            "spacy_model": french.version,
            "data": {fs.path.name: sha256(fs.path) for fs in fit_sets.values()},
            "limit": args.limit,
            "questions": {
                **{f"{name} ({SETS[name][2]})": len(qs) for name, qs in collected.items()},
                "piaf (test)": len(test_questions),
            },
            "signals": {
                "ent_kind": "sentence holds, outside the question's words, the asked kind: PER (person), "
                "LOC (place), like_num/NUM token (number), year/month/siècle token (date); 0 for English",
                "lemma": "share of the IDF weight of the question's content lemmas among the sentence's "
                "lemmas (IDF over the index's sentences); 0 for English",
            },
            "two_fold_citation@1": {
                "split": "fit questions of each set (piaf fit, squad fit, fr-news-dev all): fitted on one "
                "half, measured on the other, averaged over the 2 folds (bench.fit.ablation's protocol)",
                **folds,
            },
            "held_out_citation@1": {
                "split": "fitted on all the fit questions of the three sets; measured on the PIAF test "
                "questions (articles never fitted on); won/lost: test questions right/wrong against "
                "'current'",
                "piaf_test": test_figures,
            },
            "cost": spend,
            "machine": machine(),
        },
    )
    print("wrote", args.out, flush=True)


if __name__ == "__main__":
    main()
