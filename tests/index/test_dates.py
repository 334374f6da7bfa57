"""Article dates read as ISO 8601: French, RFC 822 (feeds), ISO with time zones, and what is left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.dates import iso_date
from index.documents import Article
from index.readers import read_sources


@pytest.mark.parametrize(
    ("written", "lang", "read"),
    [
        ("22 mai 2012", "fr", "2012-05-22"),
        ("22 mai 2012", None, "2012-05-22"),  # the language unknown: the date's own words tell
        ("le 1er juillet 2012", "fr", "2012-07-01"),
        ("mardi 22 mai 2012 à 10h30", "fr", "2012-05-22T10:30:00"),
        ("Tue, 22 May 2012 10:00:00 GMT", None, "2012-05-22T10:00:00+00:00"),
        ("Tue, 22 May 2012 10:00:00 GMT", "fr", "2012-05-22T10:00:00+00:00"),  # a feed's, in a French article
        ("Mon, 21 May 2012 23:30:00 -0500", "en", "2012-05-21T23:30:00-05:00"),  # its own day, not UTC's
        ("2012-05-22T10:00+02:00", None, "2012-05-22T10:00:00+02:00"),
        ("2012-05-22T08:00:00Z", "fr", "2012-05-22T08:00:00+00:00"),
        ("2012-05-22 10:00", None, "2012-05-22T10:00:00"),
        ("2012-05-22", "fr", "2012-05-22"),
        ("  2012-05-22\n", None, "2012-05-22"),
        ("05/06/2012", "fr", "2012-06-05"),  # day first in French
        ("05/06/2012", "en", "2012-05-06"),  # month first in English
        ("22. Mai 2012", "de", "2012-05-22"),
        ("22 mai 2012", "xx", "2012-05-22"),  # a language code dateparser does not know
    ],
)
def test_a_date_is_read_as_iso_8601_starting_with_the_day_the_source_wrote(written, lang, read):
    assert iso_date(written, lang) == read


@pytest.mark.parametrize(
    "written", [None, "", "   ", "mai 2012", "2012", "2012-05", "hier", "il y a 3 jours", "1337680000",
                "2012-13-45", "le jour de Pâques", "22 mai 2012 " * 20],
)  # fmt: skip
def test_a_date_that_names_no_day_is_not_read(written):
    assert iso_date(written, "fr") is None


def test_iso_dates_sort_as_text_by_their_day():
    written = ["Wed, 23 May 2012 00:30:00 +0200", "22 mai 2012", "2012-05-22T23:59:00-05:00", "21/05/2012"]
    days = sorted(iso_date(w, "fr") or "" for w in written)
    assert [d[:10] for d in days] == ["2012-05-21", "2012-05-22", "2012-05-22", "2012-05-23"]


def test_a_record_keeps_its_date_as_written_beside_the_date_read(tmp_path: Path):
    records = [
        {"id": "fr", "text": "Un texte.", "date": "22 mai 2012", "lang": "fr"},
        {"id": "rss", "text": "Un texte.", "date": "Tue, 22 May 2012 10:00:00 GMT"},
        {"id": "iso", "text": "Un texte.", "date": "2012-05-22"},
        {"id": "vague", "text": "Un texte.", "date": "le jour de Pâques"},
        {"id": "sans", "text": "Un texte."},
    ]
    (tmp_path / "fil.jsonl").write_text("\n".join(json.dumps(r) for r in records), "utf-8")
    read = {a.id: (a.date, a.date_text) for a in read_sources([tmp_path]).articles}
    assert read == {
        "fr": ("2012-05-22", "22 mai 2012"),
        "rss": ("2012-05-22T10:00:00+00:00", "Tue, 22 May 2012 10:00:00 GMT"),
        "iso": ("2012-05-22", "2012-05-22"),
        "vague": (None, "le jour de Pâques"),  # shown as written, left out of date filters
        "sans": (None, None),
    }


def test_the_content_hash_of_an_article_dated_in_iso_is_the_one_format_4_stored():
    # Format 4 hashed the date as given; an ISO date reads as itself, so nothing is re-indexed.
    assert Article("a", "T", "x", date="2012-05-22").content_hash == (
        Article("a", "T", "x", date="2012-05-22", date_text="2012-05-22").content_hash
    )
    # A date read differently from how it is written is part of the hash: an update stores it.
    assert Article("a", "T", "x", date="2012-05-22", date_text="22 mai 2012").content_hash != (
        Article("a", "T", "x", date="22 mai 2012").content_hash
    )
