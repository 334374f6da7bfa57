"""Ranking passages by their sentences, selecting the sentences to cite or abstaining, and the
scorer's word helpers (qa/scoring.py), on hand-made sentences (tests/qa/stub_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from qa.question import QuestionAnalysis
from qa.records import Passage
from qa.scoring import (
    ScoredSentence,
    _fuzzy_share,
    _kind_match,
    _phrase_share,
    rank_passages,
    select,
)
from tests.qa.stub_index import (
    S,
    StubStore,
    question,
)

# -- rank_passages ----------------------------------------------------------------------------


def scored_sentence(store: StubStore, passage: Passage, ordinal: int, score: float) -> ScoredSentence:
    sentence = store.sentences[passage.article_id][ordinal]
    return ScoredSentence(sentence, store.articles[passage.article_id], passage, (), score)


@pytest.fixture
def three() -> tuple[StubStore, list[Passage], list[ScoredSentence]]:
    """Passages 1-3 with fused scores 0.9, 0.5, 0.1; their sentences' scores best first."""
    store = StubStore({k: [S(f"{k} zéro."), S(f"{k} un.")] for k in "abc"})
    p1, p2, p3 = (store.passage(n, k, 0, 1, s) for n, k, s in ((1, "a", 0.9), (2, "b", 0.5), (3, "c", 0.1)))
    scored = [
        scored_sentence(store, p2, 0, 0.8),
        scored_sentence(store, p1, 0, 0.3),
        scored_sentence(store, p2, 1, 0.2),
        scored_sentence(store, p1, 1, 0.1),
    ]
    return store, [p1, p2, p3], scored


def test_passages_are_ranked_by_their_best_sentence(
    three: tuple[StubStore, list[Passage], list[ScoredSentence]],
) -> None:
    _, passages, scored = three
    ranked = rank_passages(passages, scored, 3, passage_weight=0.0)
    assert [(p.chunk_id, p.score) for p in ranked] == [(2, 0.8), (1, 0.3), (3, 0.0)]  # 3 has no sentence
    assert [p.text for p in ranked] == [passages[1].text, passages[0].text, passages[2].text]
    assert [p.chunk_id for p in rank_passages(passages, scored, 1, passage_weight=0.0)] == [2]


def test_passage_weight_adds_the_scaled_fused_score(
    three: tuple[StubStore, list[Passage], list[ScoredSentence]],
) -> None:
    _, passages, scored = three
    # Fused 0.9, 0.5, 0.1 scale to 1.0, 0.5, 0.0: passage 1 gets 0.3 + 2 × 1.0, passage 2 0.8 + 2 × 0.5.
    ranked = rank_passages(passages, scored, 3, passage_weight=2.0)
    assert [(p.chunk_id, p.score) for p in ranked] == [(1, 2.3), (2, 1.8), (3, 0.0)]


def test_a_passage_score_is_rounded_to_six_digits(
    three: tuple[StubStore, list[Passage], list[ScoredSentence]],
) -> None:
    store, passages, _ = three
    ranked = rank_passages(
        passages, [scored_sentence(store, passages[2], 0, 0.123456789)], 1, passage_weight=0.0
    )
    assert [(p.chunk_id, p.score) for p in ranked] == [(3, 0.123457)]


# -- select -----------------------------------------------------------------------------------


def candidates(*scores: float, texts: Sequence[str] = ()) -> tuple[list[ScoredSentence], list[Passage]]:
    """One passage per score (chunk ids 1, 2…), each with one sentence of that score, best first."""
    names = list(texts) or [f"Phrase {n}." for n in range(len(scores))]
    store = StubStore({f"a{n}": [S(text)] for n, text in enumerate(names)})
    passages = [store.passage(n + 1, f"a{n}", 0, 0, 0.5) for n in range(len(scores))]
    return [scored_sentence(store, p, 0, s) for p, s in zip(passages, scores, strict=True)], passages


def texts(chosen: Sequence[ScoredSentence]) -> list[str]:
    return [s.sentence.text for s in chosen]


def test_select_abstains_when_the_best_sentence_is_below_the_threshold() -> None:
    scored, passages = candidates(0.49, 0.3)
    assert select(scored, passages, threshold=0.5) == []
    assert texts(select(scored, passages, threshold=0.49)) == ["Phrase 0."]  # at the threshold: cited
    assert select([], passages, threshold=0.0) == []


def test_select_cites_up_to_max_citations_close_to_the_best() -> None:
    scored, passages = candidates(0.9, 0.87, 0.84, 0.82)  # all within KEEP_RATIO 0.9 × 0.9 = 0.81
    assert texts(select(scored, passages, threshold=0.5)) == ["Phrase 0.", "Phrase 1.", "Phrase 2."]
    assert texts(select(scored, passages, threshold=0.5, max_citations=1)) == ["Phrase 0."]
    assert len(select(scored, passages, threshold=0.5, max_citations=4)) == 4


