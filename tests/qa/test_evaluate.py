import json

from qa import Assistant
from qa.evaluate import evaluate, load_dataset, prepare_index

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
