"""`make fit` with a re-ranker (bench/fit_rerank.py): the combination and thresholds fitted on a
tiny real CrossEncoder, recorded under its name; without a re-ranker, nothing to fit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.fit_rerank import main, results_path
from tests.paths import ROOT

DATA = Path(__file__).resolve().parent.parent / "data"


def test_without_a_reranker_there_is_nothing_to_fit(monkeypatch, capsys):
    monkeypatch.delenv("ARTICLE_QA_RERANKER", raising=False)
    assert main([]) == 0
    assert (
        "no re-ranker configured (--reranker, or $ARTICLE_QA_RERANKER): nothing to fit"
        in capsys.readouterr().out
    )


def test_a_reranker_that_cannot_load_is_refused_in_one_line(tmp_path, capsys):
    assert main(["--reranker", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench.fit_rerank: no re-ranker at") and len(err.strip().splitlines()) == 1


def test_the_record_is_named_after_the_reranker_file_safely():
    assert (
        results_path("cross-encoder/ms-marco-MiniLM-L6-v2").name
        == "cross-encoder--ms-marco-MiniLM-L6-v2.json"
    )
    assert results_path("/models/my ce/").name == "models--my--ce.json"


@pytest.mark.e2e
def test_the_combination_is_fitted_on_a_tiny_cross_encoder_and_recorded(tmp_path, tiny_reranker):
    out = tmp_path / "fit.json"
    subprocess.run(
        [sys.executable, "-m", "bench.fit_rerank", "--reranker", str(tiny_reranker),
         "--sets", str(DATA / "xquad-en-8.json"), "--limit", "24", "--out", str(out)],
        cwd=ROOT, check=True, timeout=900, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert result["reranker"] == str(tiny_reranker) and result["depth"] == 10
    assert result["questions"] == {"xquad-en-8.json": 24} and result["cost"]["pairs_per_question"] == 10
    fitted = result["fitted"]
    assert {"scorer", "reranker", "intercept"} <= set(fitted) and fitted["scorer"] > 0
    assert set(fitted["thresholds"]) == {"en", "default"} and 0 < fitted["thresholds"]["en"] < 1
    figures = result["fit_figures"]
    assert "fitted on" in figures["in_sample"]
    pair = figures["two_fold_by_article"]["xquad-en-8.json"]
    assert 0 <= pair["combined"] <= 1 and pair["scorer"] == figures["citation@1_scorer"]["xquad-en-8.json"]