def test_select_keeps_only_sentences_within_keep_ratio_of_the_best_and_above_the_threshold() -> None:
    scored, passages = candidates(0.9, 0.8, 0.5)
    assert texts(select(scored, passages, threshold=0.3, keep_ratio=0.8)) == ["Phrase 0.", "Phrase 1."]
    assert texts(select(scored, passages, threshold=0.3, keep_ratio=0.5)) == [
        "Phrase 0.",
        "Phrase 1.",
        "Phrase 2.",
    ]
    # The threshold still holds for the others: 0.5 is within half the best but under 0.6.
    assert texts(select(scored, passages, threshold=0.6, keep_ratio=0.5)) == ["Phrase 0.", "Phrase 1."]


def test_select_cites_a_sentence_repeated_in_two_articles_once() -> None:
    scored, passages = candidates(0.9, 0.9, 0.85, texts=["La même phrase.", "La même phrase.", "Une autre."])
    chosen = select(scored, passages, threshold=0.5)
    assert texts(chosen) == ["La même phrase.", "Une autre."]
    assert chosen[0].article.id == "a0"  # the better-ranked copy


def test_select_passes_over_what_was_already_said() -> None:
    scored, passages = candidates(0.9, 0.8, 0.7, texts=["Déjà dit.", "Nouveau.", "Autre nouveau."])
    # Unsaid, the best leads and 0.7 misses its bar (0.85 × 0.9 = 0.765).
    assert texts(select(scored, passages, threshold=0.5, keep_ratio=0.85)) == ["Déjà dit.", "Nouveau."]
    # Said, it is passed over: the next one leads, and the bar follows it (0.85 × 0.8 = 0.68).
    chosen = select(scored, passages, threshold=0.5, keep_ratio=0.85, already_said="Oui. Déjà dit. [1]")
    assert texts(chosen) == ["Nouveau.", "Autre nouveau."]
    assert select(scored[:1], passages, threshold=0.5, already_said="Déjà dit. [1]") == []


def test_select_reads_only_the_given_passages_and_cites_them_as_given() -> None:
    scored, passages = candidates(0.9, 0.8, 0.75)
    reranked = [replace(passages[2], score=0.123), replace(passages[1], score=0.456)]  # passage 1 left out
    chosen = select(scored, reranked, threshold=0.5)
    assert texts(chosen) == ["Phrase 1.", "Phrase 2."]
    assert [s.passage.score for s in chosen] == [0.456, 0.123]


# -- the helpers ------------------------------------------------------------------------------


def kind(text: str, asked: str) -> QuestionAnalysis:
    return QuestionAnalysis(text, "fr", (), (), asked, text)


@pytest.mark.parametrize(
    ("asked", "question_text", "sentence", "expected"),
    [
        ("number", "Combien de kilos ?", "Elle transporte 521 kg.", 1.0),
        ("number", "Combien de coureurs ?", "Il y avait trois coureurs.", 1.0),
        ("number", "How many runners?", "A thousand runners started.", 1.0),
        ("number", "Combien de voitures en 2012 ?", "En 2012, les voitures étaient rares.", 0.0),
        ("number", "Combien de voitures en 2012 ?", "En 2012, 300 voitures.", 1.0),
        ("number", "Combien de kilos ?", "Elle transporte du matériel.", 0.0),
        ("date", "Quand a-t-elle décollé ?", "Elle a décollé en 1969.", 1.0),
        ("date", "Quand a-t-elle décollé ?", "Elle a décollé en juin.", 1.0),
        ("date", "Quand a-t-elle décollé en 2012 ?", "Elle a décollé en 2012.", 0.0),
        ("date", "Quand a-t-elle décollé en 2012 ?", "Elle a décollé en mars 2012.", 1.0),
        ("date", "Quand a-t-elle décollé ?", "Elle a décollé sans bruit.", 0.0),
        ("person", "Qui a battu Federer ?", "Hier, Nadal a battu Federer.", 1.0),
        (
            "person",
            "Qui a battu Federer ?",
            "Nadal a battu Federer.",
            0.0,
        ),  # the first word is capitalised anyway
        ("person", "Qui a battu Federer ?", "Il a battu Federer.", 0.0),  # the name is the question's
        ("place", "où est né paris ?", "Il est né à Paris.", 0.0),  # words are compared case-folded
        ("place", "Où est-il né ?", "Il est né à Lyon.", 1.0),
    ],
)
def test_kind_match_finds_the_asked_kind_of_answer_beyond_the_question_words(
    asked: str, question_text: str, sentence: str, expected: float
) -> None:
    assert _kind_match(kind(question_text, asked), sentence) == expected


