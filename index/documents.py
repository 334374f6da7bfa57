"""The records of the index: articles, sentences and chunks, with their offsets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One article, its normalised text and its metadata.

    ``text`` is the body the offsets of sentences and chunks refer to; the title is kept
    apart. ``date`` is ISO 8601 (:mod:`index.dates`: what date filters compare; ``None`` when
    the source gives none or one that names no day), ``date_text`` the date as the source
    wrote it, for display (``date`` when not given). ``path`` is the file the article was read from, when there is one, and ``line`` the
    line or record number in it (JSON Lines and JSON files hold many articles). ``lang`` is the
    record's own; when it is None, indexing detects it (the content hash is of what was read,
    so an unchanged article is recognised without detecting its language again).
    """

    id: str
    title: str
    text: str
    date: str | None = None
    date_text: str | None = None
    url: str | None = None
    source: str | None = None
    category: str | None = None
    lang: str | None = None
    path: str | None = None
    line: int | None = None
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an article needs a non-empty id")
        if self.date_text is None and self.date is not None:
            object.__setattr__(self, "date_text", self.date)
        if not self.content_hash:
            object.__setattr__(self, "content_hash", _content_hash(self))


def _content_hash(article: Article) -> str:
    """The hash of what the index stores of ``article``: the date as written, and the date
    read from it only when it differs (so the hash of an article whose date was already ISO
    8601 is the one an index of format 4 holds, and an update re-reads only the others)."""
    h = hashlib.sha256()
    parts = [
        article.title,
        article.text,
        article.date_text,
        article.url,
        article.source,
        article.category,
        article.lang,
    ]
    if article.date != article.date_text:
        parts.append(f"date:{article.date or ''}")
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: ``article.text[start:end] == text``."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences ``first_sentence..last_sentence`` (inclusive) of an article."""

    article_id: str
    ordinal: int
    first_sentence: int
    last_sentence: int
    start: int
    end: int
    text: str
    id: int | None = None
