"""article-qa's indexer: articles → sentences → sentence-aligned chunks → FAISS + SQLite.

>>> import index
>>> report = index.build(["articles/"], "my-index")
>>> store = index.open_index("my-index")
"""

from __future__ import annotations

from .articles import SUFFIXES, ReadProblem, ReadResult, read_sources
from .builder import BuildReport, Progress, build, update
from .chunking import ChunkSettings, SentenceChunker
from .embedder import Embedder, SentenceTransformerEmbedder, bundled_model_path
from .errors import (
    ArticleFormatError,
    IndexExistsError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelLoadError,
    NoArticlesError,
    QAError,
)
from .info import index_info, sample_sources
from .records import Article, Chunk, Sentence
from .segment import split_sentences
from .settings import DEFAULT_MODEL
from .store import ChunkHit, IndexStore, Manifest, SentenceBlock

open_index = IndexStore.open

__all__ = [
    "DEFAULT_MODEL",
    "SUFFIXES",
    "Article",
    "ArticleFormatError",
    "BuildReport",
    "Chunk",
    "ChunkHit",
    "ChunkSettings",
    "Embedder",
    "IndexExistsError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStore",
    "Manifest",
    "ModelLoadError",
    "NoArticlesError",
    "Progress",
    "QAError",
    "ReadProblem",
    "ReadResult",
    "Sentence",
    "SentenceBlock",
    "SentenceChunker",
    "SentenceTransformerEmbedder",
    "build",
    "bundled_model_path",
    "index_info",
    "open_index",
    "read_sources",
    "sample_sources",
    "split_sentences",
    "update",
]
