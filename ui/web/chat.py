"""The conversation of one page, and the handlers that ask and open citations.

The conversation lives on the server (:mod:`ui.web.conversations`, named by the page's id):
the page only ever sends back a question, the filters, and the key of a citation to open,
never HTML or offsets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qa import Answer, Filters, OptionError, QAError, Turn, clean_question

from . import render
from .i18n import error_text, text
from .state import LiveAssistant

MAX_TOP_K = 20
DRAFT_SECONDS = 0.1
"""A composed answer is shown as it is written at most this often."""
MAX_EXCHANGES = 50
"""A conversation keeps its last exchanges only (the page is sent whole after each answer)."""


@dataclass
class Exchange:
    """A question and what came back: an answer, or a message saying why there is none."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    detail: str | None = None
    draft: str = ""  # a composed answer while it is written

    @property
    def pending(self) -> bool:
        return self.answer is None and self.error is None


@dataclass(frozen=True)
class Target:
    """What the reading panel shows: an article, and the span to highlight in it."""

    article_id: str
    start: int
    end: int
    text: str
    label: str


@dataclass
class Conversation:
    """The exchanges of one session, oldest first."""

    exchanges: list[Exchange] = field(default_factory=list)

    def turns(self) -> list[Turn]:
        """The answered exchanges, as the ``history`` of the next question."""
        return [Turn(e.question, e.answer.text) for e in self.exchanges if e.answer is not None]

    def target(self, key: str) -> Target | None:
        """The citation (``"2.1"``) or related passage (``"2.p3"``) a key names, if any."""
        turn, _, item = (key or "").partition(".")
        if not turn.isdigit() or int(turn) >= len(self.exchanges):
            return None
        answer = self.exchanges[int(turn)].answer
        if answer is None:
            return None
        if item.isdigit():
            for c in answer.citations:
                if c.number == int(item):
                    return Target(c.article_id, c.start, c.end, c.text, "cited_sentence")
        elif item.startswith("p") and item[1:].isdigit() and 1 <= int(item[1:]) <= len(answer.passages):
            p = answer.passages[int(item[1:]) - 1]
            return Target(p.article_id, p.start, p.end, p.text, "passage_read")
        return None


class InputError(ValueError):
    """A filter the person typed cannot be used; the message is in their language."""


def submit(question: str | None, conversation: Conversation) -> tuple[str, Conversation]:
    """Take a question into the conversation (it shows at once); clear the box.

    A blank question changes nothing, nor does one sent before the last answer came: it
    stays in the box, to send again.
    """
    asked = clean_question(question or "")
    if not asked or (conversation.exchanges and conversation.exchanges[-1].pending):
        return question or "", conversation
    kept = conversation.exchanges[-(MAX_EXCHANGES - 1) :]
    return "", Conversation([*kept, Exchange(asked)])


