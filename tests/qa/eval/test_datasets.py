from qa.eval import load_dataset, part_of, select_questions
from tests.qa.eval.squad import two_articles, write_squad


def test_gold_positions_follow_normalisation(tmp_path):
    articles, questions = load_dataset(write_squad(tmp_path))
    text = articles[0]["text"]
    assert articles[0]["title"] == "Capsule Dragon"
    q1, q2, q3 = questions
    # The double space before "Falcon" is folded: the gold offset moves left by one.
    assert text[q1.positions[0] : q1.positions[0] + 8] == "18 jours"
    assert text[q3.positions[0] : q3.positions[0] + 6] == "521 kg"
    assert q1.answerable and not q2.answerable


def test_questions_are_chosen_by_split_part_and_spread(tmp_path):
    _, questions = load_dataset(two_articles(tmp_path))
    fit = select_questions(questions, part="fit")
    test = select_questions(questions, part="test")
    assert sorted(q.id for q in fit + test) == sorted(q.id for q in questions)
    for q in fit:
        assert part_of(q.title) == "fit"
    assert {q.title for q in fit}.isdisjoint({q.title for q in test})  # split by article
    assert [q.id for q in select_questions(questions, limit=2)] == ["q1", "q3"]
