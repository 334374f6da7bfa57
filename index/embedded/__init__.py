"""The embedded backend, the default: one directory on this machine, SQLite + FAISS.

- :mod:`~index.embedded.layout`: the directory, its generations, segments and locks;
- :mod:`~index.embedded.manifest_file`: ``manifest.json``, the commit record;
- :mod:`~index.embedded.segment`: one segment's reads (SQLite, FAISS);
- :mod:`~index.embedded.database`: the reads of a generation over its segments (:class:`IndexStore`);
- :mod:`~index.embedded.writer`: a new generation, written and published;
- :mod:`~index.embedded.merge`: segments merged into one;
- :mod:`~index.embedded.vectors`: the FAISS index types.
"""

from __future__ import annotations

import os
import shutil
from contextlib import AbstractContextManager
from pathlib import Path

from ..errors import IndexExistsError, IndexNotFoundError, OptionError
from ..location import is_remote
from ..manifest import Manifest
from ..model_spec import ModelSpec
from ..storage import Storage
from .database import IndexStore
from .layout import Record, copy_generation, writer_lock
from .lexical import has_postings
from .manifest_file import MANIFEST, read_manifest
from .segment import Segment
from .writer import EmbeddedWriter

__all__ = ["EmbeddedBackend", "EmbeddedWriter", "IndexStore"]


class EmbeddedBackend:
    """The index in the directory ``location``."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.path = Path(location).expanduser()
        self.location = str(self.path)

    def exists(self) -> bool:
        return (self.path / MANIFEST).exists()

    def read_manifest(self) -> Manifest:
        return read_manifest(self.path)

    def open(self, *, model: str | ModelSpec | None = None, searching: bool = True) -> IndexStore:
        return IndexStore.open(self.path, model=model, searching=searching)

    def writing(self) -> AbstractContextManager[None]:
        return writer_lock(self.path)

    def prepare(self) -> bool:
        """Create the index directory if needed; True if it was created here."""
        path = self.path
        if path.is_dir():
            return False
        if path.exists():
            raise IndexNotFoundError(f"cannot put an index at {path}: it is a file, not a directory")
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise IndexNotFoundError(
                f"cannot create the index directory {path} ({exc.strerror or exc}); choose another place"
            ) from None
        return True

    def discard(self) -> None:
        """Remove the directory of a first build that failed."""
        shutil.rmtree(self.path, ignore_errors=True)

    def fragmented(self) -> bool:
        """Whether the published generation is several segments, holds deleted articles, or
        was written before segments kept their postings (:mod:`index.embedded.lexical`)."""
        manifest = read_manifest(self.path)
        gen = self.path / manifest.generation
        record = Record.read(gen, digest=manifest.segment_records.get(manifest.generation))
        if len(record.segments) > 1 or record.deleted:
            return True
        segment = Segment(self.path / record.segments[0]) if record.segments else None
        try:
            return segment is not None and not has_postings(segment)
        finally:
            if segment is not None:
                segment.close()

    def copy_to(self, target: str | os.PathLike[str]) -> None:
        """Copy the published generation — its segments, its ``segments.json``, the manifest —
        into the directory ``target``, which must not exist or be empty.

        Raises:
            IndexExistsError: ``target`` holds an index.
            OptionError: ``target`` is a URI, a file, or a directory that holds other files.
        """
        if is_remote(target):
            raise OptionError(
                f"cannot copy {self.location} to {target}: an index directory is copied to a directory",
                option="target",
            )
        destination = Path(target).expanduser()
        if (destination / MANIFEST).exists():
            raise IndexExistsError(f"cannot copy {self.location}: an index exists at {destination}")
        if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
            raise OptionError(
                f"cannot copy {self.location} to {destination}: it is a file, or a directory that is not empty",
                option="target",
            )
        store = IndexStore.open(self.path)  # holds the generation: no writer deletes it meanwhile
        try:
            copy_generation(self.path, store.manifest, store.record, destination)
        finally:
            store.close()

    def new_writer(self, dimension: int, *, base: Storage | None, compact: bool = False) -> EmbeddedWriter:
        if base is not None and not isinstance(base, IndexStore):
            raise TypeError("an embedded index is updated from an embedded store")
        return EmbeddedWriter(self.path, dimension, base=base, compact=compact)
