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
the index does not hold as recorded, and the file is read again. It needs the hashes of every
article in the index, so the table records the manifest (:meth:`index.manifest.Manifest.digest`)
of the generation it was checked against: when that is still the index's, the table is
``trusted`` and the check is not made again. An update writes it only after it published,
with the rows that it read or confirmed and those that still hold, its changes considered
(:meth:`FileStates.save`); anything else that publishes (a removal, a compaction, an upload,
an update killed before it saved) leaves the table naming an older manifest. A file whose modification
time is within :data:`RACY_SECONDS` of when it was recorded is confirmed by its hash (it may
have changed again within the file system's clock tick, as Git's "racily clean" entries).
The status-change time (``ctime``) is compared as Git compares it: a program that writes a file
and then sets its modification time back (``touch -d``, ``cp -p`` over it) cannot set ctime.

>>> states = FileStates.load(index_dir / "files.sqlite", stamp=store.manifest.digest(), max_file_mb=50)
>>> if not states.trusted:
...     states.indexed = store.article_hashes()
>>> states.unchanged("/home/me/articles/a.txt")      # the article ids, or None: read it
>>> states.save(files_seen, roots, stamp=published.digest(), touched=changed_and_removed_ids)
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence, Set
from operator import itemgetter
from pathlib import Path

from ..documents import Article
from ..location import local_dir, resolve_location

logger = logging.getLogger(__name__)

__all__ = ["FILE_STATES", "FileState", "FileStates", "states_path"]

FILE_STATES = "files.sqlite"
READER_VERSION = 4
"""Raised when a reader changes what a file gives, or the table's columns change: every file
is then read again once."""
RACY_SECONDS = 2.0
RACY_NS = int(RACY_SECONDS * 1e9)
UNIT, RECORD = "\x1f", "\x1e"  # between an id and its hash, and between articles


FileState = tuple[str, int, int, int, str, str, int]
"""One file as it was read, as its row in the table: its path, size, modification and
status-change times (ns), its content's hash, the articles it gave (``id\x1fhash`` joined by
``\x1e``) and when it was recorded (ns). Plain tuples, as sqlite3 gives them: a table of
100,000 files loads in about 0.2 s, and a named tuple built for each row added 0.1 s."""


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
        indexed: Mapping[str, tuple[str, str | None]] | None = None,
        *,
        max_file_mb: float,
        trusted: bool = False,
    ) -> None:
        self.path = path
        self.rows = rows
        self.indexed = indexed  # the index's {article id: (content hash, path)}, unless trusted
        self.trusted = trusted
        self.key = f"{READER_VERSION}:{max_file_mb:g}"
        self.changed: dict[str, FileState] = {}
        self.confirmed: set[str] = set()  # files found unchanged, their articles indexed as read

    @classmethod
    def load(cls, path: Path | None, *, stamp: str, max_file_mb: float) -> FileStates:
        """The table at ``path`` (none yet, unreadable, or of other reading settings: empty),
        ``trusted`` when it describes the generation whose manifest digest is ``stamp``.
        Until it is, set ``indexed`` (the index's ``{article id: (content hash, path)}``) to
        check it against: a row of an untrusted table is taken for nothing."""
        states = cls(path, {}, max_file_mb=max_file_mb)
        if path is not None and path.exists():
            try:
                states.rows, describes = _read_rows(path, states.key)
            except sqlite3.Error as exc:  # a damaged hint: read every file again
                logger.warning("not using %s (%s): every file is read again", path, exc)
            else:
                states.trusted = describes == stamp
        return states

    def unchanged(self, file: str, taken: Set[str] = frozenset()) -> list[str] | None:
        """The ids of ``file``'s articles if it is unchanged and they are indexed as they
        were read, none of them ``taken`` (read from another file already); None when it
        must be read."""
        entry = self.rows.get(file)
        if entry is None:
            return None
        try:
            stat = os.stat(file)
        except OSError:
            return None
        _, size, mtime_ns, ctime_ns, sha, articles, recorded_ns = entry
        same = (
            stat.st_mtime_ns == mtime_ns
            and stat.st_size == size
            and stat.st_ctime_ns == ctime_ns
            and mtime_ns < recorded_ns - RACY_NS  # not racy
        )
        if not same:
            if stat.st_size != size:
                return None
            try:
                if file_digest(Path(file)) != sha:
                    return None
            except OSError:
                return None
        if self.trusted:
            ids = _ids(articles)
            if not taken.isdisjoint(ids):
                return None
        else:
            pairs = _pairs(articles)
            ids = [article_id for article_id, _, _ in pairs]
            if not taken.isdisjoint(ids) or not _held(pairs, self.indexed or {}):
                return None
        if not same:  # the same bytes under a new stat: kept with it
            self.changed[file] = (
                file,
                size,
                stat.st_mtime_ns,
                stat.st_ctime_ns,
                sha,
                articles,
                time.time_ns(),
            )
        self.confirmed.add(file)
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
        self.changed[str(file)] = (
            str(file),
            before.st_size,
            before.st_mtime_ns,
            before.st_ctime_ns,
            sha,
            RECORD.join(f"{a.id}{UNIT}{a.content_hash}" for a in articles),
            time.time_ns(),
        )

    def save(
        self,
        seen: Iterable[str],
        roots: Sequence[str],
        *,
        stamp: str | None,
        touched: Set[str] = frozenset(),
        replace_all: bool = False,
    ) -> None:
        """Write the files' new states; forget files under ``roots`` that were not ``seen``
        (gone), or every file not seen (``replace_all``: a build). ``stamp``: the digest of
        the manifest just published, which the table then describes; ``touched``: the ids of
        the articles that publication changed or removed. A row this update neither recorded
        nor confirmed stays only if it still holds: it held before (the table was trusted, or
        its articles are ``indexed`` as recorded) and names no touched article; the others are
        forgotten (their files are read next time). A failure is logged, never raised: the
        table is a hint, and the index is already published."""
        if self.path is None:
            return
        under = tuple(r.rstrip("/") + "/" for r in roots)
        gone = [p for p in self.rows.keys() - set(seen) if replace_all or p in roots or p.startswith(under)]
        if not replace_all:
            gone += self._stale(set(gone), touched)
        try:
            try:
                _write_rows(
                    self.path, self.key, self.changed, gone, fresh=replace_all or not self.rows, stamp=stamp
                )
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError:  # locked, read-only…: not damaged
                    raise
                logger.warning("%s is damaged (%s): written again", self.path, exc)  # a hint: start it again
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                _write_rows(self.path, self.key, self.changed, gone, fresh=True, stamp=stamp)
        except (sqlite3.Error, OSError) as exc:
            logger.warning(
                "could not record the files' states in %s (%s); the next update reads them", self.path, exc
            )

    def _stale(self, gone: set[str], touched: Set[str]) -> list[str]:
        """The rows kept from before that no longer vouch for the index (see :meth:`save`)."""
        if self.trusted and not touched:
            return []
        stale = []
        # Most rows were confirmed: the others are found by set operations, in C.
        for path in self.rows.keys() - self.confirmed - self.changed.keys() - gone:
            pairs = _pairs(self.rows[path][5])  # its articles
            if any(a in touched for a, _, _ in pairs) or not (
                self.trusted or _held(pairs, self.indexed or {})
            ):
                stale.append(path)
        return stale


