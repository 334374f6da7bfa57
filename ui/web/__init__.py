"""The web app: a chat over the articles, each answer citing its sentences.

>>> from ui.web import serve
>>> serve("my-index", port=7860)   # then open http://127.0.0.1:7860

Importing this package does not import Gradio; :func:`build_app` and :func:`serve` do.
"""

from __future__ import annotations

from .app import EXAMPLES, build_app
from .chat import Conversation, Exchange, InputError, make_filters, respond
from .i18n import gradio_i18n, language
from .server import prepare, serve
from .state import LiveAssistant, default_uploads_dir, rebuild_sources
from .uploads import Accepted, Rejected, UploadArea, UploadRefused, safe_name

__all__ = [
    "EXAMPLES",
    "Accepted",
    "Conversation",
    "Exchange",
    "InputError",
    "LiveAssistant",
    "Rejected",
    "UploadArea",
    "UploadRefused",
    "build_app",
    "default_uploads_dir",
    "gradio_i18n",
    "language",
    "make_filters",
    "prepare",
    "rebuild_sources",
    "respond",
    "safe_name",
    "serve",
]
