"""Where an index is: a directory on this machine, or a URI of an engine that holds it.

- a directory (``my-index``, ``~/news-index``): the embedded backend (:mod:`index.embedded`);
- ``milvus://HOST:PORT/NAME`` or ``milvus-lite:PATH/FILE.db/NAME``: a Milvus server or cluster,
  or a Milvus Lite file (:mod:`index.milvus`).

Nothing here opens anything: :mod:`index.backends` chooses and opens the backend.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import settings

MILVUS_SCHEMES = ("milvus://", "milvus-lite:")


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names an index in an engine (a URI) rather than a directory."""
    return isinstance(location, str) and location.startswith(MILVUS_SCHEMES)


def resolve_location(location: str | os.PathLike[str]) -> str | Path:
    """A URI as given, a directory with ``~`` expanded."""
    return str(location) if is_remote(location) else Path(location).expanduser()


def default_index_dir() -> Path | str:
    """``$ARTICLE_QA_INDEX`` (a directory or a URI), else ``$XDG_DATA_HOME/article-qa/index``."""
    given = settings.index_location()
    return resolve_location(given) if given else settings.data_dir() / "index"


def local_dir(location: str | os.PathLike[str], *, suffix: str) -> Path:
    """A directory on this machine that goes with the index: ``DIR{suffix}`` beside an index
    directory, or for an index in an engine, one named after its URI under the data directory."""
    where = resolve_location(location)
    if isinstance(where, Path):
        return where.with_name(where.name + suffix)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", where).strip("_")
    return settings.data_dir() / "remote" / (slug + suffix)
