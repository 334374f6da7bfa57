"""Choosing the sentences that answer: score the sentences of the candidate passages, re-rank
the passages by their best sentence, pick one to three sentences, or abstain.

Each candidate sentence gets a few signals, all measured by ``article-qa eval``:

- ``lexical``: the share of the question's IDF weight that the sentence holds (analysed terms);
- ``context``: the same share over the sentence and its two neighbours;
- ``phrase``: the share of the question's adjacent term pairs found adjacent in the sentence;
- ``dense``: cosine of the question and sentence vectors (stored in the index);
- ``passage``: the passage's fused retrieval score, scaled to 0..1 among the candidates;
- ``kind``: the sentence holds, outside the question's own words, what the question asks for
  (a number for *combien / how many*, a date for *quand / when*, a name for *qui / who*…);
- ``short``: the sentence is a heading-like fragment;
- ``fuzzy``: the share of the question's IDF weight whose terms share their first five letters
  with a term of the sentence (``atteint`` / ``atteignent``, spelling slips);
- ``length``: the logarithm of the sentence's length in terms;
- ``novel``: the share of the sentence's terms that the question lacks (an answer adds words);
- ``titled``: the share of the question's IDF weight that the sentence *or its article's title*
  holds. A sentence is indexed under its title (its vector is the title's and the sentence's),
  so *Il était sur Le Foudroyant* in the article *Robert Haldane* answers a question that names
  him as well as the lead sentence that does;
- ``lexical_gap`` / ``dense_gap``: how far the sentence is from the best candidate on those
  two signals (0 for the best), so the scale of one question does not mislead another;
- ``chunk_lexical``, ``chunk_dense``, ``chunk_titled``, ``chunk_phrase``: the best value of
  that signal among the sentences of the sentence's passage: a sentence whose passage matches
  the question as a whole is likelier to answer it than one alone in an unrelated passage.

The score is a logistic combination of them, so it reads as the probability that the sentence
holds the answer. Its weights (:class:`qa.fitted.ScorerWeights`, one per signal, named there in
the order of a sentence's feature vector) and the passage weight are fitted by ``make fit`` on
the fit split (``bench/fit.py``, ``bench/results/fit.json``; see ``docs/quality.md``) and kept
in :mod:`qa.fitted` (the default model's are the defaults here).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

import numpy as np

from index import Article, Sentence, Storage
from index.analysis import analyze, script_of

from .fitted import CROSS_WEIGHTS, FEATURES, PASSAGE_WEIGHT, SCRIPT_WEIGHTS, WEIGHTS, ScorerWeights
from .question import QuestionAnalysis
from .records import Passage
from .retriever import min_max

# A sentence is cited beside the best one if its score is at least this share of the best's.
# With the chunk_* signals a passage's sentences score closer together, and at 0.8 an answer
# cited 2.10 sentences instead of 1.66; at 0.9 it cites 1.61, and a second or third citation
# holds the answer as often as before (800 PIAF fit questions, docs/quality.md).
KEEP_RATIO = 0.9

_NUMBER_WORDS = (
    "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "vingt", "trente",
    "cent", "mille", "million", "milliard", "one", "two", "three", "four", "five", "seven", "eight",
    "nine", "ten", "twenty", "hundred", "thousand", "billion",
)  # fmt: skip
_NUMBER = re.compile(
    # The look-ahead lets the search skip at once what no number starts with (6 µs a sentence
    # instead of 11); what it matches is the same.
    rf"(?=[\d{''.join(sorted({w[0] for w in _NUMBER_WORDS}))}])(?:\d|\b(?:{'|'.join(_NUMBER_WORDS)})s?\b)",
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
    """A candidate sentence with its signals (in :data:`~qa.fitted.FEATURES` order) and its
    score (the probability that it answers)."""

    sentence: Sentence
    article: Article
    passage: Passage
    features: tuple[float, ...]
    score: float
    pair: str = "same"
    """The article's language beside the question's: ``same``, ``cross`` (another language in
    the same script) or ``script`` (another script: only digits are written alike)."""

    @property
    def cross(self) -> bool:
        """The article is in another language than the question."""
        return self.pair != "same"


@dataclass(frozen=True)
class _Reading:
    """The question's terms as read in one language: their IDF weights and adjacent pairs."""

    idf: dict[str, float]
    total: float
    pairs: list[tuple[str, str]]


