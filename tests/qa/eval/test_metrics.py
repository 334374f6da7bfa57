from typing import cast

from qa import Assistant
from qa.eval import GoldQuestion, evaluate, holds_answer, load_dataset, percentile, prepare_index
from qa.records import Answer, Citation, Passage
from tests.qa.eval.squad import write_squad


def test_evaluate_reports_every_metric(tmp_path, fake_embedder):
    path = write_squad(tmp_path)
    articles, questions = load_dataset(path)
    index_dir = prepare_index(path, articles, tmp_path / "eval", fake_embedder)
    assert prepare_index(path, articles, tmp_path / "eval", fake_embedder) == index_dir  # reused
    metrics = evaluate(Assistant.open(index_dir, embedder=fake_embedder, threshold=0.0), questions)
    assert set(metrics) == {
        "questions", "recall@1", "recall@5", "recall@20", "mrr", "citation@1", "citation@3",
        "answered_answerable", "citations_per_answer", "later_citations_holding",
        "abstained_unanswerable", "mean_passage_chars", "mean_sentence_chars",
        "latency_ms_p50", "latency_ms_p95",
    }  # fmt: skip
    assert metrics["questions"] == 3 and metrics["recall@1"] == 1.0
    assert metrics["citation@1"] == 1.0  # both answers are found in their own sentence
    assert metrics["abstained_unanswerable"] == 0.0  # threshold 0 never abstains


class ScriptedAssistant:
    """Answers each question by citing the spans written for it (none: it abstains)."""

    def __init__(self, spans: dict[str, list[tuple[str, int]]]):
        self.spans = spans

    def ask_with_candidates(self, question: str) -> tuple[Answer, list[Passage]]:
        passage = Passage(1, "texte", "a", "Titre", 0, 100, 0, 3, 1.0)
        citations = tuple(
            Citation(n, "texte", article, "Titre", start, start + 10, 0.5, 0, passage)
            for n, (article, start) in enumerate(self.spans[question], 1)
        )
        return Answer(question, "texte", citations, (passage,), not citations, "fr"), [passage]


def test_evaluate_counts_the_citations_of_an_answer_and_how_often_the_later_ones_hold_it():
    questions = [
        GoldQuestion("q1", "Un ?", "a", (5,)),
        GoldQuestion("q2", "Deux ?", "a", (50,)),
        GoldQuestion("q3", "Trois ?", "a", (80,)),
    ]
    assistant = ScriptedAssistant(
        {
            "Un ?": [("a", 0), ("b", 0), ("a", 0)],  # [1] holds it, [2] is another article's, [3] holds it
            "Deux ?": [("a", 0)],  # cites a sentence that does not hold it
            "Trois ?": [],  # abstains
        }
    )
    metrics = evaluate(cast(Assistant, assistant), questions)
    assert metrics["citations_per_answer"] == 2.0  # (3 + 1) / 2 answered
    assert metrics["later_citations_holding"] == 0.5  # of [2] and [3] of the first
    assert metrics["citation@1"] == round(1 / 3, 4) and metrics["citation@3"] == round(1 / 3, 4)
    assert metrics["answered_answerable"] == round(2 / 3, 4)


def test_a_span_holds_an_answer_when_it_covers_a_gold_position_of_the_same_article():
    gold = GoldQuestion("q1", "Un ?", "a", (5, 40))
    assert holds_answer(gold, "a", 0, 6) and holds_answer(gold, "a", 40, 41)
    assert not holds_answer(gold, "a", 6, 40)  # the end is not in the span
    assert not holds_answer(gold, "b", 0, 100)  # another article's span
    assert not holds_answer(GoldQuestion("q2", "Deux ?", "a", ()), "a", 0, 100)  # unanswerable


def test_percentiles_are_by_nearest_rank():
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == 4.0
