"""Article dates as ISO 8601 text, whatever their language or format, so that filters compare them.

An article's date is read once, when the article is read, and stored in one of three forms:

- ``2012-05-22``: the source gives a day, no time;
- ``2012-05-22T10:00:00``: it gives a time without a time zone;
- ``2012-05-22T10:00:00+02:00``: it gives a time and a zone: the time as written, and its offset
  from UTC (``GMT`` and ``Z`` are ``+00:00``).

Every form starts with the calendar day the source wrote, so dates sort as text by that day
and a filter on days (``--from 2012-05-22``) selects the day the article shows its readers,
whatever the zone (two times of the same day in different zones sort by their clock, not by
the instant). A date that names no day (``mai 2012``, ``hier``) or cannot be read is ``None``:
the article keeps it for display and is left out of date filters.

ISO 8601 is read as written; other dates (``22 mai 2012``, RFC 822 dates of feeds such as
``Tue, 22 May 2012 10:00:00 GMT``, ``22/05/2012``) by ``dateparser``, in the article's language
when it is known (then in any language, for an English feed date in a French article).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

logger = logging.getLogger(__name__)

MAX_DATE_CHARS = 100
"""Longer values are not dates (and would be slow to try)."""

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")
_CLOCK = re.compile(r"\d{1,2}\s*[:hH]\s*\d{2}")  # a time of day: 10:00, 10 h 00, 10h00
_SETTINGS: dict[str, Any] = {
    "PARSERS": ["absolute-time"],  # never "yesterday" from today, nor a number as a timestamp
    "REQUIRE_PARTS": ["day", "month", "year"],
}


def iso_date(written: str | None, lang: str | None = None) -> str | None:
    """``written`` (an article's date as its source gives it) as ISO 8601, or ``None``.

    Args:
        written: the date as written, in any language or format.
        lang: the article's ISO 639-1 language, when known (``22/05/2012`` is read day first in
            French, month first in English).

    >>> iso_date("22 mai 2012", "fr"), iso_date("Tue, 22 May 2012 10:00:00 GMT")
    ('2012-05-22', '2012-05-22T10:00:00+00:00')
    """
    text = " ".join((written or "").split())
    if not text or len(text) > MAX_DATE_CHARS:
        return None
    if _ISO.fullmatch(text):
        try:
            return _iso(text)
        except ValueError:
            pass  # 2012-05-22 à 10h: not ISO after all
    return _parsed(text, lang)


def _iso(text: str) -> str:
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    return datetime.fromisoformat(text).isoformat(timespec="seconds")


def _parsed(text: str, lang: str | None) -> str | None:
    """``text`` read by dateparser: in ``lang`` first, then in whatever language it is written
    (an English feed date in a French article, say)."""
    found = _dateparser(text, lang) if lang else None
    if found is None:
        found = _dateparser(text, None)
    if found is None:
        return None
    if not _CLOCK.search(text):  # no time given: the day alone (dateparser says midnight)
        return found.date().isoformat()
    return found.isoformat(timespec="seconds")


def _dateparser(text: str, lang: str | None) -> datetime | None:
    import dateparser

    try:
        found: datetime | None = dateparser.parse(
            text, languages=[lang] if lang else None, settings=_SETTINGS
        )
    except ValueError:  # a language dateparser does not know
        return None
    except Exception:  # a failure on one date is that date's only: it stays unread
        logger.debug("reading the date %r failed", text, exc_info=True)
        return None
    return found
