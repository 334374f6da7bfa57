"""The ``article-qa`` command line: one module per command, each adding its parser and the
function that runs it (``set_defaults(run=...)``).

    article-qa index build SOURCE... --index DIR [--model M] [--rebuild]
    article-qa index build --sample --index DIR
    article-qa index update SOURCE... --index DIR
    article-qa index info --index DIR [--json]
    article-qa index compact --index DIR [--json]
    article-qa ask "QUESTION" --index DIR [--top-k K] [--category C] [--json]
                  [--llm-url URL --llm-model NAME]
    article-qa serve --index DIR [--port P] [--llm-url URL --llm-model NAME]
    article-qa eval DATASET.json [--limit N] [--index-dir DIR] [--json] [--llm-url URL …]

Errors of the library (:class:`index.QAError`) are printed as one line and exit 2.
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
