"""Checking a composed answer against the sentences it cites, one claim (sentence) at a time.

A claim is kept only if all of these hold (the first that fails is its ``reason``):

- ``no_citation`` / ``unknown_citation``: it cites at least one sentence, and only sentences
  the model was shown;
- ``number``: every number it holds, in digits or in words (``cent``, ``thirty-nine``), is
  in the sentences it cites;
- ``name``: every name it holds is in the sentences it cites: a word with a capital wherever
  it stands (the first word too, unless a function word), and a word written in lower case
  that the texts the model was shown (or the question) write with a capital;
- ``negation``: each clause is negative exactly when the cited clause it rests on is;
- ``unsupported``: at most :data:`~qa.fitted.MAX_NEW_WORDS` of its content words are in none
  of the cited sentences (a clause appended to a true sentence brings several);
- ``distant``: each clause has at least :data:`~qa.fitted.SUPPORT_THRESHOLD` of its content
  words in the cited sentences;
- ``off_question``: it bears on the question: it, or a sentence it cites, shares a content
  word with the question (a word one letter away counts, for the question's typos).

Across languages (a claim in the question's language citing sentences of an article in
another, :attr:`~qa.records.Citation.language`), numbers, names and polarity are checked the
same way (each text read in its own language), but words cannot be compared: the two word
rules give way to one, ``distant``: each clause must be at least
:data:`~qa.fitted.CROSS_SUPPORT_THRESHOLD` similar to a cited sentence in the embedding model's
vectors (``encode``, the model that indexed the articles), and a clause's polarity is compared
with the cited clause the model finds closest. Without ``encode`` such a claim is removed
(``other_language``): it cannot be checked.

Support comes from the cited sentences only, never from the question: a reply that repeats
the question's words ("Sandy a détruit quatre centrales") is not supported by them. Words are
compared without case or accents, and a word matches another that begins like it (at most two
letters apart). The check reads words, numbers, names and polarity; it does not understand
paraphrase, and a false sentence made only of the cited sentence's own words can pass it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from index.analysis import fold
from index.sentences import split_sentences

from .fitted import CROSS_SUPPORT_THRESHOLD, MAX_NEW_WORDS, SUPPORT_THRESHOLD
from .records import Citation, Claim
from .wording import (
    Reading,
    capitalised_inside,
    function_words,
    is_negated,
    known,
    one_apart,
    read,
    split_clauses,
)

__all__ = [
    "Encode",
    "check_claims",
    "new_words",
    "split_claims",
    "support",
    "without_markers",
]


Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to unit vectors, one row each (an embedder's ``encode_queries``)."""

_MARKERS = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")


def split_claims(text: str, language: str | None) -> list[tuple[str, tuple[int, ...]]]:
    """The sentences of ``text``, each with the numbers its ``[n]`` markers cite (markers out
    of the text). Markers standing alone after a sentence belong to it."""
    claims: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text.strip(), lang=language):
        numbers = [int(n) for m in _MARKERS.finditer(sentence.text) for n in re.split(r"[,;]", m.group(1))]
        bare = _tidy(_MARKERS.sub("", sentence.text))
        if not any(c.isalnum() for c in bare):  # markers alone: they belong to the claim before
            if claims:
                claims[-1][1].extend(numbers)
            continue
        claims.append((bare, numbers))
    return [(bare, tuple(dict.fromkeys(numbers))) for bare, numbers in claims]


def check_claims(
    text: str,
    candidates: Sequence[Citation],
    *,
    question: str = "",
    language: str | None = None,
    threshold: float = SUPPORT_THRESHOLD,
    max_new_words: int = MAX_NEW_WORDS,
    encode: Encode | None = None,
    cross_threshold: float = CROSS_SUPPORT_THRESHOLD,
) -> list[Claim]:
    """Each claim of ``text`` checked against the ``candidates`` it cites (``cites`` are the
    candidates' numbers; ``candidates`` are every sentence the model was shown); ``encode``
    compares a claim with cited sentences in another language."""
    context = _Context(candidates, question, language, threshold, max_new_words, encode, cross_threshold)
    return [context.check(claim, cites) for claim, cites in split_claims(text, language)]


