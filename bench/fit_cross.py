"""Fit the scorer's weights and threshold for questions over articles in another language.

    python -m bench.fit_cross [--limit N] [--out bench/results/fit_cross.json]   (make fit)

XQuAD's parallel files hold the same 1,190 question ids in every language, so each gives
cross-lingual pairs: the English questions over the German, Spanish, Russian and Chinese
articles, and those languages' questions over the English articles (eight directions). On the
questions of the *fit* articles only (qa/eval/splits.py, the rule ``eval --split`` uses):

News is fitted too: the English questions of ``bench/data/fr-news-fit.en.json`` over the French
news of ``fr-news-fit.json`` (the sample's 72 articles fr-news-dev does not use; the whole file
is fit data), a ninth direction, ``en->fr``.

1. the weights of :data:`qa.fitted.CROSS_WEIGHTS` (articles in another language written in the
   question's script: German, Spanish and French with English) and :data:`qa.fitted.SCRIPT_WEIGHTS`
   (another script: Russian and Chinese with English): the same listwise fit as the
   monolingual scorer's (bench/listwise.py), on the candidates of articles in another language
   than the question's (their word signals measured on the question's words read in the
   article's language). The news questions count :data:`NEWS_COUNT` times, so that the 182
   news questions weigh about a quarter of the 1,888 XQuAD ones of the same script: the
   count that ``python -m bench.experiments.news_cross`` chose by 2-fold cross-validation on
   the fit questions alone (bench/results/news_cross.json);
2. :data:`qa.fitted.CROSS_THRESHOLDS` and :data:`qa.fitted.SCRIPT_THRESHOLDS`, one per language
   of the articles (the model's cosines across English and Chinese run lower than across
   English and German, so one threshold answered 0.78 of the questions over Chinese articles
   and 0.99 over Russian ones), and ``default``, all of them pooled, for another language: on
   the indexes without a seeded 20% of the articles, by the rule of bench/fit.py, the highest
   threshold that still answers :data:`ANSWER_RATE` (95%) of the kept articles' answerable
   questions.

fr-news-dev's English questions (bench/data/fr-news-dev.en.json) are not fitted on: they measure
the French case apart. Writes bench/results/fit_cross.json (in-sample figures, labelled as such);
tests/qa/test_fitted.py holds the code's constants to it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench.common import DATA, RESULTS, commit, sha256, write_json
from bench.fit import collect, threshold_for
from bench.listwise import fit_weights, probabilities, quality
from index.embedders import spec_of
from qa import Assistant
from qa.eval import (
    SPLIT_SEED,
    TEST_SHARE,
    GoldQuestion,
    asked_in,
    default_eval_dir,
    load_dataset,
    prepare_index,
    removal_for,
    select_questions,
)
from qa.fitted import FEATURES

OTHERS = ("de", "es", "ru", "zh")
ANSWER_RATE = 0.95
"""The share of the fit questions the thresholds answer (0.90 for the monolingual ones): at 0.90,
the held-out articles' answered share spread from 0.81 (German questions, English articles) to
0.97 (docs/quality.md); a user asking across languages is answered at least 85% of the time."""
PAIRS = ("cross", "script")  # another language in the same script; another script
DIRECTIONS = [("en", other) for other in OTHERS] + [(other, "en") for other in OTHERS]  # (asked, articles)
ROOT = Path(__file__).resolve().parents[1]
NEWS = (
    "en->fr",
    ROOT / "bench" / "data" / "fr-news-fit.json",
    ROOT / "bench" / "data" / "fr-news-fit.en.json",
)
NEWS_COUNT = 3
"""How many times each news question counts in the weights' fit (bench/experiments/news_cross.py)."""


