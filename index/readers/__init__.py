"""Reading articles: sources walked, files read within limits and decoded, one reader per format.

Every reader turns a file's text into :class:`~index.documents.Article` records with
normalised text; a file or record that cannot be read becomes a :class:`ReadProblem` and the
others are still read.

>>> from index.readers import read_sources
>>> result = read_sources(["articles/"])
"""

from __future__ import annotations

from .formats import SUFFIXES
from .limits import DEFAULT_MAX_FILE_MB
from .problems import ReadProblem, ReadResult
from .sources import read_sources

__all__ = ["DEFAULT_MAX_FILE_MB", "SUFFIXES", "ReadProblem", "ReadResult", "read_sources"]
