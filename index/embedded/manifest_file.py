"""The embedded backend's commit record: ``DIR/manifest.json``, read and replaced atomically.

Publishing a generation is replacing this one file (:func:`write_manifest`); what it holds is
an :class:`~index.manifest.Manifest`, whose values :meth:`~index.manifest.Manifest.parse` checks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import IndexDamagedError, IndexNotFoundError
from ..manifest import Manifest, rebuild_advice

MANIFEST = "manifest.json"


def read_manifest(index_dir: Path) -> Manifest:
    """Read ``DIR/manifest.json``.

    Raises:
        IndexNotFoundError: there is no manifest (no index there).
        IndexDamagedError: there is one, but it cannot be read or holds wrong values.
        IndexMismatchError: it is of another format version.
    """
    path = index_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index at {index_dir}: build one with `article-qa index build SOURCE... --index {index_dir}`"
        ) from None
    except NotADirectoryError:
        raise IndexNotFoundError(f"no index at {index_dir}: it is a file, not a directory") from None
    except (OSError, ValueError) as exc:
        raise IndexDamagedError(
            f"index at {index_dir} is damaged: cannot read {path} ({exc}){rebuild_advice(index_dir)}",
            path=str(index_dir),
            file=MANIFEST,
        ) from exc
    return Manifest.parse(data, index_dir, what=str(path))


def write_manifest(manifest: Manifest, index_dir: Path) -> None:
    """Publish ``manifest`` atomically: write a temporary file, fsync, rename."""
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        out.write(manifest.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, index_dir / MANIFEST)
    fsync_dir(index_dir)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a file created or renamed in it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
