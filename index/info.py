"""Describing an index, and where the bundled sample articles are."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from .backends import open_index

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
PACKAGE_DIR = Path(__file__).resolve().parent


def indexing_version() -> str:
    """A digest of the code that decides what an index holds (readers, segmentation,
    chunking, analysis, embedding, storage): two indexes of one corpus with the same
    version, model and settings are the same. Evaluation caches are keyed on it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def sample_sources() -> list[Path]:
    """The bundled sample corpus: 100 French Wikinews articles and the seed article."""
    return sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix in (".jsonl", ".txt"))


def index_info(index_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """What ``article-qa index info`` shows: counts, model, dimension, size, last build."""
    store = open_index(index_dir)
    try:
        m = store.manifest
        first, last = store.date_range()
        return {
            "index_dir": store.location,
            "articles": m.counts.get("articles", 0),
            "sentences": m.counts.get("sentences", 0),
            "chunks": m.counts.get("chunks", 0),
            "model": m.model,
            "runtime": m.runtime,
            "chunk_vectors": m.chunk_vectors,
            "dimension": m.dimension,
            "vector_index": m.vector_index,
            "segments": store.segment_count(),
            "chunk_size": m.chunk_size,
            "overlap": m.overlap,
            "languages": m.languages,
            "categories": store.distinct("category"),
            "dates": [first, last],
            "size_bytes": store.size_bytes(),
            "format_version": m.format_version,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
            "last_build": m.last_build,
        }
    finally:
        store.close()
