"""article-qa's indexer: articles → sentences → sentence-aligned chunks → a storage backend.

The default backend is embedded (SQLite + FAISS in a directory, :mod:`index.embedded`);
Milvus is another (:mod:`index.milvus`); both sit behind :mod:`index.storage`, and
:mod:`index.backends` chooses one from the index's location.

>>> import index
>>> report = index.build(["articles/"], "my-index")
>>> store = index.open_index("my-index")

This is the surface a caller needs; constants, the concrete embedders and the backends'
classes are imported from their modules.
"""

from __future__ import annotations

from .backends import copy_index, open_index
from .builder import build, compact, remove, update
from .chunking import ChunkSettings
from .documents import Article, Chunk, Sentence
from .embedders import Embedder, load_embedder
from .errors import (
    ArticleFormatError,
    IndexDamagedError,
    IndexExistsError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStateError,
    IndexUnreachableError,
    MissingDependencyError,
    ModelLoadError,
    NoArticlesError,
    OptionError,
    QAError,
    RemovalRefusedError,
)
from .fetch import FetchError, FetchPolicy
from .filters import Filters
from .info import IndexInfo, index_info, sample_sources
from .model_spec import ModelSpec
from .prepare import load_for_writing
from .readers import ReadProblem, read_sources
from .report import BuildReport, Progress
from .sources import SourceState
from .storage import Storage

__all__ = [
    "Article",
    "ArticleFormatError",
    "BuildReport",
    "Chunk",
    "ChunkSettings",
    "Embedder",
    "FetchError",
    "FetchPolicy",
    "Filters",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStateError",
    "IndexUnreachableError",
    "MissingDependencyError",
    "ModelLoadError",
    "ModelSpec",
    "NoArticlesError",
    "OptionError",
    "Progress",
    "QAError",
    "ReadProblem",
    "RemovalRefusedError",
    "Sentence",
    "SourceState",
    "Storage",
    "build",
    "compact",
    "copy_index",
    "index_info",
    "load_embedder",
    "load_for_writing",
    "open_index",
    "read_sources",
    "remove",
    "sample_sources",
    "update",
]
