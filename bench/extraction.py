"""How well the HTML reader keeps an article's body: trafilatura's extraction benchmark.

    python -m bench.extraction [--pages DIR] [--eval bench/data/extraction-eval.json]
                               [--out bench/results/extraction.json]

The benchmark is the one trafilatura's author publishes its figures on (``tests/evaldata.py``
of adbar/trafilatura, copied for the pages below into ``bench/data/extraction-eval.json``): for
each real web page, a few passages of the article that an extractor must keep ("with") and a few
of the page's boilerplate (menus, footers, related links, dates of other posts) that it must
drop ("without"). It is scored as trafilatura's ``tests/evaluate.py`` scores it: a kept passage
is a true positive, a missed one a false negative, kept boilerplate a false positive, dropped
boilerplate a true negative; precision, recall, accuracy and F1 over all passages of all pages.

The pages are those trafilatura's source distribution 1.1.0 carries (its ``tests/cache``, 110
pages; later distributions leave it out). Without ``--pages``, that distribution is downloaded
with pip into ``var/bench/extraction`` (this command's only network use) and its SHA-256 checked.

Measured on the same pages:

- ``article-qa``: the article ``index build`` reads from the page saved as a ``.html`` file
  (``index.readers``: decoding, trafilatura with the reader's settings, the fallback for very
  short pages, the title kept apart, the text normalised), scored on its text, then on its title
  and text together; the passages are normalised as the text is;
- ``trafilatura``: ``trafilatura.extract`` with its defaults, the configuration behind its
  published figure, on the page's bytes; and the same without the readers' comments
  (``include_comments=False``), which the reader leaves out: a comment is not the article, and
  some of the benchmark's passages are in comments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS, commit, machine, write_json
from index.documents import Article
from index.normalize import normalize_text
from index.readers.formats import read_file
from index.readers.limits import DEFAULT_MAX_FILE_MB

EVAL = Path("bench/data/extraction-eval.json")
WORK = Path("var/bench/extraction")
SDIST = "trafilatura-1.1.0.tar.gz"
SDIST_SHA256 = "650678fe3b3219795ccc72d8d37d2a9dc8c3070529598fddc2809ccd27c55bc4"
PUBLISHED = {
    "source": "trafilatura docs/evaluation.rst, results of 2021-06-07 (in the 1.1.0 distribution)",
    "documents": 500,
    "trafilatura 0.8.2": {"precision": 0.934, "recall": 0.890, "accuracy": 0.914, "f1": 0.912},
    "trafilatura 0.8.2 (fast)": {"precision": 0.925, "recall": 0.868, "accuracy": 0.899, "f1": 0.896},
}
"""Trafilatura's own figures on the whole benchmark of the time, for comparison."""


@dataclass
class Counts:
    """Passages kept and dropped, as trafilatura's evaluation counts them."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, text: str | None, page: dict[str, Any], fold: bool) -> None:
        """Count one page's passages against the ``text`` extracted from it (``None``: nothing)."""
        norm = normalize_text if fold else (lambda s: s)
        for passage in page["with"]:
            if text is not None and norm(passage) in text:
                self.tp += 1
            else:
                self.fn += 1
        for passage in page["without"]:
            if text is not None and norm(passage) in text:
                self.fp += 1
            else:
                self.tn += 1

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.fn + self.fp + self.tn
        return {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "accuracy": round((self.tp + self.tn) / total, 3) if total else 0.0,
            "f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
            "with": self.tp + self.fn,
            "without": self.fp + self.tn,
        }


def benchmark_pages(work: Path) -> Path:
    """The folder of the benchmark's pages, from trafilatura 1.1.0's source distribution."""
    pages = work / "trafilatura-1.1.0" / "tests" / "cache"
    if pages.is_dir():
        return pages
    work.mkdir(parents=True, exist_ok=True)
    archive = work / SDIST
    if not archive.exists():
        print("downloading trafilatura 1.1.0's source distribution (its test pages) with pip", flush=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, "--dest", str(work), "trafilatura==1.1.0"], check=True)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        archive.unlink()
        raise SystemExit(f"{archive}: SHA-256 {digest}, expected {SDIST_SHA256}; removed, run again")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and "/tests/cache/" in m.name]
        tar.extractall(work, members=members, filter="data")
    return pages


def read_as_indexed(path: Path) -> Article | None:
    """The article ``index build`` reads from the page ``path``, or None when it reads none."""
    found = [a for a in read_file(path, path.parent, DEFAULT_MAX_FILE_MB) if isinstance(a, Article)]
    return found[0] if found else None


def evaluate(pages_dir: Path, pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The scores of article-qa's reader and of trafilatura (its defaults, and without comments)
    on ``pages``."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    ours, ours_titled, theirs, uncommented = Counts(), Counts(), Counts(), Counts()
    seconds = {"article-qa": 0.0, "trafilatura": 0.0}
    missing, empty = [], []
    for page in pages:
        path = pages_dir / page["file"]
        if not path.is_file():
            missing.append(page["file"])
            continue
        start = time.perf_counter()
        article = read_as_indexed(path)
        seconds["article-qa"] += time.perf_counter() - start
        if article is None:
            empty.append(page["file"])
        ours.add(article.text if article else None, page, fold=True)
        ours_titled.add(f"{article.title}\n\n{article.text}" if article else None, page, fold=True)
        raw = path.read_bytes()
        start = time.perf_counter()
        extracted = trafilatura.extract(raw)
        seconds["trafilatura"] += time.perf_counter() - start
        theirs.add(extracted, page, fold=False)
        uncommented.add(trafilatura.extract(raw, include_comments=False), page, fold=False)
    scored = len(pages) - len(missing)
    return {
        "pages": scored,
        "pages_missing": missing,
        "pages_read_as_nothing": empty,
        "article-qa": {**ours.scores(), "seconds": round(seconds["article-qa"], 2)},
        "article-qa, title and text": ours_titled.scores(),
        f"trafilatura {trafilatura.__version__} defaults": {
            **theirs.scores(),
            "seconds": round(seconds["trafilatura"], 2),
        },
        f"trafilatura {trafilatura.__version__} without comments": uncommented.scores(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages", type=Path, help="the pages' folder (default: trafilatura 1.1.0's, downloaded)"
    )
    parser.add_argument("--eval", type=Path, default=EVAL, help="the passages, by page")
    parser.add_argument("--work", type=Path, default=WORK, help="where the download goes")
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction.json")
    args = parser.parse_args(argv)
    data = json.loads(args.eval.read_text("utf-8"))
    pages_dir = args.pages or benchmark_pages(args.work)
    result = evaluate(pages_dir, data["pages"])
    report = {
        "command": "python -m bench.extraction" + ("" if args.pages is None else f" --pages {args.pages}"),
        "benchmark": data.get("source"),
        "eval_file": str(args.eval),
        "published": PUBLISHED,
        **result,
        "commit": commit(),
        "machine": machine(),
    }
    write_json(args.out, report)
    for name in (
        "article-qa",
        "article-qa, title and text",
        *[k for k in result if k.startswith("trafilatura")],
    ):
        s = result[name]
        print(
            f"{name:38} P {s['precision']:.3f}  R {s['recall']:.3f}  acc {s['accuracy']:.3f}  F1 {s['f1']:.3f}"
        )
    print(f"{result['pages']} pages; written to {args.out}")


if __name__ == "__main__":
    main()
