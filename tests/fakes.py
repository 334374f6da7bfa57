"""A small deterministic embedder for unit tests: hashed bag of words, no model."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence

import numpy as np

from index.analysis import fold

# The shipped thresholds are calibrated for the default model's scores; this hashed bag of words
# scores lower (answers 0.05-0.2, unrelated questions below 0.01 on the test corpus).
FAKE_THRESHOLD = 0.02


class FakeEmbedder:
    """Words hashed into ``dimension`` buckets, L2-normalised. Same text, same vector."""

    def __init__(self, dimension: int = 64, name: str = "fake-hash-64", delay: float = 0.0):
        self._dimension = dimension
        self._name = name
        self.delay = delay
        self.calls: list[int] = []

    @property
    def runtime(self) -> str:
        return "fake"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_documents(texts)

    def encode_documents(self, texts: Sequence[str], *, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            if self.delay:
                time.sleep(self.delay)
            for word in re.findall(r"\w+", fold(text)):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if progress is not None:
                progress(row + 1, len(texts))
        return out
