"""A small SQuAD v2.0 data set written for the evaluation tests: one French article of two
paragraphs (two answerable questions, one unanswerable), and a second article when asked."""

import json
from pathlib import Path

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


def write_squad(tmp_path: Path) -> Path:
    """The one-article data set, as a file."""
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), "utf-8")
    return path


def two_articles(tmp_path: Path) -> Path:
    """The data set with a second article (one answerable question), as a file."""
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