def without_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (an answer's, to compare or to show again)."""
    return _tidy(_MARKERS.sub("", text))


def support(claim: str, cited: Sequence[str], language: str | None = None) -> float:
    """The least share, over ``claim``'s clauses, of content words found in ``cited``."""
    return _support(claim, language, _vocabulary(cited, language))


def new_words(claim: str, cited: Sequence[str], language: str | None = None) -> list[str]:
    """The content words of ``claim`` (folded, once each) found in none of ``cited``."""
    return _new_words(read(claim, language), _vocabulary(cited, language))


def _support(claim: str, language: str | None, vocabulary: frozenset[str]) -> float:
    return min(_share(read(c, language), vocabulary) for c in split_clauses(claim, language))


def _new_words(said: Reading, vocabulary: frozenset[str]) -> list[str]:
    return [w for w in dict.fromkeys(said.content) if not known(w, vocabulary)]


def _vocabulary(texts: Sequence[str], language: str | None) -> frozenset[str]:
    return frozenset(w for text in texts for w in read(text, language).words)


class _Context:
    """What every claim of one reply is checked against."""

    def __init__(
        self,
        candidates: Sequence[Citation],
        question: str,
        language: str | None,
        threshold: float,
        max_new_words: int,
        encode: Encode | None = None,
        cross_threshold: float = CROSS_SUPPORT_THRESHOLD,
    ) -> None:
        self.shown = {c.number: c for c in candidates}
        self.language = language
        self.encode = encode
        self.cross_threshold = cross_threshold
        self.threshold = threshold
        self.max_new_words = max_new_words
        self.question = read(question, language)
        self.names = capitalised_inside([*(c.text for c in candidates), question])
        self.function_words = function_words(language)

    def check(self, claim: str, cites: tuple[int, ...]) -> Claim:
        if not cites:
            return Claim(claim, cites, False, "no_citation")
        unknown = [n for n in cites if n not in self.shown]
        if unknown:
            return Claim(claim, cites, False, "unknown_citation", f"[{unknown[0]}]")
        language = self.language
        cited_texts = [self.shown[n].text for n in cites]
        languages = [self.shown[n].language or language for n in cites]
        across = any(_code(other) != _code(language) for other in languages)
        if across and self.encode is None:
            return Claim(claim, cites, False, "other_language", languages[0] or "")
        cited = [read(t, other) for t, other in zip(cited_texts, languages, strict=True)]
        said = read(claim, language)
        vocabulary = frozenset(w for r in cited for w in r.words)
        cited_numbers = frozenset(n for r in cited for n in r.numbers)
        for number in sorted(said.numbers - cited_numbers):
            return Claim(claim, cites, False, "number", _as_written(number, claim))
        for name in self._names(claim, said):
            if not known(name[1], vocabulary):
                return Claim(claim, cites, False, "name", name[0])
        if across:
            return self._check_across(claim, cites, said, cited, cited_texts, languages)
        clauses = split_clauses(claim, language)
        cited_clauses = [c for t in cited_texts for c in split_clauses(t, language)]
        for clause in clauses:
            if is_negated(clause, language) != is_negated(
                _closest(clause, cited_clauses, language), language
            ):
                return Claim(claim, cites, False, "negation", clause)
        new = _new_words(said, vocabulary)  # the cited sentences' words, read once above
        if len(new) > self.max_new_words:
            return Claim(claim, cites, False, "unsupported", ", ".join(_as_written_words(new, claim)))
        share = _support(claim, language, vocabulary)
        if share < self.threshold:
            return Claim(claim, cites, False, "distant", f"{share:.2f}", round(share, 3))
        if not self._bears_on_question(said, cited):
            return Claim(claim, cites, False, "off_question", support=round(share, 3))
        return Claim(claim, cites, True, support=round(share, 3))

    def _check_across(
        self,
        claim: str,
        cites: tuple[int, ...],
        said: Reading,
        cited: Sequence[Reading],
        cited_texts: Sequence[str],
        languages: Sequence[str | None],
    ) -> Claim:
        """The word rules of a claim whose cited sentences are in another language: the
        model's similarity stands in for shared words."""
        assert self.encode is not None
        clauses = split_clauses(claim, self.language)
        cited_clauses = [
            (c, other)
            for t, other in zip(cited_texts, languages, strict=True)
            for c in split_clauses(t, other)
        ]
        vectors = self.encode([*clauses, *cited_texts, *(c for c, _ in cited_clauses)])
        mine = vectors[: len(clauses)]
        sentences = vectors[len(clauses) : len(clauses) + len(cited_texts)]
        parts = vectors[len(clauses) + len(cited_texts) :]
        closest = (mine @ parts.T).argmax(axis=1)
        for clause, index in zip(clauses, closest, strict=True):
            part, other = cited_clauses[int(index)]
            if is_negated(clause, self.language) != is_negated(part, other):
                return Claim(claim, cites, False, "negation", clause)
        similarity = float((mine @ sentences.T).max(axis=1).min())
        if similarity < self.cross_threshold:
            return Claim(claim, cites, False, "distant", f"{similarity:.2f}", round(similarity, 3))
        if not self._bears_on_question(said, cited):
            return Claim(claim, cites, False, "off_question", support=round(similarity, 3))
        return Claim(claim, cites, True, support=round(similarity, 3))

    def _names(self, claim: str, said: Reading) -> list[tuple[str, str]]:
        """The names of ``claim``, each as written and folded: capitalised words anywhere but
        function words, and words the texts shown write with a capital."""
        found = {name.casefold(): name for name in said.capitalised}
        for word in said.content:
            if word in self.names:
                found.setdefault(word, word)
        return [
            (written, fold(written)) for written in found.values() if fold(written) not in self.function_words
        ]

    def _bears_on_question(self, said: Reading, cited: Sequence[Reading]) -> bool:
        """Whether the claim, or a sentence it cites, shares a content word with the question
        (an answer that lists names need not repeat the question's words; an instruction
        planted in an unrelated article shares none)."""
        asked = frozenset(self.question.content)
        if not asked:
            return True  # nothing to compare with ("Et alors ?")
        words = {*said.content, *(w for r in cited for w in r.content)}
        return any(known(w, asked) or any(one_apart(w, a) for a in asked) for w in words)


def _code(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


def _share(clause: Reading, vocabulary: frozenset[str]) -> float:
    words = clause.content
    return sum(known(w, vocabulary) for w in words) / len(words) if words else 1.0


def _closest(clause: str, cited_clauses: Sequence[str], language: str | None) -> str:
    """The cited clause that shares the most content words with ``clause``."""
    words = frozenset(read(clause, language).content)
    return max(
        cited_clauses,
        key=lambda c: sum(known(w, words) for w in read(c, language).content),
        default="",
    )


def _as_written(number: str, claim: str) -> str:
    """``number`` as the claim writes it, when it writes it in digits; else the digits."""
    for found in re.finditer(r"\d[\d \u00a0\u202f.,]*", claim):
        if re.sub(r"\D", "", found.group(0)) == number:
            return found.group(0).strip(" .,")
    return number


def _as_written_words(folded: Sequence[str], claim: str) -> list[str]:
    """The words ``folded`` as the claim writes them."""
    written = {fold(m.group(0)): m.group(0) for m in re.finditer(r"[^\W\d_]+", claim)}
    return [written.get(w, w) for w in folded]


def _tidy(text: str) -> str:
    """A claim without its markers: no space left before punctuation, none doubled."""
    text = re.sub(r"\s+([.,;:!?…»)])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()
