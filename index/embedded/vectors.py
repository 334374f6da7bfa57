"""The FAISS index type of the chunk vectors, chosen by how many there are.

Up to :data:`EXACT_LIMIT` vectors the chunks are searched exactly (``IndexFlatIP`` under an
``IndexIDMap2``). Beyond it a flat search costs too much per question on two cores, and the
chunks move to an inverted file (``IndexIVFFlat``, its ``nprobe`` stored in the index) that
keeps ids, removals and reconstruction, so updates work the same way. The bound and ``nprobe``
come from ``python -m bench.ann`` (docs/benchmarks.md): the exact search's latency by size,
and the smallest ``nprobe`` whose recall@10 against exact search stays at or above 0.95.

Sentence vectors are only ever read back by id, never searched: they stay flat, in float16.
Both are memory-mapped from their segment's files when read (:func:`shared`).
"""

from __future__ import annotations

import functools
import math
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexDamagedError

EXACT_LIMIT = 200_000
"""Chunk vectors searched exactly up to this many."""

NPROBE_SHARE = 1 / 16
"""Share of the inverted lists a search visits (nprobe = nlist × this, at least 1).

bench/ann.py: at 200,000 vectors (2,048 lists) recall@10 reaches 0.95 at nprobe 128, not 32.
"""

NPROBE_MAX = 128
"""The most lists a search visits (the largest nprobe measured: 5 ms at 1M vectors)."""

RETRAIN_GROWTH = 4
"""An inverted file is trained again when the ideal list count has grown this many times."""

FILTER_EXACT_LIMIT = 50_000
"""A filtered search over at most this many allowed chunks is exact whatever the index type."""


def _faiss() -> Any:
    """FAISS, imported when first needed (its type stubs lack much of what is used here)."""
    import faiss

    return faiss


@contextmanager
def one_thread() -> Iterator[None]:
    """FAISS on the calling thread alone for the block (OpenMP's setting is per thread).

    A question searches with one query vector, and a second OpenMP thread gains it nothing
    (a flat search of the sample: 0.24 ms on two threads, 0.22 on one). But after each search
    the idle thread spins for its next piece of work, 4.4 ms of a core every question, which a
    server answering others needs (docs/benchmarks.md, stop 39).
    """
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def empty(dimension: int) -> Any:
    """An exact index keyed by id: what every index starts as."""
    faiss = _faiss()

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def empty_readback(dimension: int) -> Any:
    """An index keyed by id for vectors that are only read back (sentences), in float16.

    Half the bytes of float32 on disk and in memory, and so half the bytes an update
    rewrites; a cosine computed from them differs by about 1e-3.
    """
    faiss = _faiss()
    return faiss.IndexIDMap2(faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16))


def kind(vectors: Any) -> str:
    """``"flat"`` or ``"ivf<nlist>"``: what the manifest records of an index."""
    faiss = _faiss()

    ivf = faiss.try_extract_index_ivf(vectors)
    return f"ivf{ivf.nlist}" if ivf is not None else "flat"


