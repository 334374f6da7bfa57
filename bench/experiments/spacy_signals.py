"""The two signals spaCy's French pipeline was tried for (``bench.experiments.answer_types``):
``ent_kind``, the sentence holds the kind of answer the question asks for, and ``lemma``, the
IDF share of the question's content lemmas that the sentence holds."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import index

MODEL = "fr_core_news_md"
ENTITY = {"person": "PER", "place": "LOC"}
_QUESTION_WORDS = frozenset((
    "qui", "que", "quoi", "quel", "quelle", "quels", "quelles", "quand", "combien", "comment", "pourquoi",
    "où", "ou", "lequel", "laquelle", "lesquels", "lesquelles", "est-ce",
))  # fmt: skip
_YEAR = re.compile(r"^(?:1[0-9]{3}|20[0-9]{2})$")
_DATE_LEMMAS = frozenset((
    "janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout",
    "septembre", "octobre", "novembre", "décembre", "decembre", "siècle", "siecle",
))  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    """What the signals need of a spaCy parse."""

    words: frozenset[str]  # case-folded words (\\w+), the "question's own words"
    lemmas: frozenset[str]  # case-folded lemmas of every non-punctuation token
    content: tuple[str, ...]  # content lemmas (no stop words, punctuation, question words)
    entities: tuple[tuple[str, str], ...]  # (label, text)
    numbers: tuple[str, ...]  # tokens like_num or POS NUM
    dates: tuple[str, ...]  # year-like numbers, months, "siècle"


def words(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in re.findall(r"\w+", text))


def parse(doc: Any) -> Parsed:
    lemmas = [t.lemma_.casefold() for t in doc if not (t.is_punct or t.is_space)]
    content = [
        t.lemma_.casefold()
        for t in doc
        if (t.is_alpha or t.like_num)
        and not t.is_stop
        and t.lower_ not in _QUESTION_WORDS
        and t.lemma_.casefold() not in _QUESTION_WORDS
    ]
    return Parsed(
        words=words(doc.text),
        lemmas=frozenset(lemmas),
        content=tuple(dict.fromkeys(content)),
        entities=tuple((e.label_, e.text) for e in doc.ents),
        numbers=tuple(t.text for t in doc if t.like_num or t.pos_ == "NUM"),
        dates=tuple(
            t.text for t in doc if (t.like_num and _YEAR.match(t.text)) or t.lemma_.casefold() in _DATE_LEMMAS
        ),
    )


class French:
    """fr_core_news_md with a parse cache per unique text."""

    def __init__(self, batch_size: int = 256) -> None:
        started = time.perf_counter()
        import spacy

        self.import_s = time.perf_counter() - started
        started = time.perf_counter()
        # The dependency parser serves none of the signals: left out (lemmas need only the morphologizer).
        self.nlp = spacy.load(MODEL, exclude=["parser"])
        self.load_s = time.perf_counter() - started
        self.version = f"spacy {spacy.__version__}, {MODEL} {self.nlp.meta.get('version')}"
        self.pipes = list(self.nlp.pipe_names)
        self.batch_size = batch_size
        self.cache: dict[str, Parsed] = {}

    def parse_all(self, texts: Iterable[str]) -> tuple[int, float]:
        """Parse the texts not yet cached; how many, and the seconds it took."""
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        started = time.perf_counter()
        for text, doc in zip(todo, self.nlp.pipe(todo, batch_size=self.batch_size), strict=True):
            self.cache[text] = parse(doc)
        return len(todo), time.perf_counter() - started

    def uncached(self, texts: Sequence[str]) -> list[Parsed]:
        return [parse(doc) for doc in self.nlp.pipe(texts, batch_size=self.batch_size)]


def ent_kind(kind: str | None, question: Parsed, sentence: Parsed) -> float:
    """1.0 when the sentence holds, outside the question's words, the kind of answer asked."""
    asked = question.words

    def novel(text: str) -> bool:
        return not words(text) <= asked

    if kind in ENTITY:
        found = any(label == ENTITY[kind] and novel(text) for label, text in sentence.entities)
    elif kind == "number":
        found = any(novel(t) for t in sentence.numbers)
    elif kind == "date":
        found = any(novel(t) for t in sentence.dates)
    else:
        found = False
    return 1.0 if found else 0.0


def lemma_share(question: Parsed, sentence: Parsed, idf: dict[str, float], default: float) -> float:
    weights = {lemma: idf.get(lemma, default) for lemma in question.content}
    total = sum(weights.values())
    return sum(w for lemma, w in weights.items() if lemma in sentence.lemmas) / total if total else 0.0


def index_idf(store: index.Storage, french: French) -> tuple[dict[str, float], float, int, float]:
    """Lemma IDF over every sentence of the index (parsing them all: the bulk speed figure)."""
    texts = [s.text for article in store.articles() for s in store.sentences(article)]
    parsed, seconds = french.parse_all(texts)
    unique = list(dict.fromkeys(texts))
    df = Counter(lemma for t in unique for lemma in french.cache[t].lemmas)
    n = len(unique)
    idf = {lemma: math.log(1 + n / (1 + c)) for lemma, c in df.items()}
    return idf, math.log(1 + n), parsed, seconds