def _reading(store: Storage, question: QuestionAnalysis, terms: Sequence[str]) -> _Reading:
    idf = _idf(store, terms, question.subject_terms)
    return _Reading(idf, sum(idf.values()) or 1.0, list(itertools.pairwise(terms)))


def score_sentences(
    store: Storage,
    question: QuestionAnalysis,
    passages: Sequence[Passage],
    question_vector: np.ndarray,
    *,
    weights: ScorerWeights = WEIGHTS,
    cross_weights: ScorerWeights = CROSS_WEIGHTS,
    script_weights: ScorerWeights = SCRIPT_WEIGHTS,
) -> list[ScoredSentence]:
    """Score every sentence of ``passages`` for how well it answers ``question``, best first.

    A sentence of an article in another language than the question's is scored with
    ``cross_weights`` (``script_weights`` when the article is in another script), its word
    signals measured on the question's words as read in the article's language
    (:meth:`~qa.question.QuestionAnalysis.terms_in`)."""
    fused = min_max([p.score for p in passages])
    seen: set[tuple[str, int]] = set()
    raw: list[tuple[Sentence, Article, Passage, dict[str, float], str]] = []
    qvec = question_vector.astype(np.float32)
    readings: dict[str | None, _Reading] = {}
    scripts: dict[str, str] = {}  # by article id
    question_script: str | None = None  # read only across languages
    # Each passage's sentences, with one neighbour either side for the window signal.
    articles, blocks = store.sentence_blocks(
        [(p.article_id, max(0, p.first_sentence - 1), p.last_sentence + 1) for p in passages]
    )
    for passage, passage_score, block in zip(passages, fused, blocks, strict=True):
        inside = [
            i
            for i, s in enumerate(block.sentences)
            if passage.first_sentence <= s.ordinal <= passage.last_sentence
        ]
        if block.vectors is None or not inside:
            continue
        article = articles[passage.article_id]
        cross = bool(article.lang) and article.lang != question.language
        pair = "same"
        if cross:
            if article.id not in scripts:
                scripts[article.id] = script_of(" ".join(block.sentences[i].text for i in inside[:3]))
            if question_script is None:
                question_script = script_of(question.text)
            pair = "cross" if scripts[article.id] == question_script else "script"
        reading = readings.get(article.lang if cross else None)
        if reading is None:
            asked = question.terms_in(article.lang) if cross else question.terms
            reading = readings[article.lang if cross else None] = _reading(store, question, asked)
        idf, total = reading.idf, reading.total
        title = _title_terms(article.title, article.lang)
        dense = block.vectors @ qvec
        sets = [frozenset(t) for t in block.terms]
        lexical = {i: sum(w for t, w in idf.items() if t in sets[i]) / total for i in inside}
        phrase = {i: _phrase_share(reading.pairs, block.terms[i], sets[i]) for i in inside}
        titled = {i: sum(w for t, w in idf.items() if t in sets[i] or t in title) / total for i in inside}
        # The passage's best on four signals, shared by its sentences (the chunk_* signals).
        chunk = {
            "chunk_lexical": max(lexical.values()),
            "chunk_dense": float(max(dense[i] for i in inside)),
            "chunk_titled": max(titled.values()),
            "chunk_phrase": max(phrase.values()),
        }
        for i in inside:
            sentence = block.sentences[i]
            if (article.id, sentence.ordinal) in seen:
                continue
            seen.add((article.id, sentence.ordinal))
            terms = sets[i]
            window = terms.union(*sets[max(0, i - 1) : i + 2])
            signals = {
                "lexical": lexical[i],
                "context": sum(w for t, w in idf.items() if t in window) / total,
                "phrase": phrase[i],
                "dense": float(dense[i]),
                "passage": passage_score,
                "kind": _kind_match(question, sentence.text),
                "short": 1.0 if len(sentence.text) < 30 else 0.0,
                "novel": len(terms - idf.keys()) / len(terms) if terms else 0.0,
                "fuzzy": _fuzzy_share(idf, terms) / total,
                "length": math.log1p(len(block.terms[i])),
                "titled": titled[i],
                **chunk,
            }
            raw.append((sentence, article, passage, signals, pair))
    # The gaps to the best candidate are known only once every candidate has its signals.
    best_lexical = max((f["lexical"] for *_, f, _ in raw), default=0.0)
    best_dense = max((f["dense"] for *_, f, _ in raw), default=0.0)
    vectors = {"same": weights.vector(), "cross": cross_weights.vector(), "script": script_weights.vector()}
    scored = []
    for sentence, article, passage, signals, pair in raw:
        signals["lexical_gap"] = best_lexical - signals["lexical"]
        signals["dense_gap"] = best_dense - signals["dense"]
        features = _in_order(signals)
        score = _logistic(features, vectors[pair])
        scored.append(ScoredSentence(sentence, article, passage, features, score, pair))
    scored.sort(key=lambda s: -s.score)
    return scored


