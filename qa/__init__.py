"""article-qa's public Python API: ask questions, get answers with cited source sentences.

>>> from qa import Assistant
>>> assistant = Assistant.open("my-index")
>>> answer = assistant.ask("Qui a rompu ses relations avec la Corée du Nord ?")
"""

from __future__ import annotations

from index.errors import (
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

from .assistant import THRESHOLDS, Assistant
from .errors import QuestionError, UnknownFilterError
from .records import Answer, Citation, Passage, Turn
from .retriever import Filters, Retriever

__all__ = [
    "THRESHOLDS",
    "Answer",
    "ArticleFormatError",
    "Assistant",
    "Citation",
    "Filters",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ModelLoadError",
    "NoArticlesError",
    "OptionError",
    "Passage",
    "QAError",
    "QuestionError",
    "RemovalRefusedError",
    "Retriever",
    "Turn",
    "UnknownFilterError",
]
