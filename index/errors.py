"""The exception hierarchy of article-qa.

Every error the library raises on purpose is a :class:`QAError`. Messages say what was wrong
and what to do about it; only the edges (command line, web app) turn them into user text.
The hierarchy lives here, in the lowest package, so that ``index`` and ``qa`` share it.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error article-qa raises on purpose."""


class IndexNotFoundError(QAError):
    """No index at the given directory."""


class IndexMismatchError(QAError):
    """The index was built with another model or another format version."""


class IndexLockedError(QAError):
    """Another build or update is writing to the index."""


class IndexExistsError(QAError):
    """A build would replace an existing index without ``rebuild``."""


class ArticleFormatError(QAError):
    """One source file or record cannot be read as an article."""


class NoArticlesError(QAError):
    """A build or update found no readable article in its sources."""


class ModelLoadError(QAError):
    """The embedding model cannot be loaded."""


class IndexDamagedError(QAError):
    """The index's files cannot be read (a truncated manifest, a missing database…)."""


class RemovalRefusedError(QAError):
    """An update would remove more of the index than it may without being told to."""


class OptionError(QAError, ValueError):
    """An option or argument is out of its range (a top-k of 0, a chunk size of 10…)."""