def rank_passages(
    passages: Sequence[Passage],
    scored: Sequence[ScoredSentence],
    top_k: int,
    *,
    passage_weight: float = PASSAGE_WEIGHT,
) -> list[Passage]:
    """Re-rank ``passages`` by their best sentence's score plus a share of the fused score."""
    best: dict[int, float] = {}
    for s in scored:
        best.setdefault(s.passage.chunk_id, s.score)
    fused = min_max([p.score for p in passages])
    ranked = sorted(
        (
            replace(p, score=round(best.get(p.chunk_id, 0.0) + passage_weight * f, 6))
            for p, f in zip(passages, fused, strict=True)
        ),
        key=lambda p: -p.score,
    )
    return ranked[:top_k]


def select(
    scored: Sequence[ScoredSentence],
    passages: Sequence[Passage],
    *,
    threshold: float,
    cross_threshold: float | Mapping[str, float] | None = None,
    script_threshold: float | Mapping[str, float] | None = None,
    max_citations: int = 3,
    keep_ratio: float = KEEP_RATIO,
    already_said: str = "",
) -> list[ScoredSentence]:
    """The best sentence of ``passages`` if it clears ``threshold``, then up to two close to it.

    A sentence of an article in another language than the question's must clear
    ``cross_threshold`` instead (``script_threshold`` in another script; ``None``:
    ``threshold``): its score comes from other weights. Either may be a mapping from the
    article's language to its threshold, with a ``default``.

    Sentences found in ``already_said`` (the earlier answers of a conversation, for a
    follow-up) are passed over: a follow-up asks for something new.
    """
    kept = {p.chunk_id: p for p in passages}
    candidates = [
        s
        for s in scored
        if s.passage.chunk_id in kept and not (already_said and s.sentence.text in already_said)
    ]

    def bar(s: ScoredSentence) -> float:
        chosen = {"cross": cross_threshold, "script": script_threshold}.get(s.pair)
        if isinstance(chosen, Mapping):
            return chosen.get(s.article.lang or "", chosen["default"])
        return threshold if chosen is None else chosen

    if not candidates or candidates[0].score < bar(candidates[0]):
        return []
    best = candidates[0]
    chosen = [best]
    for candidate in candidates[1:]:
        if len(chosen) >= max_citations:
            break
        if candidate.score >= max(bar(candidate), keep_ratio * best.score) and all(
            candidate.sentence.text != c.sentence.text for c in chosen
        ):  # a sentence repeated in another article (a copy) is cited once
            chosen.append(candidate)
    return [replace(s, passage=kept[s.passage.chunk_id]) for s in chosen]  # as re-ranked


def _idf(store: Storage, terms: Sequence[str], subject_terms: Sequence[str]) -> dict[str, float]:
    """IDF weight of each question term; subject terms of a follow-up count half."""
    n = max(store.manifest.counts.get("chunks", 1), 1)
    df = store.document_frequencies(tuple(dict.fromkeys((*terms, *subject_terms))))
    weights = {t: math.log(1 + n / (1 + df.get(t, 0))) for t in terms}
    for t in subject_terms:
        weights.setdefault(t, 0.5 * math.log(1 + n / (1 + df.get(t, 0))))
    return weights


