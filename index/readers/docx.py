"""Word documents (.docx): paragraphs and tables in document order (python-docx), headings
kept as lines of their own.

The title is the paragraph in the Title style, else the document's title property, else its
first heading; the author and the creation date come from its properties. A Word document has
no pages of its own (Word lays them out when it shows it): its articles have none. A document
locked by a password, an old ``.doc`` renamed, or one that cannot be parsed is refused with a
code that says which.
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ArticleFormatError

logger = logging.getLogger(__name__)

MAX_UNPACKED_MB = 200.0
"""A document whose parts unpack to more is refused (``too_large``): a zip bomb, or not an article."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .docx, or a .doc, is an OLE container
# What python-docx's own template says: no one's name or date.
_TEMPLATE = {"author": "python-docx", "created": datetime(2013, 12, 23, 23, 15, tzinfo=UTC)}


def parse(raw: bytes, path: Path) -> dict[str, Any]:
    """The fields of the Word document ``raw``: title, text, author and date.

    Raises:
        ArticleFormatError: a password locks it or it is an old ``.doc`` (``encrypted``), it
            unpacks to more than :data:`MAX_UNPACKED_MB` (``too_large``), or it cannot be parsed
            (``bad_docx``).
    """
    document = _open(raw)
    title: str | None = None
    heading: int | None = None  # where the first heading is: the title when nothing better names it
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):  # a table: one paragraph per row, its cells separated by " | "
            paragraphs.extend(_rows(block))
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style = _style(block)
        if title is None and style == "title":
            title = text
            continue
        if heading is None and style.startswith("heading"):
            heading = len(paragraphs)
        paragraphs.append(text)
    info = _properties(document)
    if title is None:
        title = info.get("title")
    if title is None and heading is not None:
        title = paragraphs.pop(heading)  # the title is not repeated in the text
    return {
        "title": title or path.stem,
        "text": "\n\n".join(paragraphs),
        "author": info.get("author"),
        "date": info.get("date"),
    }


def _open(raw: bytes) -> Any:
    if raw.startswith(_OLE):
        raise ArticleFormatError(
            "this Word document is protected by a password, or is an old .doc file named .docx; "
            "save it from Word as an unprotected .docx and index that",
            reason="encrypted",
        )
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
        if unpacked > MAX_UNPACKED_MB * 1_000_000:
            raise ArticleFormatError(
                f"this Word document unpacks to {unpacked / 1e6:.0f} MB, over {MAX_UNPACKED_MB:g} MB; "
                "split it into smaller documents",
                reason="too_large",
            )
        return docx.Document(io.BytesIO(raw))
    except ArticleFormatError:
        raise
    except Exception as exc:  # a bad zip, a missing part, broken XML: python-docx raises each its own way
        raise ArticleFormatError(
            f"cannot read this Word document ({type(exc).__name__}: {exc}); it is damaged or not a .docx: "
            "open it in Word or LibreOffice and save it again",
            reason="bad_docx",
        ) from exc


def _style(paragraph: Any) -> str:
    """The paragraph's style name in lower case ("" when it has none)."""
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, AttributeError, ValueError):  # a style the styles part does not define
        return ""
    return (name or "").lower()


def _rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            if any(cell._tc is element for element in seen):  # a merged cell comes once per column
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _properties(document: Any) -> dict[str, str]:
    """The title, author and creation date (ISO 8601) the document's properties give."""
    try:
        props = document.core_properties
        title, author, created = props.title, props.author, props.created
    except Exception:  # damaged properties: the text is still read
        logger.debug("the properties of a Word document cannot be read", exc_info=True)
        return {}
    found: dict[str, str] = {}
    if title and title.strip():
        found["title"] = " ".join(title.split())
    if author and author.strip() and author != _TEMPLATE["author"]:
        found["author"] = " ".join(author.split())
    if isinstance(created, datetime) and created != _TEMPLATE["created"]:
        found["date"] = created.isoformat(timespec="seconds")
    return found
