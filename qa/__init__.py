"""article-qa's public Python API: ask questions, get answers with cited sentences."""

from __future__ import annotations

__all__: list[str] = []
