"""Choosing the sentences that answer: score every sentence of the top passages, pick, or abstain.

Each candidate sentence gets a few signals, all measured by ``article-qa eval``:

- ``lexical``: the share of the question's IDF weight that the sentence holds (analysed terms);
- ``context``: the same share over the sentence and its two neighbours;
- ``dense``: cosine of the question and sentence vectors (stored in the index);
- ``passage``: the reciprocal rank of the passage the sentence came from;
- ``kind``: the sentence holds, outside the question's own words, what the question asks for
  (a number for *combien / how many*, a date for *quand / when*, a name for *qui / who*…);
- ``short``: the sentence is a heading-like fragment.

The score is a logistic combination of them (weights fitted on SQuAD/PIAF questions, see
``docs/quality.md``), so it reads as the probability that the sentence holds the answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index import Article, IndexStore, Sentence
from index.analysis import analyze

from .question import QuestionAnalysis
from .records import Passage

FEATURES = ("lexical", "context", "dense", "passage", "kind", "short")

# Fitted by logistic regression (bench/fit_citations.py); the last value is the intercept.
WEIGHTS = (4.0, 2.0, 4.0, 1.5, 1.0, -1.5, -6.0)

_NUMBER = re.compile(
    r"\d|\b(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent|mille|million|milliard|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)s?\b",
    re.I,
)
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b\d{1,2}(?:er)?\s+\w+\s+\d{2,4}\b")
_MONTH = re.compile(
    r"\b(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"si[èe]cle|century)\b",
    re.I,
)


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence with its signals and score (probability it answers)."""

    sentence: Sentence
    article: Article
    passage: Passage
    features: tuple[float, ...]
    score: float


def score_sentences(
    store: IndexStore,
    question: QuestionAnalysis,
    passages: Sequence[Passage],
    question_vector: np.ndarray,
    *,
    weights: Sequence[float] = WEIGHTS,
) -> list[ScoredSentence]:
    """Score every sentence of ``passages`` for how well it answers ``question``, best first."""
    idf = _idf(store, question)
    total = sum(idf.values()) or 1.0
    seen: set[tuple[str, int]] = set()
    scored: list[ScoredSentence] = []
    articles: dict[str, Article] = {}
    for rank, passage in enumerate(passages, start=1):
        article = articles.get(passage.article_id) or store.article(passage.article_id)
        articles[article.id] = article
        first = max(0, passage.first_sentence - 1)
        sentences, vectors = store.sentences_with_vectors(article, first, passage.last_sentence + 1)
        if vectors is None or not sentences:
            continue
        terms = [set(analyze(s.text, article.lang)) for s in sentences]
        dense = vectors @ question_vector.astype(np.float32)
        for i, sentence in enumerate(sentences):
            inside = passage.first_sentence <= sentence.ordinal <= passage.last_sentence
            if not inside or (article.id, sentence.ordinal) in seen:
                continue
            seen.add((article.id, sentence.ordinal))
            window = set().union(*terms[max(0, i - 1) : i + 2])
            features = (
                sum(w for t, w in idf.items() if t in terms[i]) / total,
                sum(w for t, w in idf.items() if t in window) / total,
                float(dense[i]),
                1.0 / rank,
                _kind_match(question, sentence.text),
                1.0 if len(sentence.text) < 30 else 0.0,
            )
            scored.append(ScoredSentence(sentence, article, passage, features, _logistic(features, weights)))
    scored.sort(key=lambda s: -s.score)
    return scored


def _idf(store: IndexStore, question: QuestionAnalysis) -> dict[str, float]:
    """IDF weight of each question term; subject terms of a follow-up count half."""
    n = max(store.manifest.counts.get("chunks", 1), 1)
    df = store.document_frequencies(question.all_terms)
    weights = {t: math.log(1 + n / (1 + df.get(t, 0))) for t in question.terms}
    for t in question.subject_terms:
        weights.setdefault(t, 0.5 * math.log(1 + n / (1 + df.get(t, 0))))
    return weights


def _kind_match(question: QuestionAnalysis, text: str) -> float:
    """1.0 when the sentence holds, beyond the question's words, the kind of answer asked."""
    if question.kind is None:
        return 0.0
    asked = {w.casefold() for w in re.findall(r"\w+", question.text)}
    novel = [(i, w) for i, w in enumerate(re.findall(r"[\w'’-]+", text)) if w.casefold() not in asked]
    if question.kind == "number":
        found = any(_NUMBER.search(w) for _, w in novel)
    elif question.kind == "date":
        joined = " ".join(w for _, w in novel)
        found = bool(_YEAR.search(joined) or _MONTH.search(joined))
    else:  # person, place: a capitalised word, not the sentence's first, the question lacks
        found = any(i > 0 and w[:1].isupper() for i, w in novel)
    return 1.0 if found else 0.0


def _logistic(features: Sequence[float], weights: Sequence[float]) -> float:
    z = weights[-1] + sum(w * f for w, f in zip(weights, features, strict=False))
    return 1.0 / (1.0 + math.exp(-z))


def select(
    scored: Sequence[ScoredSentence], *, threshold: float, max_citations: int = 3, keep_ratio: float = 0.8
) -> list[ScoredSentence]:
    """The best sentence if it clears ``threshold``, then up to two more scoring close to it."""
    if not scored or scored[0].score < threshold:
        return []
    best = scored[0]
    chosen = [best]
    for candidate in scored[1:]:
        if len(chosen) >= max_citations:
            break
        if candidate.score >= max(threshold, keep_ratio * best.score):
            chosen.append(candidate)
    return chosen
