"""Which articles may answer a question: conditions every storage backend applies itself.

A backend turns :class:`Filters` into its own query language (SQL parameters, a Milvus
expression with template values); user text never becomes query syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .errors import OptionError

DAY_END = "\uffff"
"""Appended to ``date_to``: an inclusive bound that also holds datetimes of that day."""


@dataclass(frozen=True, kw_only=True)
class Filters:
    """Which articles may answer: all the given conditions hold.

    ``date_from`` and ``date_to`` are ISO days (``2012-06-30``, or a month or a year), inclusive,
    compared with the day each article's date names (:mod:`index.dates`). When either is given,
    articles without a date, or with one that could not be read, are left out.
    """

    category: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    article_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not _looks_like_date(value):
                raise OptionError(
                    f"{name} must be a date like 2012-06-30, got {value!r}",
                    option=name,
                    reason="not_a_date",
                    value=value,
                )
        if self.date_from and self.date_to and self.date_from[:10] > self.date_to[:10]:
            raise OptionError(
                f"the dates are reversed: from {self.date_from} is after to {self.date_to}",
                option="dates",
                reason="reversed",
                start=self.date_from,
                end=self.date_to,
            )

    @property
    def empty(self) -> bool:
        return not (self.category or self.source or self.date_from or self.date_to or self.article_ids)

    @property
    def date_to_bound(self) -> str | None:
        """The inclusive upper bound that ``date_to`` means for an ISO date or datetime string."""
        return self.date_to + DAY_END if self.date_to else None


def _looks_like_date(value: str) -> bool:
    """An ISO date (``2012-06-30``), or a year or a month of one (``2012``, ``2012-06``)."""
    try:
        if len(value) == 4:
            return value.isdigit()
        date.fromisoformat(value if len(value) != 7 else value + "-01")
    except ValueError:
        return False
    return True
