"""Every number the answering pipeline fitted on data, in one place, read-only.

The default model's constants are fitted by ``make fit`` (``bench/fit.py``) on the fit part of
the split, and recorded in ``bench/results/fit.json``; the claim check's bounds by
``bench/claims.py`` (``bench/results/claims.json``). ``tests/qa/test_fitted.py`` holds the
values below to those files: a new fit changes both, or the test fails.

This module imports nothing of the project: the scorer, the retriever, the assistant and the
claim check all read their defaults here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from types import MappingProxyType

__all__ = [
    "CROSS_SUPPORT_THRESHOLD",
    "CROSS_THRESHOLDS",
    "CROSS_WEIGHTS",
    "DENSE_WEIGHT",
    "FEATURES",
    "MAX_NEW_WORDS",
    "MODEL_CONSTANTS",
    "PASSAGE_WEIGHT",
    "SCRIPT_THRESHOLDS",
    "SCRIPT_WEIGHTS",
    "SUPPORT_THRESHOLD",
    "THRESHOLDS",
    "WEIGHTS",
    "ModelConstants",
    "ScorerWeights",
]


@dataclass(frozen=True)
class ScorerWeights:
    """The sentence scorer's weights: one per signal (``qa.scoring`` says what each measures)
    and the intercept. The fields' order is the order of a scored sentence's feature vector
    (:data:`FEATURES`), so this class is where the signals are named."""

    lexical: float
    context: float
    phrase: float
    dense: float
    passage: float
    kind: float
    short: float
    novel: float
    fuzzy: float
    length: float
    lexical_gap: float
    dense_gap: float
    titled: float
    chunk_lexical: float
    chunk_dense: float
    chunk_titled: float
    chunk_phrase: float
    intercept: float

    @classmethod
    def from_vector(cls, values: Sequence[float]) -> ScorerWeights:
        """The weights of a fit's vector: one value per feature in :data:`FEATURES` order,
        then the intercept (as ``bench/results/fit.json`` records them).

        Raises:
            ValueError: ``values`` does not hold one number per feature and the intercept.
        """
        if len(values) != len(FEATURES) + 1:
            raise ValueError(f"weights must hold {len(FEATURES) + 1} numbers, got {len(values)}")
        return cls(*(float(v) for v in values))

    def vector(self) -> tuple[float, ...]:
        """The weights in :data:`FEATURES` order, then the intercept."""
        return astuple(self)


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(ScorerWeights))[:-1]
"""The scorer's signals, in the order of a scored sentence's feature vector."""


@dataclass(frozen=True)
class ModelConstants:
    """What an index built with one model is answered with, when that model has its own fit:
    the scorer's weights and passage weight, one abstention threshold for every language, and
    the dense list's share in the retriever's fusion."""

    weights: ScorerWeights
    passage_weight: float
    threshold: float
    dense_weight: float


# -- the default model's, fitted by `make fit` (bench/results/fit.json) ------------------------

# Fitted listwise on the fit split of PIAF v1.1 and SQuAD v1.1 dev and on fr-news-dev.
WEIGHTS = ScorerWeights(
    lexical=-0.617,
    context=0.809,
    phrase=0.119,
    dense=6.996,
    passage=0.261,
    kind=0.346,
    short=-0.021,
    novel=-0.112,
    fuzzy=0.667,
    length=0.072,
    lexical_gap=0.185,
    dense_gap=-5.636,
    titled=0.597,
    chunk_lexical=-0.051,
    chunk_dense=9.803,
    chunk_titled=0.76,
    chunk_phrase=0.576,
    intercept=-15.794,
)

PASSAGE_WEIGHT = 0.0
"""How much the fused retrieval score adds to a passage's best sentence when re-ranking."""

DENSE_WEIGHT = 0.4
"""The dense list's share in the retriever's linear fusion."""

THRESHOLDS: Mapping[str, float] = MappingProxyType({"en": 0.524, "fr": 0.412, "default": 0.46})
"""The least score a sentence needs to be cited, per question language (else ``default``):
calibrated with the removal measure."""

