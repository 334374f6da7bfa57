"""HTML for answers, citations, articles and the index panel.

Article titles and text are untrusted: every piece of text goes through :func:`esc`, and
attributes hold only escaped text or numbers. Nothing here imports Gradio; the output is
shown by ``gr.HTML``, which does not sanitise, so escaping here is the only defence.
Elements that open an article carry ``data-aq-open="KEY"``, a key of the conversation
(see :mod:`ui.web.chat`), never an article id or offsets taken back from the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from urllib.parse import urlsplit

from index import Article
from qa import Answer, Citation, Passage

from .i18n import text

CONTEXT_CHARS = 220
"""How much of its passage is shown on each side of a cited sentence."""

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}  # fmt: skip

_MARKER = re.compile(r"\[(\d+)\]")


def esc(value: object) -> str:
    """``value`` as HTML text: escaped, quotes included, line breaks kept as ``<br>``."""
    return html.escape(str(value), quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def esc_compact(value: str) -> str:
    """Like :func:`esc`, a paragraph break shown as one line break (for excerpts)."""
    return esc(re.sub(r"\s*\n\s*", "\n", value))


def format_date(value: str | None, lang: str) -> str:
    """``2012-07-04`` as ``4 juillet 2012`` or ``July 4, 2012``; other values as given.

    Articles and passages are shown with their date as the source wrote it (``date_text``):
    an ISO date is shown in words, an RSS or French one as it is.
    """
    if not value:
        return text(lang, "undated")
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    month = MONTHS.get(lang, MONTHS["en"])[day.month - 1]
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def meta_html(title: str, when: str | None, category: str | None, lang: str, page: int | None = None) -> str:
    """The line naming an article: its title, date and category, and the page cited in it."""
    parts = [
        f'<span class="aq-title">{esc(title)}</span>',
        f'<span class="aq-date">{esc(format_date(when, lang))}</span>',
    ]
    if category:
        parts.append(f'<span class="aq-category">{esc(category)}</span>')
    if page is not None:
        parts.append(f'<span class="aq-page">{esc(text(lang, "page", page=page))}</span>')
    return '<span class="aq-meta">' + '<span class="aq-sep"> · </span>'.join(parts) + "</span>"


def excerpt(text_: str, start: int, end: int, context: int = CONTEXT_CHARS) -> tuple[str, str, str, str, str]:
    """``text_`` around ``[start, end)``: (lead ellipsis, before, the span, after, tail ellipsis).

    The context is cut at a space so no word is split; the span itself is never cut.
    """
    a = max(0, start - context)
    b = min(len(text_), end + context)
    if a > 0:
        space = text_.find(" ", a, start)
        a = space + 1 if space != -1 else a
    if b < len(text_):
        space = text_.rfind(" ", end, b)
        b = space if space != -1 else b
    return (
        "…" if a > 0 else "",
        text_[a:start],
        text_[start:end],
        text_[end:b],
        "…" if b < len(text_) else "",
    )


def _highlighted(passage_text: str, start: int, end: int, expected: str) -> str:
    """The passage around the sentence, the sentence in ``<mark>``; the sentence alone if offsets disagree."""
    if not (0 <= start < end <= len(passage_text)) or passage_text[start:end] != expected:
        return f'<mark class="aq-hl">{esc(expected)}</mark>'
    lead, before, span, after, tail = excerpt(passage_text, start, end)
    return f'{lead}{esc_compact(before)}<mark class="aq-hl">{esc(span)}</mark>{esc_compact(after)}{tail}'


def citation_key(turn: int, number: int) -> str:
    return f"{turn}.{number}"


def passage_key(turn: int, number: int) -> str:
    return f"{turn}.p{number}"


def citation_html(citation: Citation, key: str, lang: str) -> str:
    """One cited sentence, inside its passage, under the title, date and category of its
    article; under it, the site that published it and a link to the original (http/https only)."""
    passage = citation.passage
    offset = citation.start - passage.start
    body = _highlighted(passage.text, offset, offset + len(citation.text), citation.text)
    parts = [f'<span class="aq-site">{esc(passage.source)}</span>'] if passage.source else []
    parts += [link] if (link := original_link(passage.url, lang)) else []
    origin = f'<p class="aq-origin">{SEP.join(parts)}</p>' if parts else ""
    origin += also_published_html(citation, lang)
    return (
        f'<li class="aq-cite" id="aq-cite-{esc(key)}">'
        f'<div class="aq-cite-head"><span class="aq-num">{citation.number}</span>'
        f"{meta_html(citation.title, passage.date_text or passage.date, passage.category, lang, citation.page)}</div>"
        f'<blockquote class="aq-passage">{body}</blockquote>{origin}'
        f'<button type="button" class="aq-open" data-aq-open="{esc(key)}">{esc(text(lang, "read_article"))} →</button>'
        "</li>"
    )


def also_published_html(citation: Citation, lang: str) -> str:
    """The other sources of the cited article's story, each linked to its page (http/https
    only), with how many there are; nothing for a story told once."""
    n = citation.also_published_count
    if not n:
        return ""
    lead = text(lang, "also_published_one") if n == 1 else text(lang, "also_published", n=n)
    named = [
        original_link(p.url, lang, label=p.source or p.title) or f"<span>{esc(p.source or p.title)}</span>"
        for p in citation.also_published
    ]
    more = SEP + "…" if n > len(named) else ""
    return f'<p class="aq-also">{esc(lead)} {SEP.join(named)}{more}</p>'


def _linked_markers(answer_text: str, keys: Mapping[int, str], lang: str) -> str:
    """The answer text, escaped, its ``[n]`` markers made into links to their citations."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in keys:
            return match.group(0)
        label = esc(f"{text(lang, 'read_article')} [{number}]")
        return (
            f'<a href="#" class="aq-ref" data-aq-open="{esc(keys[number])}" '
            f'title="{label}" aria-label="{label}">{number}</a>'
        )

    return _MARKER.sub(link, esc(answer_text))


