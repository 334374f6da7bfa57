"""The re-rankers' combinations the code ships (qa/fitted_rerank.py) are the ones `make fit
RERANKER=NAME` fitted (bench/results/rerank/*.json), and an unfitted one changes nothing."""

import json
import math
from pathlib import Path

import pytest

from qa import RerankFit
from qa.fitted_rerank import RERANK_FITS, UNFITTED

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "rerank"


def recorded() -> dict[str, dict]:
    """Each fit's record, by the re-ranker's name as it was given."""
    records = [json.loads(p.read_text("utf-8")) for p in sorted(RESULTS.glob("*.json"))]
    return {r["reranker"]: r for r in records}


def test_the_code_holds_every_recorded_fit_and_no_other():
    records = recorded()
    assert set(RERANK_FITS) == set(records)
    for name, record in records.items():
        fitted = record["fitted"]
        expected = RerankFit(fitted["scorer"], fitted["reranker"], fitted["intercept"], fitted["thresholds"])
        assert RERANK_FITS[name] == expected, name
        assert "test" not in record["split"]["fitted_on"].values()  # never the held-out articles


def test_an_unfitted_reranker_weighs_nothing():
    assert UNFITTED.scorer_alone and UNFITTED.threshold("fr") is None
    for p in (1e-12, 0.004, 0.412, 0.9, 1.0):
        for raw in (-30.0, 0.0, 12.5):
            assert UNFITTED.combine(p, raw) == pytest.approx(min(max(p, 1e-9), 1 - 1e-9), rel=1e-9)


def test_a_combination_is_a_logistic_of_the_scorers_logit_and_the_raw_score():
    fit = RerankFit(scorer=0.8, reranker=0.3, intercept=-0.5, thresholds={"fr": 0.4, "default": 0.5})
    logit = math.log(0.7 / 0.3)
    assert fit.combine(0.7, 2.0) == pytest.approx(1 / (1 + math.exp(-(0.8 * logit + 0.6 - 0.5))))
    assert fit.combine(0.7, 1e6) == 1.0 and fit.combine(0.7, -1e6) < 1e-200  # no overflow
    assert not fit.scorer_alone and fit.threshold("fr") == 0.4 and fit.threshold("de") == 0.5


def test_a_combination_is_checked_and_read_only():
    with pytest.raises(ValueError, match="reranker weight must be a finite number"):
        RerankFit(reranker=math.nan)
    with pytest.raises(ValueError, match=r"thresholds must be within 0\.\.1"):
        RerankFit(thresholds={"fr": 1.5})
    fit = RerankFit(thresholds={"fr": 0.4})
    with pytest.raises(TypeError):
        fit.thresholds["fr"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        RERANK_FITS["mine"] = fit  # type: ignore[index]
