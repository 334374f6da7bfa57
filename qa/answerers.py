"""The seam between finding the sentences and writing the answer: :class:`Answerer`.

The assistant retrieves passages, scores their sentences and selects those that answer
(or abstains); an answerer then writes the :class:`Answer` from what it is given, an
:class:`AnswerRequest`. The default, :class:`ExtractiveAnswerer`, quotes the selected
sentences. :class:`qa.GenerativeAnswerer` has a language model compose the answer from the
numbered candidate sentences and checks every claim it writes.

An answerer is never asked when the scorer abstains: the assistant answers "not found"
itself, so that no model can invent an answer where the articles are silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .records import Answer, Citation, Passage, Turn
from .scoring import ScoredSentence

NOT_FOUND = {
    "fr": "Je n'ai pas trouvé la réponse dans les articles.",
    "en": "I could not find the answer in the articles.",
}

DECLINED = {
    "fr": "Le modèle n'a pas trouvé la réponse dans les passages les plus proches.",
    "en": "The model found no answer in the closest passages.",
}
"""What a composed answer says when the model found no answer in the sentences it was shown."""

CANDIDATE_SENTENCES = 8
"""How many numbered sentences a composing answerer is shown: the selected ones, then the
next best of the passages read."""

CANDIDATE_FLOOR = 0.1
"""A sentence beyond the selected ones is shown only if its score is at least this share of the
best sentence's. Scores read as probabilities of holding the answer, so a sentence ten times
less likely than the best is noise to the model: with it, Qwen2.5 0.5B answered "Combien de kilos
de matériel la capsule Dragon transporte-t-elle ?" from the sentence about the 18 days the
capsule stays docked, shown beside sentences about the Tour de France and an election."""


@dataclass(frozen=True)
class AnswerRequest:
    """What an answerer is given for one question.

    ``chosen`` are the sentences the scorer selects, numbered as the quoted answer numbers
    them (``[1]`` answers best); ``candidates`` begins with the same records and goes on with
    the next best sentences of the passages read, numbered on (at most
    :data:`CANDIDATE_SENTENCES`, none below :data:`CANDIDATE_FLOOR` of the best's score). Both
    are empty when the scorer abstains.
    """

    question: str
    language: str
    history: tuple[Turn, ...]
    chosen: tuple[Citation, ...]
    candidates: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    encode: Callable[[Sequence[str]], np.ndarray] | None = field(default=None, compare=False, repr=False)
    """The index's embedding model (texts to unit vectors): what compares a composed claim
    with cited sentences in another language (:func:`qa.claims.check_claims`)."""


@runtime_checkable
class Answerer(Protocol):
    """Writes the answer to one question from an :class:`AnswerRequest`."""

    def answer(self, request: AnswerRequest) -> Answer: ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An answerer that can show its answer as it is written."""

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """The text so far (``str``) as it grows, then the finished :class:`Answer`, last."""
        ...


class ExtractiveAnswerer:
    """The quoted answer: the selected sentences, the best first, each with its marker."""

    def answer(self, request: AnswerRequest) -> Answer:
        if not request.chosen:
            return not_found(request)
        text = " ".join(f"{c.text} [{c.number}]" for c in request.chosen)
        return Answer(
            request.question, text, request.chosen, request.passages, False, request.language, request.timings
        )


def not_found(request: AnswerRequest) -> Answer:
    """The abstention: no citation, the passages read as related reading."""
    text = NOT_FOUND.get(request.language, NOT_FOUND["en"])
    return Answer(request.question, text, (), request.passages, True, request.language, request.timings)


def make_request(
    question: str,
    language: str,
    history: Sequence[Turn],
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    passages: Sequence[Passage],
    timings: dict[str, float],
    *,
    candidates: int = CANDIDATE_SENTENCES,
    floor: float = CANDIDATE_FLOOR,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> AnswerRequest:
    """The request for the sentences ``chosen`` by the scorer among ``scored``."""
    if not chosen:
        return AnswerRequest(question, language, tuple(history), (), (), tuple(passages), timings)
    # The best sentence leads as [1]; the other chosen follow in reading order.
    rest = sorted(
        chosen[1:], key=lambda s: (s.article.id != chosen[0].article.id, s.article.id, s.sentence.start)
    )
    ordered = [chosen[0], *rest]
    kept = {p.chunk_id: p for p in passages}
    texts = {s.sentence.text for s in ordered}
    for s in scored:  # then the next best sentences of the passages read, once each
        if len(ordered) >= max(candidates, len(chosen)):
            break
        if s.score < floor * chosen[0].score:
            break  # scored is best first: the rest are lower still
        if s.passage.chunk_id in kept and s.sentence.text not in texts:
            texts.add(s.sentence.text)
            ordered.append(s)
    numbered = tuple(
        _citation(n, s, kept.get(s.passage.chunk_id, s.passage)) for n, s in enumerate(ordered, 1)
    )
    return AnswerRequest(
        question,
        language,
        tuple(history),
        numbered[: len(chosen)],
        numbered,
        tuple(passages),
        timings,
        encode,
    )


def _citation(number: int, s: ScoredSentence, passage: Passage) -> Citation:
    return Citation(
        number=number,
        text=s.sentence.text,
        article_id=s.article.id,
        title=s.article.title,
        start=s.sentence.start,
        end=s.sentence.end,
        score=round(s.score, 4),
        sentence=s.sentence.ordinal,
        passage=passage,
        language=s.article.lang,
        page=s.article.page_at(s.sentence.start),
        author=s.article.author,
    )