def passage_html(passage: Passage, key: str, lang: str) -> str:
    """A related passage, shown when the assistant abstains."""
    lead, _, _, after, tail = excerpt(passage.text, 0, 0, context=2 * CONTEXT_CHARS)
    return (
        '<li class="aq-cite aq-related">'
        f'<div class="aq-cite-head">{meta_html(passage.title, passage.date_text or passage.date, passage.category, lang)}</div>'
        f'<blockquote class="aq-passage">{lead}{esc_compact(after)}{tail}</blockquote>'
        f'<button type="button" class="aq-open" data-aq-open="{esc(key)}">{esc(text(lang, "read_article"))} →</button>'
        "</li>"
    )


def answer_html(answer: Answer, turn: int, lang: str) -> str:
    """An answer as the chat shows it: the text with linked markers, then each citation.

    An abstention says so, in the question's language, and lists the passages read.
    """
    if answer.abstained:
        related = "".join(
            passage_html(p, passage_key(turn, n), lang) for n, p in enumerate(answer.passages, 1)
        )
        listing = (
            f'<p class="aq-related-title">{esc(text(lang, "related"))}</p><ol class="aq-cites">{related}</ol>'
            if related
            else ""
        )
        declined = answer.check is not None and answer.check.declined
        said = (
            f'<p class="aq-check">{esc(text(lang, "declined_by", model=answer.check.model))}</p>'
            if declined and answer.check is not None
            else f'<p class="aq-hint">{esc(text(lang, "not_found_hint"))}</p>'
        )
        return (
            f'<div class="aq-answer aq-abstained" lang="{esc(answer.language)}">'
            f'<p class="aq-text"><span class="aq-icon" aria-hidden="true">∅</span>{esc(answer.text)}</p>'
            f"{said}{listing}</div>"
        )
    keys = {c.number: citation_key(turn, c.number) for c in answer.citations}
    cites = "".join(citation_html(c, keys[c.number], lang) for c in answer.citations)
    composed = " aq-composed" if answer.mode == "composed" else ""
    return (
        f'<div class="aq-answer{composed}" lang="{esc(answer.language)}">'
        f'<p class="aq-text">{_linked_markers(answer.text, keys, lang)}</p>{check_html(answer, lang)}'
        f'<p class="aq-sources-title">{esc(text(lang, "sources"))}</p>'
        f'<ol class="aq-cites">{cites}</ol></div>'
    )


def check_html(answer: Answer, lang: str) -> str:
    """How a composed answer was checked: who wrote it, the claims removed and why, or why
    the quoted answer is shown instead. Nothing for a plain quoted answer."""
    check = answer.check
    if check is None:
        return ""
    if check.fallback:
        head = f'<p class="aq-check aq-fallback">{esc(text(lang, "fallback_" + check.fallback, model=check.model))}</p>'
    else:
        head = f'<p class="aq-check">{esc(text(lang, "composed_by", model=check.model))}</p>'
    removed = "".join(
        f'<li><s class="aq-claim">{esc(c.text)}</s> <span class="aq-why">'
        f"{esc(text(lang, 'claim_' + (c.reason or 'distant'), detail=c.detail))}</span></li>"
        for c in check.removed
    )
    if removed:
        title = esc(text(lang, "removed_claims"))
        head += f'<div class="aq-removed"><p class="aq-removed-title">{title}</p><ul>{removed}</ul></div>'
    return head


