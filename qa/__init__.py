"""article-qa's public Python API: ask questions, get answers with cited source sentences.

>>> from qa import Assistant
>>> assistant = Assistant.open("my-index")
>>> answer = assistant.ask("Qui a rompu ses relations avec la Corée du Nord ?")

The surface: the :class:`Assistant` and its options (:class:`Filters`, :class:`ScorerWeights`),
the records it returns, the answerers that write an answer (with the :class:`Endpoint` of a
language model), and the errors. Evaluation is :mod:`qa.eval`; the fitted constants are
:mod:`qa.fitted`.
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
from .assistant import Assistant
from .endpoint import Endpoint
from .errors import EndpointError, QuestionError, UnknownFilterError
from .fitted import ScorerWeights
from .generative import GenerativeAnswerer
from .records import Answer, Check, Citation, Claim, Passage, Turn

__all__ = [
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
    "ScorerWeights",
    "StreamingAnswerer",
    "Turn",
    "UnknownFilterError",
]
