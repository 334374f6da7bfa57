"""The run ``article-qa eval`` makes, as one call: index, ask, measure, ask again without a share
of the articles."""

import pytest

from index import IndexNotFoundError, OptionError
from qa import Assistant
from qa.eval import evaluate, evaluate_dataset, load_dataset, removal_for
from tests.fakes import FAKE_THRESHOLD
from tests.qa.eval.squad import two_articles


def test_a_run_measures_the_index_then_the_index_without_the_removed_articles(tmp_path, fake_embedder):
    path = two_articles(tmp_path)
    report = evaluate_dataset(
        path, embedder=fake_embedder, eval_dir=tmp_path / "eval", threshold=FAKE_THRESHOLD, remove=0.5
    )
    assert report.index == tmp_path / "eval" / "index"
    metrics = report.metrics
    assert list(metrics)[:2] == ["split", "questions"] and metrics["split"] == "all"
    assert list(metrics)[-4:] == ["removed_share", "removed_questions", "abstained_removed", "answered_kept"]
    # The same figures as the steps taken one by one.
    articles, questions = load_dataset(path)
    assistant = Assistant.open(report.index, embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    alone = evaluate(assistant, questions)
    assert {k: v for k, v in alone.items() if "latency" not in k} == {
        k: metrics[k] for k in alone if "latency" not in k
    }
    _, gone = removal_for(tmp_path / "eval" / "index", articles, share=0.5, seed=0)
    assert metrics["removed_questions"] == sum(1 for q in questions if q.answerable and q.article_id in gone)


def test_a_run_asks_the_questions_of_one_part_and_can_skip_the_removal_measure(tmp_path, fake_embedder):
    path = two_articles(tmp_path)
    report = evaluate_dataset(path, embedder=fake_embedder, eval_dir=tmp_path / "eval", split="fit", remove=0)
    assert report.metrics["split"] == "fit" and "removed_share" not in report.metrics


def test_a_run_refuses_a_missing_file_and_the_removal_measure_on_an_engine(tmp_path, fake_embedder):
    with pytest.raises(IndexNotFoundError, match="no data set at"):
        evaluate_dataset(tmp_path / "none.json", embedder=fake_embedder)
    with pytest.raises(OptionError, match="the removal measure copies the index's files") as refused:
        evaluate_dataset(two_articles(tmp_path), embedder=fake_embedder, target="milvus://localhost:19530/x")
    assert refused.value.data["option"] == "remove"
