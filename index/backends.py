"""Choosing the backend that holds an index, from its location, and opening it.

The protocols live in :mod:`index.storage`, locations in :mod:`index.location`; each backend
loads its own heavy libraries (FAISS, pymilvus) only when it opens or writes an index.

>>> store = open_index("my-index")
>>> store.manifest.counts["articles"]
"""

from __future__ import annotations

import os

from .embedded import EmbeddedBackend
from .location import is_remote
from .milvus import MilvusBackend
from .model_spec import ModelSpec
from .storage import Backend, Storage


def backend_for(location: str | os.PathLike[str]) -> Backend:
    """The backend that holds the index at ``location`` (nothing is opened yet)."""
    if is_remote(location):
        return MilvusBackend(str(location))
    return EmbeddedBackend(location)


def open_index(location: str | os.PathLike[str], *, model: str | ModelSpec | None = None) -> Storage:
    """Open the index at ``location`` (a directory or a URI) and hold its current generation.

    Raises:
        IndexNotFoundError: there is no index there.
        IndexDamagedError: it cannot be read.
        IndexMismatchError: it was built with another format, or another model than ``model``.
        IndexUnreachableError: the engine that holds it does not answer.
        MissingDependencyError: it is in Milvus, and the Milvus client is not installed.
    """
    return backend_for(location).open(model=model)


def copy_index(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Copy the index at ``source`` as it is now to the new directory ``target``.

    The copy reads like the source and can then be changed apart (``remove(target, ids)``
    measures an index without some articles, and nothing is encoded again).

    >>> copy_index("my-index", "my-index-copy")
    >>> remove("my-index-copy", ["article-1"])

    Raises:
        IndexNotFoundError, IndexDamagedError: there is no sound index at ``source``.
        IndexExistsError: an index is at ``target`` already.
        OptionError: ``source`` is an index in Milvus, or ``target`` is not a new directory.
    """
    backend_for(source).copy_to(target)
