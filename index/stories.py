"""Stories: the copies of one article that many sources publish, found by MinHash and LSH.

An agency's story appears in many papers with a few words changed (a headline, a byline, a
sentence cut). Each article gets a MinHash signature of its text (:func:`signature`: lowercased
word 5-shingles, :data:`PERMUTATIONS` permutations, datasketch); the signature is cut into
:data:`BANDS` bands whose hashes (:func:`band_keys`) are looked up among the stories already
indexed. A story the bands name is confirmed when the signatures' estimated Jaccard similarity
(:func:`similarity`) reaches :data:`THRESHOLD`; the article then joins the earliest such story,
else it starts its own. A backend keeps, per story, the signature and band keys of the article
that started it, and per article the story it belongs to.

32 bands of 4 rows make an article whose shingles overlap a story's at Jaccard 0.8 a candidate
with probability 1 − (1 − 0.8⁴)³² > 0.9999, and at 0.2 with probability 0.05 (then refused by the
estimate). On news-length texts (300 words and more) a copy with a few words changed stays above
0.8; on a 50-word text two changed words already take it under.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS
SHINGLE = 5
THRESHOLD = 0.8
"""The least estimated Jaccard similarity of two texts' shingles for them to be one story."""

_WORD = re.compile(r"\w+")


@functools.cache
def _template() -> Any:
    """A MinHash whose permutations (seed 1) every signature shares: made once."""
    from datasketch import MinHash

    return MinHash(num_perm=PERMUTATIONS, seed=1)


def shingles(text: str) -> list[bytes]:
    """The lowercased word ``SHINGLE``-grams of ``text`` (all its words as one when fewer)."""
    words = _WORD.findall(text.lower())
    if len(words) <= SHINGLE:
        return [" ".join(words).encode("utf-8")] if words else []
    return [" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1)]


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature of ``text`` (``PERMUTATIONS`` uint32 values); None for a text
    without words (it is a story of its own)."""
    from datasketch import MinHash

    found = shingles(text)
    if not found:
        return None
    template = _template()
    minhash = MinHash(num_perm=PERMUTATIONS, permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch(found)
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


_MULTIPLIERS = np.random.default_rng(27).integers(1, 2**63, size=(BANDS, ROWS), dtype=np.uint64) | np.uint64(
    1
)
"""Each band's rows are hashed as their sum weighted by these odd constants (modulo 2⁶⁴)."""


def band_keys(sig: np.ndarray) -> list[int]:
    """The ``BANDS`` keys of a signature: each band's rows hashed, with constants of its own, to a
    signed 64-bit integer (what SQLite stores)."""
    rows = np.asarray(sig, dtype=np.uint64).reshape(BANDS, ROWS)
    mixed = (rows * _MULTIPLIERS).sum(axis=1, dtype=np.uint64)  # wraps modulo 2⁶⁴
    return [int(k) for k in mixed.view(np.int64)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity two signatures estimate: the share of equal values."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def to_blob(sig: np.ndarray) -> bytes:
    return np.ascontiguousarray(sig, dtype="<u4").tobytes()


def from_blob(blob: bytes) -> np.ndarray | None:
    """A stored signature; None for one of the wrong length (it then confirms no story)."""
    sig = np.frombuffer(blob, dtype="<u4")
    return sig if sig.size == PERMUTATIONS else None


def representatives(members: Sequence[tuple[int, int]]) -> dict[int, int]:
    """For ``(article, story)`` pairs of live articles, the article that stands for each story
    with more than one live article: its earliest live one (the first indexed, or the earliest
    copy left when that one was deleted)."""
    counts: dict[int, int] = {}
    first: dict[int, int] = {}
    for article, story in members:
        counts[story] = counts.get(story, 0) + 1
        first[story] = min(first.get(story, article), article)
    return {story: first[story] for story, n in counts.items() if n > 1}
