"""article-qa's public Python API: ask questions, get answers with cited source sentences.

>>> from qa import Assistant
>>> assistant = Assistant.open("my-index")
>>> answer = assistant.ask("Qui a rompu ses relations avec la Corée du Nord ?")

The surface: the :class:`Assistant` and its options (:class:`Filters`, :class:`ScorerWeights`, a
:class:`Reranker` such as :class:`CrossEncoderReranker` and its :class:`RerankFit`),
the records it returns, the answerers that write an answer (with the :class:`Endpoint` of a
language model), the errors, and what an interface checks before it asks (:func:`clean_question`,
the bounds :data:`MAX_TOP_K` and :data:`COMPOSING_AT_ONCE`). Evaluation is :mod:`qa.eval`; the fitted constants are
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
from .assistant import MAX_TOP_K, Assistant
from .endpoint import Endpoint
from .errors import EndpointError, QuestionError, UnknownFilterError
from .fitted import ScorerWeights
from .fitted_rerank import RerankFit
from .generative import COMPOSING_AT_ONCE, GenerativeAnswerer
from .question import clean_question
from .records import Answer, Check, Citation, Claim, Passage, Publication, RerankCost, Turn
from .rerank import CrossEncoderReranker, Reranker

__all__ = [
    "COMPOSING_AT_ONCE",
    "MAX_TOP_K",
    "Answer",
    "AnswerRequest",
    "Answerer",
    "ArticleFormatError",
    "Assistant",
    "Check",
    "Citation",
    "Claim",
    "CrossEncoderReranker",
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
    "Publication",
    "QAError",
    "QuestionError",
    "RemovalRefusedError",
    "RerankCost",
    "RerankFit",
    "Reranker",
    "ScorerWeights",
    "StreamingAnswerer",
    "Turn",
    "UnknownFilterError",
    "clean_question",
]
