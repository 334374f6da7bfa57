"""What article-qa makes once per machine from the files its packages install, and keeps in
``~/.cache/article-qa`` (:func:`.settings.cache_dir`): the questions' graph
(:mod:`.embedders.e5_onnx`) and the language identifier's model, unpacked
(:mod:`.langid_model`).

Each is named by its source file's size and modification time and by the version of its
making, so a reinstalled package or a new way of making gets its own; an older one that no
process has used for a day is removed when a new one is made beside it. Everything here is
optional: a cache that cannot be written is made again in memory by the process that needs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .settings import cache_dir

UNUSED_S = 86_400.0
"""An older making (see :func:`clear_stale`) unused for this long is removed."""
_NAME = re.compile(r"(?P<stem>.+)-\d+-\d+-v\d+(?P<suffix>\.\w+)?")  # made_path's names
MAKING = ".making-"  # a making in progress: a folder of its own beside where it will go


def made_path(source: Path, folder: str, version: int, suffix: str = "") -> Path:
    """Where what is made from the file ``source`` is kept, in the cache's ``folder``."""
    stat = source.stat()
    return cache_dir() / folder / f"{source.stem}-{stat.st_size}-{stat.st_mtime_ns}-v{version}{suffix}"


@contextlib.contextmanager
def making(path: Path) -> Iterator[Path]:
    """A folder beside ``path`` to make it in: what the block leaves there under ``path``'s
    name (a file or a folder) then takes ``path``'s place whole, and what its source made
    before is cleared (:func:`clear_stale`). Nothing is left of a block that fails, and what a
    killed making left is removed by a later one (:func:`clear_leftovers`).

    Raises:
        OSError: the cache cannot be written, or another process has just put a folder at ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_leftovers(path.parent)
    with tempfile.TemporaryDirectory(prefix=MAKING, dir=path.parent) as work:
        yield Path(work)
        os.replace(Path(work) / path.name, path)
    clear_stale(path)


def mark_used(path: Path) -> None:
    """Note that a process loads what is at ``path`` (its modification time: :func:`clear_stale`)."""
    with contextlib.suppress(OSError):  # a read-only cache: what is in it is kept
        os.utime(path)


def clear_stale(path: Path, unused_s: float = UNUSED_S) -> None:
    """Remove what ``path``'s source made before (an older install of its package, another
    version of the making) that no process has used for ``unused_s`` seconds. Another
    environment's install of the same package keeps its own while it is used."""
    mine = _NAME.fullmatch(path.name)
    if mine is None:
        return
    for other in path.parent.iterdir():
        theirs = _NAME.fullmatch(other.name)
        if (
            other != path
            and theirs is not None
            and (theirs["stem"], theirs["suffix"]) == (mine["stem"], mine["suffix"])
            and idle(other, unused_s)
        ):
            remove(other)


def clear_leftovers(folder: Path, older_than_s: float = 600.0) -> None:
    """Remove what a making (:func:`making`) killed midway left in ``folder``."""
    for leftover in folder.glob(MAKING + "*"):
        if idle(leftover, older_than_s):
            remove(leftover)


def idle(path: Path, seconds: float) -> bool:
    """Whether ``path`` was last modified more than ``seconds`` ago (False: gone meanwhile)."""
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def remove(path: Path) -> None:
    """Remove a file or a folder, if it can be."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
