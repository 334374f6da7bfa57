"""Sentence segmentation with exact character offsets.

Boundaries come from Wikimedia's ``sentencex`` (rule-based, maintained, ~300 languages with
per-language abbreviation lists, and it reports character offsets). Three repairs follow:
a boundary right after a title such as ``M.``, ``Dr.`` or ``Mrs.``, or after a lone capital
initial (``à A. Montebourg``), is removed (sentencex splits ``M. Dupont`` in French); so is a
boundary before a lower-case letter on the same line
(``« Bonjour. » à Mme Durand``); and a sentence longer than ``max_chars`` is cut at a space
so that no unit of the index is unbounded.
"""

from __future__ import annotations

import re

from .documents import Sentence

DEFAULT_MAX_SENTENCE_CHARS = 1_500

# A lone capital initial ("à A. Montebourg", "B. Obama"): the name goes on after it.
_INITIAL = re.compile(r"(?:^|[\s(«\"'])[A-ZÀ-ÖØ-Þ]\.$")

# Titles written before a name in French, English and their neighbours: never a sentence end.
_TITLE_BEFORE_NAME = re.compile(
    r"(?:^|[\s(«\"'])(?:M|MM|Mme|Mmes|Mlle|Mlles|Mgr|Me|Dr|Drs|Pr|Prof|Mr|Mrs|Ms|St|Ste|Sr|"
    r"Gen|Gén|Gov|Sen|Rep|Lt|Col|Capt|Sgt|Rev|Hon|Fr|Sra|Sta)\.$"
)


def split_sentences(
    text: str,
    *,
    lang: str | None,
    article_id: str = "",
    max_chars: int = DEFAULT_MAX_SENTENCE_CHARS,
) -> list[Sentence]:
    """Split ``text`` into sentences; each satisfies ``text[s.start:s.end] == s.text``.

    Args:
        text: the normalised article text.
        lang: ISO 639-1 code choosing sentencex's rules (``None`` uses its defaults).
        article_id: stored on every sentence.
        max_chars: longer sentences are cut at the last space before this length.
    """
    if max_chars < 20:
        raise ValueError(f"max_chars must be >= 20, got {max_chars}")
    spans = _merge_false_breaks(text, _raw_spans(text, lang))
    sentences: list[Sentence] = []
    for start, end in spans:
        for s, e in _cut_long(text, start, end, max_chars):
            sentences.append(Sentence(article_id, len(sentences), s, e, text[s:e]))
    return sentences


def _raw_spans(text: str, lang: str | None) -> list[tuple[int, int]]:
    import sentencex

    spans = []
    # sentencex works paragraph by paragraph anyway; feeding it paragraphs bounds its input.
    offset = 0
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            for b in sentencex.get_sentence_boundaries(lang or "en", paragraph):
                span = _strip(text, offset + b["start_index"], offset + b["end_index"])
                if span is not None:
                    spans.append(span)
        offset += len(paragraph) + 2
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    # A dash that opens a sentence in mid-line ("22 mai 2012. - Prévu…") is not part of it;
    # at the start of a line it marks a list item and stays.
    if (
        start + 2 < end
        and text[start] in "-–—"
        and text[start + 1] == " "
        and start
        and text[start - 1] != "\n"
    ):
        start += 2
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _merge_false_breaks(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            prev_start, prev_end = merged[-1]
            same_line = "\n" not in text[prev_end:start]
            previous = text[prev_start:prev_end]
            if same_line and (
                text[start].islower()
                or _TITLE_BEFORE_NAME.search(previous)
                or (_INITIAL.search(previous) and text[start].isupper())
            ):
                merged[-1] = (prev_start, end)
                continue
        merged.append((start, end))
    return merged


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        if cut == -1:
            cut = start + max_chars
        span = _strip(text, start, cut)
        if span is not None:
            pieces.append(span)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    span = _strip(text, start, end)
    if span is not None:
        pieces.append(span)
    return pieces
