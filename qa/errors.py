"""Errors of the question-answering layer; the hierarchy's root is shared with ``index``."""

from __future__ import annotations

from index.errors import QAError


class QuestionError(QAError, ValueError):
    """The question cannot be asked as given (empty, for instance)."""

    code = "question"


class UnknownFilterError(QAError, ValueError):
    """A filter names a value the index does not hold (an unknown category, say)."""

    code = "unknown_filter"
