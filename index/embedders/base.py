"""What the index and the assistant need of an embedding model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

ProgressCallback = Callable[[int, int], None]
"""Called with (texts encoded so far, texts in all)."""


@runtime_checkable
class Embedder(Protocol):
    """An embedding model with its runtime; questions and indexed texts are encoded apart.

    Models of the e5 family need a role prefix (``query: `` / ``passage: ``); others encode
    both roles alike. ``runtime`` and ``name`` are what an index's manifest records, so that
    opening the index loads the same model again.
    """

    @property
    def runtime(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per question."""
        ...

    def encode_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """One L2-normalised float32 row per indexed text (chunk or sentence)."""
        ...
