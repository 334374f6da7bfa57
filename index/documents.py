"""The records of the index: articles, sentences and chunks, with their offsets."""

from __future__ import annotations

import bisect
import hashlib
import itertools
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
    ``author`` is the author its source names (a PDF's or a Word document's properties).
    ``pages`` are the offsets in ``text`` where each page of a paged source (a PDF) starts:
    page ``n`` starts at ``pages[n - 1]`` (so ``pages[0] == 0``); ``None`` for text that has no
    pages. A page without text starts where the next one does.
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
    author: str | None = None
    pages: tuple[int, ...] | None = None
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an article needs a non-empty id")
        if self.pages is not None:
            pages = tuple(self.pages)
            if not pages or pages[0] != 0 or any(b < a for a, b in itertools.pairwise(pages)):
                shown = ", ".join(map(str, pages[:5])) + (", …" if len(pages) > 5 else "")
                raise ValueError(f"pages must start at 0 and never decrease, got ({shown})")
            object.__setattr__(self, "pages", pages)
        if self.date_text is None and self.date is not None:
            object.__setattr__(self, "date_text", self.date)
        if not self.content_hash:
            object.__setattr__(self, "content_hash", _content_hash(self))

    def page_at(self, offset: int) -> int | None:
        """The page (1 for the first) on which the text at ``offset`` stands; None without pages.

        >>> Article("a", "T", "One.\\n\\nTwo.", pages=(0, 6)).page_at(6)
        2
        """
        if self.pages is None:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))


def _content_hash(article: Article) -> str:
    """The hash of what the index stores of ``article``: the date as written, and the date
    read from it only when it differs (so the hash of an article whose date was already ISO
    8601 is the one an index of format 4 holds, and an update re-reads only the others); the
    author and the pages only when there are (so an article without them keeps the hash an
    index of format 5 holds)."""
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
    if article.author is not None:
        parts.append(f"author:{article.author}")
    if article.pages is not None:
        parts.append("pages:" + ",".join(map(str, article.pages)))
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
