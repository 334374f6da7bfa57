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
import json
import math
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.embedded.vectors import nlist_for

from .common import machine

DIMENSION = 384
K = 10
TARGET_COSINE = 0.9
SIGMA = math.sqrt(1.0 / TARGET_COSINE**2 - 1.0)
BLOCK = 100_000
DATA_SEED = 0
QUERY_SEED = 1
TRAIN_SEED = 2
WARMUP = 10
RECALL_TARGET = 0.95
P50_BUDGET_MS = 10.0
IVF_MIN_N = 30_000
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
EF_SEARCHES = (16, 32, 64, 128, 256)
BUILD_THREADS = 2
VECTORS_HOW = (
    "synthetic: real MiniLM vectors of PIAF/SQuAD chunks and sentences plus Gaussian noise; "
    "x = normalize(p + sigma * g / sqrt(384)), p drawn uniformly with replacement from the pooled, "
    "deduplicated real chunk and sentence vectors of the article-qa eval indexes, g ~ N(0, I), "
    "numpy default_rng(0) in blocks of 100000; size N = the first N vectors"
)
QUERIES_HOW = (
    "same recipe and sigma around real sentence vectors drawn uniformly with replacement, "
    "numpy default_rng(1); one query searched at a time"
)

START = time.perf_counter()


def log(message: str) -> None:
    """Progress line on stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - START:8.1f}s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- real and synthetic vectors


@dataclass
class RealVectors:
    """The pooled real vectors: all (chunks and sentences) and sentences alone, deduplicated."""

    all: np.ndarray
    sentences: np.ndarray
    sources: dict[str, dict[str, int]] = field(default_factory=dict)


def eval_index_dirs() -> list[Path]:
    """Index directories built by ``article-qa eval`` (same cache location as qa.eval)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return sorted(p.parent for p in (cache / "article-qa" / "eval").glob("*/index/manifest.json"))


def read_flat_vectors(path: Path) -> np.ndarray:
    """All vectors of a FAISS file holding an IndexIDMap2 over an IndexFlatIP (or a bare flat index)."""
    index = faiss.read_index(str(path))
    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    vectors = inner.reconstruct_n(0, inner.ntotal)
    if vectors.shape[1] != DIMENSION:
        raise SystemExit(f"{path}: dimension {vectors.shape[1]}, expected {DIMENSION}")
    return np.ascontiguousarray(vectors, dtype=np.float32)


def load_real_vectors(index_dirs: Iterable[Path]) -> RealVectors:
    """Pool the chunk and sentence vectors of the current generation of each index."""
    chunks: list[np.ndarray] = []
    sentences: list[np.ndarray] = []
    sources: dict[str, dict[str, int]] = {}
    for index_dir in index_dirs:
        generation = json.loads((index_dir / "manifest.json").read_text())["generation"]
        folder = index_dir / generation
        chunk_vectors = read_flat_vectors(folder / "vectors.faiss")
        sentence_vectors = read_flat_vectors(folder / "sentences.faiss")
        chunks.append(chunk_vectors)
        sentences.append(sentence_vectors)
        sources[index_dir.parent.name] = {"chunks": len(chunk_vectors), "sentences": len(sentence_vectors)}
    if not chunks:
        raise SystemExit(
            "no index to take real vectors from: pass --index DIR, or run `article-qa eval` first"
        )
    all_unique = np.unique(np.concatenate(chunks + sentences), axis=0)
    sentences_unique = np.unique(np.concatenate(sentences), axis=0)
    return RealVectors(all=all_unique, sentences=sentences_unique, sources=sources)


