"""Reading the sources a build names: files, and folders walked for article files.

Problems (a missing path, an empty or binary file, a malformed JSON line, a duplicate id…)
are collected in the :class:`ReadResult` instead of stopping the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .file_states import FileStates
from .formats import SUFFIXES, read_file
from .limits import DEFAULT_MAX_FILE_MB
from .problems import ReadProblem, ReadResult
from .walk import Skipped, files_under, not_regular


def read_sources(
    sources: Sequence[str | os.PathLike[str]],
    *,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    known: FileStates | None = None,
) -> ReadResult:
    """Read every article under ``sources`` (files, or directories searched recursively).

    An article whose id was already read is refused (the first one is kept). With ``known``
    (the index's :class:`FileStates`), a file it says is unchanged is not read: its articles'
    ids go to ``result.kept`` (with their file); the others' new states are recorded in it.

    >>> result = read_sources(["articles/"])
    >>> [a.id for a in result.articles], [str(p) for p in result.problems]
    """
    result = ReadResult()
    seen: dict[str, str] = {}
    for source in sources:
        root = Path(source).expanduser()
        if not root.exists():
            if root.is_symlink():
                message, code = (
                    "a symbolic link that leads nowhere; nothing under it is removed",
                    "broken_link",
                )
            else:
                message, code = "no such file or directory", "missing"
            result.problems.append(ReadProblem(str(root), message, code=code))
            continue
        root = root.resolve()
        result.roots.append(str(root))
        files = list(_files_under(root, result))
        if root.is_dir() and not files:
            result.problems.append(
                ReadProblem(
                    str(root), f"no article files ({', '.join(SUFFIXES)}) in this directory", code="no_files"
                )
            )
        base = root if root.is_dir() else root.parent
        result.files.extend(files)
        unchanged = known.unchanged if known is not None else lambda file, taken: None
        for file in files:
            kept = unchanged(file, seen.keys())
            if kept is not None:
                for k in kept:
                    seen[k] = result.kept[k] = file
                continue
            _read_one(Path(file), base, max_file_mb, seen, result, known)
    return result


def _read_one(
    path: Path,
    base: Path,
    max_file_mb: float,
    seen: dict[str, str],
    result: ReadResult,
    known: FileStates | None,
) -> None:
    try:
        before = path.stat()
    except OSError:
        before = None
    problems, articles = len(result.problems), len(result.articles)
    for item in read_file(path, base, max_file_mb):
        if isinstance(item, ReadProblem):
            result.problems.append(item)
        elif item.id in seen:
            result.problems.append(
                ReadProblem(
                    item.path or str(path),
                    f"duplicate article id {item.id!r} (first read from {seen[item.id]}); "
                    "skipped: give each article its own id",
                    code="duplicate",
                )
            )
        else:
            seen[item.id] = item.path or str(path)
            result.articles.append(item)
    if known is not None and before is not None and len(result.problems) == problems:
        known.record(path, before, result.articles[articles:])  # a file with a problem is read each time


def _files_under(root: Path, result: ReadResult) -> Iterator[str]:
    """The article files of ``root`` (a file, or a folder walked by :func:`.walk.files_under`);
    what is not read goes to ``result.problems``."""
    if root.is_dir():
        for found in files_under(root, SUFFIXES):
            if isinstance(found, Skipped):
                result.problems.append(ReadProblem(found.path, found.message, code=found.code))
            else:
                yield found
        return
    if root.suffix.lower() not in SUFFIXES:
        result.problems.append(
            ReadProblem(
                str(root), f"unsupported file type; use one of {', '.join(SUFFIXES)}", code="unsupported"
            )
        )
    elif not root.is_file():
        skipped = not_regular(root, root.stat().st_mode)
        result.problems.append(ReadProblem(skipped.path, skipped.message, code=skipped.code))
    else:
        yield str(root)
