"""The exception hierarchy of article-qa.

Every error the library raises on purpose is a :class:`QAError`. Its message (``str(exc)``)
says what was wrong and what to do, in the command line's terms; its :attr:`~QAError.code`
and :attr:`~QAError.data` carry the same facts as data, so that another edge (the web app)
words its own message, in its own language, without the command line's advice or paths.
The hierarchy lives here, in the lowest package, so that ``index`` and ``qa`` share it::

    QAError
    ├── IndexStateError: IndexNotFoundError, IndexDamagedError, IndexMismatchError,
    │                    IndexLockedError, IndexUnreachableError, IndexExistsError
    ├── MissingDependencyError
    ├── ArticleFormatError, NoArticlesError, ModelLoadError, RemovalRefusedError
    └── OptionError (also a ValueError)
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


class IndexStateError(QAError):
    """The index cannot be used as it is now: missing, damaged, of another model or format,
    busy with another writer, in an engine that does not answer, or in the way of a build.

    Catch it to handle every such state at once; each kind below has its own class and code.
    """


class IndexNotFoundError(IndexStateError):
    """No index at the given location (or the location cannot be read as one)."""

    code = "index_not_found"


class IndexDamagedError(IndexStateError):
    """The index's files cannot be read (a truncated manifest, a missing database…)."""

    code = "index_damaged"


class IndexMismatchError(IndexStateError):
    """The index was built with another model or another format version."""

    code = "index_mismatch"


class IndexLockedError(IndexStateError):
    """Another build or update is writing to the index (or holds its Milvus Lite file)."""

    code = "index_locked"


class IndexUnreachableError(IndexStateError):
    """The engine that holds the index (a Milvus server) does not answer."""

    code = "index_unreachable"


class IndexExistsError(IndexStateError):
    """A build would replace an existing index without ``rebuild``."""

    code = "index_exists"


class MissingDependencyError(QAError):
    """An optional dependency that this use needs is not installed.

    ``data`` names the ``extra`` that installs it (``pip install 'article-qa[EXTRA]'``) and the
    ``package`` that is missing.
    """

    code = "missing_dependency"


class ArticleFormatError(QAError):
    """One source file or record cannot be read as an article."""

    code = "article_format"


class NoArticlesError(QAError):
    """A build or update found no readable article in its sources."""

    code = "no_articles"


class ModelLoadError(QAError):
    """The embedding model cannot be loaded."""

    code = "model_load"


class RemovalRefusedError(QAError):
    """An update would remove more of the index than it may without being told to."""

    code = "removal_refused"


class OptionError(QAError, ValueError):
    """An option or argument is out of its range (a top-k of 0, a chunk size of 10…)."""

    code = "option"
