"""The bytes of one article file, within the size limit, and only if it is a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ArticleFormatError
from .walk import not_regular

DEFAULT_MAX_FILE_MB = 20.0


def load_bytes(path: Path, max_file_mb: float) -> bytes:
    """The file's bytes. Opened without waiting (a file replaced by a named pipe since the walk
    would block an ordinary open), and read only if it is a regular file.

    Raises:
        ArticleFormatError: it is not a regular file (``not_regular``), or it is larger than
            ``max_file_mb`` megabytes (``too_large``).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleFormatError(not_regular(path, info.st_mode).message, reason="not_regular")
        if info.st_size > max_file_mb * 1_000_000:
            raise ArticleFormatError(
                f"file is {info.st_size / 1e6:.1f} MB, over the {max_file_mb:g} MB limit; "
                "split it into smaller files or raise the limit (--max-file-mb)",
                reason="too_large",
            )
        return file.read()
