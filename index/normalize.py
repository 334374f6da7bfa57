"""Text normalisation, applied once to every article before any offset is taken."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_SOFT_HYPHEN = "\u00ad"
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# A run of two or more blanks, or any tab, folds to one space; a lone no-break space stays.
_BLANKS = re.compile(r"[^\S\n]{2,}|\t")
_LIST_ITEM = re.compile(r"^(?:[-*•–—▪◦]\s|\d{1,3}[.)]\s)")


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC, without soft hyphens or control characters, whitespace folded.

    Paragraph breaks (a blank line) become exactly ``"\\n\\n"``. Inside a paragraph, line
    breaks are joined with a space, except before a list item, which keeps its own line.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace(_SOFT_HYPHEN, "")
    text = _CONTROL.sub(" ", text)
    paragraphs = []
    for block in _PARAGRAPH_BREAK.split(text):
        lines = [_fold_blanks(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        joined = lines[0]
        for line in lines[1:]:
            joined += ("\n" if _LIST_ITEM.match(line) else " ") + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _fold_blanks(line: str) -> str:
    """``line`` with its blank runs folded and its ends stripped."""
    if " ".join(line.split()) == line:
        return line  # words separated by single spaces only: nothing to fold (and faster to see)
    return _BLANKS.sub(" ", line).strip()


def plain_key(text: str) -> str:
    """Fold ``text`` to lower-case letters and digits without accents, for loose comparison."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())
