"""The chat as the page draws it: its HTML, and the script that asks its questions.

A quoted answer is asked with one plain call to the server (a ``gr.HTML`` server function),
not through a Gradio event: Gradio updates the status of every component at each step of an
event, and eight pages asking at once spent 170 ms of CPU per answer that way against 113-130
now, p95 0.63-0.69 s against 0.34-0.42 (docs/benchmarks.md, stop 42). A composed answer
is still a Gradio event, since it streams. Either way the server renders the chat's HTML (the
article text escaped there, :mod:`ui.web.render`); the script only puts it in the page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import chat
from .chat import Conversation, message_html
from .i18n import LANGUAGES, language, text
from .render import esc

if TYPE_CHECKING:
    from .conversations import Conversations
    from .state import LiveAssistant


def chat_html(conversation: Conversation, lang: str, examples: Sequence[str] = ()) -> str:
    """The chat: each question and its answer, or, while it is empty, what to ask."""
    if not conversation.exchanges:
        buttons = "".join(
            f'<button type="button" class="aq-example" data-aq-ask="{esc(q)}">{esc(q)}</button>'
            for q in examples
        )
        return (
            f'<div class="aq-log aq-log-empty" role="log"><p class="aq-placeholder">'
            f'{esc(text(lang, "chat_placeholder"))}</p><div class="aq-examples">{buttons}</div></div>'
        )
    rows = "".join(
        f'<div class="aq-row {role}-row">{body}</div>' for role, body in message_html(conversation, lang)
    )
    return f'<div class="aq-log" role="log" aria-label="{esc(text(lang, "chat"))}">{rows}</div>'


def ask_quoted(
    live: LiveAssistant, pages: Conversations, payload: Any, *, at_once: threading.BoundedSemaphore
) -> dict[str, Any]:
    """The page's question, quoted, in one plain call (:data:`CHAT_JS`): ``{"html": the chat,
    "reader": [1]'s article or None}``, or ``{"html": None}`` if it was not taken (blank, or
    sent before the last answer came). ``payload`` comes from the page, so it may be any JSON:
    ``page``, ``question``, ``lang``, and the filters as the page shows them. A wrong filter is
    said in the chat (:func:`chat.respond`); ``at_once`` bounds the questions answered at once."""
    given = payload if isinstance(payload, dict) else {}
    lang, page = language(given.get("lang")), given.get("page")
    question, category = given.get("question"), given.get("category")
    _, taken = pages.take(page, question if isinstance(question, str) else None)
    if taken is None:
        return {"html": None}
    if isinstance(category, str) and category in ALL_CATEGORIES:  # the list shows its labels
        category = ""
    now = taken
    try:
        with at_once:
            now = chat.respond(
                live, taken, category=category or None, date_from=given.get("date_from") or None,
                date_to=given.get("date_to") or None, top_k=given.get("top_k"), lang=lang,
            )  # fmt: skip
    finally:
        pages.settle(page, taken, now)
    first = chat.opened_first(live, now, lang)  # the reader opens [1] at its sentence
    return {"html": chat_html(now, lang), "reader": first[1] if first else None}


NO_CATEGORY = "—"
"""The category list's one choice before the page has loaded (it may still show it after)."""

ALL_CATEGORIES = {NO_CATEGORY, *(text(lang, "all_categories") for lang in LANGUAGES)}
"""The "all" choice of the category list as the page shows it, in any of its languages."""

PENDING_MS = 200
"""A question and "searching…" are drawn if its answer has not come after this long (under
load: eight pages drawing them spent 14-27 ms of CPU more on each answer, stop 42)."""

_WORDS = json.dumps({lang: {k: text(lang, k) for k in ("searching", "ask_failed")} for lang in LANGUAGES})

