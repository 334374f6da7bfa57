"""The interfaces people touch: the ``article-qa`` command line and the Gradio web app."""

from __future__ import annotations

from .cli import main

__all__ = ["main"]
