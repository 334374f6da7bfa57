"""Do news questions asked across languages need weights fitted on news? fr-news-fit against XQuAD.

    python -m bench.experiments.news_cross [--out bench/results/news_cross.json]

The cross-lingual weights for one script (:data:`qa.fitted.CROSS_WEIGHTS`) were fitted on
XQuAD's Wikipedia paragraphs only; on fr-news-dev's English questions over the French news their
best sentence is right less often than the model's cosine alone (bench/results/cross_ceiling.json).
``bench/data/fr-news-fit.json`` (198 questions, 182 answerable, over the sample's 72 articles that
fr-news-dev does not use) and its English version ``fr-news-fit.en.json`` give news questions to
fit on, held apart from fr-news-dev by article.

Rows (``bench.fit.collect``, ``across=True``): XQuAD's four same-script directions (English with
German and Spanish) on the *fit* articles, to fit; the same on the *test* articles, to check; the
English fr-news-fit questions over their articles, to fit; the English fr-news-dev questions over
theirs, to measure (never fitted on). For each weight vector, citation@1 of the best candidate
(abstention off) on the XQuAD test rows and on fr-news-dev:

- ``shipped``: :data:`qa.fitted.CROSS_WEIGHTS`;
- ``xquad``: refitted on the XQuAD fit rows (the shipped fit, for reference);
- ``xquad+news×k``: refitted on the XQuAD fit rows and the news fit rows counted ``k`` times;
- ``news``: refitted on the news fit rows only;
- ``dense_only``: the model's cosine alone.

How much the news rows count is chosen without fr-news-dev: 2-fold by article within each set
(``cv``), fitted on one fold of the XQuAD fit rows and of the news fit rows (counted ``k`` times),
citation@1 measured on the other folds, averaged over both folds and then over the two sets (each
set counts the same); ``chosen`` is the ``k`` with the best average.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench.common import DATA, RESULTS, commit, write_json
from bench.fit import collect
from bench.listwise import article_folds, fit_weights, quality
from index.embedders import spec_of
from qa import Assistant
from qa.eval import asked_in, default_eval_dir, load_dataset, prepare_index, select_questions
from qa.fitted import CROSS_WEIGHTS, FEATURES

ROOT = Path(__file__).resolve().parents[2]
NEWS_FIT = ROOT / "bench" / "data" / "fr-news-fit.json"
NEWS_FIT_EN = ROOT / "bench" / "data" / "fr-news-fit.en.json"
NEWS_DEV = DATA / "fr-news-dev.json"
NEWS_DEV_EN = ROOT / "bench" / "data" / "fr-news-dev.en.json"
SAME_SCRIPT = [("en", "de"), ("en", "es"), ("de", "en"), ("es", "en")]  # (asked, articles)


def rows_for(
    embedder: index.Embedder, articles_file: Path, asked_file: Path, *parts: str
) -> list[list[dict[str, Any]]]:
    """The cross-lingual candidate rows of ``asked_file``'s questions over ``articles_file``,
    one list for each of the split's ``parts`` (the index opened once for all of them)."""
    articles, questions = load_dataset(articles_file)
    full = prepare_index(
        articles_file, articles, default_eval_dir(articles_file, spec_of(embedder)), embedder
    )
    assistant = Assistant.open(full, embedder=embedder, threshold=0.0)
    asked = asked_in(questions, asked_file)
    return [
        [
            r
            for r in collect(assistant, select_questions(asked, part=part), across=True)
            if r["pair"] == "cross"
        ]
        for part in parts
    ]


WEIGHTINGS = (0, 1, 3, 10, 30, None)  # None: the news rows alone


def fitted(xquad_rows: list[dict[str, Any]], news_rows: list[dict[str, Any]], k: int | None) -> np.ndarray:
    return fit_weights(news_rows if k is None else xquad_rows + news_rows * k)


def cross_validated(xquad_rows: list[dict[str, Any]], news_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """2-fold by article: each weighting's held-out citation@1 on both sets, and the best."""
    fx, fn = article_folds(xquad_rows, 2), article_folds(news_rows, 2)
    out: dict[str, Any] = {}
    for k in WEIGHTINGS:
        xq, nw = [], []
        for fold in (0, 1):
            w = fitted(
                [r for r, f in zip(xquad_rows, fx, strict=True) if f != fold],
                [r for r, f in zip(news_rows, fn, strict=True) if f != fold],
                k,
            )
            xq.append(
                quality([r for r, f in zip(xquad_rows, fx, strict=True) if f == fold], w, 0.0)["citation@1"]
            )
            nw.append(
                quality([r for r, f in zip(news_rows, fn, strict=True) if f == fold], w, 0.0)["citation@1"]
            )
        x, n = float(np.mean(xq)), float(np.mean(nw))
        out["news only" if k is None else f"news×{k}"] = {
            "xquad": round(x, 4),
            "news": round(n, 4),
            "mean": round((x + n) / 2, 4),
        }
    out["chosen"] = max((name for name in out), key=lambda name: out[name]["mean"])
    return out


def dense_only() -> np.ndarray:
    w = np.zeros(len(FEATURES) + 1)
    w[FEATURES.index("dense")] = 1.0
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "news_cross.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder(None)
    xquad = {lang: DATA / f"xquad.{lang}.json" for lang in ("en", "de", "es")}
    fit_x, test_x = [], []
    for asked, language in SAME_SCRIPT:
        fit, test = rows_for(embedder, xquad[language], xquad[asked], "fit", "test")
        fit_x += fit
        test_x += test
        print(asked, "->", language, len(fit_x), len(test_x), flush=True)
    [news_fit] = rows_for(embedder, NEWS_FIT, NEWS_FIT_EN, "all")
    [news_dev] = rows_for(embedder, NEWS_DEV, NEWS_DEV_EN, "all")
    print("news rows", len(news_fit), len(news_dev), flush=True)
    cv = cross_validated(fit_x, news_fit)
    print("cv", cv, flush=True)
    variants: dict[str, np.ndarray] = {
        "shipped": np.asarray(CROSS_WEIGHTS.vector()),
        "dense_only": dense_only(),
        "xquad": fit_weights(fit_x),
        "news": fit_weights(news_fit),
    }
    for k in WEIGHTINGS[1:-1]:
        variants[f"xquad+news×{k}"] = fitted(fit_x, news_fit, k)
    figures = {
        name: {
            "xquad_test": quality(test_x, w, 0.0)["citation@1"],
            "news_dev": quality(news_dev, w, 0.0)["citation@1"],
            "news_fit_in_sample": quality(news_fit, w, 0.0)["citation@1"],
            "weights": [round(float(v), 3) for v in w],
        }
        for name, w in variants.items()
    }
    for name, f in figures.items():
        print(
            f"{name:16} xquad test {f['xquad_test']:.3f}  news dev {f['news_dev']:.3f}  news fit {f['news_fit_in_sample']:.3f}"
        )
    write_json(
        args.out,
        {
            "command": "python -m bench.experiments.news_cross",
            "commit": commit(),
            "model": str(spec_of(embedder)),
            "rows": {
                "xquad_fit": len(fit_x),
                "xquad_test": len(test_x),
                "news_fit": len(news_fit),
                "news_dev": len(news_dev),
            },
            "note": "citation@1 of the best cross-lingual candidate, abstention off; news_fit_in_sample is in-sample for the variants fitted on it",
            "cv_on_fit_rows": cv,
            "variants": figures,
        },
        indent=1,
    )


if __name__ == "__main__":
    main()