def noisy_children(parents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """normalize(parent + SIGMA * g / sqrt(d)) for each parent row, float32."""
    noise = rng.standard_normal(parents.shape, dtype=np.float32)
    noise *= np.float32(SIGMA / math.sqrt(parents.shape[1]))
    noise += parents
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    return noise


def mixed_parents(real: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BLOCK parents, each normalize(a + u·b) for random real a, b and u uniform in 0..1.

    Mixing two real vectors gives ~21,000² distinct parents instead of ~21,000, so a large N
    is not ~48 noisy copies of each real vector (tight clusters flatter approximate search).
    """
    a = real[rng.integers(0, len(real), size=BLOCK)]
    b = real[rng.integers(0, len(real), size=BLOCK)]
    mixed = a + rng.random((BLOCK, 1), dtype=np.float32) * b
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return mixed


def synthesize(real: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, float]:
    """n synthetic vectors around random real parents, in whole blocks; and their mean parent cosine."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    cosine_sum = 0.0
    for start in range(0, n, BLOCK):
        parents = mixed_parents(real, rng)
        block = noisy_children(parents, rng)
        stop = min(start + BLOCK, n)
        out[start:stop] = block[: stop - start]
        cosine_sum += float(np.einsum("ij,ij->i", block[: stop - start], parents[: stop - start]).sum())
    return out, cosine_sum / n


def synthesize_queries(sentences: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, float]:
    """n queries around random real sentence vectors; and their mean parent cosine."""
    rng = np.random.default_rng(seed)
    parents = sentences[rng.integers(0, len(sentences), size=n)]
    queries = noisy_children(parents, rng)
    return queries, float(np.einsum("ij,ij->i", queries, parents).mean())


# ---------------------------------------------------------------- measurements


@dataclass
class Measured:
    """Recall and single-query latency of one setting: default OpenMP threads, and 1 thread."""

    recall_at_10: float
    p50_ms: float
    p95_ms: float
    p50_ms_1thread: float
    p95_ms_1thread: float

    def line(self) -> str:
        return (
            f"recall {self.recall_at_10:.4f}, p50 {self.p50_ms:.3f} ms, p95 {self.p95_ms:.3f} ms "
            f"(1 thread: p50 {self.p50_ms_1thread:.3f}, p95 {self.p95_ms_1thread:.3f})"
        )


@dataclass
class Result:
    n: int
    type: str
    param: dict[str, int]
    recall_at_10: float
    p50_ms: float
    p95_ms: float
    build_s: float
    bytes: int
    p50_ms_1thread: float
    p95_ms_1thread: float
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        n: int,
        kind: str,
        param: dict[str, int],
        m: Measured,
        build_s: float,
        size: int,
        extra: dict[str, Any],
    ) -> Result:
        return cls(
            n,
            kind,
            param,
            m.recall_at_10,
            m.p50_ms,
            m.p95_ms,
            build_s,
            size,
            m.p50_ms_1thread,
            m.p95_ms_1thread,
            extra,
        )


def serialized_bytes(index: faiss.Index) -> int:
    """Bytes faiss.write_index writes for the index, counted through a callback (nothing stored)."""
    total = 0

    def count(chunk: bytes) -> int:
        nonlocal total
        total += len(chunk)
        return len(chunk)

    writer = faiss.PyCallbackIOWriter(count)
    faiss.write_index(index, writer)
    del writer
    return total


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean |found ∩ exact| / k over queries (ids -1, i.e. missing results, never match)."""
    hits = (found[:, :, None] == exact[:, None, :]) & (found[:, :, None] >= 0)
    return float(hits.any(axis=2).sum(axis=1).mean() / exact.shape[1])


def single_query_search(
    index: faiss.Index, queries: np.ndarray, threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """Search queries one at a time with that many OpenMP threads: (labels, latency ms), after a warm-up."""
    faiss.omp_set_num_threads(threads)
    for i in range(min(WARMUP, len(queries))):
        index.search(queries[i : i + 1], K)
    labels = np.empty((len(queries), K), dtype=np.int64)
    latency = np.empty(len(queries), dtype=np.float64)
    for i in range(len(queries)):
        t = time.perf_counter_ns()
        _, found = index.search(queries[i : i + 1], K)
        latency[i] = (time.perf_counter_ns() - t) / 1e6
        labels[i] = found[0]
    return labels, latency


def measure(index: faiss.Index, queries: np.ndarray, exact: np.ndarray, search_threads: int) -> Measured:
    """recall@10 and p50/p95 ms of single-query search, with the default threads and with 1 thread."""
    labels, latency = single_query_search(index, queries, search_threads)
    if search_threads > 1:
        _, latency_1 = single_query_search(index, queries, 1)
        faiss.omp_set_num_threads(search_threads)
    else:
        latency_1 = latency
    p50, p95 = np.percentile(latency, [50, 95])
    p50_1, p95_1 = np.percentile(latency_1, [50, 95])
    return Measured(recall_at_k(labels, exact), float(p50), float(p95), float(p50_1), float(p95_1))


def timed_build(index: faiss.Index, data: np.ndarray, train: np.ndarray | None = None) -> float:
    """Seconds to train (if asked) and add, with BUILD_THREADS threads."""
    faiss.omp_set_num_threads(BUILD_THREADS)
    t = time.perf_counter()
    if train is not None:
        index.train(train)
    index.add(data)
    return time.perf_counter() - t


def run_flat(data: np.ndarray, queries: np.ndarray, search_threads: int) -> tuple[Result, np.ndarray]:
    """Exact flat index: the ground truth (batch search) and its single-query latency."""
    n = len(data)
    index = faiss.IndexFlatIP(DIMENSION)
    build_s = timed_build(index, data)
    faiss.omp_set_num_threads(search_threads)
    t = time.perf_counter()
    _, exact = index.search(queries, K)
    took = time.perf_counter() - t
    log(f"n={n:,} flat: built in {build_s:.2f} s, exact top-{K} of {len(queries)} queries in {took:.2f} s")
    m = measure(index, queries, exact, search_threads)
    log(f"n={n:,} flat: {m.line()}")
    return Result.of(n, "flat", {}, m, build_s, serialized_bytes(index), {}), exact


def run_ivf(data: np.ndarray, queries: np.ndarray, exact: np.ndarray, search_threads: int) -> list[Result]:
    """IVF-Flat: one build, then the nprobe sweep."""
    n = len(data)
    nlist = nlist_for(n)  # as index/embedded/vectors.py builds it
    train_n = min(n, 64 * nlist)
    train_rows = np.sort(np.random.default_rng(TRAIN_SEED).choice(n, size=train_n, replace=False))
    quantizer = faiss.IndexFlatIP(DIMENSION)
    index = faiss.IndexIVFFlat(quantizer, DIMENSION, nlist, faiss.METRIC_INNER_PRODUCT)
    log(f"n={n:,} ivf: training nlist={nlist} on {train_n:,} vectors, then adding {n:,}")
    build_s = timed_build(index, data, train=data[train_rows])
    size = serialized_bytes(index)
    log(f"n={n:,} ivf: built in {build_s:.1f} s, {size / 1e6:.1f} MB")
    extra = {"nlist": nlist, "train_n": train_n, "kmeans_niter": int(index.cp.niter)}
    results = []
    for nprobe in (p for p in NPROBES if p <= nlist):
        index.nprobe = nprobe
        m = measure(index, queries, exact, search_threads)
        results.append(Result.of(n, "ivf", {"nprobe": nprobe}, m, build_s, size, extra))
        log(f"n={n:,} ivf nprobe={nprobe}: {m.line()}")
    del quantizer
    return results


def add_with_progress(index: faiss.Index, data: np.ndarray, label: str) -> float:
    """Add in slices, logging rate and estimated time left; seconds taken."""
    faiss.omp_set_num_threads(BUILD_THREADS)
    n = len(data)
    step = min(BLOCK, max(10_000, n // 10))
    t = time.perf_counter()
    for start in range(0, n, step):
        index.add(data[start : start + step])
        done = min(start + step, n)
        elapsed = time.perf_counter() - t
        left = elapsed / done * (n - done)
        log(
            f"{label}: {done:,}/{n:,} added, {elapsed:.0f} s, at least {left:.0f} s left (later adds are slower)"
        )
    return time.perf_counter() - t


def run_hnsw(data: np.ndarray, queries: np.ndarray, exact: np.ndarray, search_threads: int) -> list[Result]:
    """HNSW-Flat: one build, then the efSearch sweep."""
    n = len(data)
    index = faiss.IndexHNSWFlat(DIMENSION, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    build_s = add_with_progress(index, data, f"n={n:,} hnsw build")
    size = serialized_bytes(index)
    log(f"n={n:,} hnsw: built in {build_s:.1f} s, {size / 1e6:.1f} MB")
    extra = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
    results = []
    for ef in EF_SEARCHES:
        index.hnsw.efSearch = ef
        m = measure(index, queries, exact, search_threads)
        results.append(Result.of(n, "hnsw", {"efSearch": ef}, m, build_s, size, extra))
        log(f"n={n:,} hnsw efSearch={ef}: {m.line()}")
    return results


def run_size(data: np.ndarray, queries: np.ndarray, with_hnsw: bool, search_threads: int) -> list[Result]:
    """All index types at one corpus size."""
    flat, exact = run_flat(data, queries, search_threads)
    results = [flat]
    if len(data) >= IVF_MIN_N:
        results += run_ivf(data, queries, exact, search_threads)
    if with_hnsw:
        results += run_hnsw(data, queries, exact, search_threads)
    return results


# ---------------------------------------------------------------- summary


def p50_of(r: Result, one_thread: bool = False) -> float:
    return r.p50_ms_1thread if one_thread else r.p50_ms


def best_setting(
    results: list[Result], n: int, kind: str, target: float = RECALL_TARGET, one_thread: bool = False
) -> Result | None:
    """Lowest-p50 setting of that type at that size reaching the recall target, if any."""
    good = [r for r in results if r.n == n and r.type == kind and r.recall_at_10 >= target]
    return min(good, key=lambda r: p50_of(r, one_thread)) if good else None


def highest_recall(results: list[Result], n: int, kind: str) -> Result | None:
    rows = [r for r in results if r.n == n and r.type == kind]
    return max(rows, key=lambda r: (r.recall_at_10, -r.p50_ms)) if rows else None


def choose(
    results: list[Result],
    p50_budget_ms: float = P50_BUDGET_MS,
    target: float = RECALL_TARGET,
    one_thread: bool = False,
) -> dict[str, Any]:
    """Measured sizes where exact flat search stays under the p50 budget, and a pick per size.

    The pick is flat when its p50 is within budget, else the fastest (lowest p50) ivf or hnsw
    setting reaching the recall target; nothing is interpolated between measured sizes.
    ``one_thread`` judges by the latencies measured with one OpenMP thread.
    """
    sizes = sorted({r.n for r in results})
    flat = {r.n: r for r in results if r.type == "flat"}
    under = [n for n in sizes if p50_of(flat[n], one_thread) <= p50_budget_ms]
    picks: dict[str, str] = {}
    for n in sizes:
        if n in under:
            picks[str(n)] = f"flat (p50 {p50_of(flat[n], one_thread):.2f} ms)"
            continue
        candidates = [
            b for kind in ("ivf", "hnsw") if (b := best_setting(results, n, kind, target, one_thread))
        ]
        if not candidates:
            picks[str(n)] = f"flat (no ivf/hnsw setting measured reaches recall@10 >= {target})"
            continue
        best = min(candidates, key=lambda r: p50_of(r, one_thread))
        picks[str(n)] = (
            f"{best.type} {describe(best.param)} "
            f"(recall {best.recall_at_10:.3f}, p50 {p50_of(best, one_thread):.2f} ms)"
        )
    return {
        "search_threads": 1 if one_thread else "default",
        "p50_budget_ms": p50_budget_ms,
        "recall_target": target,
        "flat_under_budget": under,
        "largest_flat_under_budget": max(under) if under else None,
        "flat_over_budget": [n for n in sizes if n not in under],
        "pick": picks,
    }


def describe(param: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in param.items()) or "exact"


def table_row(n: int, r: Result, setting: str) -> str:
    return (
        f"| {n:,} | {r.type} | {setting} | {r.recall_at_10:.3f} | {r.p50_ms:.3f} | {r.p95_ms:.3f} "
        f"| {r.p50_ms_1thread:.3f} | {r.p95_ms_1thread:.3f} | {r.build_s:.1f} | {r.bytes / 1e6:.1f} |"
    )


def markdown_table(results: list[Result]) -> str:
    """Per size: exact flat, and the cheapest ivf / hnsw setting with recall@10 >= 0.95."""
    lines = [
        f"| N | index | setting (cheapest with recall@10 >= {RECALL_TARGET}) | recall@10 | p50 ms | p95 ms "
        "| p50 ms, 1 thread | p95 ms, 1 thread | build s | serialized MB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r.n for r in results}):
        for kind in ("flat", "ivf", "hnsw"):
            best = best_setting(results, n, kind)
            if best is not None:
                lines.append(table_row(n, best, describe(best.param)))
            elif (top := highest_recall(results, n, kind)) is not None:
                lines.append(table_row(n, top, f"none reaches {RECALL_TARGET}; best: {describe(top.param)}"))
    return "\n".join(lines)


# ---------------------------------------------------------------- machine, plot, main


def machine_info(search_threads: int) -> dict[str, Any]:
    return {
        **machine(),
        "omp_threads_build": BUILD_THREADS,
        "omp_threads_search": search_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB RAM, faiss {machine['faiss']}, "
        f"numpy {machine['numpy']}, OpenMP threads: build {machine['omp_threads_build']}, "
        f"search {machine['omp_threads_search']} and 1; OMP_WAIT_POLICY {machine['omp_wait_policy']}; "
        f"load average {machine['load_average_start']} at start"
    )


def plot(results: list[Result], machine: dict[str, Any], path: Path) -> None:
    """Left: p50 vs N per type (best setting with recall >= target). Right: recall vs p50 at the largest N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r.n for r in results})
    largest = sizes[-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    styles = {"flat": ("black", "o"), "ivf": ("tab:blue", "s"), "hnsw": ("tab:orange", "^")}
    for kind, (colour, marker) in styles.items():
        points = [(n, b) for n in sizes if (b := best_setting(results, n, kind)) is not None]
        if not points:
            continue
        threads = machine["omp_threads_search"]
        label = (
            f"flat (exact), {threads} OpenMP threads"
            if kind == "flat"
            else f"{kind}, fastest with recall@10 ≥ {RECALL_TARGET}"
        )
        left.plot(
            [n for n, _ in points], [b.p50_ms for _, b in points], marker=marker, color=colour, label=label
        )
        for n, b in points:
            if b.param:
                left.annotate(
                    describe(b.param), (n, b.p50_ms), textcoords="offset points", xytext=(4, 4), fontsize=7
                )
    flat_rows = [r for r in results if r.type == "flat"]
    left.plot(
        [r.n for r in flat_rows],
        [r.p50_ms_1thread for r in flat_rows],
        marker="o",
        color="black",
        linestyle="--",
        markerfacecolor="none",
        label="flat (exact), 1 OpenMP thread",
    )
    left.axhline(P50_BUDGET_MS, color="grey", linestyle=":", linewidth=1, label=f"{P50_BUDGET_MS:g} ms")
    left.set(
        xscale="log", yscale="log", xlabel="corpus size N (vectors)", ylabel="single-query p50 latency (ms)"
    )
    left.set_title("Latency vs corpus size")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    for kind, key, offset in (("ivf", "nprobe", (4, -10)), ("hnsw", "efSearch", (-4, 5))):
        rows = sorted((r for r in results if r.n == largest and r.type == kind), key=lambda r: r.param[key])
        if not rows:
            continue
        colour, marker = styles[kind]
        right.plot(
            [r.p50_ms for r in rows],
            [r.recall_at_10 for r in rows],
            marker=marker,
            color=colour,
            label=f"{kind} ({key} sweep)",
        )
        for r in rows:
            right.annotate(
                str(r.param[key]),
                (r.p50_ms, r.recall_at_10),
                textcoords="offset points",
                xytext=offset,
                ha="left" if offset[0] > 0 else "right",
                fontsize=7,
            )
    flat = next(r for r in results if r.n == largest and r.type == "flat")
    right.plot(
        [flat.p50_ms],
        [flat.recall_at_10],
        marker="o",
        color="black",
        linestyle="none",
        label="flat (exact), default threads",
    )
    right.axhline(RECALL_TARGET, color="grey", linestyle=":", linewidth=1, label=f"recall {RECALL_TARGET}")
    right.set(xscale="log", xlabel="single-query p50 latency (ms)", ylabel=f"recall@{K} vs exact")
    right.set_title(f"Recall vs latency at N = {largest:,}")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("FAISS index choice for 384-d MiniLM chunk vectors (synthetic: real vectors + noise)")
    fig.text(0.5, 0.01, machine_line(machine), ha="center", fontsize=7, color="dimgrey")
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


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
    parser.add_argument("--out", type=Path, default=Path("bench/results/ann.json"))
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
        write_json(report, results, args.out)  # partial results survive an interrupted run
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["choice"] = {"default_threads": choose(results), "one_thread": choose(results, one_thread=True)}
    write_json(report, results, args.out)
    plot(results, machine, args.plot)
    print_summary(report, results)
    log(f"wrote {args.out} and {args.plot}")


def write_json(report: dict[str, Any], results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in results:
        row = asdict(r)
        row.update(row.pop("extra"))
        rows.append(row)
    body = {**report, "results": rows}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


def print_choice(choice: dict[str, Any]) -> None:
    threads = "1 OpenMP thread" if choice["search_threads"] == 1 else "default OpenMP threads"
    under = ", ".join(f"{n:,}" for n in choice["flat_under_budget"]) or "none"
    over = ", ".join(f"{n:,}" for n in choice["flat_over_budget"]) or "none"
    largest = choice["largest_flat_under_budget"]
    print(
        f"\nWith {threads}: exact flat p50 <= {choice['p50_budget_ms']:g} ms at measured sizes: {under}; over: {over}."
    )
    print(f"Largest measured N with flat p50 under budget: {f'{largest:,}' if largest else 'none'}.")
    for n, pick in choice["pick"].items():
        print(f"- N = {int(n):,}: {pick}")


def print_summary(report: dict[str, Any], results: list[Result]) -> None:
    vectors = report["vectors"]
    print(f"\n{machine_line(report['machine'])}")
    print(
        f"Vectors: {vectors['real_vectors_pooled']:,} real MiniLM vectors pooled; synthetic mean cosine to parent "
        f"{vectors['mean_parent_cosine']:.4f} (sigma {vectors['sigma']:.4f}); {report['queries']['count']} queries, "
        f"one at a time, k = {K}.\n"
    )
    print(markdown_table(results))
    print_choice(report["choice"]["default_threads"])
    print_choice(report["choice"]["one_thread"])


if __name__ == "__main__":
    main()
