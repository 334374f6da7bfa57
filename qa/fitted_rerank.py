"""How a re-ranker's score is combined with the sentence scorer's, per re-ranker, read-only.

A re-ranker (:mod:`qa.rerank`) gives each of the scorer's best sentences a raw score (a
cross-encoder's logit, on a scale of its own). Alone it would throw away what the scorer
measured, and its scale says nothing about where to abstain; so the two are combined by a
logistic of the scorer's logit and the re-ranker's raw score, whose two weights, intercept and
abstention thresholds are fitted for that one re-ranker on the fit split (``make fit
RERANKER=NAME``, ``bench/fit_rerank.py``, which writes ``bench/results/rerank/NAME.json``).
``tests/qa/test_fitted_rerank.py`` holds :data:`RERANK_FITS` to those files.

A re-ranker without a fit is combined as :data:`UNFITTED`: the scorer alone, so the answers
and the abstentions stay exactly what they were; its scores are computed (and its cost is
reported) but weigh nothing until it is fitted.

Kept apart from :mod:`qa.fitted`, so that a new fit of the scorer and a fit of a re-ranker
change different files. Imports nothing of the project.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["RERANK_FITS", "UNFITTED", "RerankFit"]

_EDGE = 1e-9  # a probability of exactly 0 or 1 has no finite logit


@dataclass(frozen=True)
class RerankFit:
    """One re-ranker's combination with the scorer:
    ``1 / (1 + exp(-(scorer * logit(p) + reranker * raw + intercept)))``, where ``p`` is the
    scorer's score and ``raw`` the re-ranker's, and the abstention thresholds for that
    combined score, per question language (else ``"default"``).

    ``thresholds=None`` keeps the assistant's own thresholds: right only while the
    combination keeps the scorer's scale (as :data:`UNFITTED` does).

    Raises:
        ValueError: a weight is not a finite number, or a threshold is outside 0..1.
    """

    scorer: float = 1.0
    reranker: float = 0.0
    intercept: float = 0.0
    thresholds: Mapping[str, float] | None = field(default=None, compare=True, hash=False)

    def __post_init__(self) -> None:
        for name in ("scorer", "reranker", "intercept"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"the re-ranker's {name} weight must be a finite number, got {value!r}")
        if self.thresholds is not None:
            bad = {k: v for k, v in self.thresholds.items() if not 0.0 <= v <= 1.0}
            if bad:
                raise ValueError(f"the re-ranker's thresholds must be within 0..1, got {bad}")
            object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))

    @property
    def scorer_alone(self) -> bool:
        """Whether the combination is the scorer's score unchanged (the re-ranker weighs nothing)."""
        return (self.scorer, self.reranker, self.intercept) == (1.0, 0.0, 0.0)

    def combine(self, probability: float, raw: float) -> float:
        """The combined score (0..1) of a sentence the scorer gave ``probability`` and the
        re-ranker ``raw``."""
        p = min(max(probability, _EDGE), 1.0 - _EDGE)
        z = self.scorer * math.log(p / (1.0 - p)) + self.reranker * raw + self.intercept
        z = min(max(z, -500.0), 500.0)  # exp overflows past ~709
        return 1.0 / (1.0 + math.exp(-z))

    def threshold(self, language: str) -> float | None:
        """This combination's abstention threshold for ``language`` (None: the assistant's own)."""
        if self.thresholds is None:
            return None
        return self.thresholds.get(language, self.thresholds.get("default"))


UNFITTED = RerankFit()
"""The combination of a re-ranker that has no fit: the scorer alone (answers unchanged)."""

# Keyed by the re-ranker's name exactly as it is given (`--reranker`, $ARTICLE_QA_RERANKER,
# `Assistant(reranker=...)`): a hub name, or a folder as written. None is fitted yet: no
# cross-encoder can be had on the machines this project is built on (docs/quality.md).
RERANK_FITS: Mapping[str, RerankFit] = MappingProxyType({})
"""Each fitted re-ranker's combination, from ``bench/results/rerank/*.json``."""