CHAT_JS = (
    """
const pageId = (crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));
window.__aqPage = pageId;
const WORDS = """
    + _WORDS
    + """;
const PENDING_MS = """
    + str(PENDING_MS)
    + """;
const lang = () => document.documentElement.lang || navigator.language || '';
const say = (key) => (WORDS[lang().slice(0, 2).toLowerCase()] || WORDS.en)[key];
const box = () => document.querySelector('#aq-question textarea');
const value = (selector) => { const el = document.querySelector(selector); return el ? el.value : ''; };
const composed = () => (document.querySelector('#aq-mode input:checked') || {}).value === 'composed';
let busy = false, started = 0;  // started: conversations begun on this page (New conversation)
const row = (role, cls, words) => {
  const outer = document.createElement('div'); outer.className = 'aq-row ' + role + '-row';
  const inner = document.createElement('div'); inner.className = cls; inner.textContent = words;
  outer.appendChild(inner); return outer;
};
const giveBack = (question) => {  // not taken: the question stays in the box, to send again
  const t = box();
  if (t && !t.value) { t.value = question; t.dispatchEvent(new Event('input', {bubbles: true})); }
};
const drawnOn = (chat, rows) => {  // the chat's HTML with rows added (their text set as text)
  const page = document.createElement('template');
  page.innerHTML = chat;
  const log = page.content.querySelector('.aq-log');
  if (!log) return chat;
  if (log.classList.contains('aq-log-empty')) { log.textContent = ''; log.classList.remove('aq-log-empty'); }
  rows.forEach((r) => log.appendChild(r));
  return log.outerHTML;
};
const ask = async (question) => {
  if (busy || !question.trim()) return;
  busy = true;
  // The chat changes only through its props, so that what the server sends next is drawn.
  const before = props.value, mine = started;
  let drawn = false;
  const waiting = setTimeout(() => {  // drawn only if the answer is slow to come: it costs a frame
    const wait = row('assistant', 'aq-pending', say('searching'));
    wait.firstChild.setAttribute('aria-busy', 'true');
    props.value = drawnOn(before, [row('user', 'aq-question', question), wait]);
    drawn = true;
  }, PENDING_MS);
  const top = parseFloat(value('#aq-top-k input[type=number]'));
  try {
    const answer = await server.ask_quoted({
      page: pageId, question: question, lang: lang(), category: value('#aq-category input'),
      date_from: value('#aq-from input'), date_to: value('#aq-to input'), top_k: isNaN(top) ? null : top,
    });
    if (!answer) throw new Error('no answer');  // Gradio's client gives nothing when a call fails
    clearTimeout(waiting);
    if (mine !== started) return;  // a new conversation began meanwhile: this answer is not in it
    if (!answer.html) { if (drawn) props.value = before; giveBack(question); return; }
    props.value = answer.html;
    if (answer.reader && window.__aqRead) window.__aqRead(answer.reader);
  } catch (e) {
    clearTimeout(waiting);
    if (mine !== started) return;
    giveBack(question);
    const note = row('assistant', 'aq-answer aq-error', say('ask_failed'));
    note.firstChild.setAttribute('role', 'alert');
    props.value = drawnOn(before, [note]);
  } finally { busy = false; }
};
const send = (question) => {
  const t = box();
  if (composed()) {  // streamed: Gradio's own event takes it
    if (t && question !== t.value) { t.value = question; t.dispatchEvent(new Event('input', {bubbles: true})); }
    const button = document.querySelector('#aq-send'); if (button) button.click();
    return;
  }
  if (t && question === t.value) { t.value = ''; t.dispatchEvent(new Event('input', {bubbles: true})); }
  ask(question);
};
element.addEventListener('click', (event) => {
  const example = event.target.closest('[data-aq-ask]');
  if (example) { event.preventDefault(); send(example.getAttribute('data-aq-ask')); }
});
const wire = (tries) => {
  const button = document.querySelector('#aq-send'), t = box(), fresh = document.querySelector('#aq-new');
  if (!button || !t || !fresh) { if (tries > 0) setTimeout(() => wire(tries - 1), 100); return; }
  button.addEventListener('click', (event) => {
    if (composed()) return;
    event.stopImmediatePropagation(); event.preventDefault();
    if (!busy) send(box().value);
  }, true);
  fresh.addEventListener('click', () => { started += 1; }, true);
  t.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || composed()) return;
    event.stopImmediatePropagation(); event.preventDefault();
    if (!busy) send(t.value);
  }, true);
};
wire(100);
"""
)
"""``js_on_load`` of the chat's ``gr.HTML``: it makes the page's id, and sends the question in
the box (send, Enter, or an example clicked) to ``ask_quoted``, unless the answer is to be
composed; then it shows the answer's first citation in the reader (``style.READER_JS``)."""

PAGE_ID_AND_LANGUAGE_JS = """
(...args) => {
  args[args.length - 2] = window.__aqPage || "";
  args[args.length - 1] = document.documentElement.lang || navigator.language || "";
  return args;
}
"""
"""Run before an event whose last inputs are ``[page, lang]``: the page's id (which names its
conversation, :mod:`ui.web.conversations`) and its language (``style.PAGE_LANGUAGE_JS``)."""
