"""The web app's words in French and English, for Gradio's labels and for the HTML we render.

Labels go to the browser through ``gr.I18n`` (:func:`gradio_i18n`) and follow its language,
or the one chosen in the app's settings. Text rendered on the server (answers, the article
panel, the index panel) uses :func:`text` with the page's language, which each event
sends along (see ``PAGE_LANGUAGE_JS`` in :mod:`ui.web.app`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from index.errors import QAError

from .words import TEXTS

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import gradio as gr

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"  # as Gradio falls back for labels in other languages


def language(tag: object) -> str:
    """The supported language for a browser language tag (``fr-CA`` → ``fr``), else the default."""
    if isinstance(tag, str) and tag:
        for part in tag.replace("_", "-").split(","):
            base = part.strip().split("-")[0].split(";")[0].lower()
            if base in LANGUAGES:
                return base
    return DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (a supported language), filled with ``values``."""
    words = TEXTS.get(lang, TEXTS[DEFAULT_LANGUAGE])
    template = words.get(key) or TEXTS["en"][key]
    return template.format(**values) if values else template


def error_text(error: QAError, lang: str) -> str:
    """A library error in ``lang``, worded from its code and data (no paths, no command-line
    advice); an error this app has no words for gets a general message (its own message goes
    to the server's log)."""
    data = {k: v for k, v in error.data.items() if isinstance(v, str | int | float)}
    # The most precise words first: by code and reason (err_question_empty), then by code.
    keys = [f"err_{error.code}_{data['reason']}"] if "reason" in data else []
    if "column" in data and f"col_{data['column']}" in TEXTS["en"]:
        data["column"] = text(lang, f"col_{data['column']}")
    words = TEXTS.get(lang, TEXTS[DEFAULT_LANGUAGE])
    for key in [*keys, f"err_{error.code}"]:
        if key in TEXTS["en"]:
            try:
                return (words.get(key) or TEXTS["en"][key]).format(**data)
            except (KeyError, IndexError):  # the error lacks a fact the words need
                break
    logger.warning("%s: %s", type(error).__name__, error)
    return text(lang, "err_error")


def gradio_i18n() -> gr.I18n:
    """The ``gr.I18n`` of every label, for ``Blocks.launch(i18n=...)``."""
    from .gradio_import import gradio

    return gradio().I18n(**{lang: dict(words) for lang, words in TEXTS.items()})
