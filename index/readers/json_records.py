"""Articles as JSON records: JSON Lines (.jsonl), and JSON files (.json) holding one article,
a list of them, ``{"articles": [...]}`` or a SQuAD file's ``{"data": [...]}``.

A record's id is its ``id``; without one, the file's path and the slug of its title (or its
number in the file): ``news.jsonl#paris``. A record that cannot be read is a problem of its
own; the file's other records are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..documents import Article
from ..errors import ArticleFormatError
from ..normalize import plain_key
from .fields import article_from
from .problems import ReadProblem


def read_jsonl(text: str, path: Path, rel: str) -> Iterator[Article | ReadProblem]:
    """The articles of a JSON Lines file, one per non-blank line (``rel``: its path in its source)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield article_from(_record_fields(record, rel, number), path, number)
        except json.JSONDecodeError as exc:
            yield ReadProblem(str(path), f"malformed JSON ({exc.msg}); line skipped", number, code="bad_json")
        except ArticleFormatError as exc:
            yield ReadProblem(
                str(path), f"{exc}; line skipped", number, code=exc.data.get("reason", "bad_record")
            )


def read_json(text: str, path: Path, rel: str) -> Iterator[Article | ReadProblem]:
    """The articles of a JSON file (``rel``: its path in its source).

    Raises:
        ArticleFormatError: the file is not JSON, or holds no article records (``bad_json``).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleFormatError(
            f"malformed JSON at line {exc.lineno}: {exc.msg}", reason="bad_json"
        ) from exc
    if isinstance(data, dict):
        records = data.get("data") or data.get("articles")  # SQuAD files keep them in "data"
        if records is None:
            records = [data]
    else:
        records = data
    if not isinstance(records, list):
        raise ArticleFormatError(
            "expected an article object, a list of them, or {'data': [...]}", reason="bad_json"
        )
    for number, record in enumerate(records, start=1):
        try:
            yield article_from(_record_fields(record, rel, number), path, number)
        except ArticleFormatError as exc:
            yield ReadProblem(
                str(path),
                f"record {number}: {exc}; skipped",
                code=exc.data.get("reason", "bad_record"),
            )


def _record_fields(record: Any, rel: str, number: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ArticleFormatError(f"expected a JSON object, got {type(record).__name__}", reason="bad_record")
    fields = {k: record.get(k) for k in ("title", "date", "url", "source", "category", "lang")}
    text = record.get("text")
    if not text and isinstance(record.get("paragraphs"), list):
        parts = [p.get("context", "") if isinstance(p, dict) else str(p) for p in record["paragraphs"]]
        text = "\n\n".join(p for p in parts if p)
    if not isinstance(text, str) or not text.strip():
        raise ArticleFormatError(
            "record without text: give it a 'text' or 'paragraphs' field", reason="no_text"
        )
    fields["text"] = text
    given = record.get("id")
    fields["id"] = (
        str(given)
        if given not in (None, "")
        else f"{rel}#{plain_key(str(record.get('title') or '')).replace(' ', '-') or number}"
    )
    return fields
