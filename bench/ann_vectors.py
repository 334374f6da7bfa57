"""The vectors of the FAISS benchmark (``bench.ann``): real chunk and sentence vectors pooled
from the indexes ``article-qa eval`` built, and synthetic ones grown around them (how, in
``VECTORS_HOW`` and ``QUERIES_HOW``, and in ``bench.ann``'s docstring)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from index.settings import cache_dir

DIMENSION = 384
TARGET_COSINE = 0.9
SIGMA = math.sqrt(1.0 / TARGET_COSINE**2 - 1.0)
BLOCK = 100_000
DATA_SEED = 0
QUERY_SEED = 1
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


@dataclass
class RealVectors:
    """The pooled real vectors: all (chunks and sentences) and sentences alone, deduplicated."""

    all: np.ndarray
    sentences: np.ndarray
    sources: dict[str, dict[str, int]] = field(default_factory=dict)


def eval_index_dirs() -> list[Path]:
    """Index directories built by ``article-qa eval`` (in its cache, as ``qa.eval`` keeps them)."""
    return sorted(p.parent for p in (cache_dir() / "eval").glob("*/index/manifest.json"))


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
