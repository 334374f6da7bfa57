"""Markdown articles (.md, .markdown): the title from the first heading, the rest as plain text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")


def parse(text: str, path: Path) -> dict[str, Any]:
    """Title from the first heading (ATX ``# …`` or setext), later headings kept as lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    title: str | None = None
    body: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        atx = _MD_HEADING.match(line)
        if atx:
            heading, i = atx.group(2), i + 1
        elif line.strip() and i + 1 < len(lines) and _MD_SETEXT.match(lines[i + 1]):
            heading, i = line.strip(), i + 2
        else:
            body.append(line)
            i += 1
            continue
        if title is None:
            title = heading
        else:
            body.extend(["", heading, ""])
    return {"title": plain_markdown(title or path.stem), "text": plain_markdown("\n".join(body))}


def plain_markdown(text: str) -> str:
    """Remove the most common Markdown syntax, keeping the words."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images: keep alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: keep the label
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)  # quotes
    text = re.sub(r"^\s*(```|~~~).*$", "", text, flags=re.M)  # code fences
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text
