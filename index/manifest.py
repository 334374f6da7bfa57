"""What an index records about itself: format, model, settings, counts, generation.

Every backend keeps one :class:`Manifest` per index and replaces it atomically to publish
a generation: the embedded backend as ``DIR/manifest.json`` (:mod:`index.embedded.manifest_file`),
Milvus in a collection of its own. This module holds the record, and reads and checks its
values whatever held them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .chunking import ChunkSettings
from .errors import IndexDamagedError, IndexMismatchError
from .model_spec import ModelSpec

# 3: an article's line has its own column (was path#line); a decimal (2,5) is one full-text token.
# 4: an embedded generation may be several segments (index/embedded/layout.py); a version-3
#    index is one segment per generation, so it is read (and updated) as it is.
# 5: an article's date is ISO 8601 (index/dates.py), what filters compare, and the date as written
#    has a column of its own (date_text). Segments and epochs of versions 3 and 4 are read with
#    their dates as stored, the date as written being the stored date.
# 6: an article may have an author and page offsets (PDF articles; index/documents.py). Segments
#    and epochs of versions 3 to 5 are read as they are, without them; the number changed so that
#    an article-qa that reads only 5 refuses this index instead of updating it without them.
FORMAT_VERSION = 6
READABLE_VERSIONS = (3, 4, 5, 6)
GENERATION = re.compile(r"g[0-9]{1,12}")


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """What ``manifest.json`` records about an index."""

    format_version: int
    generation: str
    model: str
    # Indexes written before runtimes were recorded were all sentence-transformers ones.
    runtime: str = "sentence-transformers"
    dimension: int
    chunk_size: int
    overlap: int
    counts: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    last_build: dict[str, Any] = field(default_factory=dict)
    vector_index: str = (
        "flat"  # the chunk vectors' FAISS index type (index/embedded/vectors.py; "milvus-flat" in Milvus)
    )
    chunk_vectors: str = "encoded"  # how chunk vectors were made (index/chunking.py)
    # The embedded backend's check on its generations' segment lists (index/embedded/layout.py):
    # the SHA-256 of each one's record, by generation, for this one and those still on disk.
    # Absent from indexes written before it: their segment lists are checked against the counts.
    segment_records: dict[str, str] = field(default_factory=dict)
    # The sources the index was built and updated from, and the last read of each
    # (index/sources.py: SourceState.to_dict); absent from indexes written before it.
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def chunk_settings(self) -> ChunkSettings:
        """The chunk settings the index was built with (an update or a rebuild keeps them)."""
        return ChunkSettings(
            chunk_size=self.chunk_size, overlap=self.overlap, chunk_vectors=self.chunk_vectors
        )

    @property
    def model_spec(self) -> ModelSpec:
        """The runtime and model the index was built with (what opening it loads again)."""
        return ModelSpec(self.runtime, self.model)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    def digest(self) -> str:
        """The SHA-256 of this manifest: it names one published generation of one index (its
        generation, times, counts and sources), what a table kept beside it says it describes."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def parse(cls, data: object, location: str | os.PathLike[str], *, what: str) -> Manifest:
        """The manifest ``data`` (decoded JSON) holds; ``what`` names where it was read.

        Raises:
            IndexDamagedError: it is not a manifest, or holds wrong values.
            IndexMismatchError: it is of another format version.
        """
        if not isinstance(data, dict):
            raise IndexDamagedError(
                f"index at {location} is damaged: {what} holds no JSON object{rebuild_advice(location)}",
                path=str(location),
            )
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise IndexMismatchError(
                f"index at {location} has format version {version}, this article-qa reads "
                f"version {FORMAT_VERSION}: rebuild it with "
                f"`article-qa index build SOURCE... --index {location} --rebuild`"
            )
        known = {f for f in cls.__dataclass_fields__}
        try:
            manifest = cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:  # a required field is missing
            raise IndexDamagedError(
                f"index at {location} is damaged: {what}: {exc}{rebuild_advice(location)}", path=str(location)
            ) from None
        problem = manifest._problem()
        if problem:
            raise IndexDamagedError(
                f"index at {location} is damaged: {what}: {problem}{rebuild_advice(location)}",
                path=str(location),
            )
        return manifest

    def _problem(self) -> str | None:
        """What is wrong with the values read, if anything (a hand-edited or corrupt file)."""
        if not isinstance(self.generation, str) or not GENERATION.fullmatch(self.generation):
            return f"generation {self.generation!r} is not a generation name (g000001…)"
        for name in ("model", "runtime", "chunk_vectors", "vector_index"):
            if not isinstance(getattr(self, name), str):
                return f"{name} is not a string"
        for name in ("dimension", "chunk_size", "overlap"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return f"{name} is not a non-negative whole number"
        for name in ("counts", "languages", "last_build", "segment_records"):
            if not isinstance(getattr(self, name), dict):
                return f"{name} is not an object"
        if not all(
            isinstance(k, str) and GENERATION.fullmatch(k) and isinstance(v, str)
            for k, v in self.segment_records.items()
        ):
            return "segment_records holds wrong values"
        from .sources import SourceState

        if not isinstance(self.sources, list) or any(SourceState.from_dict(s) is None for s in self.sources):
            return "sources holds wrong values"
        return None


def rebuild_advice(location: str | os.PathLike[str]) -> str:
    """What ends the message of damage a command refuses to act on."""
    return (
        "; nothing was changed: rebuild it from its sources with "
        f"`article-qa index build SOURCE... --index {location} --rebuild`"
    )


def check_model(index_dir: str | os.PathLike[str], manifest: Manifest, wanted: ModelSpec) -> None:
    """Raise :class:`IndexMismatchError` unless ``wanted`` is the model the index was built with."""
    built = manifest.model_spec
    if wanted != built:
        raise IndexMismatchError(
            f"index at {index_dir} was built with {built}, you asked for {wanted}: "
            f"use --model {built}, or rebuild it with "
            f"`article-qa index build SOURCE... --index {index_dir} --model {wanted} --rebuild`"
        )
