"""Checking a composed answer against the sentences it cites, one claim (sentence) at a time.

A claim is kept only if it cites at least one sentence, every number it cites was shown to
the model, every number and name it holds is written in the sentences it cites, and enough of
its words are found there or in the question (:data:`SUPPORT_THRESHOLD`, fitted by
``bench/claims.py`` on the fit split). Words are compared without case or accents, and a
word matches another that begins like it (``Américains`` and ``américain``), so that the check
assumes no language.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from index.analysis import fold
from index.segment import split_sentences

from .records import Citation, Claim

__all__ = ["SUPPORT_THRESHOLD", "check_claims", "split_claims", "support", "without_markers"]

SUPPORT_THRESHOLD = 0.45
"""The least share of a claim's words (of four letters or more) that the cited sentences or
the question must hold: fitted on PIAF's fit part by ``bench/claims.py`` (bench/results/claims.json)."""

_MARKERS = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f.,]\d{3}(?!\d))*(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_]+")  # letters only: "l'Ukraine", "emporte-t-elle" are several words


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
) -> list[Claim]:
    """Each claim of ``text`` checked against the ``candidates`` it cites (``cites`` are the
    candidates' numbers)."""
    shown = {c.number: c for c in candidates}
    question_words = _words(question)
    verdicts = []
    for claim, cites in split_claims(text, language):
        verdicts.append(_check(claim, cites, shown, question_words, threshold))
    return verdicts


def without_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (an answer's, to compare or to show again)."""
    return _tidy(_MARKERS.sub("", text))


def support(claim: str, cited: Sequence[str], question: str = "") -> float:
    """The share of ``claim``'s words of four letters or more found in ``cited`` or ``question``."""
    return _share(claim, _words(" ".join(cited)) | _words(question))


def _check(
    claim: str,
    cites: tuple[int, ...],
    shown: dict[int, Citation],
    question_words: frozenset[str],
    threshold: float,
) -> Claim:
    if not cites:
        return Claim(claim, cites, False, "no_citation")
    unknown = [n for n in cites if n not in shown]
    if unknown:
        return Claim(claim, cites, False, "unknown_citation", f"[{unknown[0]}]")
    cited = [shown[n].text for n in cites]
    numbers = {_digits(m) for t in cited for m in _NUMBER.findall(t)}
    for found in _NUMBER.findall(claim):
        if _digits(found) not in numbers:
            return Claim(claim, cites, False, "number", found.strip())
    cited_words = _words(" ".join(cited))
    for name in _names(claim):
        if not _known(fold(name), cited_words):
            return Claim(claim, cites, False, "name", name)
    share = _share(claim, cited_words | question_words)
    if share < threshold:
        return Claim(claim, cites, False, "distant", f"{share:.2f}", round(share, 3))
    return Claim(claim, cites, True, support=round(share, 3))


def _share(claim: str, known: frozenset[str]) -> float:
    words = [w for w in _word_list(claim) if len(w) >= 4]
    return sum(_known(w, known) for w in words) / len(words) if words else 1.0


def _names(claim: str) -> list[str]:
    """The words of ``claim`` written with a capital, but for its first word."""
    names = []
    for i, match in enumerate(_WORD.finditer(claim)):
        word = match.group(0)
        if i == 0 and match.start() == len(claim) - len(claim.lstrip(" «\"'“(")):
            continue
        if word[:1].isupper():
            names.append(word)
    return names


def _known(word: str, known: Collection[str]) -> bool:
    """Whether ``word`` (folded) is in ``known``, or begins like one of its words (at most two
    letters apart: inflections)."""
    if word in known:
        return True
    for other in known:
        short, long_ = (word, other) if len(word) <= len(other) else (other, word)
        if len(short) >= 4 and len(long_) - len(short) <= 2 and long_.startswith(short):
            return True
    return False


def _words(text: str) -> frozenset[str]:
    return frozenset(_word_list(text))


def _word_list(text: str) -> list[str]:
    return [fold(m.group(0)) for m in _WORD.finditer(text)]


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def _tidy(text: str) -> str:
    """A claim without its markers: no space left before punctuation, none doubled."""
    text = re.sub(r"\s+([.,;:!?…»)])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()
