"""A file's bytes as text: UTF-8, a legacy Western code page, or what charset-normalizer finds."""

from __future__ import annotations

import logging
import unicodedata

from ..errors import ArticleFormatError

logger = logging.getLogger(__name__)

WESTERN_ACCENTED_SHARE = 0.5  # in Cyrillic or Greek read as Windows-1252, nearly all letters are
_WESTERN_MARKS = frozenset("«»‘’‚“”„€…–—•°§©®±×·†‡‰‹›™\u00a0")


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), else what charset-normalizer finds
    (UTF-16 with a BOM, Windows-1252, Latin-1…).

    Raises:
        ArticleFormatError: the bytes are binary, not text (``binary``).
    """
    if b"\x00" not in raw[:8192]:  # NUL bytes: UTF-16 or UTF-32 (or binary), not UTF-8
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    text = _western(raw)
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise ArticleFormatError(
                "binary file, not text: only text articles can be indexed", reason="binary"
            )
        text = str(best)
        logger.info("not UTF-8, read as %s", best.encoding)
    text = text.lstrip("\ufeff")
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > len(text[:8192]) * 0.05:
        raise ArticleFormatError("binary file, not text: only text articles can be indexed", reason="binary")
    return text


def _western(raw: bytes) -> str | None:
    """``raw`` read as Windows-1252, if it reads as Western European text.

    charset-normalizer often takes a short French text for a Central European code page
    (``Été à Noël`` → ``Été ŕ Noël``): single-byte code pages differ only in the letters
    above 127, and a few accented letters do not tell them apart. Windows-1252 (a superset of
    Latin-1's letters) is the commonest legacy encoding of Western articles, so it is taken
    when every byte above 127 reads as a Latin letter or common punctuation and such letters
    are a minority of the letters (in Cyrillic or Greek read this way, nearly all are).
    """
    if b"\x00" in raw[:8192] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 127]
    if not all(c in _WESTERN_MARKS or (c.isalpha() and "LATIN" in unicodedata.name(c, "")) for c in high):
        return None
    letters = sum(1 for c in text if c.isalpha())
    accented = sum(1 for c in high if c.isalpha())
    return text if accented <= WESTERN_ACCENTED_SHARE * letters else None
