"""The exception hierarchy of article-qa.

Every error the library raises on purpose is a :class:`QAError`. Its message (``str(exc)``)
says what was wrong and what to do, in the command line's terms; its :attr:`~QAError.code`
and :attr:`~QAError.data` carry the same facts as data, so that another edge (the web app)
words its own message, in its own language, without the command line's advice or paths.
The hierarchy lives here, in the lowest package, so that ``index`` and ``qa`` share it.
"""

from __future__ import annotations

from typing import Any


class QAError(Exception):
    """Base class of every error article-qa raises on purpose.

    Args:
        message: what went wrong and what to do (the command line prints it as is).
        data: the facts, by name (``option="top_k"``, ``value=0``…), for other edges.
    """

    code = "error"

    def __init__(self, message: str = "", **data: Any) -> None:
        super().__init__(message)
        self.data: dict[str, Any] = data


class IndexNotFoundError(QAError):
    """No index at the given directory."""

    code = "index_not_found"


class IndexMismatchError(QAError):
    """The index was built with another model or another format version."""

    code = "index_mismatch"


class IndexLockedError(QAError):
    """Another build or update is writing to the index."""

    code = "index_locked"


class IndexExistsError(QAError):
    """A build would replace an existing index without ``rebuild``."""

    code = "index_exists"


class ArticleFormatError(QAError):
    """One source file or record cannot be read as an article."""

    code = "article_format"


class NoArticlesError(QAError):
    """A build or update found no readable article in its sources."""

    code = "no_articles"


class ModelLoadError(QAError):
    """The embedding model cannot be loaded."""

    code = "model_load"


class IndexDamagedError(QAError):
    """The index's files cannot be read (a truncated manifest, a missing database…)."""

    code = "index_damaged"


class IndexUnreachableError(QAError):
    """The engine that holds the index (a Milvus server) does not answer."""

    code = "index_unreachable"


class RemovalRefusedError(QAError):
    """An update would remove more of the index than it may without being told to."""

    code = "removal_refused"


class OptionError(QAError, ValueError):
    """An option or argument is out of its range (a top-k of 0, a chunk size of 10…)."""

    code = "option"
