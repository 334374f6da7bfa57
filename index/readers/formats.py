"""Which reader reads a file: one per format, chosen by the file's suffix.

Every file is read the same way first (its bytes within the size limit, refused when empty);
text formats are then decoded, binary ones (PDF, Word) go to their reader as bytes. A failure
of any kind is that file's :class:`ReadProblem`, never the whole read's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from ..documents import Article
from ..errors import ArticleFormatError
from . import docx, html, json_records, markdown, pdf, text
from .decoding import decode
from .fields import article_from
from .limits import load_bytes
from .problems import ReadProblem

logger = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf", ".docx")
_BINARY = {".pdf": pdf.parse, ".docx": docx.parse}
"""Readers of bytes, by suffix: never decoded as text."""


def read_file(path: Path, base: Path, max_file_mb: float) -> Iterator[Article | ReadProblem]:
    """The articles of the file ``path``, and its problems; ids are paths relative to ``base``."""
    try:
        raw = load_bytes(path, max_file_mb)
        rel = path.relative_to(base).as_posix()
        suffix = path.suffix.lower()
        if suffix in _BINARY:
            if not raw.strip():
                raise ArticleFormatError("empty file: nothing to index", reason="empty")
            yield article_from({"id": rel, **_BINARY[suffix](raw, path)}, path)
            return
        content = decode(raw)
        if not content.strip():  # nothing, blanks, or only a byte-order mark
            raise ArticleFormatError("empty file: nothing to index", reason="empty")
        if suffix == ".jsonl":
            yield from json_records.read_jsonl(content, path, rel)
            return
        if suffix == ".json":
            yield from json_records.read_json(content, path, rel)
            return
        if suffix in (".html", ".htm"):
            fields = html.parse(content, path)
        elif suffix in (".md", ".markdown"):
            fields = markdown.parse(content, path)
        else:
            fields = text.parse(content, path)
        yield article_from({"id": rel, **fields}, path)
    except ArticleFormatError as exc:
        yield ReadProblem(str(path), str(exc), code=exc.data.get("reason", "unreadable"))
    except OSError as exc:
        yield ReadProblem(str(path), f"cannot read the file: {exc.strerror or exc}")
    except Exception as exc:  # any other failure on one file is that file's problem only
        logger.debug("reading %s failed", path, exc_info=True)
        yield ReadProblem(str(path), f"cannot read the file ({type(exc).__name__}: {exc}); skipped")
