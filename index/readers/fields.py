"""What a reader found (a dict of fields) made into an :class:`~index.documents.Article`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..dates import iso_date
from ..documents import Article
from ..errors import ArticleFormatError
from ..normalize import normalize_text


def article_from(fields: dict[str, Any], path: Path, line: int | None = None) -> Article:
    """The article of ``fields`` (``id``, ``text``, and optionally ``title``, ``date``, ``url``,
    ``source``, ``category``, ``lang``, ``author``, ``pages``) read from ``path`` (at record
    ``line`` of a JSON file).

    The text is normalised; a missing title is the file's name; empty values are ``None``; the
    date is read as ISO 8601 (:func:`index.dates.iso_date`, in the article's language when the
    record gives it) and kept as written in ``date_text``. ``pages`` (offsets in the text) come
    with a text normalised already, which normalising leaves as it is.

    Raises:
        ArticleFormatError: there is no text (``no_text``).
    """
    given = str(fields.get("text") or "")
    text = normalize_text(given)
    pages = fields.get("pages")
    if pages is not None and text != given:
        raise ValueError("a reader that gives pages must give its text normalised")
    if not text:
        if path.suffix.lower() in (".json", ".jsonl"):
            raise ArticleFormatError(
                "no text: give the article a 'text' or 'paragraphs' field", reason="no_text"
            )
        raise ArticleFormatError("no article text found in this file: nothing to index", reason="no_text")
    title = (
        normalize_text(str(fields.get("title") or "")).replace("\n", " ")
        or path.stem.strip()
        or path.name.strip()
    )
    lang = str(fields["lang"]) if fields.get("lang") else None  # None: detected when indexed
    written = _optional(fields.get("date"))
    return Article(
        id=str(fields["id"]),
        title=title,
        text=text,
        date=iso_date(written, lang),
        date_text=written,
        url=_optional(fields.get("url")),
        source=_optional(fields.get("source")),
        category=_optional(fields.get("category")),
        lang=lang,
        path=str(path),
        line=line,
        author=_optional(fields.get("author")),
        pages=pages,
    )


def _optional(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