def parse_date(value: str | float | None, lang: str) -> str | None:
    """A date typed or picked (``2012-06-30``, or a datetime) as ISO ``YYYY-MM-DD``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(text(lang, "err_option_type", option="date", expected=text(lang, "type_date")))
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value).date().isoformat()
        except (OverflowError, OSError, ValueError):
            raise InputError(text(lang, "err_option_not_a_date", value=f"{value:g}")) from None
    typed = value.strip()
    try:
        return date.fromisoformat(typed).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(typed).date().isoformat()
    except ValueError:
        raise InputError(text(lang, "err_option_not_a_date", value=typed)) from None


def make_filters(
    category: str | None, date_from: str | float | None, date_to: str | float | None, lang: str
) -> Filters | None:
    """The :class:`qa.Filters` of the filter panel (``None`` when nothing is set).

    Raises:
        InputError: a date is not a date.
        qa.OptionError: the range is reversed (``Filters`` checks it).
    """
    start, end = parse_date(date_from, lang), parse_date(date_to, lang)
    if not (category or start or end):
        return None
    return Filters(category=category or None, date_from=start, date_to=end)


def respond(
    live: LiveAssistant,
    conversation: Conversation,
    *,
    category: str | None = None,
    date_from: str | float | None = None,
    date_to: str | float | None = None,
    top_k: float | None = None,
    lang: str = "fr",
) -> Conversation:
    """Answer the pending question with quoted sentences, using the earlier turns as context.

    Errors of the question or the filters (any :class:`qa.QAError`) become the exchange's
    message for the person; anything else is a bug and propagates.
    """
    *_, last = respond_stream(
        live, conversation, category=category, date_from=date_from, date_to=date_to, top_k=top_k, lang=lang
    )
    return last


def respond_stream(
    live: LiveAssistant,
    conversation: Conversation,
    *,
    category: str | None = None,
    date_from: str | float | None = None,
    date_to: str | float | None = None,
    top_k: float | None = None,
    lang: str = "fr",
    compose: bool = False,
    every: float = DRAFT_SECONDS,
) -> Iterator[Conversation]:
    """:func:`respond`, composed by the app's language model if ``compose`` (and one is
    configured): the conversation with the draft as it grows (at most every ``every``
    seconds), then with the checked answer, last."""
    if not conversation.exchanges or not conversation.exchanges[-1].pending:
        yield conversation
        return
    *earlier, pending = conversation.exchanges
    done = Exchange(pending.question)
    composer = live.composer if compose else None
    started, kind = time.perf_counter(), "internal"
    try:
        k, filters = _options(category, date_from, date_to, top_k, lang)
        shown = 0.0
        for part in live.current.ask_stream(
            pending.question,
            history=Conversation(earlier).turns(),
            filters=filters,
            top_k=k,
            answerer=composer,
        ):
            if isinstance(part, Answer):
                done.answer = part
            elif time.monotonic() - shown >= every:
                shown = time.monotonic()
                yield Conversation([*earlier, Exchange(pending.question, draft=part)])
    except InputError as exc:
        done.error, kind = str(exc), "option"
    except QAError as exc:
        done.error, kind = error_text(exc, lang), exc.code
    except GeneratorExit:  # the page went away while the answer was written
        kind = "cancelled"
        raise
    finally:  # a bug is counted too, then goes on to Gradio
        observed(live, pending.question, "web", started, done.answer, kind)
    yield Conversation([*earlier, done])


def answer_json(
    live: LiveAssistant,
    question: str,
    *,
    category: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    top_k: float | None = None,
    lang: str = "fr",
    compose: bool = False,
) -> dict[str, Any]:
    """One question answered for the HTTP API, without a conversation: ``Answer.to_dict()``,
    or ``{"error": message, "code": ...}`` with the message in ``lang``. ``compose`` has the
    app's language model compose it, if one is configured."""
    started, kind, answer = time.perf_counter(), "internal", None
    try:
        _typed(lang, question=(question, str), category=(category, str), composed=(compose, bool))
        k, filters = _options(category, date_from, date_to, top_k, lang)
        composer = live.composer if compose else None
        answer = live.current.ask(clean_question(question or ""), filters=filters, top_k=k, answerer=composer)
        return answer.to_dict()
    except InputError as exc:
        kind = "option"
        return {"error": str(exc), "code": "option"}
    except QAError as exc:
        kind = exc.code
        return {"error": error_text(exc, lang), "code": exc.code}
    finally:
        observed(live, question if isinstance(question, str) else "", "api", started, answer, kind)


def observed(
    live: LiveAssistant, question: str, channel: str, started: float, answer: Answer | None, kind: str
) -> None:
    """Count a question in the app's monitor (if it has one): its ``answer``, or the error's ``kind``."""
    if live.monitor is not None:
        error = None if answer is not None else kind
        live.monitor.question(
            question, answer=answer, error=error, seconds=time.perf_counter() - started, channel=channel
        )


_TYPE_WORDS = {str: "type_text", bool: "type_bool", int: "type_number"}


