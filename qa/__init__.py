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
    IndexStateError,
    IndexUnreachableError,
    MissingDependencyError,
    ModelLoadError,
    NoArticlesError,
    OptionError,
    QAError,
    RemovalRefusedError,
)
from index.filters import Filters

from .answerers import Answerer, AnswerRequest, ExtractiveAnswerer, StreamingAnswerer
from .assistant import THRESHOLDS, Assistant
from .endpoint import Endpoint, EndpointError
from .errors import QuestionError, UnknownFilterError
from .generative import GenerativeAnswerer
from .records import Answer, Check, Citation, Claim, Passage, Turn
from .retriever import Retriever

__all__ = [
    "THRESHOLDS",
    "Answer",
    "AnswerRequest",
    "Answerer",
    "ArticleFormatError",
    "Assistant",
    "Check",
    "Citation",
    "Claim",
    "Endpoint",
    "EndpointError",
    "ExtractiveAnswerer",
    "Filters",
    "GenerativeAnswerer",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStateError",
    "IndexUnreachableError",
    "MissingDependencyError",
    "ModelLoadError",
    "NoArticlesError",
    "OptionError",
    "Passage",
    "QAError",
    "QuestionError",
    "RemovalRefusedError",
    "Retriever",
    "StreamingAnswerer",
    "Turn",
    "UnknownFilterError",
]
