"""The Milvus backend: an index in a Milvus server or cluster, or in a Milvus Lite file.

Everything the assistant reads lives in the engine (articles, sentences, chunks, vectors, term
statistics), so a second machine needs nothing but the URI. Install it with
``pip install 'article-qa[milvus]'``.

- :mod:`~index.milvus.connection`: URIs, the client, errors, the head row and the writer's lock;
- :mod:`~index.milvus.schema`: the collections, filter expressions, BM25 weights;
- :mod:`~index.milvus.store`: the reads (:class:`MilvusStore`);
- :mod:`~index.milvus.writer`: a new epoch, written and published.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any

from ..errors import OptionError
from ..manifest import Manifest, check_model
from ..model_spec import ModelSpec, as_spec
from ..storage import Storage
from .connection import Location, call, connect, parse, published_head, read_head, writer_lock
from .store import MilvusStore
from .writer import MilvusWriter

__all__ = ["MilvusBackend", "MilvusStore", "MilvusWriter"]


class MilvusBackend:
    """The index a ``milvus://`` or ``milvus-lite:`` URI names."""

    def __init__(self, uri: str) -> None:
        self.where: Location = parse(uri)
        self.location = self.where.uri
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connect(self.where)
        return self._client

    def exists(self) -> bool:
        return published_head(self.where, self.client) is not None

    def read_manifest(self) -> Manifest:
        return read_head(self.where, self.client)[1]

    def open(self, *, model: str | ModelSpec | None = None, searching: bool = True) -> MilvusStore:
        head, manifest = read_head(self.where, self.client)
        if model is not None:
            check_model(self.location, manifest, as_spec(model))
        store = MilvusStore(self.where, self.client, head, manifest)
        for suffix in ("articles", "sentences", "chunks"):  # after a restart the engine has them released
            call(self.where, self.client.load_collection, store.name(suffix))
        return store

    def writing(self) -> AbstractContextManager[None]:
        return writer_lock(self.where, self.client)

    def prepare(self) -> bool:
        """Nothing to create before the first write (the engine makes its collections)."""
        if self.where.lite_file is not None:
            self.where.lite_file.parent.mkdir(parents=True, exist_ok=True)
        return False

    def discard(self) -> None:
        """Nothing: a failed first build leaves no head row, and its epoch is dropped by the next."""

    def fragmented(self) -> bool:
        """False: every build or update writes a whole epoch, and the engine merges its own segments."""
        return False

    def copy_to(self, target: str | os.PathLike[str]) -> None:
        """Refused: an index in an engine is copied with the engine's own tools."""
        raise OptionError(
            f"cannot copy {self.location}: article-qa copies an index directory, not an index in "
            "Milvus (copy its collections with Milvus's own backup tools)",
            option="source",
        )

    def new_writer(self, dimension: int, *, base: Storage | None, compact: bool = False) -> MilvusWriter:
        if base is not None and not isinstance(base, MilvusStore):
            raise TypeError("a Milvus index is updated from a Milvus store")
        return MilvusWriter(self.where, self.client, dimension, base=base)
