"""Composed answers: a language model writes the answer from the numbered sentences, and
every claim it writes is checked against the sentences it cites (:mod:`qa.claims`).

A claim that fails the check is removed and recorded in the answer's :class:`Check`; if none
is left, or the model cannot be reached or replies with nothing usable, the quoted answer is
given instead, with the reason. The model is never asked when the scorer abstains (the
assistant sees to that).

>>> from qa import Assistant, Endpoint, GenerativeAnswerer
>>> llm = GenerativeAnswerer(Endpoint("http://127.0.0.1:8080/v1", "qwen2.5-0.5b-instruct"))
>>> answer = Assistant.open("my-index", answerer=llm).ask("Combien de morts a fait le séisme ?")
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from .answerers import AnswerRequest, ExtractiveAnswerer
from .claims import SUPPORT_THRESHOLD, check_claims, without_markers
from .endpoint import Endpoint, EndpointError
from .records import Answer, Check, Claim

__all__ = ["SYSTEM_PROMPT", "GenerativeAnswerer"]

SYSTEM_PROMPT = (
    "You answer a question using only the numbered sentences you are given. "
    "Write one to three short sentences, in the language of the question. "
    "End each sentence with the number of the sentence it comes from, in brackets, like [1]. "
    "Use only facts, names, numbers and dates written in those sentences. "
    "If they do not answer the question, reply exactly: NOT FOUND"
)

HISTORY_TURNS = 3
"""Earlier exchanges of the conversation shown to the model (the latest ones)."""

_DECLINED = re.compile(r"^\W*NOT\s+FOUND\b", re.I)


class GenerativeAnswerer:
    """Has the language model at ``endpoint`` compose answers, and checks their claims.

    Args:
        endpoint: an OpenAI-compatible chat-completions server.
        threshold: the least support a claim needs (see :data:`qa.claims.SUPPORT_THRESHOLD`).
    """

    def __init__(self, endpoint: Endpoint, *, threshold: float = SUPPORT_THRESHOLD) -> None:
        self.endpoint = endpoint
        self.threshold = threshold
        self._quoted = ExtractiveAnswerer()

    def answer(self, request: AnswerRequest) -> Answer:
        final = None
        for part in self.stream(request):
            final = part
        assert isinstance(final, Answer)
        return final

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """The reply so far as it comes (``str``), then the checked :class:`Answer`."""
        text = ""
        try:
            for piece in self.endpoint.stream(messages(request)):
                text += piece
                yield text
        except EndpointError as exc:
            yield self.fallback(request, str(exc.data.get("reason", "connection")), str(exc))
            return
        yield self.checked(request, text)

    def checked(self, request: AnswerRequest, reply: str) -> Answer:
        """The answer that ``reply`` (the model's whole text) gives once checked."""
        reply = reply.strip()
        if not reply:
            return self.fallback(request, "empty", "the language model's reply was empty")
        verdicts = check_claims(
            reply,
            request.candidates,
            question=request.question,
            language=request.language,
            threshold=self.threshold,
        )
        # "NOT FOUND", however the model dresses it ("[1] NOT FOUND"), is not a claim.
        declined = [v for v in verdicts if _DECLINED.match(v.text)]
        verdicts = [v for v in verdicts if not _DECLINED.match(v.text)]
        if not verdicts:
            if declined:
                return self.fallback(
                    request, "declined", "the language model found no answer in the sentences"
                )
            return self.fallback(
                request, "empty", "the language model's reply held no sentence, only markers"
            )
        kept = [v for v in verdicts if v.kept]
        if not kept:
            claims = tuple(_claim(v, {}) for v in verdicts)
            return self.fallback(
                request, "nothing_left", "no claim of the composed answer passed the check", claims
            )
        # The kept claims' citations, numbered in the order they are first cited.
        renumber: dict[int, int] = {}
        for v in kept:
            for n in v.cites:
                renumber.setdefault(n, len(renumber) + 1)
        shown = {c.number: c for c in request.candidates}
        citations = tuple(replace(shown[old], number=new) for old, new in renumber.items())
        text = " ".join(v.text + "".join(f" [{renumber[n]}]" for n in v.cites) for v in kept)
        check = Check(self.endpoint.model, tuple(_claim(v, renumber) for v in verdicts))
        return Answer(
            request.question,
            text,
            citations,
            request.passages,
            False,
            request.language,
            request.timings,
            mode="composed",
            check=check,
        )

    def fallback(
        self, request: AnswerRequest, reason: str, detail: str, claims: tuple[Claim, ...] = ()
    ) -> Answer:
        """The quoted answer, with why it is given instead of a composed one."""
        quoted = self._quoted.answer(request)
        return replace(quoted, check=Check(self.endpoint.model, claims, fallback=reason, detail=detail))


def messages(request: AnswerRequest) -> list[dict[str, str]]:
    """The chat messages for ``request``: the rules, the latest turns, the numbered sentences
    and the question."""
    chat = [{"role": "system", "content": SYSTEM_PROMPT}]
    for turn in request.history[-HISTORY_TURNS:]:
        chat.append({"role": "user", "content": turn.question})
        if turn.answer:
            chat.append({"role": "assistant", "content": without_markers(turn.answer)})
    sentences = "\n".join(f"[{c.number}] {_one_line(c.text)}" for c in request.candidates)
    chat.append({"role": "user", "content": f"Sentences:\n{sentences}\n\nQuestion: {request.question}"})
    return chat


def _claim(claim: Claim, renumber: dict[int, int]) -> Claim:
    """``claim`` citing the answer's numbers (none when it was removed)."""
    return replace(claim, cites=tuple(renumber[n] for n in claim.cites) if claim.kept else ())


def _one_line(text: str) -> str:
    return " ".join(text.split())
