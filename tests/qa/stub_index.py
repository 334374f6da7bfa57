"""A hand-made index for the scorer's tests (tests/qa/test_scoring.py, test_selection.py).

``score_sentences`` reads three things of an index: the chunk count, the terms' document
frequencies and blocks of sentences (text, analysed terms, vectors). :class:`StubStore` serves
those from sentences written in the tests, so each signal's expected value follows from its rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np

from index import Article, Sentence, Storage
from index.storage import SentenceBlock
from qa.fitted import CROSS_WEIGHTS, FEATURES, WEIGHTS, ScorerWeights
from qa.question import QuestionAnalysis
from qa.records import Passage
from qa.scoring import (
    ScoredSentence,
    score_sentences,
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
        cross_weights: ScorerWeights = CROSS_WEIGHTS,
    ) -> list[ScoredSentence]:
        return score_sentences(
            cast(Storage, self), question, passages, vector, weights=weights, cross_weights=cross_weights
        )


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
