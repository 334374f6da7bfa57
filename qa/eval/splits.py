"""Seeded splits of an evaluation set's articles: a fit part and a held-out test part.

Every fitted number (scorer weights, fusion weight, thresholds) is fitted on the ``fit`` part;
every reported figure is measured on the ``test`` part. An article's part depends only on its
title and the seed, so SQuAD v1.1 and v2.0 (which share titles) split alike, and the lists
committed under ``bench/splits/`` can be checked against this rule.
"""

from __future__ import annotations

import hashlib

PARTS = ("all", "fit", "test")
SPLIT_SEED = 0
TEST_SHARE = 0.5


def _draw(salt: str, seed: int, title: str) -> float:
    digest = hashlib.sha256(f"{salt}:{seed}:{title}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def part_of(title: str, *, seed: int = SPLIT_SEED, test_share: float = TEST_SHARE) -> str:
    """``"test"`` or ``"fit"`` for the article with this title."""
    return "test" if _draw("split", seed, title) < test_share else "fit"


def removed(title: str, *, seed: int, share: float) -> bool:
    """Whether the removal measure leaves this article out of the index."""
    return share > 0 and _draw("remove", seed, title) < share
