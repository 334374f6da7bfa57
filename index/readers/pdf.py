"""PDF articles (.pdf): the text layer of each page (pypdf), the offsets where pages start kept
so that a citation can name its page.

Each page's text is normalised on its own and the pages are joined by a paragraph break: page
``n`` of the article starts at ``pages[n - 1]`` (:class:`~index.documents.Article`). The title
is the document's own (its properties), else its first line; the author and the creation date
come from its properties. A PDF without a text layer (a scan), one locked by a password, or
one that cannot be parsed is refused with a code that says which.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

from ..errors import ArticleFormatError
from ..normalize import normalize_text, plain_key

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
"""A longer first line is a paragraph, not a title: the file's name is the title then."""

_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[^\W\d_])")  # "exam-\nple": one word cut at a line's end
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?\s*(?:([Zz])|([+-])(\d{2})'?(\d{2})?'?)?"
)
# Titles that name a file or a program, not the article ("Microsoft Word - note.docx").
_NOT_A_TITLE = re.compile(
    r"^(?:microsoft \w+ - |untitled\b)|\.(?:docx?|odt|rtf|pdf|indd|tex|qxd|pages)$", re.I
)


def parse(raw: bytes, path: Path) -> dict[str, Any]:
    """The fields of the PDF ``raw``: title, text, pages, author and date.

    Raises:
        ArticleFormatError: it cannot be parsed (``bad_pdf``), a password locks it
            (``encrypted``), or no page has text (``no_text_layer``).
    """
    reader = _open(raw)
    extracted = [_page_text(reader, n) for n in range(len(reader.pages))]
    page_texts = [normalize_text(text) for text in extracted]
    if not any(page_texts):
        raise ArticleFormatError(
            "this PDF has no text layer (a scan?); run OCR on it first (ocrmypdf, say) and index the result",
            reason="no_text_layer",
        )
    info = _properties(reader)
    title = info.get("title")
    first = next(n for n, text in enumerate(page_texts) if text)
    line, _, rest = extracted[first].strip().partition("\n")
    line = normalize_text(line)
    if title is None and len(line) <= MAX_TITLE_CHARS:
        title = line
    if title is not None and plain_key(line) == plain_key(title):
        page_texts[first] = normalize_text(rest)  # the title is not repeated in the text
    text, pages = join_pages(page_texts)
    return {
        "title": title or path.stem,
        "text": text,
        "pages": pages,
        "author": info.get("author"),
        "date": info.get("date"),
    }


def join_pages(page_texts: list[str]) -> tuple[str, tuple[int, ...]]:
    """The pages' normalised texts joined by paragraph breaks, and where each page starts.

    >>> join_pages(["One.", "", "Two."])
    ('One.\\n\\nTwo.', (0, 4, 6))
    """
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for text in page_texts:
        if text and parts:
            at += 2  # the paragraph break before this page
        starts.append(at)
        if text:
            parts.append(text)
            at += len(text)
    return "\n\n".join(parts), tuple(starts)


def _open(raw: bytes) -> Any:
    """A reader of the PDF ``raw``, decrypted when it opens without a password."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    # Its warnings are about its own repairs of malformed files, not something a user can act on.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # a PDF that only restricts printing or copying
            except DependencyError as exc:
                raise ArticleFormatError(
                    "this PDF is encrypted (AES) and reading it needs the cryptography package: "
                    "pip install cryptography, or save an unencrypted copy and index that",
                    reason="encrypted",
                ) from exc
            if not opened:
                raise ArticleFormatError(
                    "this PDF is protected by a password; save a copy without it "
                    "(or print it to a new PDF) and index that",
                    reason="encrypted",
                )
        len(reader.pages)  # the page tree: where a damaged file usually fails
    except ArticleFormatError:
        raise
    except Exception as exc:  # pypdf fails on damaged files in many ways, not only PyPdfError
        raise ArticleFormatError(
            f"cannot read this PDF ({type(exc).__name__}: {exc}); it is damaged or not a PDF: "
            "open it in a PDF reader and save or export it again",
            reason="bad_pdf",
        ) from exc
    return reader


def _page_text(reader: Any, number: int) -> str:
    """Page ``number``'s text layer, its lines as extracted ("" when it has none or it cannot
    be read); a word cut by a hyphen at a line's end is joined again, its hyphen kept."""
    try:
        text = reader.pages[number].extract_text() or ""
    except Exception as exc:  # one damaged page is that page's only: the others are read
        logger.warning(
            "page %d of a PDF cannot be read (%s: %s); left out", number + 1, type(exc).__name__, exc
        )
        return ""
    return _HYPHEN_BREAK.sub(r"\1-", text)


def _properties(reader: Any) -> dict[str, str]:
    """The title, author and creation date (ISO 8601) the document's properties give."""
    try:
        meta = reader.metadata
        found: dict[str, str | None] = {
            "title": _text(meta.get("/Title")),
            "author": _text(meta.get("/Author")),
            "date": _date(_text(meta.get("/CreationDate"))),
        } if meta is not None else {}  # fmt: skip
    except Exception:  # damaged properties: the text is still read
        logger.debug("the properties of a PDF cannot be read", exc_info=True)
        return {}
    title = found.get("title")
    if title and _NOT_A_TITLE.search(title):
        found["title"] = None
    return {k: v for k, v in found.items() if v is not None}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = value.get_object() if hasattr(value, "get_object") else value
    text = " ".join(str(value).split())
    return text or None


def _date(written: str | None) -> str | None:
    """A PDF date (``D:20120522100000+02'00'``) as ISO 8601; None without a day."""
    match = _PDF_DATE.match(written or "")
    if match is None:
        return None
    year, month, day, hour, minute, second, utc, sign, zone_h, zone_m = match.groups()
    day_iso = f"{year}-{month}-{day}"
    if hour is None:
        return day_iso
    clock = f"{day_iso}T{hour}:{minute}:{second or '00'}"
    if utc:
        return clock + "+00:00"
    if sign:
        return f"{clock}{sign}{zone_h}:{zone_m or '00'}"
    return clock
