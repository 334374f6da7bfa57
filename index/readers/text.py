"""Plain-text articles (.txt), in the news shape when they have it.

The shape: ``Title | SOURCE``, a plainer repeat of the title, the body, then a tag line
(``nn-science``) that is the category. A file without it is a title line and a body, or only
a body (the title is then the file's name).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..normalize import normalize_text, plain_key

_TAG_LINE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+$")


def parse(text: str, path: Path) -> dict[str, Any]:
    """The fields of the article in ``text`` (title, source, category, text)."""
    lines = normalize_text(text).split("\n\n")
    fields: dict[str, Any] = {"title": path.stem}
    if len(lines) > 1 and len(lines[-1]) <= 60 and _TAG_LINE.match(lines[-1]):
        fields["category"] = lines.pop()
    if len(lines) > 1 and len(lines[0]) <= 300:
        title = lines.pop(0)
        if " | " in title:
            title, source = title.rsplit(" | ", 1)
            fields["source"] = source.strip()
        fields["title"] = title.strip()
        if len(lines) > 1 and _repeats(lines[0], fields["title"]):
            lines.pop(0)
    fields["text"] = "\n\n".join(lines)
    return fields


def _repeats(line: str, title: str) -> bool:
    plain, plain_title = plain_key(line), plain_key(title)
    return bool(plain) and len(plain) >= min(20, len(plain_title)) and plain_title.startswith(plain)
