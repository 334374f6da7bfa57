"""Articles from the web: a page by its URL, and the items of an RSS or Atom feed.

A page is read by the same HTML reader as a file (:mod:`index.readers.html`), with what the
page says of itself: title, date, author, site name and canonical URL. Its id is its
canonical URL when the page names one on its own host (a page cannot claim another site's
article), else the URL it was fetched from, without the fragment: the same page reached by two
links is one article.

A feed (``feedparser``) gives one article per item: from the item's own content when the feed
carries the full text, otherwise from its link, fetched; the item's date and author are the
feed's. A feed is asked with its last ``ETag``/``Last-Modified``: unchanged, it costs that one
conditional request. Items already read are not fetched again unless the feed changed them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from .documents import Article
from .errors import ArticleFormatError
from .fetch import (
    ANY_SOURCE,
    DOCX_TYPES,
    FEED_TYPES,
    PAGE_TYPES,
    PDF_TYPES,
    Fetched,
    Fetcher,
    FetchError,
    check_url,
)
from .readers import ReadProblem
from .readers.decoding import decode
from .readers.fields import article_from

FULL_CONTENT_CHARS = 400
"""An item whose own content holds at least this many characters of text is read from the
feed; a shorter one (a summary) is read from its link."""
FEED_MARKS = (b"<rss", b"<feed", b"<rdf:rdf")
MAX_NEW_ITEMS = 100
"""New items read from one feed in one read; the others wait for the next (a feed of thousands of
items, hostile or not, must not make one refresh fetch thousands of pages)."""


@dataclass
class WebRead:
    """What one URL gave: its articles, its problems, what a refresh sends next time."""

    kind: str  # "page" or "feed"
    articles: list[Article] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    items: dict[str, str] = field(default_factory=dict)  # a feed's items read: link → digest
    not_modified: bool = False


def read_url(
    fetcher: Fetcher,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    items: dict[str, str] | None = None,
) -> WebRead:
    """The articles at ``url``, a page or a feed (told apart by the answer's type or its
    first bytes). ``etag``/``last_modified``/``items``: what the last read of it recorded.

    Raises:
        FetchError: the URL itself cannot be fetched (an item that cannot is a problem of the
            result, and the other items are read).
    """
    answer = fetcher.get(url, accept=ANY_SOURCE, etag=etag, last_modified=last_modified)
    if answer.not_modified:
        return WebRead(
            "feed" if items is not None else "page",
            etag=answer.etag or etag,
            last_modified=answer.last_modified or last_modified,
            items=dict(items or {}),
            not_modified=True,
        )
    if _is_feed(answer):
        read = _read_feed(fetcher, url, answer, items or {})
    else:
        read = WebRead("page")
        try:
            read.articles.append(page_article(answer, source=url))
        except ArticleFormatError as exc:
            read.problems.append(ReadProblem(url, str(exc), code=exc.data.get("reason", "unreadable")))
        except Exception as exc:  # a document its reader cannot read is that URL's problem only
            read.problems.append(ReadProblem(url, f"cannot read it ({type(exc).__name__}: {exc})"))
    # A page that could not be read, or a feed with an item left unread (it failed, or waits
    # its turn), is asked in full next time, not told that nothing changed.
    if read.articles if read.kind == "page" else not read.problems:
        read.etag, read.last_modified = answer.etag, answer.last_modified
    return read


def page_article(answer: Fetched, *, source: str, feed: dict[str, Any] | None = None) -> Article:
    """The article of a fetched HTML page, PDF or Word document; ``feed``: the item's title,
    date, author and site, which win over the page's.

    Raises:
        ArticleFormatError: not an HTML page, or no article text in it.
    """
    from .readers import docx, html, pdf

    name = _name_of(answer.url)
    if answer.content_type in PDF_TYPES or answer.content_type in DOCX_TYPES:
        read = pdf.parse if answer.content_type in PDF_TYPES else docx.parse
        fields = read(answer.body, name)  # a document's pages or headings, as from a file
        fields["id"] = article_id(answer.url, None)
        meta: dict[str, Any] = {}
    elif answer.content_type and answer.content_type not in PAGE_TYPES:
        raise ArticleFormatError(
            f"{answer.url}: a {answer.content_type} document, not a web page; not read", reason="unsupported"
        )
    else:
        text = decode(answer.body)
        fields = html.parse(text, name)
        meta = fields.pop("meta", {})
        fields["id"] = article_id(answer.url, canonical_of(text) or fields.get("url"))
        fields["author"] = meta.get("author")
    fields["url"] = fields["id"]
    fields["source"] = meta.get("site") or urlsplit(answer.url).hostname
    for key in ("title", "date", "source", "author"):
        if feed and feed.get(key):
            fields[key] = feed[key]
    return replace(article_from(fields, name), path=source)


def article_id(fetched_url: str, canonical: str | None) -> str:
    """The id of the article fetched from ``fetched_url``: the page's canonical URL when it is
    on the same host (``www.`` aside), else the URL fetched; without the fragment."""
    chosen = fetched_url
    if canonical:
        absolute = urljoin(fetched_url, canonical.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and _host(absolute) == _host(fetched_url):
            chosen = absolute
    parts = urlsplit(chosen)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def canonical_of(page: str) -> str | None:
    """The URL a page names as its own (``<link rel="canonical">``, else ``og:url``), as written."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(page)
    except Exception:  # lxml raises several unrelated types on broken markup
        return None
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        found = [str(v).strip() for v in tree.xpath(xpath) if str(v).strip()]
        if found:
            return found[0]
    return None


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _name_of(url: str) -> Path:
    """A name for a fetched page (its title when it has none), as a file's name is."""
    name = (urlsplit(url).path or "/").rstrip("/").rsplit("/", 1)[-1]
    return Path(name or urlsplit(url).hostname or "page")


