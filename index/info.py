"""Describing an index, and where the bundled sample articles are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .store import IndexStore

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def sample_sources() -> list[Path]:
    """The bundled sample corpus: 100 French Wikinews articles and the seed article."""
    return sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix in (".jsonl", ".txt"))


def index_info(index_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """What ``article-qa index info`` shows: counts, model, dimension, size, last build."""
    store = IndexStore.open(index_dir)
    try:
        m = store.manifest
        first, last = store.date_range()
        return {
            "index_dir": str(store.index_dir),
            "articles": m.counts.get("articles", 0),
            "sentences": m.counts.get("sentences", 0),
            "chunks": m.counts.get("chunks", 0),
            "model": m.model,
            "dimension": m.dimension,
            "vector_index": m.vector_index,
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
