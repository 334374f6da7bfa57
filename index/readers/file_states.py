"""What an index knows of its source files, so that an update skips the unchanged ones unread.

For each file read whole (no problem in it), the index keeps its size, modification time and
content hash, and the articles it gave with their content hashes, in ``files.sqlite`` beside
the index's generations. An update then takes a file as unchanged without parsing it when:

- its size, modification time and status-change time are those recorded (its stat alone); or,
  where they differ but the size is the same, its content hash is (a ``touch``, a copy that
  kept the bytes); and
- every article it gave is in the index now with the same content hash.

The second check makes the table a hint that cannot lose data: a table written by an update
that was then killed before it published, or left from another index, names articles that
the index does not hold as recorded, and the file is read again. A file whose modification
time is within :data:`RACY_SECONDS` of when it was recorded is confirmed by its hash (it may
have changed again within the file system's clock tick, as Git's "racily clean" entries).
The status-change time (``ctime``) is compared as Git compares it: a program that writes a file
and then sets its modification time back (``touch -d``, ``cp -p`` over it) cannot set ctime.

>>> states = FileStates.load(index_dir / "files.sqlite", indexed=store.article_hashes(), max_file_mb=50)
>>> states.unchanged("/home/me/articles/a.txt")      # the article ids, or None: read it
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from ..documents import Article
from ..location import local_dir, resolve_location

logger = logging.getLogger(__name__)

__all__ = ["FILE_STATES", "FileState", "FileStates", "states_path"]

FILE_STATES = "files.sqlite"
READER_VERSION = 3
"""Raised when a reader changes what a file gives, or the table's columns change: every file
is then read again once."""
RACY_SECONDS = 2.0
RACY_NS = int(RACY_SECONDS * 1e9)
UNIT, RECORD = "\x1f", "\x1e"  # between an id and its hash, and between articles


class FileState(NamedTuple):
    """One file as it was read: its stat, its content's hash, and the articles it gave, as
    stored (``id\x1fhash`` joined by ``\x1e``: a table of 100,000 files loads in a blink)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    sha: str
    articles: str
    recorded_ns: int


def states_path(location: str) -> Path:
    """Where the index at ``location`` keeps its files' states: ``files.sqlite`` in an index's
    directory, or in a directory on this machine named after an engine's URI."""
    where = resolve_location(location)
    folder = where if isinstance(where, Path) else local_dir(location, suffix="-files")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / FILE_STATES


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class FileStates:
    """The table of one index, loaded once per update; :meth:`save` writes what changed."""

    def __init__(
        self,
        path: Path | None,
        rows: dict[str, FileState],
        indexed: Mapping[str, tuple[str, str | None]],
        *,
        max_file_mb: float,
    ) -> None:
        self.path = path
        self.rows = rows
        self.indexed = indexed
        self.key = f"{READER_VERSION}:{max_file_mb:g}"
        self.changed: dict[str, FileState] = {}

    @classmethod
    def load(
        cls, path: Path | None, *, indexed: Mapping[str, tuple[str, str | None]], max_file_mb: float
    ) -> FileStates:
        """The table at ``path`` (none yet, unreadable, or of other reading settings: empty),
        checked against ``indexed`` (the index's ``{article id: (content hash, path)}``)."""
        states = cls(path, {}, indexed, max_file_mb=max_file_mb)
        if path is not None and path.exists():
            try:
                states.rows = _read_rows(path, states.key)
            except sqlite3.Error as exc:  # a damaged hint: read every file again
                logger.warning("not using %s (%s): every file is read again", path, exc)
        return states

    def unchanged(self, file: str) -> list[str] | None:
        """The ids of ``file``'s articles if it is unchanged and they are indexed as they
        were read; None when it must be read."""
        entry = self.rows.get(file)
        if entry is None:
            return None
        try:
            stat = os.stat(file)
        except OSError:
            return None
        same = (
            stat.st_mtime_ns == entry.mtime_ns
            and stat.st_size == entry.size
            and stat.st_ctime_ns == entry.ctime_ns
            and entry.mtime_ns < entry.recorded_ns - RACY_NS  # not racy
        )
        if not same:
            if stat.st_size != entry.size:
                return None
            try:
                if file_digest(Path(file)) != entry.sha:
                    return None
            except OSError:
                return None
            self.changed[file] = entry._replace(
                mtime_ns=stat.st_mtime_ns, ctime_ns=stat.st_ctime_ns, recorded_ns=time.time_ns()
            )
        ids: list[str] = []
        for pair in entry.articles.split(RECORD) if entry.articles else ():  # none: a file of no article
            article_id, _, digest = pair.partition(UNIT)
            held = self.indexed.get(article_id)
            if held is None or held[0] != digest:
                return None
            ids.append(article_id)
        return ids

    def record(self, file: Path, before: os.stat_result, articles: Sequence[Article]) -> None:
        """Keep ``file``'s state as read (``before``: its stat before it was read); a file that
        changed while it was read is not kept."""
        try:
            after = file.stat()
            sha = file_digest(file)
        except OSError:
            return
        if _stamp(after) != _stamp(before):
            return
        if any(UNIT in a.id or RECORD in a.id for a in articles):  # cannot be kept: read it each time
            return
        self.changed[str(file)] = FileState(
            before.st_size,
            before.st_mtime_ns,
            before.st_ctime_ns,
            sha,
            RECORD.join(f"{a.id}{UNIT}{a.content_hash}" for a in articles),
            time.time_ns(),
        )

    def save(self, seen: Iterable[str], roots: Sequence[str], *, replace_all: bool = False) -> None:
        """Write the files' new states; forget files under ``roots`` that were not ``seen``
        (gone), or every file not seen (``replace_all``: a build). A failure is logged, never
        raised: the table is a hint, and the index is already published."""
        if self.path is None:
            return
        seen_files = set(seen)
        under = tuple(r.rstrip("/") + "/" for r in roots)
        gone = [
            p for p in self.rows if p not in seen_files and (replace_all or p in roots or p.startswith(under))
        ]
        try:
            try:
                _write_rows(self.path, self.key, self.changed, gone, fresh=replace_all or not self.rows)
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError:  # locked, read-only…: not damaged
                    raise
                logger.warning("%s is damaged (%s): written again", self.path, exc)  # a hint: start it again
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                _write_rows(self.path, self.key, self.changed, gone, fresh=True)
        except (sqlite3.Error, OSError) as exc:
            logger.warning(
                "could not record the files' states in %s (%s); the next update reads them", self.path, exc
            )


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    """What a file's stat says of its content: size, modification and status-change times."""
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


FILES_TABLE = (
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, "
    "ctime_ns INTEGER, sha TEXT, articles TEXT, recorded_ns INTEGER)"
)


def _read_rows(path: Path, key: str) -> dict[str, FileState]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        found = connection.execute("SELECT value FROM meta WHERE key = 'reading'").fetchone()
        if found is None or found[0] != key:
            return {}
        return {row[0]: FileState(*row[1:]) for row in connection.execute("SELECT * FROM files")}
    finally:
        connection.close()


def _write_rows(
    path: Path, key: str, changed: Mapping[str, FileState], gone: Sequence[str], *, fresh: bool
) -> None:
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        with connection:
            connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            stale = connection.execute("SELECT value FROM meta WHERE key = 'reading'").fetchone()
            if fresh or stale is None or stale[0] != key:  # another table's layout may be there
                connection.execute("DROP TABLE IF EXISTS files")
            connection.execute(FILES_TABLE)
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('reading', ?)", (key,))
            connection.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
            connection.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(p, *s) for p, s in changed.items()],
            )
    finally:
        connection.close()