def test_kind_match_is_zero_when_the_question_asks_no_kind() -> None:
    assert _kind_match(question(kind=None, text="Pourquoi ?"), "En 2012, Nadal a gagné 3 matchs.") == 0.0


@pytest.mark.parametrize(
    ("asked", "question_text", "sentence"),
    [
        ("person", "Qui a rencontré Jean-Marc ?", "Il a rencontré Jean-Marc hier."),
        ("number", "Combien coûte un F-16 ?", "Un F-16 coûte cher."),
        ("person", "Qui a parlé à O'Brien ?", "Le juge a parlé à O'Brien."),
    ],
)
def test_kind_match_ignores_hyphenated_question_words(asked: str, question_text: str, sentence: str) -> None:
    assert _kind_match(kind(question_text, asked), sentence) == 0.0


def test_phrase_share_counts_each_question_pair_found_adjacent() -> None:
    pairs = [("a", "b"), ("b", "c"), ("c", "d")]
    assert _phrase_share([], ["a", "b"]) == 0.0
    assert _phrase_share(pairs, ["a", "b", "c", "d"]) == 1.0
    assert _phrase_share(pairs, ["x", "a", "b", "x", "c", "d"]) == pytest.approx(2 / 3)
    assert _phrase_share(pairs, ["b", "a", "d", "c"]) == 0.0  # order matters
    assert _phrase_share(pairs[:1], ["a", "b", "a", "b"]) == 1.0  # a pair counts once


def test_fuzzy_share_matches_terms_by_their_first_five_letters() -> None:
    idf = {"atteint": 2.0, "chat": 1.0}
    assert _fuzzy_share(idf, frozenset({"atteignent"})) == 2.0
    assert _fuzzy_share(idf, frozenset({"attei"})) == 2.0  # a five-letter sentence term is a prefix
    assert _fuzzy_share(idf, frozenset({"atte"})) == 0.0  # four letters are too few
    assert _fuzzy_share(idf, frozenset({"chat", "atteint"})) == 3.0  # exact matches count
    assert _fuzzy_share(idf, frozenset({"chats"})) == 0.0  # "chat" is under five letters: exact only
    assert _fuzzy_share(idf, frozenset()) == 0.0


def test_stub_store_slices_articles_like_the_index() -> None:
    """The stub keeps the index's contract: ``article.text[start:end] == sentence.text``."""
    store = StubStore({"a": [S("Un."), S("Deux trois."), S("Quatre.")]})
    for sentence in store.sentences["a"]:
        assert store.articles["a"].text[sentence.start : sentence.end] == sentence.text
    _, [block] = store.sentence_blocks([("a", 1, 5)])
    assert [s.ordinal for s in block.sentences] == [1, 2] and block.vectors is not None


def test_a_sentence_in_another_language_must_clear_the_cross_threshold() -> None:
    scored, passages = candidates(0.4, 0.39)
    scored = [replace(scored[0], pair="cross"), scored[1]]
    # Phrase 1 (same language, 0.39) is under its own threshold of 0.5.
    assert texts(select(scored, passages, threshold=0.5, cross_threshold=0.35)) == ["Phrase 0."]
    assert select(scored, passages, threshold=0.3, cross_threshold=0.45) == []
    assert texts(select(scored, passages, threshold=0.5)) == []  # without one: the threshold
    # In another script, the script threshold.
    other = [replace(scored[0], pair="script"), scored[1]]
    assert select(other, passages, threshold=0.3, cross_threshold=0.1, script_threshold=0.45) == []
    assert texts(select(other, passages, threshold=0.5, cross_threshold=0.6, script_threshold=0.35)) == [
        "Phrase 0."
    ]


def test_a_threshold_across_languages_may_depend_on_the_articles_language() -> None:
    scored, passages = candidates(0.4, 0.39)
    chinese = replace(scored[0].article, lang="zh")
    scored = [replace(scored[0], pair="script", article=chinese), scored[1]]
    by_language = {"zh": 0.35, "ru": 0.45, "default": 0.45}
    assert texts(select(scored, passages, threshold=0.5, script_threshold=by_language)) == ["Phrase 0."]
    assert select(scored, passages, threshold=0.5, script_threshold={**by_language, "zh": 0.41}) == []
    german = [replace(scored[0], article=replace(chinese, lang="de"))]  # no threshold of its own
    assert select(german, passages, threshold=0.1, script_threshold=by_language) == []  # the default
    assert texts(select(german, passages, threshold=0.1, script_threshold={"default": 0.3})) == ["Phrase 0."]
