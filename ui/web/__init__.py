"""The web app: a chat over the articles, each answer citing its sentences.

Importing this package does not import Gradio.
"""

from __future__ import annotations

from .chat import Conversation, Exchange, InputError, make_filters, respond
from .i18n import language
from .state import LiveAssistant, default_uploads_dir, rebuild_sources
from .uploads import Accepted, Rejected, UploadArea, UploadRefused, safe_name

__all__ = [
    "Accepted",
    "Conversation",
    "Exchange",
    "InputError",
    "LiveAssistant",
    "Rejected",
    "UploadArea",
    "UploadRefused",
    "default_uploads_dir",
    "language",
    "make_filters",
    "rebuild_sources",
    "respond",
    "safe_name",
]
