"""Benchmarks of article-qa. Not part of `make test`; see docs/benchmarks.md for the figures.

Each benchmark is a command (``python -m bench.NAME``); ``common`` and ``processes`` hold what
they share, and ``experiments/`` what was measured and not kept."""

__all__: list[str] = []
