"""The conversations of the open pages, kept by the server and named by each page's own id.

The page asks its questions outside Gradio's events (``chat_page.CHAT_JS``: an event cost the
eight pages of the web benchmark more than the answers did, docs/benchmarks.md, stop 42), so a
conversation cannot live in a ``gr.State``. Each page makes a random id when it loads and
sends it with every question and every citation it opens; the id is as secret as Gradio's own
session id, and a page that loses it (a reload) starts a new conversation, as before.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from .chat import Conversation, submit

KEPT = 200
"""Conversations kept at most, the least recently used dropped first. A full one (50 exchanges
of the sample's answers) holds 0.79 MB (tracemalloc), so at most about 160 MB for all; a page
whose conversation was dropped starts a new one, its follow-ups without the earlier turns."""

PAGE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What a page id looks like (the page sends a UUID): anything else names no conversation."""


class Conversations:
    """The conversation of each page id, the least recently used dropped past ``kept``.

    >>> pages = Conversations()
    >>> pages.get("0f5b7f0e-3a53-4c77-9d8e-2c1f7e1b9a10").exchanges
    []
    """

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._pages: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, page: object) -> Conversation:
        """The page's conversation (an empty one for an id it does not have, or no id)."""
        if not valid(page):
            return Conversation()
        with self._lock:
            conversation = self._pages.get(str(page))
            if conversation is None:
                return Conversation()
            self._pages.move_to_end(str(page))
            return conversation

    def take(self, page: object, question: str | None) -> tuple[str, Conversation | None]:
        """The question into the page's conversation (:func:`chat.submit`), at once for all
        its callers: ``(what stays in the box, the conversation with the question pending)``,
        or ``(box, None)`` when it is not taken (blank, or the last answer is still coming)."""
        with self._lock:
            before = (self._pages.get(str(page)) if valid(page) else None) or Conversation()
            box, taken = submit(question, before)
            if taken is before:
                return box, None
            self._keep(page, taken)
            return box, taken

    def settle(self, page: object, taken: Conversation, now: Conversation) -> None:
        """The answered conversation replaces ``taken``, unless the page started a new one
        meanwhile. An answer that never came (``now`` still pending) is dropped with its
        question, so the page can ask again."""
        if now.exchanges and now.exchanges[-1].pending:
            now = Conversation(now.exchanges[:-1])
        with self._lock:
            if valid(page) and self._pages.get(str(page)) is taken:
                self._keep(page, now)

    def _keep(self, page: object, conversation: Conversation) -> None:
        if not valid(page):
            return
        self._pages[str(page)] = conversation
        self._pages.move_to_end(str(page))
        while len(self._pages) > self._kept:
            self._pages.popitem(last=False)

    def forget(self, page: object) -> None:
        """The page starts a new conversation."""
        if valid(page):
            with self._lock:
                self._pages.pop(str(page), None)

    def __len__(self) -> int:
        return len(self._pages)


def valid(page: object) -> bool:
    return isinstance(page, str) and PAGE_ID.fullmatch(page) is not None
