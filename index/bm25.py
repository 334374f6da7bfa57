"""FTS5's BM25, computed by article-qa where the engine cannot compute it over the whole index.

The embedded backend ranks with SQLite FTS5's ``bm25(chunk_terms, 0.5, 1.0)``: k1 1.2, b 0.75,
the title column weighted 0.5 and the body 1.0, over article-qa's own analysed terms (one
FTS5 token each). FTS5 knows only its own table's statistics, so the same score is computed
here for what it cannot see as a whole: the small segments of an embedded index that an
update wrote (:mod:`index.embedded.segment`), and every chunk of a Milvus index, whose weights
are stored as sparse vectors (:mod:`index.milvus.schema`).

For one chunk and the question's terms ``t``::

    score = Σ_t idf(t) · F_t · (k1 + 1) / (F_t + k1 · (1 - b + b · D / avgdl))

where ``F_t`` is the column-weighted count of ``t`` in the chunk, ``D`` the chunk's length
in tokens (title and body), ``avgdl`` the mean length, and ``idf(t) = log((N - n + 0.5) /
(n + 0.5))`` over ``N`` chunks of which ``n`` hold ``t`` (never below 1e-6), as FTS5 does.

On a large index a question's commonest terms are left out once its rarer ones hold
:data:`LEXICAL_MAX_POSTINGS` chunks between them (:func:`within_budget`), in both backends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 0.5
# Chunks a BM25 query may score (bench/scale.py: at 100,000 articles the commonest terms of a
# question hold up to ~140,000 chunks; this bound leaves 99.4% of the top 5 as they were).
LEXICAL_MAX_POSTINGS = 100_000


def idf(df: int, n: int) -> float:
    """FTS5's BM25 IDF (never below 1e-6)."""
    value = math.log((n - df + 0.5) / (df + 0.5)) if n else 0.0
    return value if value > 0 else 1e-6


def term_counts(title_terms: Sequence[str], body_terms: Sequence[str]) -> dict[str, float]:
    """A chunk's column-weighted count ``F_t`` of each of its terms."""
    tf: dict[str, float] = {}
    for term in title_terms:
        tf[term] = tf.get(term, 0.0) + TITLE_WEIGHT
    for term in body_terms:
        tf[term] = tf.get(term, 0.0) + 1.0
    return tf


def term_weights(title_terms: Sequence[str], body_terms: Sequence[str], avgdl: float) -> dict[str, float]:
    """A chunk's BM25 weight of each of its terms: the score it adds per unit of IDF."""
    tf = term_counts(title_terms, body_terms)
    length = len(title_terms) + len(body_terms)
    norm = K1 * (1 - B + B * length / avgdl) if avgdl else K1
    return {term: count * (K1 + 1) / (count + norm) for term, count in tf.items()}


def score(weights: Mapping[str, float], idfs: Mapping[str, float]) -> float:
    """A chunk's BM25 score for a question whose terms have these IDFs."""
    return sum(idf_t * weights[t] for t, idf_t in idfs.items() if t in weights)


def within_budget(terms: Sequence[str], frequencies: dict[str, int], budget: int) -> list[str]:
    """The rarest ``terms`` whose chunk counts add up to at most ``budget`` (the rarest always)."""
    kept: list[str] = []
    total = 0
    for term in sorted(terms, key=lambda t: frequencies.get(t, 0)):
        count = frequencies.get(term, 0)
        if kept and total + count > budget:
            break
        kept.append(term)
        total += count
    return kept
