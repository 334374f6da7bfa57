"""Measuring one FAISS index type on the synthetic vectors (``bench.ann``): builds, recall@10
against the exact search, single-query latency with the default OpenMP threads and with one."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from bench.ann_vectors import BLOCK, DIMENSION
from index.embedded.vectors import nlist_for

K = 10
TRAIN_SEED = 2
WARMUP = 10
IVF_MIN_N = 30_000
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
EF_SEARCHES = (16, 32, 64, 128, 256)
BUILD_THREADS = 2

START = time.perf_counter()


def log(message: str) -> None:
    """Progress line on stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - START:8.1f}s] {message}", file=sys.stderr, flush=True)


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
