"""Which FAISS index type for the chunk vectors, by corpus size: exact flat, IVF-Flat or HNSW.

    python -m bench.ann [--sizes 10000,30000,100000,200000,300000,1000000] [--queries 1000]
                        [--out bench/results/ann.json] [--plot docs/ann.png] [--hnsw/--no-hnsw]

For each corpus size N it measures, per index type (inner product over unit vectors, k = 10):

- recall@10 against the exact top 10 (mean |approx ∩ exact| / 10), the exact top 10 being an
  ``IndexFlatIP`` batch search of all queries at once;
- single-query latency, p50 and p95 in ms: the queries are searched one at a time
  (``index.search(q[i:i + 1], 10)``), as a user's questions arrive, after a short warm-up;
  twice: with FAISS's default OpenMP threads (``faiss.omp_get_max_threads()``, as the app runs)
  and with one thread. One query on a flat index is split across the threads, and when another
  process holds a core the spinning OpenMP threads wait for it: on 2 shared cores this added
  ~15 ms to a flat search that takes 0.6 ms with one thread (``OMP_WAIT_POLICY=PASSIVE`` cut it
  to ~1.5 ms). Note the load average (saved in the JSON) when reading the figures;
- build time in seconds (train + add), with ``faiss.omp_set_num_threads(2)``;
- size: the bytes ``faiss.write_index`` writes ("serialized bytes", counted without storing them).

Index types: "flat" (``IndexFlatIP``, exact); "ivf" (``IndexIVFFlat`` over an ``IndexFlatIP``
quantizer, nlist as ``index.embedded.vectors.nlist_for`` gives it (the power of two nearest 4·sqrt(N)), trained on min(N, 64·nlist)
random vectors; nprobe swept over 1…128, capped at nlist; only for N >= 30,000); "hnsw"
(``IndexHNSWFlat``, M = 32, efConstruction = 40; efSearch swept over 16…256; ``--no-hnsw`` skips it).

Vectors are synthetic: real MiniLM vectors of PIAF/SQuAD chunks and sentences plus Gaussian
noise. The real vectors are every chunk and sentence vector (``vectors.faiss``,
``sentences.faiss``) of the generation named in ``manifest.json`` of each index under
``$XDG_CACHE_HOME/article-qa/eval/*/index/`` (the indexes ``article-qa eval`` built: PIAF v1.1,
SQuAD v1.1 and v2.0 dev, XQuAD en), pooled and deduplicated (XQuAD repeats SQuAD v1.1 dev
paragraphs). Database vector i = normalize(p + sigma · g / sqrt(384)), p a parent made of real vectors
(below), g standard Gaussian, sigma = sqrt(1 / 0.9² − 1) ≈ 0.484, so that the
cosine to the parent p is about 0.9 (the measured mean is printed and saved). They are drawn with
``numpy.random.default_rng(0)`` in blocks of 100,000 (always whole blocks, so vector i does not
depend on ``--sizes``); every size N uses the first N vectors. Queries are made the same way
(same sigma) from real *sentence* vectors, with ``default_rng(1)``: a different noise draw around
sentences that are also parents of database vectors.

Parents: each database vector's parent p is itself normalize(a + u·b) for two random real
vectors a, b and u uniform in 0..1. With the ~21,000 real vectors alone as parents, a query's
exact top 10 at N = 1,000,000 were nearly all its parent's ~48 noisy copies, a tight cluster that
flatters approximate search; mixing spreads the parents. Queries stay around real sentences.
Memory: 1.5 GB per million vectors for the data, plus one index at a time (peak about 4 GB at 1M).

Progress goes to stderr; the Markdown summary to stdout; full results to ``--out`` (JSON) and a
two-panel figure to ``--plot``. At N = 1,000,000 the HNSW build takes many minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import faiss

from bench.ann_report import choose, machine_line, plot, print_summary
from bench.ann_search import BUILD_THREADS, K, Result, log, run_size
from bench.ann_vectors import (
    DATA_SEED,
    DIMENSION,
    QUERIES_HOW,
    QUERY_SEED,
    SIGMA,
    VECTORS_HOW,
    RealVectors,
    eval_index_dirs,
    load_real_vectors,
    synthesize,
    synthesize_queries,
)
from bench.common import RESULTS, machine, write_json


def machine_info(search_threads: int) -> dict[str, Any]:
    return {
        **machine(),
        "omp_threads_build": BUILD_THREADS,
        "omp_threads_search": search_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    if not sizes or sizes[0] < K:
        raise argparse.ArgumentTypeError(f"sizes must be integers >= {K}")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes", type=parse_sizes, default=parse_sizes("10000,30000,100000,200000,300000,1000000")
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--index", type=Path, action="append", help="an index whose vectors seed the synthetic ones (repeatable; "
        "default: the indexes `article-qa eval` cached)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS / "ann.json")
    parser.add_argument("--plot", type=Path, default=Path("docs/ann.png"))
    parser.add_argument(
        "--hnsw", action=argparse.BooleanOptionalAction, default=True, help="include HNSW (slow at 1M)"
    )
    return parser.parse_args(argv)


def build_report(
    machine: dict[str, Any],
    mean_cosine: float,
    query_cosine: float,
    real: RealVectors,
    args: argparse.Namespace,
) -> dict[str, Any]:
    return {
        "machine": machine,
        "vectors": {
            "how": VECTORS_HOW,
            "sigma": SIGMA,
            "mean_parent_cosine": mean_cosine,
            "dimension": DIMENSION,
            "real_vectors_pooled": len(real.all),
            "real_sentence_vectors": len(real.sentences),
            "real_sources": real.sources,
        },
        "queries": {"how": QUERIES_HOW, "count": args.queries, "mean_parent_cosine": query_cosine},
        "k": K,
        "command": "python -m bench.ann " + " ".join(sys.argv[1:]),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    search_threads = faiss.omp_get_max_threads()
    machine = machine_info(search_threads)
    log(machine_line(machine))
    real = load_real_vectors(args.index or eval_index_dirs())
    raw = sum(c["chunks"] + c["sentences"] for c in real.sources.values())
    log(
        f"real vectors: {raw:,} read from {len(real.sources)} indexes, {len(real.all):,} pooled after dedup ({len(real.sentences):,} sentences)"
    )
    data, mean_cosine = synthesize(real.all, max(args.sizes), DATA_SEED)
    queries, query_cosine = synthesize_queries(real.sentences, args.queries, QUERY_SEED)
    log(
        f"synthetic: {len(data):,} vectors, sigma {SIGMA:.4f}, mean cosine to parent {mean_cosine:.4f} (queries {query_cosine:.4f})"
    )
    results: list[Result] = []
    report = build_report(machine, mean_cosine, query_cosine, real, args)
    for n in args.sizes:
        results += run_size(data[:n], queries, args.hnsw, search_threads)
        write_json(
            args.out, {**report, "results": rows(results)}
        )  # partial results survive an interrupted run
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["choice"] = {"default_threads": choose(results), "one_thread": choose(results, one_thread=True)}
    write_json(args.out, {**report, "results": rows(results)})
    plot(results, machine, args.plot)
    print_summary(report, results)
    log(f"wrote {args.out} and {args.plot}")


def rows(results: list[Result]) -> list[dict[str, Any]]:
    """The results as the JSON holds them: each setting's fields, its ``extra`` ones among them."""
    out = []
    for r in results:
        row = asdict(r)
        row.update(row.pop("extra"))
        out.append(row)
    return out


if __name__ == "__main__":
    main()