def _ids(articles: str) -> list[str]:
    """A row's article ids (:func:`_pairs`' first items, without the pairs)."""
    if RECORD not in articles:  # one article (or none), as most files give
        return [articles.partition(UNIT)[0]] if articles else []
    return [pair.partition(UNIT)[0] for pair in articles.split(RECORD)]


def _pairs(articles: str) -> list[tuple[str, str, str]]:
    """A row's articles as ``(id, UNIT, content hash)``; none for a file of no article."""
    return [pair.partition(UNIT) for pair in articles.split(RECORD)] if articles else []


def _held(pairs: Sequence[tuple[str, str, str]], indexed: Mapping[str, tuple[str, str | None]]) -> bool:
    """Whether every ``(id, _, content hash)`` of ``pairs`` is in ``indexed`` with that hash."""
    for article_id, _, digest in pairs:
        held = indexed.get(article_id)
        if held is None or held[0] != digest:
            return False
    return True


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    """What a file's stat says of its content: size, modification and status-change times."""
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


COLUMNS = "path, size, mtime_ns, ctime_ns, sha, articles, recorded_ns"  # a FileState's order
FILES_TABLE = (
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, "
    "ctime_ns INTEGER, sha TEXT, articles TEXT, recorded_ns INTEGER)"
)


def _read_rows(path: Path, key: str) -> tuple[dict[str, FileState], str | None]:
    """The rows, and the digest of the manifest they describe (None: none)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        if meta.get("reading") != key:
            return {}, None
        enabled = gc.isenabled()
        gc.disable()  # 100,000 rows hold no cycle: a collection would only walk them (0.2 s)
        try:
            rows = connection.execute(f"SELECT {COLUMNS} FROM files").fetchall()
            return dict(zip(map(itemgetter(0), rows), rows, strict=True)), meta.get("describes")
        finally:
            if enabled:
                gc.enable()
    finally:
        connection.close()


def _write_rows(
    path: Path,
    key: str,
    changed: Mapping[str, FileState],
    gone: Sequence[str],
    *,
    fresh: bool,
    stamp: str | None,
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
            connection.execute("DELETE FROM meta WHERE key = 'describes'")
            if stamp is not None:  # in the same transaction as the rows it vouches for
                connection.execute("INSERT INTO meta VALUES ('describes', ?)", (stamp,))
            connection.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
            connection.executemany(
                f"INSERT OR REPLACE INTO files ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                list(changed.values()),
            )
    finally:
        connection.close()
