"""The records of the index: articles, sentences and chunks, with their offsets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One article, its normalised text and its metadata.

    ``text`` is the body the offsets of sentences and chunks refer to; the title is kept
    apart. ``path`` is the file the article was read from, when there is one, and ``line`` the
    line or record number in it (JSON Lines and JSON files hold many articles). ``lang`` is the
    record's own; when it is None, indexing detects it (the content hash is of what was read,
    so an unchanged article is recognised without detecting its language again).
    """

    id: str
    title: str
    text: str
    date: str | None = None
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
        if not self.content_hash:
            object.__setattr__(self, "content_hash", _content_hash(self))


def _content_hash(article: Article) -> str:
    h = hashlib.sha256()
    for part in (
        article.title,
        article.text,
        article.date,
        article.url,
        article.source,
        article.category,
        article.lang,
    ):
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
