"""Markdown articles (.md, .markdown): parsed by markdown-it-py (CommonMark, with tables), kept
as plain text.

The first heading is the title; later headings are paragraphs of their own. What the text
keeps of each construct:

- paragraphs, block quotes and code blocks: their text, one paragraph each;
- lists: one line per item, ``- `` or its number before it (nested items on lines of their own);
- emphasis, code spans, links and reference links, images: their text (a link's label, an
  image's alt text), never their URLs or markers;
- tables: one paragraph per row, its cells separated by `` | ``;
- HTML, in blocks or inline: its text, without tags, comments, scripts or styles.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

# HTML elements whose text is not the article's, and those that end a paragraph.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip


def parse(text: str, path: Path) -> dict[str, Any]:
    """The fields of the article in ``text``: title (the first heading) and plain text."""
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tree = SyntaxTreeNode(parser.parse(text))
    title: str | None = None
    paragraphs: list[str] = []
    for node in tree.children:
        if title is None and node.type == "heading":
            title = _inline(node).strip()
            continue
        paragraphs.extend(_blocks(node))
    return {"title": title or path.stem, "text": "\n\n".join(p for p in paragraphs if p.strip())}


def _blocks(node: SyntaxTreeNode) -> list[str]:
    """The paragraphs of a block node, as plain text."""
    kind = node.type
    if kind in ("paragraph", "heading"):
        return [_inline(node)]
    if kind in ("bullet_list", "ordered_list"):
        return ["\n".join(_list_lines(node))]
    if kind == "table":
        return [" | ".join(_inline(cell).strip() for cell in row.children) for row in _rows(node)]
    if kind in ("fence", "code_block"):
        return [node.content]
    if kind == "html_block":
        return html_text(node.content).split("\n\n")
    if kind == "hr":
        return []
    return [block for child in node.children for block in _blocks(child)]  # blockquote…


def _list_lines(node: SyntaxTreeNode) -> list[str]:
    """One line per item of the list ``node`` (its paragraphs joined), then its nested items'."""
    lines: list[str] = []
    for item in node.children:
        marker = f"{item.info}{item.markup} " if node.type == "ordered_list" else "- "
        own: list[str] = []
        nested: list[str] = []
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                nested.extend(_list_lines(child))
            else:
                own.extend(" ".join(b.split()) for b in _blocks(child))
        lines.append(marker + " ".join(p for p in own if p))
        lines.extend(nested)
    return lines


def _rows(table: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    return [row for part in table.children for row in part.children]  # thead, tbody → tr


def _inline(node: SyntaxTreeNode) -> str:
    """The text of a node's inline content: marks, URLs and tags left out."""
    out: list[str] = []
    hidden: list[str] = []  # the inline script or style elements the text is in
    for child in node.children:
        _inline_into(child, out, hidden)
    return "".join(out)


def _inline_into(node: SyntaxTreeNode, out: list[str], hidden: list[str]) -> None:
    kind = node.type
    if kind == "html_inline":
        tag = _tag(node.content)
        if tag is None:
            return
        name, closing = tag
        if name in _HIDDEN:
            if closing and name in hidden:
                del hidden[hidden.index(name) :]
            elif not closing:
                hidden.append(name)
        elif name == "br" and not hidden:
            out.append("\n")
        return
    if hidden:
        return
    if kind in ("text", "code_inline"):
        out.append(node.content)
    elif kind == "softbreak":
        out.append(" ")
    elif kind == "hardbreak":
        out.append("\n")
    else:  # inline, emphasis, strong, strikethrough, link, image: their text
        for child in node.children:
            _inline_into(child, out, hidden)


def _tag(markup: str) -> tuple[str, bool] | None:
    """``(name, closing)`` of an inline HTML tag, or None for a comment or a declaration."""
    if not markup.startswith("<") or markup.startswith(("<!", "<?")):
        return None
    closing = markup.startswith("</")
    name = markup[2 if closing else 1 :].split(maxsplit=1)[0].rstrip("/>").lower() if len(markup) > 2 else ""
    return (name, closing) if name else None


class _TextOf(HTMLParser):
    """The text of an HTML fragment: paragraphs at block elements, comments and scripts left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text of the HTML ``markup``, paragraphs separated by a blank line."""
    reader = _TextOf()
    reader.feed(markup)
    reader.close()
    paragraphs = (" ".join(p.split()) for p in "".join(reader.parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)
