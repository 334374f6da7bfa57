"""The lexical search's candidates measured against each other on one index (issue 28).

    python -m bench.lexical --index INDEX [--dataset ../shared/data/piaf-v1.1.json] [--questions 500]

``INDEX``: a one-segment embedded index (``bench.scale --keep`` or ``bench.update_files`` leave
one of 100,000 articles). The same analysed terms of each question (as ``Retriever.search``
makes them) go to:

- ``fts5``: the shipped ``store.lexical_search`` (FTS5's ``bm25()``, copies of a story left
  out, the commonest terms left out past ``LEXICAL_MAX_POSTINGS``);
- ``matrix``: a sparse matrix of the chunks' BM25 weights (``index.bm25.term_weights``, the
  same formula and statistics), one column per term, as ``bm25s`` keeps its index: a question
  sums its terms' columns times their IDF (``numpy.bincount``) and takes the best ``k``, the
  copies masked out; every term is used.

It reports each one's latency (p50, p95, in one process, after a warm-up pass), the matrix's
build time and size, and how many of FTS5's top 5 and top ``k`` the matrix finds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import DATA, RESULTS, current_rss_mb, machine, write_json
from qa.eval import percentile


class Matrix:
    """The chunks' BM25 weights by term (compressed columns), and the chunks searches leave out."""

    def __init__(self, segment: Any, avgdl: float) -> None:
        from index import bm25

        vocabulary: dict[str, int] = {}
        rows, cols, weights, ids = array("i"), array("i"), array("f"), array("q")
        for n, (rowid, title, body) in enumerate(
            segment.db.execute("SELECT rowid, title, body FROM chunk_terms")
        ):
            ids.append(int(rowid))
            for term, weight in bm25.term_weights(title.split(), body.split(), avgdl).items():
                rows.append(n)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                weights.append(weight)
        self.vocabulary = vocabulary
        self.ids = np.frombuffer(ids, dtype=np.int64)
        columns = np.frombuffer(cols, dtype=np.int32)
        order = np.argsort(columns, kind="stable")
        self.rows = np.frombuffer(rows, dtype=np.int32)[order]
        self.weights = np.frombuffer(weights, dtype=np.float32)[order]
        counts = np.bincount(columns, minlength=len(vocabulary))
        self.starts = np.concatenate([[0], np.cumsum(counts)])
        self.df = counts
        hidden = (
            {int(r[0]) for r in segment.db.execute("SELECT id FROM temp.copy_chunks")}
            if segment.copies
            else set()
        )
        hidden |= (
            {int(r[0]) for r in segment.db.execute("SELECT id FROM temp.gone_chunks")}
            if segment.gone
            else set()
        )
        self.penalty = np.where(np.isin(self.ids, np.fromiter(hidden, dtype=np.int64)), -np.inf, 0.0).astype(
            np.float32
        )

    @property
    def nbytes(self) -> int:
        return (
            self.rows.nbytes
            + self.weights.nbytes
            + self.starts.nbytes
            + self.ids.nbytes
            + self.penalty.nbytes
        )

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        from index import bm25

        n = len(self.ids)
        picked = [self.vocabulary[t] for t in dict.fromkeys(terms) if t in self.vocabulary]
        if not picked:
            return []
        parts = [slice(self.starts[c], self.starts[c + 1]) for c in picked]
        rows = np.concatenate([self.rows[p] for p in parts])
        scaled = np.concatenate(
            [
                self.weights[p] * np.float32(bm25.idf(int(self.df[c]), n))
                for p, c in zip(parts, picked, strict=True)
            ]
        )
        scores = np.bincount(rows, weights=scaled, minlength=n).astype(np.float32) + self.penalty
        top = np.argpartition(-scores, min(k, n - 1))[:k]
        top = top[np.isfinite(scores[top]) & (scores[top] > 0)]
        best = top[np.lexsort((self.ids[top], -scores[top]))]
        return [(int(self.ids[i]), float(scores[i])) for i in best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=DATA / "piaf-v1.1.json")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS / "lexical.json")
    args = parser.parse_args(argv)
    from index import open_index
    from index.analysis import analyze
    from qa.eval import load_dataset
    from qa.question import analyze_question

    store = open_index(args.index)
    if len(store.segments) != 1:
        parser.error(
            f"{args.index} has {len(store.segments)} segments: compact it first (article-qa index compact)"
        )
    segment = store.segments[0]
    segment.db  # noqa: B018 - opens this thread's connection, which creates the copies' tables
    languages = [lang for lang in store.manifest.languages if lang]
    _, golds = load_dataset(args.dataset)
    sample = random.Random(0).sample(golds, min(args.questions, len(golds)))
    questions = []
    for gold in sample:
        q = analyze_question(gold.question, languages=languages)
        terms = list(q.terms) + list(q.subject_terms)
        for other in languages:
            if other != q.language:
                terms += analyze(q.retrieval_text, other)
        questions.append(terms)
    rss = current_rss_mb()
    t = time.perf_counter()
    matrix = Matrix(segment, store._fts_totals()[1])
    built = time.perf_counter() - t
    grown = current_rss_mb() - rss
    print(
        f"matrix: {built:.1f} s, {matrix.nbytes / 2**20:.0f} MB, {len(matrix.vocabulary):,} terms",
        file=sys.stderr,
    )
    times: dict[str, list[float]] = {"fts5": [], "matrix": []}
    found: dict[str, list[list[tuple[int, float]]]] = {"fts5": [], "matrix": []}
    searches = {
        "fts5": lambda terms: store.lexical_search(terms, args.k),
        "matrix": lambda terms: matrix.search(terms, args.k),
    }
    for rounds in range(2):  # the first pass warms the page cache and FTS5's pages
        for terms in questions:
            for name, search in searches.items():
                t = time.perf_counter()
                hits = search(terms)
                if rounds:
                    times[name].append((time.perf_counter() - t) * 1000)
                    found[name].append(hits)
    top5 = topk = 0
    for a, b in zip(found["fts5"], found["matrix"], strict=True):
        top5 += len({i for i, _ in a[:5]} & {i for i, _ in b[:5]})
        topk += len({i for i, _ in a} & {i for i, _ in b})
    fts_top5 = sum(min(5, len(a)) for a in found["fts5"])
    fts_topk = sum(len(a) for a in found["fts5"])
    result = {
        "machine": machine(),
        "index": str(args.index),
        "chunks": len(matrix.ids),
        "questions": len(questions),
        "k": args.k,
        "latency_ms": {
            name: {"p50": round(percentile(ts, 0.5), 2), "p95": round(percentile(ts, 0.95), 2)}
            for name, ts in times.items()
        },
        "matrix_build_s": round(built, 1),
        "matrix_mb": round(matrix.nbytes / 2**20, 1),
        "matrix_rss_growth_mb": round(grown),
        "terms": len(matrix.vocabulary),
        "matrix_finds_fts5_top5": round(top5 / max(fts_top5, 1), 4),
        "matrix_finds_fts5_topk": round(topk / max(fts_topk, 1), 4),
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