def _typed(lang: str, **fields: tuple[object, type]) -> None:
    """Each field is ``None`` or of its type; else :class:`InputError` naming it (an API
    client can send any JSON)."""
    for name, (value, kind) in fields.items():
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            expected = text(lang, _TYPE_WORDS[kind])
            raise InputError(text(lang, "err_option_type", option=name, expected=expected))


def _options(
    category: str | None,
    date_from: str | float | None,
    date_to: str | float | None,
    top_k: float | None,
    lang: str,
) -> tuple[int | None, Filters | None]:
    """The ``top_k`` and :class:`qa.Filters` of the filter panel, checked."""
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, int | float) or not math.isfinite(top_k)
    ):
        raise InputError(text(lang, "err_option_type", option="top_k", expected=text(lang, "type_number")))
    _typed(lang, category=(category, str))
    k = int(top_k) if top_k is not None else None
    if k is not None and not 1 <= k <= MAX_TOP_K:
        raise OptionError(
            f"top_k must be within 1..{MAX_TOP_K}, got {k}", option="top_k", low=1, high=MAX_TOP_K, value=k
        )
    return k, make_filters(category, date_from, date_to, lang)


def message_html(conversation: Conversation, lang: str) -> list[tuple[str, str]]:
    """The chat's messages as ``(role, html)``: each question, then its answer (or that it is
    being looked for)."""
    messages: list[tuple[str, str]] = []
    for turn, exchange in enumerate(conversation.exchanges):
        messages.append(("user", render.question_html(exchange.question)))
        if exchange.answer is not None:
            messages.append(("assistant", render.answer_html(exchange.answer, turn, lang)))
        elif exchange.error is not None:
            messages.append(("assistant", render.error_html(exchange.error, lang, detail=exchange.detail)))
        elif exchange.draft:
            messages.append(("assistant", render.draft_html(exchange.draft, lang)))
        else:  # asked, not answered yet: said in words, not by Gradio's animated loader
            messages.append(("assistant", render.pending_html(lang)))
    return messages


def citation_choices(conversation: Conversation) -> list[tuple[str, str]]:
    """``(label, key)`` of the latest answer's citations, for the list beside the reader."""
    for turn in range(len(conversation.exchanges) - 1, -1, -1):
        answer = conversation.exchanges[turn].answer
        if answer is not None and answer.citations:
            return [
                (f"[{c.number}] {c.title} — {_clip(c.text, 80)}", render.citation_key(turn, c.number))
                for c in answer.citations
            ]
    return []


def open_target(live: LiveAssistant, conversation: Conversation, key: str | None, lang: str) -> str:
    """The reading panel for a citation key: the whole article, the sentence highlighted.

    If the index changed since the answer, the sentence is looked for again in the article.
    """
    target = conversation.target(key or "")
    if target is None:
        return render.notice_html(text(lang, "unknown_citation"))
    try:
        article = live.current.store.article(target.article_id)
    except KeyError:
        return render.notice_html(text(lang, "article_gone"))
    start, end = target.start, target.end
    if article.text[start:end] != target.text:
        found = article.text.find(target.text)
        start, end = (found, found + len(target.text)) if found != -1 else (-1, -1)
    if start < 0:
        return render.article_html(article, None, None, lang)
    passage = target.label == "passage_read"
    return render.article_html(article, start, end, lang, label=text(lang, target.label), passage=passage)


def opened_first(live: LiveAssistant, conversation: Conversation, lang: str) -> tuple[str, str] | None:
    """The latest answer's [1] as the reading panel opens it: ``(its key, the panel's HTML)``,
    or ``None`` when that answer cites nothing."""
    answer = conversation.exchanges[-1].answer if conversation.exchanges else None
    if answer is None or not answer.citations:
        return None
    key = render.citation_key(len(conversation.exchanges) - 1, answer.citations[0].number)
    return key, open_target(live, conversation, key, lang)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