# -- across languages, fitted by `make fit` (bench/fit_cross.py, bench/results/fit_cross.json) --
# A sentence of an article in another language than the question's: its word signals hold only
# what the two languages write alike (names, numbers, borrowed words), so it has its own weights
# and thresholds, fitted on XQuAD's cross-lingual pairs (fit articles only) and on English questions
# over French news (bench/data/fr-news-fit.en.json, articles fr-news-dev does not use).

CROSS_WEIGHTS = ScorerWeights(
    lexical=-0.326,
    context=0.344,
    phrase=0.004,
    dense=3.191,
    passage=0.082,
    kind=0.129,
    short=-0.13,
    novel=0.249,
    fuzzy=0.357,
    length=0.036,
    lexical_gap=0.017,
    dense_gap=-2.049,
    titled=-0.098,
    chunk_lexical=0.275,
    chunk_dense=4.675,
    chunk_titled=-0.02,
    chunk_phrase=0.13,
    intercept=-6.099,
)
"""The weights for a sentence of an article in another language written in the question's script
(English questions, German, Spanish or French articles, and back)."""

CROSS_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"de": 0.638, "en": 0.626, "es": 0.657, "fr": 0.632, "default": 0.635}
)
"""The least score such a sentence needs to be cited, by the language of its article (the model's
cosines across two languages run higher for some pairs than for others), else ``default``."""

SCRIPT_WEIGHTS = ScorerWeights(
    lexical=0.065,
    context=0.923,
    phrase=1.177,
    dense=11.052,
    passage=0.134,
    kind=0.119,
    short=-0.365,
    novel=2.492,
    fuzzy=-0.061,
    length=0.14,
    lexical_gap=-0.019,
    dense_gap=-8.233,
    titled=-0.566,
    chunk_lexical=2.871,
    chunk_dense=8.413,
    chunk_titled=-1.34,
    chunk_phrase=2.241,
    intercept=-18.105,
)
"""The weights for a sentence of an article in another script than the question (Russian or
Chinese articles, English questions): it shares no written word with the question, only digits."""

SCRIPT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"en": 0.483, "ru": 0.526, "zh": 0.369, "default": 0.434}
)
"""The least score such a sentence needs to be cited, by the language of its article, else
``default``."""

# -- the claim check's, measured by bench/claims.py (bench/results/claims.json) ----------------
# The local 0.5B model writes few true claims, all near-verbatim: on PIAF's fit part 122 of the
# 126 pairs of bounds separate them from the false cases equally well, so the fit cannot choose
# and keeps these (``chosen`` in the results); held out, every true claim passes them.

SUPPORT_THRESHOLD = 0.45
"""The least share of each clause's content words that the cited sentences must hold."""

CROSS_SUPPORT_THRESHOLD = 0.78
"""Across languages, the least cosine (embedding model's vectors) between each clause of a claim
and a sentence it cites (bench/claims_cross.py)."""

MAX_NEW_WORDS = 1
"""The most content words of a claim that may be in none of its cited sentences (a reworded
verb, say)."""

# -- other models' own ---------------------------------------------------------------------------

# The constants above are fitted for the default model. An index built with another model that
# has its own is answered with those: all-MiniLM-L6-v2's, shipped for it at commit 4255d06
# (fitted before the fit/test split, on questions that included today's test part;
# bench/models.py). With the default model's, a MiniLM index abstained on 98 of 100 PIAF test
# questions: its scores are on another scale.
MODEL_CONSTANTS: Mapping[str, ModelConstants] = MappingProxyType(
    {
        "sentence-transformers/all-MiniLM-L6-v2": ModelConstants(
            weights=ScorerWeights(
                lexical=1.01,
                context=1.373,
                phrase=0.577,
                dense=0.965,
                passage=1.867,
                kind=0.589,
                short=0.029,
                novel=-0.441,
                fuzzy=1.253,
                length=0.132,
                lexical_gap=-1.01,
                dense_gap=-0.965,
                # titled and the four chunk_* signals: later signals, not in this fit
                titled=0.0,
                chunk_lexical=0.0,
                chunk_dense=0.0,
                chunk_titled=0.0,
                chunk_phrase=0.0,
                intercept=-4.584,
            ),
            passage_weight=0.1,
            threshold=0.40,
            dense_weight=0.3,
        ),
    }
)