def _is_feed(answer: Fetched) -> bool:
    if answer.content_type in FEED_TYPES and answer.content_type not in ("application/xml", "text/xml"):
        return True
    head = answer.body[:1024].lstrip().lower()
    return any(mark in head for mark in FEED_MARKS)


def _read_feed(fetcher: Fetcher, url: str, answer: Fetched, known: dict[str, str]) -> WebRead:
    import feedparser

    parsed = feedparser.parse(answer.body)
    read = WebRead("feed")
    if not parsed.entries and parsed.get("bozo"):
        read.problems.append(
            ReadProblem(
                url, f"not a readable RSS or Atom feed ({parsed.get('bozo_exception')})", code="bad_feed"
            )
        )
        return read
    site = (parsed.feed.get("title") or "").strip() or urlsplit(url).hostname
    fresh = 0
    for entry in parsed.entries:
        link = entry.get("link") or entry.get("id")
        if not link:
            read.problems.append(
                ReadProblem(url, "a feed item without a link or id; skipped", code="bad_record")
            )
            continue
        link = urljoin(answer.url, link)
        digest = _digest(entry)
        if known.get(link) == digest:
            read.items[link] = digest  # read before and unchanged: not fetched again
            continue
        fresh += 1
        if fresh > MAX_NEW_ITEMS:
            read.problems.append(
                ReadProblem(
                    url, f"more than {MAX_NEW_ITEMS} new items: the others are read next time", code="later"
                )
            )
            break
        item = {
            "title": entry.get("title"),
            "date": _item_date(entry),
            "author": entry.get("author"),
            "source": site,
        }
        try:
            read.articles.append(_item_article(fetcher, url, link, entry, item))
        except (FetchError, ArticleFormatError) as exc:
            code = exc.reason if isinstance(exc, FetchError) else exc.data.get("reason", "unreadable")
            read.problems.append(ReadProblem(link, str(exc).removeprefix(f"{link}: "), code=code))
            continue  # not remembered: the next refresh tries it again
        except Exception as exc:  # a document its reader cannot read is that item's problem only
            read.problems.append(ReadProblem(link, f"cannot read it ({type(exc).__name__}: {exc})"))
            continue
        read.items[link] = digest
    return read


def _item_article(fetcher: Fetcher, feed_url: str, link: str, entry: Any, item: dict[str, Any]) -> Article:
    content = "".join(c.get("value", "") for c in entry.get("content", []) or [])
    if content:
        from .readers import html

        fields = html.parse(content, _name_of(link))
        if len(fields["text"]) >= FULL_CONTENT_CHARS:
            fields.pop("meta", None)
            link_id = article_id(link, None)
            fields.update({"id": link_id, "url": link_id})
            fields.update({k: v for k, v in item.items() if v})
            return replace(article_from(fields, _name_of(link)), path=feed_url)
    page = fetcher.get(check_url(link), accept=PAGE_TYPES + PDF_TYPES + DOCX_TYPES)
    return page_article(page, source=feed_url, feed=item)


def _item_date(entry: Any) -> str | None:
    """The item's date in ISO 8601 (feedparser reads RFC 822 and the rest, in UTC), else as written."""
    for key in ("published", "updated"):
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            return datetime(*parsed[:6]).replace(tzinfo=UTC).isoformat()
        if dict.get(entry, key):
            return str(dict.get(entry, key))
    return None


def _digest(entry: Any) -> str:
    """What identifies a version of a feed item: a change to any of these re-reads it."""
    h = hashlib.sha256()
    for key in ("title", "updated", "published", "summary"):  # as the feed has them (no fallbacks)
        h.update(str(dict.get(entry, key) or "").encode())
        h.update(b"\x00")
    for content in entry.get("content", []) or []:
        h.update(str(content.get("value", "")).encode())
    return h.hexdigest()[:16]
