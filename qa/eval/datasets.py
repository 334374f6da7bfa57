"""SQuAD-format data sets (v1.1 and v2.0): their articles, their gold questions, and the one
rule that picks the questions a measure asks.

Each article of the data set becomes one article of an index (its title, and its paragraphs
joined by blank lines, so that chunking is part of what is measured); each question keeps the
positions of its gold answers in that article's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import index
from index.normalize import normalize_text

from .splits import PARTS, part_of


@dataclass(frozen=True)
class GoldQuestion:
    """A question of the data set with the positions of its gold answers in the article text."""

    id: str
    question: str
    article_id: str
    positions: tuple[int, ...]
    title: str = ""
    answers: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.positions)


def load_dataset(path: Path) -> tuple[list[dict[str, Any]], list[GoldQuestion]]:
    """Read a SQuAD file into article records (for the indexer) and gold questions."""
    try:
        return _read_squad(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        raise index.ArticleFormatError(
            f"{path} is not a SQuAD-format JSON file ({reason}); give a file like "
            '{"data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [...]}]}]}'
        ) from None


def asked_in(questions: Sequence[GoldQuestion], path: Path) -> list[GoldQuestion]:
    """``questions`` as the SQuAD-format file at ``path`` words them (matched by id: a
    translation of the data set, XQuAD's parallel files): each keeps its gold answers in the
    data set's articles, so a question in one language is measured over articles in another.
    Questions the file lacks are left out.

    Raises:
        ArticleFormatError: the file is not in SQuAD format, or shares no question id.
    """
    wording = {q.id: q.question for q in load_dataset(path)[1]}
    asked = [replace(q, question=wording[q.id]) for q in questions if q.id in wording]
    if questions and not asked:
        raise index.ArticleFormatError(
            f"no question of {path} has the id of a question of the data set: give the same "
            "questions in another language, with the same ids"
        )
    return asked


def select_questions(
    questions: Sequence[GoldQuestion], *, part: str = "all", limit: int | None = None
) -> list[GoldQuestion]:
    """The questions of one part of the split (``all``, ``fit``, ``test``), then ``limit`` of
    them evenly spread (the one sampling rule of ``eval`` and the benchmarks)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    chosen = [q for q in questions if part == "all" or part_of(q.title) == part]
    if limit and limit < len(chosen):
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    return chosen


def slug(title: str) -> str:
    """``title`` as a short file-name-safe word (an article's id, a cache directory's name)."""
    return re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60] or "article"


def _read_squad(content: Any) -> tuple[list[dict[str, Any]], list[GoldQuestion]]:
    data = content["data"]
    if not isinstance(data, list) or not data:
        raise ValueError("'data' must be a non-empty list of articles")
    articles: list[dict[str, Any]] = []
    questions: list[GoldQuestion] = []
    for number, item in enumerate(data):
        article_id = f"{number:04d}-{slug(item.get('title', ''))}"
        offsets: list[int | None] = []
        texts: list[str] = []
        position = 0
        for paragraph in item["paragraphs"]:
            normal = normalize_text(paragraph["context"])
            if not normal:
                offsets.append(None)
                continue
            offsets.append(position)
            texts.append(normal)
            position += len(normal) + 2
        text = "\n\n".join(texts)
        articles.append(
            {"id": article_id, "title": item.get("title", "").replace("_", " "), "text": text,
             "category": item.get("categorie") or item.get("category")}
        )  # fmt: skip
        for paragraph, offset in zip(item["paragraphs"], offsets, strict=True):
            for qa in paragraph.get("qas", []):
                positions: list[int] = []
                golden: list[str] = []
                if offset is not None and not qa.get("is_impossible"):
                    for ans in qa.get("answers", []):
                        start = _normal_position(paragraph["context"], int(ans["answer_start"]))
                        positions.append(offset + start)
                        golden.append(normalize_text(str(ans.get("text", ""))))
                questions.append(
                    GoldQuestion(
                        str(qa["id"]),
                        qa["question"],
                        article_id,
                        tuple(positions),
                        item.get("title", ""),
                        tuple(dict.fromkeys(a for a in golden if a)),
                    )
                )
    return articles, questions


def _normal_position(context: str, start: int) -> int:
    """Where ``context[start]`` lands once the context is normalised."""
    marked = normalize_text(context[:start] + "\u2063" + context[start:])  # invisible separator
    return marked.index("\u2063")
