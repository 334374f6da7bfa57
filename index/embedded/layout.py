"""The embedded backend's directory: generations, the readers' and the writer's locks.

Layout of an index directory::

    DIR/manifest.json           the commit record (manifest_file): it names the generation
    DIR/g000007/index.sqlite    a segment: articles, sentences, chunks, full-text table (FTS5)
    DIR/g000007/vectors.faiss   its chunk vectors keyed by chunk id
    DIR/g000007/sentences.faiss its sentence vectors keyed by sentence id
    DIR/g000007/segments.json   the generation's segments and deleted articles (absent: the
                                generation is one segment, its own directory)
    DIR/g000007/.readers        held (shared lock) by every process reading the generation
    DIR/.lock                   held by the one writer

Nothing in a generation changes once ``manifest.json`` names it. A build writes one segment.
An update writes a new generation whose own directory holds a segment of only the articles
it adds, and whose ``segments.json`` names the earlier segments it keeps and the articles of
theirs it deletes (by row id): it writes what changed, not what exists. When the small
segments and the deleted articles grow past a share of the whole, the update merges
everything into one segment again (:mod:`index.embedded.writer`).

Publishing replaces ``manifest.json`` atomically (``os.replace``), so a crash or a kill at
any moment leaves the previous index whole. Readers hold a shared lock on their generation's
``.readers`` file for as long as they use it: a writer deletes an old generation only when no
reader holds it and no generation that stays names it as a segment, so a running server never
loses the files it reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import IndexDamagedError, IndexLockedError, QAError
from ..manifest import GENERATION, Manifest, rebuild_advice
from .manifest_file import MANIFEST, fsync_dir, read_manifest, write_manifest

logger = logging.getLogger(__name__)

DATABASE = "index.sqlite"
VECTORS = "vectors.faiss"
SENTENCE_VECTORS = "sentences.faiss"
SEGMENTS = "segments.json"
READERS = ".readers"
LOCK = ".lock"


@dataclass(frozen=True)
class Record:
    """What a generation is made of: its segments (directory names, oldest first) and, for
    each segment that has some, the row ids of its articles that were deleted since.

    The manifest that publishes a generation keeps its record's :meth:`digest`
    (``Manifest.segment_records``): a ``segments.json`` that no longer matches it is damage,
    refused before anything reads or deletes by it.
    """

    segments: list[str]
    deleted: dict[str, list[int]] = field(default_factory=dict)

    def digest(self) -> str:
        """The SHA-256 of the record's canonical JSON (the same whatever the file's spacing)."""
        canonical = json.dumps(
            {"segments": self.segments, "deleted": {k: sorted(v) for k, v in self.deleted.items()}},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def read(cls, gen: Path, *, digest: str | None = None) -> Record:
        """The record of generation ``gen`` (one segment, itself, when it has no ``segments.json``).

        Raises:
            IndexDamagedError: the file cannot be read, holds wrong values, names a segment that
                is missing, or does not match ``digest`` (what the manifest recorded), if given.
        """
        try:
            data = json.loads((gen / SEGMENTS).read_text(encoding="utf-8"))
        except FileNotFoundError:
            record = cls([gen.name])
        except (OSError, ValueError) as exc:
            raise damaged(gen, f"cannot be read ({exc})", problem="unreadable") from None
        else:
            record = cls._parse(data, gen)
        if digest and record.digest() != digest:
            listed = "it is missing" if not (gen / SEGMENTS).exists() else "it was changed"
            raise damaged(gen, f"does not match the manifest ({listed})", problem="mismatch")
        for name in record.segments:
            if name != gen.name and not (gen.parent / name / DATABASE).is_file():
                raise damaged(gen, f"names the segment {name}, which is missing", problem="missing_segment")
        return record

    @classmethod
    def _parse(cls, data: Any, gen: Path) -> Record:
        """The record ``data`` (decoded JSON) holds, every value checked."""
        if not isinstance(data, dict):
            raise damaged(gen, "holds no JSON object", problem="wrong_values")
        segments, deleted = data.get("segments"), data.get("deleted", {})
        if not isinstance(segments, list) or not segments:
            raise damaged(gen, "names no segment", problem="wrong_values")
        if not all(isinstance(s, str) and GENERATION.fullmatch(s) for s in segments):
            raise damaged(gen, "holds a segment name that is not a generation name", problem="wrong_values")
        numbers = [int(s[1:]) for s in segments]
        if numbers != sorted(set(numbers)):
            raise damaged(gen, "names a segment twice, or out of order", problem="wrong_values")
        if GENERATION.fullmatch(gen.name) and numbers[-1] > int(gen.name[1:]):
            raise damaged(gen, f"names a segment newer than {gen.name}", problem="wrong_values")
        if not isinstance(deleted, dict) or not all(k in segments for k in deleted):
            raise damaged(gen, "deletes articles of a segment it does not name", problem="wrong_values")
        for rows in deleted.values():
            if (
                not isinstance(rows, list)
                or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in rows)
                or len(set(rows)) != len(rows)
            ):
                raise damaged(
                    gen, "holds deleted row ids that are not distinct row ids", problem="wrong_values"
                )
        return cls(segments, {k: list(v) for k, v in deleted.items()})

    def write(self, gen: Path) -> None:
        """Write ``segments.json`` into ``gen``, durably (before the manifest names ``gen``)."""
        with open(gen / SEGMENTS, "w", encoding="utf-8") as out:
            json.dump({"segments": self.segments, "deleted": self.deleted}, out)
            out.flush()
            os.fsync(out.fileno())


def damaged(gen: Path, problem_text: str, **data: Any) -> IndexDamagedError:
    """The refusal of generation ``gen``'s ``segments.json``: what is wrong, and how to recover."""
    where = gen.parent
    return IndexDamagedError(
        f"index at {where} is damaged: {gen.name}/{SEGMENTS} {problem_text}{rebuild_advice(where)}",
        path=str(where),
        generation=gen.name,
        file=SEGMENTS,
        **data,
    )


