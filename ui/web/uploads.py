"""Taking uploaded article files into the upload area, safely.

A file's name comes from the browser: only its last component is kept, and the resolved
destination must lie directly in the upload area, so ``../`` or an absolute path cannot
write anywhere else. Types are checked by extension, sizes against a limit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.readers import SUFFIXES

MAX_UPLOAD_MB = 20.0
"""The largest file accepted, as the indexer's own limit (``index`` skips larger files)."""


@dataclass(frozen=True)
class Rejected:
    """A file that was not taken, and why (in English, for the report)."""

    name: str
    reason: str
    code: str = "refused"

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class Accepted:
    """What :meth:`UploadArea.accept` did with a batch of files."""

    saved: list[Path] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class UploadArea:
    """A directory that receives uploaded article files, one flat level of safe names.

    Args:
        root: the directory (created when needed).
        max_mb: the largest file accepted, in megabytes.
        suffixes: the accepted extensions (those the indexer reads).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_mb: float = MAX_UPLOAD_MB,
        suffixes: Iterable[str] = SUFFIXES,
    ) -> None:
        if max_mb <= 0:
            raise ValueError(f"max_mb must be > 0, got {max_mb}")
        self.root = Path(root)
        self.max_bytes = int(max_mb * 1_000_000)
        self.suffixes = tuple(s.lower() for s in suffixes)

    def accept(
        self,
        files: Iterable[tuple[str, str | os.PathLike[str]]],
        *,
        received_in: str | os.PathLike[str] | None = None,
    ) -> Accepted:
        """Copy each ``(name the browser gave, temporary file)`` in; refuse the unsafe ones.

        With ``received_in`` (the web server's folder of uploaded files), a temporary file must
        be a regular file inside it: a client that names any other server path gets nothing.
        """
        result = Accepted()
        for name, source in files:
            try:
                if received_in is not None and not was_received(Path(source), Path(received_in)):
                    raise UploadRefused("not a file uploaded to this page", "not_uploaded")
                result.saved.append(self.save(name, Path(source)))
            except UploadRefused as refused:
                result.rejected.append(Rejected(name, str(refused), refused.code))
        return result

    def save(self, name: str, source: Path) -> Path:
        """Copy ``source`` into the area as ``name`` (sanitised); return where it went.

        Raises:
            UploadRefused: the name, the type or the size is not acceptable.
        """
        safe = safe_name(name)
        if Path(safe).suffix.lower() not in self.suffixes:
            raise UploadRefused(
                f"unsupported file type; use one of {', '.join(self.suffixes)}", "unsupported"
            )
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise UploadRefused(
                f"cannot read the uploaded file ({exc.strerror or exc})", "unreadable"
            ) from exc
        if size == 0:
            raise UploadRefused("empty file", "empty")
        if size > self.max_bytes:
            raise UploadRefused(
                f"larger than {self.max_bytes / 1_000_000:g} MB ({size / 1_000_000:.1f} MB)", "too_large"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        root = self.root.resolve()
        target = root / safe
        if target.resolve().parent != root or target.is_symlink():
            raise UploadRefused("the name does not stay inside the upload area", "bad_name")
        # Written under a hidden temporary name, then renamed: the indexer skips dot files
        # and never sees half a file.
        with tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False) as out:
            try:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out)
            except OSError:
                os.unlink(out.name)
                raise
        os.replace(out.name, target)
        return target


def was_received(source: Path, folder: Path) -> bool:
    """``source`` is a regular file (not a link) inside ``folder``, once both are resolved."""
    try:
        if source.is_symlink() or not source.is_file():
            return False
        return folder.resolve() in source.resolve().parents
    except OSError:
        return False


class UploadRefused(ValueError):
    """An uploaded file cannot be taken (its name, type or size); ``code`` says which, as data."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def safe_name(name: str) -> str:
    """The last component of ``name``, without control characters or leading dots.

    Raises:
        UploadRefused: nothing usable is left (``..``, ``/``, an empty name).
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if not base or base in (".", ".."):
        raise UploadRefused("no usable file name", "bad_name")
    if len(base.encode("utf-8")) > 200:
        stem, suffix = os.path.splitext(base)
        base = stem.encode("utf-8")[: 200 - len(suffix.encode("utf-8"))].decode("utf-8", "ignore") + suffix
    return base
