"""The numbers the pipeline ships (qa/fitted.py) are the ones `make fit` fitted, on the fit split only."""

import json
from pathlib import Path

import pytest

from index.model_spec import parse_model
from index.settings import DEFAULT_MODEL
from qa.eval import SPLIT_SEED, TEST_SHARE, part_of
from qa.fitted import (
    CROSS_SUPPORT_THRESHOLD,
    CROSS_THRESHOLDS,
    CROSS_WEIGHTS,
    DENSE_WEIGHT,
    FEATURES,
    MAX_NEW_WORDS,
    MODEL_CONSTANTS,
    PASSAGE_WEIGHT,
    SCRIPT_THRESHOLDS,
    SCRIPT_WEIGHTS,
    SUPPORT_THRESHOLD,
    THRESHOLDS,
    WEIGHTS,
    ScorerWeights,
)

ROOT = Path(__file__).resolve().parents[2]
FIT = json.loads((ROOT / "bench" / "results" / "fit.json").read_text("utf-8"))


def test_the_code_holds_the_fitted_constants():
    fitted = FIT["fitted"]
    assert list(FEATURES) == fitted["features"]
    assert ScorerWeights.from_vector(fitted["weights"]) == WEIGHTS
    assert list(WEIGHTS.vector()) == fitted["weights"]
    assert fitted["passage_weight"] == PASSAGE_WEIGHT
    assert fitted["dense_weight"] == DENSE_WEIGHT
    assert fitted["thresholds"] == dict(THRESHOLDS)


def test_the_weights_are_keyed_by_feature_in_the_order_of_the_feature_vector():
    assert WEIGHTS.vector()[FEATURES.index("dense")] == WEIGHTS.dense
    assert WEIGHTS.vector()[-1] == WEIGHTS.intercept
    minilm = MODEL_CONSTANTS["sentence-transformers/all-MiniLM-L6-v2"].weights
    assert minilm.lexical_gap == -1.01 and minilm.dense_gap == -0.965 and minilm.intercept == -4.584


def test_the_fitted_constants_cannot_be_changed_in_place():
    with pytest.raises(TypeError):
        THRESHOLDS["fr"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        MODEL_CONSTANTS["other"] = MODEL_CONSTANTS["sentence-transformers/all-MiniLM-L6-v2"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        WEIGHTS.dense = 0.0  # type: ignore[misc]


def test_the_fit_was_made_with_the_default_model_on_the_fit_split():
    assert FIT["model"] == str(parse_model(DEFAULT_MODEL))
    assert FIT["split"]["seed"] == SPLIT_SEED and FIT["split"]["test_share"] == TEST_SHARE
    assert FIT["split"]["fitted_on"]["piaf"] == "fit" and FIT["split"]["fitted_on"]["squad"] == "fit"


@pytest.mark.parametrize("name", ["piaf-v1.1", "squad-v1.1-dev.reconstructed"])
def test_the_committed_split_lists_follow_the_seeded_rule(name):
    split = json.loads((ROOT / "bench" / "splits" / f"{name}.json").read_text("utf-8"))
    assert split["seed"] == SPLIT_SEED and split["fit"] and split["test"]
    assert not set(split["fit"]) & set(split["test"])
    assert all(part_of(t) == "fit" for t in split["fit"])
    assert all(part_of(t) == "test" for t in split["test"])
    assert split["sha256"] == FIT["data"][split["data"]]


def test_the_claim_check_holds_the_bounds_fitted_on_the_fit_part():
    claims = json.loads((ROOT / "bench" / "results" / "claims.json").read_text("utf-8"))
    assert (claims["threshold"], claims["max_new_words"]) == (SUPPORT_THRESHOLD, MAX_NEW_WORDS)
    assert claims["fit"]["in_sample"] and claims["test"]["held_out"]  # reported apart, labelled


def test_the_cross_lingual_constants_are_the_ones_fitted_on_xquads_fit_articles():
    cross = json.loads((ROOT / "bench" / "results" / "fit_cross.json").read_text("utf-8"))
    assert list(FEATURES) == cross["fitted"]["features"]
    assert list(CROSS_WEIGHTS.vector()) == cross["fitted"]["cross"]["weights"]
    assert cross["fitted"]["cross"]["thresholds"] == dict(CROSS_THRESHOLDS)
    assert list(SCRIPT_WEIGHTS.vector()) == cross["fitted"]["script"]["weights"]
    assert cross["fitted"]["script"]["thresholds"] == dict(SCRIPT_THRESHOLDS)
    assert cross["split"]["fitted_on"] == "fit" and cross["split"]["seed"] == SPLIT_SEED
    assert cross["model"] == str(parse_model(DEFAULT_MODEL))
    claims = json.loads((ROOT / "bench" / "results" / "claims_cross.json").read_text("utf-8"))
    assert claims["threshold"] == CROSS_SUPPORT_THRESHOLD
    assert claims["fit"]["in_sample"] and claims["test"]["held_out"]
