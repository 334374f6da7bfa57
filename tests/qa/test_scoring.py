"""The scorer's signals (qa/scoring.py ``score_sentences``) on hand-made sentences, passages and
questions: each signal's expected value follows from its rule (tests/qa/stub_index.py)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest

from index.analysis import analyze
from qa import Assistant
from qa.fitted import FEATURES, WEIGHTS, ScorerWeights
from qa.question import analyze_question
from qa.scoring import (
    score_sentences,
)
from tests.qa.stub_index import (
    CHUNK_DENSE,
    CHUNK_LEXICAL,
    CHUNK_PHRASE,
    CHUNK_TITLED,
    CONTEXT,
    DENSE,
    DENSE_GAP,
    FUZZY,
    KIND,
    LENGTH,
    LEXICAL,
    LEXICAL_GAP,
    NOVEL,
    PASSAGE,
    PHRASE,
    SHORT,
    TITLED,
    ZERO,
    S,
    StubStore,
    by_text,
    one_article,
    only,
    question,
)

# -- score_sentences: the signals -------------------------------------------------------------


@pytest.mark.parametrize("count", [0, len(FEATURES), len(FEATURES) + 2])
def test_weights_must_hold_one_number_per_feature_and_an_intercept(count: int) -> None:
    store, passages = one_article(S("Le chat dort.", ("chat", "dort")))
    with pytest.raises(ValueError, match=f"weights must hold {len(FEATURES) + 1} numbers, got {count}"):
        ScorerWeights.from_vector([0.0] * count)
    assert len(store.score(question("chat"), passages, weights=ZERO)) == 1
    assert ZERO.vector() == (0.0,) * (len(FEATURES) + 1)


def test_lexical_is_the_share_of_the_question_idf_weight_a_sentence_holds() -> None:
    # 10 chunks: "chat" is in none (rare), "soupe" in 4 (common): IDF = log(1 + N / (1 + df)).
    store, passages = one_article(
        S("Le chat dort.", ("chat", "dort")),
        S("La soupe fume.", ("soup", "fume")),
        S("Le chat boit la soupe.", ("chat", "boit", "soup")),
        S("Le chien aboie.", ("chien", "aboi")),
        df={"chat": 0, "soup": 4},
    )
    features = by_text(store.score(question("chat", "soup"), passages))
    rare, common = math.log(1 + 10 / 1), math.log(1 + 10 / 5)
    assert features["Le chat dort."][LEXICAL] == pytest.approx(rare / (rare + common))
    assert features["La soupe fume."][LEXICAL] == pytest.approx(common / (rare + common))
    assert features["Le chat dort."][LEXICAL] > features["La soupe fume."][LEXICAL]  # the rarer word
    assert features["Le chat boit la soupe."][LEXICAL] == pytest.approx(1.0)
    assert features["Le chien aboie."][LEXICAL] == 0.0


def test_a_follow_up_subject_term_weighs_half_a_question_term() -> None:
    store, passages = one_article(S("Le chat dort.", ("chat",)), S("La soupe fume.", ("soup",)))
    features = by_text(store.score(question("chat", subject=["soup"]), passages))
    assert features["Le chat dort."][LEXICAL] == pytest.approx(2 / 3)
    assert features["La soupe fume."][LEXICAL] == pytest.approx(1 / 3)
    # A subject term that the question holds itself keeps its full weight.
    features = by_text(store.score(question("chat", "soup", subject=["soup"]), passages))
    assert features["La soupe fume."][LEXICAL] == pytest.approx(1 / 2)


def test_context_counts_one_neighbour_either_side_even_outside_the_passage() -> None:
    store = StubStore(
        {
            "a": [
                S("La soupe est servie.", ("soup", "servi")),
                S("Le chien attend.", ("chien", "attend")),
                S("Il pleut dehors.", ("pleut", "dehor")),
                S("Le chat rentre.", ("chat", "rentr")),
                S("La soupe refroidit.", ("soup", "refroid")),
            ]
        }
    )
    passage = store.passage(1, "a", 1, 2)  # sentences 1 and 2; 0 and 3 are their neighbours
    scored = store.score(question("soup", "chat"), [passage])
    assert {s.sentence.ordinal for s in scored} == {1, 2}  # neighbours give context, are not scored
    features = by_text(scored)
    assert features["Le chien attend."][LEXICAL] == features["Il pleut dehors."][LEXICAL] == 0.0
    assert features["Le chien attend."][CONTEXT] == pytest.approx(0.5)  # "soup" of sentence 0
    assert features["Il pleut dehors."][CONTEXT] == pytest.approx(0.5)  # "chat" of sentence 3, not 4's "soup"


def test_titled_counts_the_article_title_as_held_by_each_of_its_sentences() -> None:
    # "Il était sur Le Foudroyant" answers a question naming Haldane in the article about him,
    # as a sentence that names him does; in another article, the title adds nothing.
    def terms(text: str) -> tuple[str, ...]:
        return tuple(analyze(text, "fr"))

    lead, answer, elsewhere = (
        "Robert Haldane naquit à Airthrey.",
        "Il était sur Le Foudroyant.",
        "Le Foudroyant coula.",
    )
    store = StubStore(
        {"h": [S(lead, terms(lead)), S(answer, terms(answer))], "o": [S(elsewhere, terms(elsewhere))]},
        titles={"h": "Robert Haldane", "o": "Histoire de la marine"},
    )
    asked = question(*terms("Robert Haldane Foudroyant"))
    passages = [store.passage(1, "h", 0, 1), store.passage(2, "o", 0, 0)]
    features = by_text(store.score(asked, passages))
    assert features[answer][TITLED] == pytest.approx(1.0)
    assert 0 < features[answer][LEXICAL] < 1.0
    assert features[lead][TITLED] == pytest.approx(features[lead][LEXICAL])
    assert features[lead][LEXICAL] < 1.0
    assert features[elsewhere][TITLED] == pytest.approx(features[elsewhere][LEXICAL])
    assert features[elsewhere][LEXICAL] == pytest.approx(features[answer][LEXICAL])


def test_chunk_signals_are_the_best_of_the_passage_sentences() -> None:
    # The pronoun sentence shares no word with the question, but its passage holds one that
    # matches it; alone in its passage, the unrelated sentence gets only its own values.
    named, pronoun, other = "Le chat noir dort.", "Il ronronne.", "Un chien aboie."
    store = StubStore(
        {
            "a": [S(named, ("chat", "noir", "dort"), (0.6, 0.8)), S(pronoun, ("ronronn",), (0.0, 1.0))],
            "b": [S(other, ("chien", "aboi"), (0.8, 0.6))],
        }
    )
    passages = [store.passage(1, "a", 0, 1), store.passage(2, "b", 0, 0)]
    features = by_text(store.score(question("chat", "noir"), passages))
    assert features[pronoun][LEXICAL] == 0.0 and features[named][LEXICAL] == pytest.approx(1.0)
    for text in (named, pronoun):
        assert features[text][CHUNK_LEXICAL] == pytest.approx(1.0)
        assert features[text][CHUNK_TITLED] == pytest.approx(features[named][TITLED])
        assert features[text][CHUNK_PHRASE] == pytest.approx(1.0)  # "chat noir" is adjacent
        assert features[text][CHUNK_DENSE] == pytest.approx(0.6)  # the better of 0.6 and 0.0
    assert features[other][CHUNK_LEXICAL] == 0.0 and features[other][CHUNK_PHRASE] == 0.0
    assert features[other][CHUNK_DENSE] == pytest.approx(0.8)


def test_a_sentence_of_two_overlapping_passages_is_scored_once_with_its_first_passage() -> None:
    store = StubStore({"a": [S("Le chat dort.", ("chat", "dort")), S("Il rêve.", ("rêve",))]})
    passages = [store.passage(1, "a", 1, 1, score=2.0), store.passage(2, "a", 0, 1, score=1.0)]
    scored = store.score(question("chat"), passages)
    assert sorted(s.sentence.text for s in scored) == ["Il rêve.", "Le chat dort."]
    dream = next(s for s in scored if s.sentence.text == "Il rêve.")
    assert dream.passage.chunk_id == 1 and dream.features[CHUNK_LEXICAL] == 0.0


def test_a_passage_whose_sentences_are_gone_is_passed_over() -> None:
    # A second writer shortened the article between retrieval and scoring: the passage names
    # sentence 2, the store now holds 0 and 1 (its neighbour 1 is read, nothing inside it).
    store = StubStore({"a": [S("Le chat dort.", ("chat", "dort")), S("Il rêve.", ("rêve",))]})
    stale = replace(store.passage(1, "a", 1, 1), chunk_id=2, first_sentence=2, last_sentence=2)
    scored = store.score(question("chat"), [stale, store.passage(1, "a", 0, 0)])
    assert [s.sentence.text for s in scored] == ["Le chat dort."]


def test_phrase_is_the_share_of_question_term_pairs_adjacent_in_order() -> None:
    store, passages = one_article(
        S("Tout dans l'ordre.", ("tour", "de", "franc")),
        S("Un mot entre deux.", ("tour", "de", "x", "franc")),
        S("Tout à l'envers.", ("franc", "de", "tour")),
        S("Une paire en fin.", ("franc", "tour", "de")),
    )
    features = by_text(store.score(question("tour", "de", "franc"), passages))
    assert features["Tout dans l'ordre."][PHRASE] == 1.0
    assert features["Un mot entre deux."][PHRASE] == 0.5
    assert features["Tout à l'envers."][PHRASE] == 0.0
    assert features["Une paire en fin."][PHRASE] == 0.5
    # A one-term question has no pair: no phrase signal.
    assert all(f[PHRASE] == 0.0 for f in by_text(store.score(question("tour"), passages)).values())


def test_dense_is_the_cosine_with_the_question_vector_and_the_gaps_measure_from_the_best() -> None:
    store = StubStore(
        {
            "a": [S("Tout droit.", ("chat",), (1.0, 0.0)), S("De biais.", ("chien",), (0.6, 0.8))],
            "b": [S("De côté.", ("chat", "chien"), (0.0, 1.0))],
        }
    )
    passages = [store.passage(1, "a", 0, 1), store.passage(2, "b", 0, 0)]
    vector = np.array([1.0, 0.0], dtype=np.float64)  # any float dtype is read as float32
    features = by_text(store.score(question("chat", "chien"), passages, vector=vector))
    assert features["Tout droit."][DENSE] == pytest.approx(1.0)
    assert features["De biais."][DENSE] == pytest.approx(0.6)
    assert features["De côté."][DENSE] == pytest.approx(0.0)
    # Gaps are taken across every candidate passage: 0 for the best on each signal.
    assert features["Tout droit."][DENSE_GAP] == pytest.approx(0.0)
    assert features["De biais."][DENSE_GAP] == pytest.approx(0.4)
    assert features["De côté."][DENSE_GAP] == pytest.approx(1.0)
    assert features["De côté."][LEXICAL_GAP] == pytest.approx(0.0)  # holds both terms
    assert features["Tout droit."][LEXICAL_GAP] == pytest.approx(0.5)
    assert features["De biais."][LEXICAL_GAP] == pytest.approx(0.5)


def test_passage_is_the_fused_score_scaled_among_the_candidates() -> None:
    store = StubStore({k: [S(f"Phrase {k}.", ("mot",))] for k in "abc"})
    passages = [
        store.passage(1, "a", 0, 0, 0.2),
        store.passage(2, "b", 0, 0, 0.8),
        store.passage(3, "c", 0, 0, 0.5),
    ]
    features = by_text(store.score(question("mot"), passages))
    assert (features["Phrase a."][PASSAGE], features["Phrase b."][PASSAGE]) == (0.0, 1.0)
    assert features["Phrase c."][PASSAGE] == pytest.approx(0.5)
    # One candidate, or candidates of equal score: all 1.0.
    assert by_text(store.score(question("mot"), passages[:1]))["Phrase a."][PASSAGE] == 1.0


def test_kind_short_novel_fuzzy_and_length() -> None:
    long_tail = " et bien plus encore sur le quai"  # past 30 characters, no number word
    store, passages = one_article(
        S("Elle transporte 521 kg" + long_tail + ".", ("transport", "521", "kg", "transport")),
        S("Elle transporte du matériel" + long_tail + ".", ("transport", "materiel")),
        S("Le record est atteint.", ("record", "atteint")),
        S("Les records sont atteignables.", ("record", "atteignabl")),
        S("!!!", ()),
    )
    asked = question("transport", "atteint", kind="number", text="Combien transporte-t-elle ?")
    features = by_text(store.score(asked, passages))
    number, plain = (
        features["Elle transporte 521 kg" + long_tail + "."],
        features["Elle transporte du matériel" + long_tail + "."],
    )
    reached, reachable = features["Le record est atteint."], features["Les records sont atteignables."]
    # kind: a number the question lacks.
    assert (number[KIND], plain[KIND]) == (1.0, 0.0)
    # short: under 30 characters.
    assert (number[SHORT], reached[SHORT], features["!!!"][SHORT]) == (0.0, 1.0, 1.0)
    # novel: the share of the sentence's distinct terms the question lacks.
    assert number[NOVEL] == pytest.approx(2 / 3) and plain[NOVEL] == pytest.approx(1 / 2)
    assert features["!!!"][NOVEL] == 0.0  # no terms, no division by zero
    # fuzzy: "atteignabl" shares "attei" with "atteint"; exact matches count too.
    assert reachable[LEXICAL] == 0.0 and reachable[FUZZY] == pytest.approx(0.5)
    assert reached[FUZZY] == reached[LEXICAL] == pytest.approx(0.5)
    # length: log(1 + terms), repeats included.
    assert number[LENGTH] == pytest.approx(math.log(5)) and features["!!!"][LENGTH] == 0.0


def test_scores_are_the_logistic_of_the_weighted_features_sorted_best_first() -> None:
    store, passages = one_article(
        S("Loin.", ("chien",), (0.0, 1.0)),
        S("Proche.", ("chat",), (0.8, 0.6)),
        S("Tout près.", ("chat", "noir"), (1.0, 0.0)),
        S("Entre les deux.", ("noir",), (0.6, 0.8)),
    )
    scored = store.score(question("chat", "noir"), passages)
    assert all(a.score >= b.score for a, b in itertools.pairwise(scored))
    for s in scored:
        z = WEIGHTS.intercept + sum(
            getattr(WEIGHTS, n) * f for n, f in zip(FEATURES, s.features, strict=True)
        )
        assert s.score == pytest.approx(1 / (1 + math.exp(-z)))
        assert len(s.features) == len(FEATURES) and 0.0 < s.score < 1.0
    # Weights on the dense signal alone rank the sentences by their cosine.
    by_dense = store.score(question("chat", "noir"), passages, weights=only("dense"))
    assert [s.sentence.text for s in by_dense] == ["Tout près.", "Proche.", "Entre les deux.", "Loin."]
    by_lexical = store.score(question("chat", "noir"), passages, weights=only("lexical", -1.0))
    assert by_lexical[-1].sentence.text == "Tout près."  # a negative weight puts the best match last


def test_each_sentence_is_scored_once_for_the_first_passage_holding_it() -> None:
    store = StubStore({"a": [S(f"Phrase {n}.", ("mot",)) for n in range(4)]})
    first, second = store.passage(1, "a", 0, 2), store.passage(2, "a", 2, 3)  # they share sentence 2
    scored = store.score(question("mot"), [first, second])
    assert sorted(s.sentence.ordinal for s in scored) == [0, 1, 2, 3]
    owner = {s.sentence.ordinal: s.passage.chunk_id for s in scored}
    assert owner == {0: 1, 1: 1, 2: 1, 3: 2}
    assert all(s.article.id == "a" for s in scored)


def test_a_passage_of_an_article_the_index_lacks_is_passed_over() -> None:
    store = StubStore({"a": [S("Le chat dort.", ("chat",))]})
    ghost = replace(store.passage(1, "a", 0, 0), chunk_id=2, article_id="gone")
    scored = store.score(question("chat"), [ghost, store.passage(1, "a", 0, 0)])
    assert [(s.passage.chunk_id, s.sentence.text) for s in scored] == [(1, "Le chat dort.")]
    assert store.score(question("chat"), [ghost]) == []


def test_scoring_a_real_index_reads_its_sentences_and_vectors(fake_assistant: Assistant) -> None:
    store = fake_assistant.store
    analysis = analyze_question(
        "Combien de kilos de matériel la capsule transporte-t-elle ?", languages=["fr"]
    )
    vector = fake_assistant.embedder.encode_queries([analysis.retrieval_text])[0]
    passages = fake_assistant.retriever.search(analysis, top_k=5)
    scored = score_sentences(store, analysis, passages, vector)
    assert len({(s.article.id, s.sentence.ordinal) for s in scored}) == len(scored) > 0
    for s in scored:
        assert s.passage.first_sentence <= s.sentence.ordinal <= s.passage.last_sentence
        assert s.article.text[s.sentence.start : s.sentence.end] == s.sentence.text
        stored = store.sentence_block(s.article, s.sentence.ordinal, s.sentence.ordinal).vectors
        assert stored is not None
        assert s.features[DENSE] == pytest.approx(float(stored[0] @ vector), abs=1e-5)
    best_lexical = max(scored, key=lambda s: s.features[LEXICAL])
    assert best_lexical.sentence.text == "Elle transporte 521 kg de matériel."  # transport, matériel
    assert best_lexical.features[LEXICAL_GAP] == 0.0 and best_lexical.features[KIND] == 1.0


# -- across languages ---------------------------------------------------------------------------


def test_a_sentence_in_another_language_is_scored_with_the_cross_weights_on_shared_words() -> None:
    store, passages = one_article(
        S(
            "Sandy a fait 39 morts en 2012.",
            tuple(analyze("Sandy a fait 39 morts en 2012.", "fr")),
            (1.0, 0.0),
        ),
        S("La tempête a frappé la côte.", tuple(analyze("La tempête a frappé la côte.", "fr")), (0.6, 0.8)),
    )  # the stub's articles are French
    english = analyze_question("How many people did Sandy kill in 2012?", languages=["fr"])
    assert english.language == "en"
    scored = store.score(english, passages, weights=only("lexical", 0.0), cross_weights=only("dense", 5.0))
    assert all(s.cross for s in scored)
    best = scored[0]
    assert best.sentence.text.startswith("Sandy")
    assert best.score == pytest.approx(1 / (1 + math.exp(-5.0 * best.features[FEATURES.index("dense")])))
    # Its word signals are measured on the question's words read in French: "sandy" and "2012".
    lexical = dict(zip(FEATURES, best.features, strict=True))["lexical"]
    assert 0.0 < lexical < 1.0
    # The same sentence asked in French is scored with the other weights.
    french = analyze_question("Combien de morts Sandy a-t-il fait en 2012 ?", languages=["fr"])
    same = store.score(french, passages, weights=only("dense", 1.0), cross_weights=only("dense", 5.0))
    assert not any(s.cross for s in same)
    assert same[0].score == pytest.approx(1 / (1 + math.exp(-same[0].features[FEATURES.index("dense")])))
