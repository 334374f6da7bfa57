"""The records the assistant returns: passages, citations, answers, and conversation turns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


def _flat(record: Any) -> dict[str, Any]:
    """A record whose fields hold immutable values, as ``dataclasses.asdict`` gives it, without
    its deep copies (a tenth of a served answer's Python time went to them, stop 39)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and how it ranked.

    ``start``/``end`` are offsets of ``text`` in the article's text. ``dense_rank`` and
    ``lexical_rank`` are 1-based ranks in each list (``None`` when absent from it). ``date``
    is the article's ISO 8601 date, ``date_text`` its date as the source wrote it (to show).
    """

    chunk_id: int
    text: str
    article_id: str
    title: str
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    score: float
    date: str | None = None
    category: str | None = None
    source: str | None = None
    url: str | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    date_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)


@dataclass(frozen=True)
class Publication:
    """Another article of a cited article's story: the same text (a few words aside) published
    by another source, as an agency's story is by many papers."""

    article_id: str
    title: str
    source: str | None = None
    url: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Citation:
    """A cited sentence: ``article.text[start:end] == text``. ``number`` is its marker ``[n]``;
    ``page`` the page of a paged article (a PDF) the sentence starts on, ``author`` its
    article's author (each ``None`` when the article gives none). ``also_published`` lists
    other articles of its story (at most :data:`qa.stories.LISTED`, in the order they were
    indexed) and ``also_published_count`` counts them all (0: the story was told once)."""

    number: int
    text: str
    article_id: str
    title: str
    start: int
    end: int
    score: float
    sentence: int
    passage: Passage
    language: str | None = None
    """The article's language (a composed answer may be in another: the question's)."""
    page: int | None = None
    author: str | None = None
    also_published: tuple[Publication, ...] = ()
    also_published_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The citation, its passage by id, and where its article was published (``url``,
        ``source``, ``date``: the original a reader can open)."""
        data = _flat(self)  # what asdict gives, without deep-copying the passage it then drops
        data["passage"] = self.passage.chunk_id
        data["also_published"] = tuple(_flat(p) for p in self.also_published)
        data.update(url=self.passage.url, source=self.passage.source, date=self.passage.date)
        return data


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, given back to :meth:`Assistant.ask`."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Claim:
    """One sentence of a composed answer, as checked against the sentences it cites.

    ``cites`` are the numbers it cites in the answer's ``citations`` (a removed claim's
    citations are not in the answer: its ``cites`` are empty). ``reason`` says why it was
    removed (``None`` when kept), as :mod:`qa.claims` lists them: ``no_citation``,
    ``unknown_citation``, ``number`` or ``name`` (``detail`` says which one the cited sentences
    lack), ``negation`` (``detail``: the clause), ``unsupported`` (``detail``: the words found in
    no cited sentence), ``distant`` (``support``, the least share of a clause's words found in
    the cited sentences, is under the threshold; across languages, the least similarity of a
    clause to a cited sentence), ``off_question`` or ``other_language`` (it cites sentences in
    another language and no model was given to compare them).
    """

    text: str
    cites: tuple[int, ...]
    kept: bool
    reason: str | None = None
    detail: str = ""
    support: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    """How a composed answer was checked: each claim's verdict, whether the quoted answer
    was shown instead (``fallback``: ``timeout``, ``connection``, ``http``, ``malformed``,
    ``too_large``, ``empty``, ``busy``, ``nothing_left``; ``detail`` is its one-line reason, never
    the server's own words), and whether the model found no answer in the sentences
    (``declined``: the answer then abstains)."""

    model: str
    claims: tuple[Claim, ...] = ()
    fallback: str | None = None
    detail: str = ""
    declined: bool = False

    @property
    def removed(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if not c.kept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "claims": [c.to_dict() for c in self.claims],
            "fallback": self.fallback,
            "detail": self.detail,
            "declined": self.declined,
        }


@dataclass(frozen=True)
class RerankCost:
    """What re-ranking cost one answer: the re-ranker (``model``, its name or folder as given),
    the (question, sentence) pairs it read and the time that took (``ms``), whether its
    combination with the scorer was fitted (``fitted=False``: it weighed nothing, the answer is
    the scorer's; :mod:`qa.fitted_rerank`), and the time its model took to load (``load_ms``:
    on the first question only, 0 after)."""

    model: str
    pairs: int
    ms: float
    fitted: bool
    load_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """An answer: cited sentences, or an abstention with the passages read as related reading.

    A quoted answer (``mode="quoted"``, the default): ``text`` leads with the sentence that
    answers best, marked ``[1]``; the other cited sentences follow in reading order. A composed
    answer (``mode="composed"``): ``text`` is a language model's, each of its sentences marked
    with the citations it rests on, and ``check`` says how each was checked. ``citations`` are
    ordered by number. ``rerank`` says what re-ranking cost (``None`` when no re-ranker is set).
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    language: str
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    mode: str = "quoted"
    check: Check | None = None
    rerank: RerankCost | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: citations point at their passage by ``chunk_id``; ``rerank`` is
        there only when a re-ranker is set."""
        data: dict[str, Any] = {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "language": self.language,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": self.timings,
            "mode": self.mode,
            "check": self.check.to_dict() if self.check is not None else None,
        }
        if self.rerank is not None:
            data["rerank"] = self.rerank.to_dict()
        return data