def hold(gen: Path) -> Any:
    """Take a shared lock on ``gen``'s ``.readers`` file; None if the generation is gone or
    being deleted. (A generation written before readers locked has no such file: it is read
    without a lock, and False is returned.)"""
    if not gen.is_dir():
        return None
    try:
        handle = open(gen / READERS, "rb")  # noqa: SIM115 (held for the store's lifetime)
    except FileNotFoundError:
        return None if not gen.is_dir() else False
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # a writer holds it exclusively: it is deleting this generation
        handle.close()
        return None
    if not gen.is_dir():
        handle.close()
        return None
    return handle


def release_when_unread(gen: Path) -> Any:
    """An exclusive lock on ``gen``'s ``.readers`` file if no reader holds it (close it when
    done), True if the generation has no such file, None if a reader holds it."""
    try:
        handle = open(gen / READERS, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return True
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def current_generation(path: Path) -> str | None:
    try:
        return read_manifest(path).generation
    except QAError:  # no index yet, or a damaged one or one of another format being replaced
        return None


def new_generation(path: Path) -> Path:
    """A new, empty generation directory after every existing one (unpublished ones dropped)."""
    drop_unpublished(path)
    numbers = [int(p.name[1:]) for p in path.glob("g[0-9]*") if p.name[1:].isdigit()]
    gen = path / f"g{max(numbers, default=0) + 1:06d}"
    try:
        gen.mkdir()
        (gen / READERS).touch()
    except FileExistsError:  # another's: not ours to remove
        raise
    except BaseException:  # a signal turned into an exception, say: leave no empty generation
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return gen


def drop_unpublished(path: Path) -> None:
    """Delete generations newer than the published one: a killed writer left them.

    Only when the manifest can be read (or there is none at all): with a damaged manifest,
    which generation is the real one is unknown, and nothing is deleted.
    """
    if (path / MANIFEST).exists():
        current = current_generation(path)
        if current is None:
            return
    else:
        current = ""
    for stale in path.glob("g[0-9]*"):
        if stale.is_dir() and stale.name > current:
            shutil.rmtree(stale, ignore_errors=True)
    for tmp in path.glob(f".{MANIFEST}.*.tmp"):  # a manifest write that was killed
        tmp.unlink(missing_ok=True)


def remove_old_generations(path: Path, keep: set[str | None], digests: dict[str, str]) -> None:
    """Drop generations that are neither current nor the one just replaced, unless a reader
    (a running server, a question being answered) still holds one, or a generation that stays
    reads it as a segment: those go in a later update.

    ``digests`` are the records' digests the manifest keeps, by generation. Which segments a
    generation reads is known only from its ``segments.json``: if that of any generation that
    stays cannot be read, does not match its digest, or has none recorded, nothing is deleted.
    """
    staying = {name for name in keep if name}
    unread: dict[str, Any] = {}  # generation -> its exclusively held ``.readers`` (or True)
    try:
        for old in sorted(path.glob("g[0-9]*")):
            if old.name in staying or not old.is_dir():
                continue
            held = release_when_unread(old)
            if held is None:
                logger.info("kept %s: a reader still uses it", old.name)
                staying.add(old.name)
            else:
                unread[old.name] = held
        referenced: set[str] = set()
        for name in staying:
            if (path / name).is_dir():
                if name not in digests:
                    logger.info("kept every generation: the manifest has no digest of %s/%s", name, SEGMENTS)
                    return
                try:
                    referenced.update(Record.read(path / name, digest=digests[name]).segments)
                except IndexDamagedError as exc:
                    logger.warning("kept every generation: %s", exc)
                    return
        for name in unread:
            if name not in referenced:
                shutil.rmtree(path / name, ignore_errors=True)
    finally:
        for held in unread.values():
            if held is not True:
                held.close()


def copy_generation(path: Path, manifest: Manifest, record: Record, target: Path) -> None:
    """Copy generation ``manifest.generation`` of the index at ``path`` (whose segments
    ``record`` names) into ``target``, a new index directory: each segment's files, the
    generation's ``segments.json``, and the manifest last, which makes ``target`` an index.

    Other generations are left behind. The caller holds the generation (a reader's lock) so
    that no writer deletes it meanwhile; a copy that fails leaves ``target`` empty.
    """
    current = manifest.generation
    existed = target.is_dir()
    target.mkdir(parents=True, exist_ok=True)
    try:
        for name in dict.fromkeys([*record.segments, current]):
            source, copy = path / name, target / name
            copy.mkdir()
            for file in (DATABASE, VECTORS, SENTENCE_VECTORS, *([SEGMENTS] if name == current else [])):
                if (source / file).exists():
                    shutil.copyfile(source / file, copy / file)
                    with open(copy / file, "rb") as written:
                        os.fsync(written.fileno())
            (copy / READERS).touch()
            fsync_dir(copy)
        digest = manifest.segment_records.get(current)
        write_manifest(replace(manifest, segment_records={current: digest} if digest else {}), target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        if existed:
            target.mkdir(exist_ok=True)
        raise


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """Hold ``DIR/.lock``; a second writer gets :class:`IndexLockedError` at once."""
    with open(path / LOCK, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLockedError(
                f"another build or update ({holder}) is writing to {path}; "
                "wait for it to finish, then run yours again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
