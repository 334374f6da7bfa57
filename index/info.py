"""Describing an index (:func:`index_info`), and what the package itself holds: the bundled
sample articles and the version of the code that decides what an index holds."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .backends import open_index
from .sources import SourceState

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, kw_only=True)
class IndexInfo:
    """What ``article-qa index info`` shows: counts, model, dimension, size, last build.

    :meth:`to_dict` gives it as ``index info --json`` prints it.
    """

    location: str
    articles: int
    sentences: int
    chunks: int
    model: str
    runtime: str
    chunk_vectors: str
    dimension: int
    vector_index: str
    segments: int | None  # None: the backend keeps no segments of its own (Milvus)
    chunk_size: int
    overlap: int
    languages: dict[str, int]  # articles by language
    categories: tuple[str, ...]
    dates: tuple[str | None, str | None]  # the first and the last article's
    size_bytes: int | None  # None: an engine keeps the index
    format_version: int
    created_at: str
    updated_at: str
    last_build: dict[str, Any]
    sources: tuple[SourceState, ...] = ()  # what the index was built from, and each one's last read

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in order, as JSON writes them (``location`` as ``index_dir``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sources":
                value = [s.to_dict() for s in value]
            out["index_dir" if f.name == "location" else f.name] = (
                list(value) if isinstance(value, tuple) else value
            )
        return out


def index_info(location: str | os.PathLike[str]) -> IndexInfo:
    """Describe the index at ``location`` (a directory or a URI).

    Raises:
        IndexStateError: there is no sound index there (see :func:`index.open_index`).
    """
    store = open_index(location)
    try:
        m = store.manifest
        first, last = store.date_range()
        return IndexInfo(
            location=store.location,
            articles=m.counts.get("articles", 0),
            sentences=m.counts.get("sentences", 0),
            chunks=m.counts.get("chunks", 0),
            model=m.model,
            runtime=m.runtime,
            chunk_vectors=m.chunk_vectors,
            dimension=m.dimension,
            vector_index=m.vector_index,
            segments=store.segment_count(),
            chunk_size=m.chunk_size,
            overlap=m.overlap,
            languages=m.languages,
            categories=tuple(store.distinct("category")),
            dates=(first, last),
            size_bytes=store.size_bytes(),
            format_version=m.format_version,
            created_at=m.created_at,
            updated_at=m.updated_at,
            last_build=m.last_build,
            sources=tuple(s for s in map(SourceState.from_dict, m.sources) if s is not None),
        )
    finally:
        store.close()


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
