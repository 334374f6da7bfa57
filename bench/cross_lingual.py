"""Questions over articles in another language, against the same articles' own questions.

    python -m bench.cross_lingual [--split test] [--out bench/results/cross_lingual.json]

Each row is one ``article-qa eval`` (default settings, abstention on, no removal measure):
XQuAD's English questions over the German, Spanish, Russian and Chinese articles and those
languages' questions over the English articles, each beside the articles' own questions; and
fr-news-dev's French questions beside their English version (bench/data/fr-news-dev.en.json)
over the French news. XQuAD is measured on the held-out *test* articles (the cross-lingual
weights were fitted on the others, bench/fit_cross.py); fr-news-dev on all of it (its English
questions were not fitted on; its French ones tuned the monolingual scorer).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import index
from bench.common import DATA, RESULTS, commit, write_json
from qa.eval import evaluate_dataset

ROOT = Path(__file__).resolve().parents[1]
FR_NEWS_EN = ROOT / "bench" / "data" / "fr-news-dev.en.json"
KEPT = (
    "questions",
    "recall@5",
    "citation@1",
    "answered_answerable",
    "abstained_unanswerable",
    "latency_ms_p50",
)


def pairs() -> list[tuple[str, Path, Path | None, str]]:
    """(name, articles, questions file or None for the articles' own, split)."""
    out: list[tuple[str, Path, Path | None, str]] = []
    xquad = {lang: DATA / f"xquad.{lang}.json" for lang in ("en", "de", "es", "ru", "zh")}
    for other in ("de", "es", "ru", "zh"):
        for asked, articles in (("en", other), (other, "en")):
            out.append((f"{articles}->{articles}", xquad[articles], None, "test"))
            out.append((f"{asked}->{articles}", xquad[articles], xquad[asked], "test"))
    out.append(("fr-news fr->fr", DATA / "fr-news-dev.json", None, "all"))
    out.append(("fr-news en->fr", DATA / "fr-news-dev.json", FR_NEWS_EN, "all"))
    return list(dict.fromkeys(out))  # each monolingual row once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="questions per row, evenly spread")
    parser.add_argument("--out", type=Path, default=RESULTS / "cross_lingual.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder(None)
    rows: dict[str, dict[str, Any]] = {}
    for name, articles, questions, split in pairs():
        report = evaluate_dataset(
            articles, embedder=embedder, split=split, limit=args.limit, questions_file=questions, remove=0
        )
        rows[name] = {"split": split, **{k: report.metrics[k] for k in KEPT if k in report.metrics}}
        print(name, rows[name], flush=True)
    write_json(args.out, {"commit": commit(), "limit": args.limit, "rows": rows}, indent=1)


if __name__ == "__main__":
    main()
