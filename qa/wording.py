"""How the claim check reads a piece of text: its words, numbers, names, negations and clauses.

Nothing here assumes a language; what is known of one comes as data, by its code: function
words from stopwords-iso (58 languages), numbers written in words from ``text2num`` (French,
English, Spanish, Portuguese, German, Dutch, Danish, Italian), negation and coordination
words for the languages listed in :data:`NEGATIONS` and :data:`CONJUNCTIONS`. A text in
another language is read with digits, capitals, punctuation and every list at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from index.analysis import fold

__all__ = ["Reading", "is_negated", "known", "numbers", "one_apart", "read", "split_clauses"]

_WORD = re.compile(r"[^\W\d_]+")  # letters only: "l'Ukraine", "emporte-t-elle" are several words
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f.,]\d{3}(?!\d))*(?:[.,]\d+)?")
_SCALED = re.compile(r"(\d+(?:[.,]\d+)?)\s+(1000|1000000|1000000000|1000000000000)(?!\d)")
_NOT = re.compile(r"n['’]t\b", re.I)  # English "didn't" reads as "did not"
_CLAUSE_MARKS = re.compile(r"\s*(?:[,;:()\[\]—–]|\s-\s)\s*")

MIN_CONTENT_LETTERS = 3
"""A word of fewer letters is never a content word (articles, elisions, units)."""

NEGATIONS = {
    "fr": "ne n pas aucun aucune aucuns aucunes jamais rien nul nulle ni guère sans non",
    "en": "not no never none nothing nobody neither nor without cannot nowhere",
    "es": "no nunca jamás ningún ninguno ninguna nada nadie ni sin tampoco",
    "de": "nicht kein keine keinen keinem keiner keines nie niemals nichts niemand weder ohne",
    "it": "non mai nessuno nessuna niente nulla né senza",
    "pt": "não nunca nenhum nenhuma nada ninguém nem sem",
    "nl": "niet geen nooit niets niemand zonder",
}
"""Words that turn a clause negative, by language (folded when read)."""

CONJUNCTIONS = {
    "fr": "et puis mais tandis alors donc car",
    "en": "and but then while whereas",
    "es": "y pero mientras",
    "de": "und aber während",
    "it": "e ma mentre",
    "pt": "e mas enquanto",
    "nl": "en maar terwijl",
}
"""Words that join two clauses, by language: a clause is checked on its own."""

_TEXT2NUM = frozenset({"fr", "en", "es", "pt", "de", "nl", "da", "it"})


def _code(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


@functools.cache
def _stopwords(language: str) -> frozenset[str]:
    import stopwordsiso

    if not language or not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(fold(w) for w in stopwordsiso.stopwords(language))


@functools.cache
def _listed(table: tuple[tuple[str, str], ...], language: str) -> frozenset[str]:
    lists = dict(table)
    chosen = [lists[language]] if language in lists else list(lists.values())
    return frozenset(fold(w) for words in chosen for w in words.split())


def _negations(language: str | None) -> frozenset[str]:
    return _listed(tuple(NEGATIONS.items()), _code(language))


def _conjunctions(language: str | None) -> frozenset[str]:
    code = _code(language)
    return _listed(tuple(CONJUNCTIONS.items()), code) if code in CONJUNCTIONS else frozenset()


def function_words(language: str | None) -> frozenset[str]:
    """The function words of ``language`` (folded); none for a language without a list."""
    return _stopwords(_code(language))


@dataclass(frozen=True)
class Reading:
    """A text as the check reads it: its words (folded, in order), its content words (no
    function words, at least :data:`MIN_CONTENT_LETTERS` letters), its capitalised words as
    written, and its numbers (digits, numbers written in words included)."""

    words: tuple[str, ...]
    content: tuple[str, ...]
    capitalised: tuple[str, ...]
    numbers: frozenset[str]


def read(text: str, language: str | None) -> Reading:
    """Read ``text`` (in ``language``, if known)."""
    stop = function_words(language)
    words = tuple(fold(m.group(0)) for m in _WORD.finditer(text))
    content = tuple(w for w in words if len(w) >= MIN_CONTENT_LETTERS and w not in stop)
    capitalised = tuple(
        m.group(0) for m in _WORD.finditer(text) if m.group(0)[:1].isupper() and fold(m.group(0)) not in stop
    )
    return Reading(words, content, capitalised, numbers(text, language))


def numbers(text: str, language: str | None) -> frozenset[str]:
    """The numbers of ``text`` as digits: ``48 000`` and ``48000`` are one number, ``cent`` is
    ``100``, ``3 millions`` is ``3000000``. A lone ``un``/``one`` is an article as often as a
    number: a number 1 read from words is left out."""
    written = {_digits(m) for m in _NUMBER.findall(text)}
    converted = _SCALED.sub(lambda m: _scaled(m.group(1), m.group(2)), _in_digits(text, _code(language)))
    found = {_digits(m) for m in _NUMBER.findall(converted)}
    return frozenset(found - ({"1"} - written))


def _in_digits(text: str, code: str) -> str:
    if code not in _TEXT2NUM:
        return text
    from text_to_num import alpha2digit

    try:
        return str(alpha2digit(text, code, threshold=0))
    except Exception:  # a text the parser cannot read keeps its digits only
        return text


def _scaled(number: str, scale: str) -> str:
    value = float(number.replace(",", ".")) * int(scale)
    return str(round(value)) if value == round(value) else _digits(str(value))


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def is_negated(text: str, language: str | None) -> bool:
    """Whether ``text`` holds a negation word of ``language`` (of every listed language when
    it has no list)."""
    cues = _negations(language)
    return any(fold(m.group(0)) in cues for m in _WORD.finditer(_NOT.sub(" not", text)))


def split_clauses(text: str, language: str | None) -> list[str]:
    """``text`` cut at clause punctuation and, in a language with a list, at the words that
    join clauses; a piece with fewer than two content words joins the one before it (or the
    next, when first)."""
    joins = _conjunctions(language)
    pieces: list[str] = []
    for part in _CLAUSE_MARKS.split(text):
        current: list[str] = []
        for token in part.split():
            if current and fold(token.strip("'’")) in joins:
                pieces.append(" ".join(current))
                current = []
            current.append(token)
        if current:
            pieces.append(" ".join(current))
    clauses: list[str] = []
    for piece in pieces:
        if clauses and min(len(read(piece, language).content), len(read(clauses[-1], language).content)) < 2:
            clauses[-1] += " " + piece
        else:
            clauses.append(piece)
    return clauses or [text]


def known(word: str, vocabulary: Collection[str]) -> bool:
    """Whether ``word`` (folded) is in ``vocabulary``, or begins like one of its words (at most
    two letters apart: inflections, ``Américains`` and ``américain``)."""
    if word in vocabulary:
        return True
    for other in vocabulary:
        short, long_ = (word, other) if len(word) <= len(other) else (other, word)
        if len(short) >= 4 and len(long_) - len(short) <= 2 and long_.startswith(short):
            return True
    return False


def one_apart(word: str, other: str, *, shortest: int = 6) -> bool:
    """Whether two words of at least ``shortest`` letters are one letter apart (a letter
    added, dropped or changed: a typo)."""
    if min(len(word), len(other)) < shortest or abs(len(word) - len(other)) > 1 or word == other:
        return False
    if len(word) > len(other):
        word, other = other, word
    for i, (a, b) in enumerate(zip(word, other, strict=False)):
        if a != b:
            rest = word[i + 1 :] if len(word) == len(other) else word[i:]
            return rest == other[i + 1 :]
    return True


def capitalised_inside(texts: Iterable[str]) -> frozenset[str]:
    """The words (folded) that ``texts`` write with a capital inside a sentence and never in
    lower case: names, as the texts the model was shown write them (``Pentagone``; not
    ``Nouvelle`` when another text writes ``nouvelle``)."""
    capitalised, lower = set(), set()
    for text in texts:
        for i, m in enumerate(_WORD.finditer(text)):
            word = m.group(0)
            if word[:1].isupper():
                if i:
                    capitalised.add(fold(word))
            else:
                lower.add(fold(word))
    return frozenset(capitalised - lower)
