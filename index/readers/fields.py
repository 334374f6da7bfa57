"""What a reader found (a dict of fields) made into an :class:`~index.documents.Article`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..documents import Article
from ..errors import ArticleFormatError
from ..normalize import normalize_text


def article_from(fields: dict[str, Any], path: Path, line: int | None = None) -> Article:
    """The article of ``fields`` (``id``, ``text``, and optionally ``title``, ``date``, ``url``,
    ``source``, ``category``, ``lang``) read from ``path`` (at record ``line`` of a JSON file).

    The text is normalised; a missing title is the file's name; empty values are ``None``.

    Raises:
        ArticleFormatError: there is no text (``no_text``).
    """
    text = normalize_text(str(fields.get("text") or ""))
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
    lang = fields.get("lang")  # None: detected when the article is indexed
    return Article(
        id=str(fields["id"]),
        title=title,
        text=text,
        date=_optional(fields.get("date")),
        url=_optional(fields.get("url")),
        source=_optional(fields.get("source")),
        category=_optional(fields.get("category")),
        lang=str(lang) if lang else None,
        path=str(path),
        line=line,
    )


def _optional(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
