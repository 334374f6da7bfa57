"""Finding the article files of a source folder: one walk, whatever its links, depth or odd files.

The rule for symbolic links: a link is followed, to a file or to a folder, inside the source or
outside it, as if it were what it points to (a folder moved elsewhere and linked back keeps its
articles and their ids). A link that is not followed is reported, never passed over in
silence, so that an update keeps the articles it had under that name:

- a link to nothing (its target is gone, or links point at each other in a circle);
- a link to a folder the walk is already in (a loop), or to one it has read under another name
  (each folder is read once: real folders first, then those reached only through links).

Only regular files are read. A named pipe, a device or a socket named like an article is
reported and never opened (opening a pipe waits for a writer). Folders are walked with a list,
not by recursion, so any depth the system allows is read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path


@dataclass(frozen=True)
class Skipped:
    """A path the walk did not read, and why (``code`` as in :class:`index.readers.ReadProblem`)."""

    path: str
    message: str
    code: str


KEPT = "its articles are kept"
_name = attrgetter("name")


def files_under(root: Path, suffixes: Sequence[str]) -> Iterator[str | Skipped]:
    """The files under the folder ``root`` whose suffix is one of ``suffixes`` (their paths, as
    strings: sorted, a folder's files before its subfolders'), and what could not be read, as
    :class:`Skipped`.

    Names starting with a dot are left out, as before.
    """
    try:
        top = root.stat()
    except OSError as exc:
        yield _unlisted(root, exc)
        return
    seen: dict[tuple[int, int], Path] = {(top.st_dev, top.st_ino): root}  # folders read, by identity
    linked: list[Path] = []  # links to folders, followed once the real folders are read
    pending = [root]
    while pending:
        yield from _walk(pending.pop(), suffixes, seen, linked)
        while not pending and linked:
            link = linked.pop(0)
            try:
                info = link.stat()
            except OSError as exc:
                yield _broken(link, exc)
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                yield _revisit(link, seen[key])
                continue
            seen[key] = link
            pending.append(link)


def _walk(
    top: Path, suffixes: Sequence[str], seen: dict[tuple[int, int], Path], linked: list[Path]
) -> Iterator[str | Skipped]:
    """Walk the real folders under ``top`` (a stack, depth first), putting links to folders aside."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = [e for e in listing if not e.name.startswith(".")]
        except OSError as exc:
            yield _unlisted(folder, exc)
            continue
        entries.sort(key=_name)
        subfolders: list[Path] = []
        for entry in entries:
            if entry.is_file(follow_symlinks=False):  # most entries: asked first
                mode = stat.S_IFREG
            elif entry.is_symlink():
                path = folder / entry.name
                try:
                    mode = path.stat().st_mode  # what it leads to
                except OSError as exc:
                    yield _broken(path, exc)
                    continue
                if stat.S_ISDIR(mode):
                    linked.append(path)
                    continue
            elif entry.is_dir(follow_symlinks=False):
                path = folder / entry.name
                try:
                    info = entry.stat()
                except OSError as exc:
                    yield _unlisted(path, exc)
                    continue
                key = (info.st_dev, info.st_ino)
                if key in seen:  # a bind mount, say
                    yield _revisit(path, seen[key])
                else:
                    seen[key] = path
                    subfolders.append(path)
                continue
            else:
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError:
                    mode = 0
            name = entry.name
            if name[name.rfind(".") :].lower() in suffixes:  # the name has no leading dot; no dot: ""
                yield entry.path if stat.S_ISREG(mode) else not_regular(Path(entry.path), mode)
        stack.extend(reversed(subfolders))


def not_regular(path: Path, mode: int) -> Skipped:
    """A file that is not a regular file: reported, never opened."""
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return Skipped(str(path), f"{kind}, not a regular file: skipped, never opened", "not_regular")


def _unlisted(folder: Path, exc: OSError) -> Skipped:
    where = exc.filename or str(folder)
    return Skipped(str(where), f"cannot list this directory ({exc.strerror or exc}); {KEPT}", "unlisted")


def _broken(link: Path, exc: OSError) -> Skipped:
    why = "links that lead to each other" if exc.errno == errno.ELOOP else "its target is missing"
    try:
        target = f" → {os.readlink(link)}"
    except OSError:
        target = ""
    return Skipped(
        str(link), f"a symbolic link that leads nowhere{target} ({why}); not followed, {KEPT}", "broken_link"
    )


def _revisit(link: Path, first: Path) -> Skipped:
    if first == link or first in link.parents:
        return Skipped(str(link), f"a link back to {first}, a folder above it (a loop); not followed", "loop")
    return Skipped(
        str(link), f"the same folder as {first}, read there; not read twice, {KEPT}", "same_folder"
    )
