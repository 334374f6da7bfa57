"""Sentence scoring and selection (qa/scoring.py) on hand-made sentences, passages and questions.

``score_sentences`` reads three things of an index: the chunk count, the terms' document
frequencies and blocks of sentences (text, analysed terms, vectors). :class:`StubStore` serves
those from sentences written here, so each signal's expected value follows from its rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np
import pytest

from index import Article, Sentence, Storage
from index.analysis import analyze
from index.storage import SentenceBlock
from qa import Assistant
from qa.fitted import FEATURES, WEIGHTS, ScorerWeights
from qa.question import QuestionAnalysis, analyze_question
from qa.records import Passage
from qa.scoring import (
    ScoredSentence,
    _fuzzy_share,
    _kind_match,
    _phrase_share,
    rank_passages,
    score_sentences,
    select,
)

LEXICAL, CONTEXT, PHRASE, DENSE, PASSAGE, KIND, SHORT, NOVEL, FUZZY, LENGTH, LEXICAL_GAP, DENSE_GAP, TITLED = (
    FEATURES.index(name)
    for name in (
        "lexical", "context", "phrase", "dense", "passage", "kind", "short", "novel", "fuzzy",
        "length", "lexical_gap", "dense_gap", "titled",
    )
)  # fmt: skip
CHUNK_LEXICAL, CHUNK_DENSE, CHUNK_TITLED, CHUNK_PHRASE = (
    FEATURES.index(f"chunk_{name}") for name in ("lexical", "dense", "titled", "phrase")
)

QUESTION_VECTOR = np.array([1.0, 0.0], dtype=np.float32)


# -- a hand-made index ----------------------------------------------------------------------


@dataclass(frozen=True)
class S:
    """A sentence to put in a stub article: its text, analysed terms and (2-d) vector."""

    text: str
    terms: tuple[str, ...] = ()
    vector: tuple[float, float] = (1.0, 0.0)


@dataclass
class StubManifest:
    counts: dict[str, int] = field(default_factory=dict)


class StubStore:
    """The reads ``score_sentences`` makes of an :class:`Storage`, over hand-made sentences."""

    def __init__(
        self,
        articles: dict[str, list[S]],
        *,
        df: dict[str, int] | None = None,
        chunks: int = 10,
        titles: dict[str, str] | None = None,
    ):
        self.manifest = StubManifest({"chunks": chunks})
        self.df = df or {}
        self.content = articles
        self.articles: dict[str, Article] = {}
        self.sentences: dict[str, list[Sentence]] = {}
        for aid, items in articles.items():
            text, records = "", []
            for n, item in enumerate(items):
                start = len(text) + (1 if text else 0)
                text = f"{text} {item.text}" if text else item.text
                records.append(Sentence(aid, n, start, start + len(item.text), item.text))
            title = (titles or {}).get(aid, f"Titre {aid}")
            self.articles[aid] = Article(id=aid, title=title, text=text, lang="fr")
            self.sentences[aid] = records

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        return {t: self.df.get(t, 0) for t in dict.fromkeys(terms)}

    def sentence_blocks(
        self, spans: Sequence[tuple[str, int, int]], *, vectors: bool = True
    ) -> tuple[dict[str, Article], list[SentenceBlock]]:
        found = {aid: self.articles[aid] for aid, _, _ in spans if aid in self.articles}
        blocks = []
        for aid, first, last in spans:
            picks = [n for n in range(len(self.content.get(aid, []))) if first <= n <= last]
            rows = np.array([self.content[aid][n].vector for n in picks], dtype=np.float32)
            blocks.append(
                SentenceBlock(
                    [self.sentences[aid][n] for n in picks],
                    [self.content[aid][n].terms for n in picks],
                    rows if vectors and picks else None,
                )
            )
        return found, blocks

    def passage(self, chunk_id: int, article_id: str, first: int, last: int, score: float = 1.0) -> Passage:
        """A passage of sentences ``first..last`` of an article of this store."""
        article, sentences = self.articles[article_id], self.sentences[article_id]
        start, end = sentences[first].start, sentences[last].end
        return Passage(
            chunk_id, article.text[start:end], article_id, article.title, start, end, first, last, score
        )

    def score(
        self,
        question: QuestionAnalysis,
        passages: Sequence[Passage],
        *,
        vector: np.ndarray = QUESTION_VECTOR,
        weights: ScorerWeights = WEIGHTS,
    ) -> list[ScoredSentence]:
        return score_sentences(cast(Storage, self), question, passages, vector, weights=weights)


def question(
    *terms: str, subject: Sequence[str] = (), kind: str | None = None, text: str = "Une question ?"
) -> QuestionAnalysis:
    return QuestionAnalysis(text, "fr", terms, tuple(subject), kind, text)


def by_text(scored: Sequence[ScoredSentence]) -> dict[str, tuple[float, ...]]:
    return {s.sentence.text: s.features for s in scored}


def one_article(*sentences: S, df: dict[str, int] | None = None) -> tuple[StubStore, list[Passage]]:
    """A store of one article ``a`` and one passage over all its sentences."""
    store = StubStore({"a": list(sentences)}, df=df)
    return store, [store.passage(1, "a", 0, len(sentences) - 1)]


ZERO = ScorerWeights.from_vector([0.0] * (len(FEATURES) + 1))


def only(name: str, value: float = 1.0) -> ScorerWeights:
    """Weights that score by one feature alone (no intercept)."""
    return replace(ZERO, **{name: value})


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