def xquad(language: str) -> Path:
    return DATA / f"xquad.{language}.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model spec (default: the default model)")
    parser.add_argument("--limit", type=int, default=None, help="fit questions per direction, evenly spread")
    parser.add_argument(
        "--remove", type=float, default=0.2, help="share of articles removed for the threshold"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "fit_cross.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder(args.model)
    rows: dict[str, list[dict[str, Any]]] = {}
    smaller: dict[str, tuple[Assistant, set[str], list[GoldQuestion]]] = {}
    sources = [(f"{a}->{b}", xquad(b), xquad(a), "fit") for a, b in DIRECTIONS] + [(*NEWS, "all")]
    for name, articles_file, asked_file, part in sources:
        articles, questions = load_dataset(articles_file)
        full = prepare_index(
            articles_file, articles, default_eval_dir(articles_file, spec_of(embedder)), embedder
        )
        chosen = select_questions(asked_in(questions, asked_file), part=part, limit=args.limit)
        rows[name] = collect(Assistant.open(full, embedder=embedder, threshold=0.0), chosen, across=True)
        without, gone = removal_for(full, articles, share=args.remove, seed=args.seed)
        smaller[name] = (Assistant.open(without, embedder=embedder, threshold=0.0), gone, chosen)
        print(name, len(chosen), "questions", flush=True)
    every = [
        r for name, direction in rows.items() for r in direction * (NEWS_COUNT if name == NEWS[0] else 1)
    ]
    weights = {pair: fit_weights([r for r in every if r["pair"] == pair]) for pair in PAIRS}
    for pair, w in weights.items():
        print(pair, "weights", [round(float(v), 3) for v in w], flush=True)
    kept: dict[tuple[str, str], list[float]] = {}
    removed: dict[tuple[str, str], list[float]] = {}
    for name, (assistant, gone, chosen) in smaller.items():
        articles_language = name.split("->")[1]
        for row in collect(assistant, [q for q in chosen if q.answerable], across=True):
            w = weights[row["pair"]]
            best = float(probabilities(row, w).max()) if row["x"] else 0.0
            group = (row["pair"], articles_language)
            (removed if row["article"] in gone else kept).setdefault(group, []).append(best)
    thresholds: dict[str, dict[str, dict[str, float]]] = {pair: {} for pair in PAIRS}
    for pair in PAIRS:
        for language in sorted({lang for p, lang in kept if p == pair}):
            thresholds[pair][language] = threshold_for(
                np.asarray(kept[pair, language]), np.asarray(removed.get((pair, language), [])), ANSWER_RATE
            )
        pooled = [g for g in kept if g[0] == pair]
        thresholds[pair]["default"] = threshold_for(
            np.concatenate([kept[g] for g in pooled]),
            np.concatenate([removed.get(g, []) for g in pooled]),
            ANSWER_RATE,
        )
    print("thresholds", thresholds, flush=True)
    result: dict[str, Any] = {
        "commit": commit(),
        "model": str(spec_of(embedder)),
        "data": {xquad(lang).name: sha256(xquad(lang)) for lang in ("en", *OTHERS)},
        "split": {"seed": SPLIT_SEED, "test_share": TEST_SHARE, "fitted_on": "fit"},
        "directions": [name for name, *_ in sources],
        "news": {
            "file": NEWS[1].name,
            "questions": NEWS[2].name,
            "sha256": sha256(NEWS[1]),
            "count": NEWS_COUNT,
        },
        "removal": {"share": args.remove, "seed": args.seed, "answer_rate": ANSWER_RATE},
        "questions": {name: len(r) for name, r in rows.items()},  # those read as another language
        "fitted": {
            "features": list(FEATURES),
            **{
                pair: {
                    "weights": [round(float(v), 3) for v in weights[pair]],
                    "thresholds": {lang: t["threshold"] for lang, t in thresholds[pair].items()},
                }
                for pair in PAIRS
            },
        },
        "fit_figures": {
            "in_sample": "every figure below is on the fit questions it was fitted on",
            "thresholds": thresholds,
            "scorer": {
                name: quality(r, weights[r[0]["pair"] if r else "cross"], 0.0) for name, r in rows.items()
            },
        },
    }
    write_json(args.out, result, indent=1)
    print(json.dumps(result["fitted"], indent=1))


if __name__ == "__main__":
    main()
