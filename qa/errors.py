"""Errors of the question-answering layer; the hierarchy's root is shared with ``index``."""

from __future__ import annotations

from index.errors import QAError


class QuestionError(QAError, ValueError):
    """The question cannot be asked as given (empty, for instance)."""

    code = "question"


class UnknownFilterError(QAError, ValueError):
    """A filter names a value the index does not hold (an unknown category, say)."""

    code = "unknown_filter"


class EndpointError(QAError):
    """The language model's server did not give a usable reply.

    ``reason`` (in :attr:`data`): ``timeout``, ``connection``, ``http``, ``malformed``,
    ``too_large`` or ``empty``. The message never holds what the server wrote (that goes to
    the log, its secrets masked).
    """

    code = "endpoint"