@functools.lru_cache(maxsize=1024)
def _title_terms(title: str, lang: str | None) -> frozenset[str]:
    """The analysed terms of an article's title (the same few titles recur across questions)."""
    return frozenset(analyze(title, lang))


def _fuzzy_share(idf: dict[str, float], terms: frozenset[str]) -> float:
    """IDF weight of question terms that share a five-letter prefix with a sentence term."""
    prefixes = {t[:5] for t in terms if len(t) >= 5}
    return sum(w for t, w in idf.items() if t in terms or (len(t) >= 5 and t[:5] in prefixes))


def _phrase_share(
    pairs: Sequence[tuple[str, str]], words: Sequence[str], present: AbstractSet[str] | None = None
) -> float:
    """The share of the question's adjacent term pairs that are adjacent in ``words``
    (``present``: the set of ``words``, if known; the pairs are looked for only when one of
    them has both its terms there, as few sentences do)."""
    if not pairs:
        return 0.0
    if present is not None and not any(a in present and b in present for a, b in pairs):
        return 0.0
    adjacent = set(itertools.pairwise(words))
    return sum(1 for pair in pairs if pair in adjacent) / len(pairs)


_in_order = operator.itemgetter(*FEATURES)
"""A sentence's signals as its feature vector, in :data:`~qa.fitted.FEATURES` order (a tuple)."""
_WORD = re.compile(r"[\w'’-]+")
_WORD_CHAR = re.compile(r"[\w'’-]").match
_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=256)
def _words(text: str) -> frozenset[str]:
    """The case-folded words of ``text`` (a question: asked once per sentence scored), whole
    (``jean-marc``, ``f-16``) and in their parts (``jean``, ``marc``), as sentences are read."""
    whole = [w.casefold() for w in _WORD.findall(text)]
    return frozenset(whole).union(p for w in whole for p in re.findall(r"\w+", w))


def _kind_match(question: QuestionAnalysis, text: str) -> float:
    """1.0 when the sentence holds, beyond the question's words, the kind of answer asked.

    A server scores about 170 sentences a question, and this was a seventh of its Python time
    (py-spy, stop 39): a number is looked for in the whole sentence first, then only the words
    that hold one are read, and a sentence without digits or month names holds no date."""
    if question.kind is None:
        return 0.0
    asked = _words(question.text)
    if question.kind == "number":
        # A word holds a number where the sentence does: \d, or a number word between word
        # boundaries, which a word's edges are in the sentence as they are alone.
        at = _NUMBER.search(text)
        while at is not None:
            word = _word_at(text, at.start())
            if word.group().casefold() not in asked:
                return 1.0
            at = _NUMBER.search(text, word.end())
        return 0.0
    if question.kind == "date":
        if not (_DIGIT.search(text) or _MONTH.search(text)):  # what a date needs, in any word
            return 0.0
        joined = " ".join(w for w in _WORD.findall(text) if w.casefold() not in asked)
        return 1.0 if _YEAR.search(joined) or _MONTH.search(joined) else 0.0
    # person, place: a capitalised word, not the sentence's first, the question lacks
    words = itertools.islice(_WORD.findall(text), 1, None)
    return 1.0 if any(w[:1].isupper() and w.casefold() not in asked for w in words) else 0.0


def _word_at(text: str, at: int) -> re.Match[str]:
    """The word (as :data:`_WORD` reads them) of ``text`` that holds the character at ``at``."""
    start = at
    while start > 0 and _WORD_CHAR(text, start - 1):
        start -= 1
    found = _WORD.match(text, start)
    assert found is not None  # the character at ``at`` is a word character
    return found


def _logistic(features: Sequence[float], weights: Sequence[float]) -> float:
    # The products summed in the same order as a loop would (the same float), in C.
    z = weights[-1] + sum(map(operator.mul, weights, features))
    return 1.0 / (1.0 + math.exp(-z))


def distinct_passages(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` without repeats of a text already listed (copies of one story, as wire
    services send them to many papers): the best-ranked copy stays."""
    seen: set[str] = set()
    kept = []
    for passage in passages:
        if passage.text not in seen:
            seen.add(passage.text)
            kept.append(passage)
    return kept