def draft_html(draft: str, lang: str) -> str:
    """A composed answer while it is being written (not checked yet, markers not linked)."""
    return (
        f'<div class="aq-answer aq-draft" aria-busy="true"><p class="aq-text">{esc(draft)}</p>'
        f'<p class="aq-check">{esc(text(lang, "drafting"))}</p></div>'
    )


def pending_html(lang: str) -> str:
    """In place of an answer while it is looked for: a line of text, no animation (the page of
    each person waiting would draw it 60 times a second)."""
    return f'<div class="aq-pending" aria-busy="true">{esc(text(lang, "searching"))}</div>'


def question_html(question: str) -> str:
    return f'<div class="aq-question">{esc(question)}</div>'


def error_html(message: str, lang: str, *, detail: str | None = None) -> str:
    """A message for the user in place of an answer (an error of theirs or of the index)."""
    more = f'<p class="aq-detail">{esc(detail)}</p>' if detail else ""
    return (
        f'<div class="aq-answer aq-error" role="alert"><p class="aq-text">'
        f'<span class="aq-icon" aria-hidden="true">!</span>{esc(message)}</p>{more}</div>'
    )


SEP = '<span class="aq-sep"> · </span>'


def original_link(url: str | None, lang: str, *, label: str | None = None) -> str:
    """A link to the article's web page (``label``: its words, else "original article"), for
    http(s) addresses only (nothing otherwise)."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return ""
    return (
        f'<a class="aq-source" href="{esc(url)}" target="_blank" '
        f'rel="noopener noreferrer nofollow">{esc(label or text(lang, "open_source"))}</a>'
    )


def _source_link(url: str | None, lang: str) -> str:
    """:func:`_original` after a separator, in a line of metadata."""
    link = original_link(url, lang)
    return SEP + link if link else ""


def article_html(
    article: Article,
    start: int | None,
    end: int | None,
    lang: str,
    *,
    label: str | None = None,
    passage: bool = False,
) -> str:
    """A whole article for the reading panel, ``[start, end)`` highlighted as the target.

    The target carries ``class="aq-target"`` so that the page scrolls it into view; a
    ``passage`` (several sentences) is highlighted more softly than a cited sentence.
    """
    body = article.text
    if start is not None and end is not None and 0 <= start < end <= len(body):
        title = esc(label or text(lang, "cited_sentence"))
        kind = "aq-soft" if passage else "aq-hl"
        shown = (
            f'{esc(body[:start])}<mark class="{kind} aq-target" title="{title}">'
            f"{esc(body[start:end])}</mark>{esc(body[end:])}"
        )
    else:
        shown = esc(body)
    return (
        f'<article class="aq-article" lang="{esc(article.lang or "")}">'
        f'<header class="aq-article-head"><h2 class="aq-article-title">{esc(article.title)}</h2>'
        f'<p class="aq-article-meta">{esc(format_date(article.date_text, lang))}'
        + (f'<span class="aq-sep"> · </span>{esc(article.category)}' if article.category else "")
        + (f'<span class="aq-sep"> · </span>{esc(article.source)}' if article.source else "")
        + _source_link(article.url, lang)
        + f'</p></header><div class="aq-article-body">{shown}</div></article>'
    )


def notice_html(message: str, *, kind: str = "info") -> str:
    """A one-line message in a panel (``kind``: info, error)."""
    return f'<p class="aq-notice aq-notice-{esc(kind)}">{esc(message)}</p>'


def report_html(
    lang: str,
    *,
    summary: str,
    problems: Iterable[str] = (),
    missing: Sequence[str] = (),
    failed: bool = False,
) -> str:
    """The outcome of an upload or a rebuild: a summary, then what was not indexed."""
    parts = [notice_html(summary, kind="error" if failed else "info")]
    listed = list(problems)
    if listed:
        items = "".join(f"<li>{esc(p)}</li>" for p in listed)
        parts.append(
            f'<p class="aq-report-title">{esc(text(lang, "report_problems"))}</p><ul class="aq-problems">{items}</ul>'
        )
    if missing:
        items = "".join(f"<li>{esc(p)}</li>" for p in missing)
        parts.append(
            f'<p class="aq-report-title">{esc(text(lang, "report_missing"))}</p><ul class="aq-problems">{items}</ul>'
        )
    return f'<div class="aq-report">{"".join(parts)}</div>'