def nlist_for(count: int) -> int:
    """Inverted lists for ``count`` vectors: the power of two nearest 4·√count, with ≥ 39 vectors per list."""
    ideal = 2 ** round(math.log2(4 * math.sqrt(max(count, 1))))
    enough = 2 ** int(math.log2(count // 39)) if count >= 39 else 1
    return max(1, min(ideal, enough))


def sized(vectors: Any) -> Any:
    """``vectors`` as the index type its size calls for (the same object when nothing changes)."""
    faiss = _faiss()

    count = vectors.ntotal
    ivf = faiss.try_extract_index_ivf(vectors)
    if ivf is None:
        return _to_ivf(vectors) if count > EXACT_LIMIT else vectors
    if nlist_for(count) >= RETRAIN_GROWTH * ivf.nlist:
        return _to_ivf(vectors)
    return vectors


def all_vectors(vectors: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) of an index of either type."""
    faiss = _faiss()

    ivf = faiss.try_extract_index_ivf(vectors)
    if ivf is None:
        ids = faiss.vector_to_array(vectors.id_map).astype(np.int64)
        return ids, vectors.index.reconstruct_n(0, vectors.ntotal)
    invlists = ivf.invlists
    ids_parts, vec_parts = [], []
    for list_no in range(ivf.nlist):
        size = invlists.list_size(list_no)
        if size == 0:
            continue
        ids_parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
        codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * invlists.code_size)
        vec_parts.append(np.frombuffer(codes.copy(), dtype=np.float32).reshape(size, ivf.d))
    if not ids_parts:
        return np.zeros(0, dtype=np.int64), np.zeros((0, ivf.d), dtype=np.float32)
    return np.concatenate(ids_parts).astype(np.int64), np.vstack(vec_parts)


def _to_ivf(vectors: Any) -> Any:
    faiss = _faiss()

    ids, data = all_vectors(vectors)
    nlist = nlist_for(len(ids))
    quantizer = faiss.IndexFlatIP(data.shape[1])
    ivf = faiss.IndexIVFFlat(quantizer, data.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.own_fields = True
    quantizer.this.disown()
    rng = np.random.default_rng(0)
    sample = data[rng.choice(len(data), size=min(len(data), 64 * nlist), replace=False)]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        ivf.train(sample)
    finally:
        faiss.omp_set_num_threads(threads)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
    ivf.add_with_ids(data, ids)
    ivf.nprobe = max(1, min(NPROBE_MAX, round(nlist * NPROBE_SHARE)))
    return ivf


def excluding(ids: np.ndarray) -> Any:
    """A FAISS selector of every id but these (kept by the caller and used for many searches)."""
    faiss = _faiss()
    batch = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
    selector = faiss.IDSelectorNot(batch)
    selector.referenced = batch  # the inner selector lives as long as the outer one
    return selector


def search(
    vectors: Any,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None,
    *,
    gone: np.ndarray | None = None,
    left_out: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the ``k`` best vectors for one query (ids -1 pad a short result):
    among ``allowed`` ids if given, else among all but the ``gone`` ones, or all but those
    the selector ``left_out`` (:func:`excluding`) leaves out."""
    faiss = _faiss()

    vec = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    ivf = faiss.try_extract_index_ivf(vectors)
    if allowed is None and left_out is None and gone is not None and gone.size:
        left_out = excluding(gone)
    if allowed is None and left_out is not None:
        if ivf is not None:
            params: Any = faiss.SearchParametersIVF(sel=left_out, nprobe=ivf.nprobe)
        else:
            params = faiss.SearchParameters(sel=left_out)
        return vectors.search(vec, k, params=params)
    if allowed is None:
        return vectors.search(vec, k)
    if ivf is not None and allowed.size <= FILTER_EXACT_LIMIT:
        # A few allowed chunks: score them all (an inverted file may not visit their lists).
        data = vectors.reconstruct_batch(allowed)
        scores = data @ vec[0]
        order = np.argsort(-scores, kind="stable")[:k]
        pad = k - order.size
        return (
            np.concatenate([scores[order], np.full(pad, -np.inf, dtype=np.float32)]).reshape(1, -1),
            np.concatenate([allowed[order], np.full(pad, -1, dtype=np.int64)]).reshape(1, -1),
        )
    selector = faiss.IDSelectorBatch(allowed)
    if ivf is not None:
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    else:
        params = faiss.SearchParameters(sel=selector)
    return vectors.search(vec, k, params=params)


class Pair:
    """The two FAISS indexes of a generation: chunks (searched) and sentences (read back)."""

    def __init__(self, chunks: Any, sentences: Any) -> None:
        self.chunks = chunks
        self.sentences = sentences

    @classmethod
    def empty(cls, dimension: int) -> Pair:
        return cls(empty(dimension), empty_readback(dimension))

    def write(self, chunk_path: str, sentence_path: str) -> None:
        """Write both, the chunks' index first brought to the type its size calls for."""
        faiss = _faiss()
        self.chunks = sized(self.chunks)
        faiss.write_index(self.chunks, chunk_path)
        faiss.write_index(self.sentences, sentence_path)


_LOADED: dict[tuple[str, int, int, int, bool], weakref.ref[Any]] = {}
_LOADING = threading.Lock()


def shared(path: Path, *, mapped: bool = False) -> Any:
    """The FAISS index in file ``path``, read once per process while anything holds it.

    Segments never change, so the stores of two generations share the vectors of the segments
    they have in common: a server that follows an update reads only the new segment's. With
    ``mapped``, the vectors are memory-mapped from the file rather than read into memory
    (FAISS's ``IO_FLAG_MMAP_IFC``, for flat indexes and inverted files alike): a question reads
    back a few hundred sentence vectors and visits a few of an inverted file's lists, and the
    pages it touches stay in the system's cache, which the processes reading a segment share.
    """
    faiss = _faiss()
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, mapped)
        with _LOADING:
            found = _LOADED.get(key)
            vectors = found() if found is not None else None
            if vectors is None:
                vectors = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
                _LOADED[key] = weakref.ref(vectors, functools.partial(_forget, key))
        return vectors
    except (OSError, RuntimeError) as exc:
        raise IndexDamagedError(
            f"index at {path.parent.parent} is damaged: cannot read {path.parent.name}/{path.name} ({exc}); "
            "rebuild it"
        ) from None


def _forget(key: tuple[str, int, int, int, bool], _: Any) -> None:
    _LOADED.pop(key, None)
