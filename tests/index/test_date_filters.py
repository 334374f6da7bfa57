"""Date filters over articles dated in French, in RFC 822 (feeds) and in ISO 8601 with time zones,
in the embedded backend and in Milvus Lite: each article is found on the day its source wrote."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import index
from index import Filters
from index.embedded import writer
from index.embedded.layout import DATABASE
from index.embedded.manifest_file import MANIFEST
from tests.fakes import FakeEmbedder

DATED = {
    "fr": ("22 mai 2012", "fr"),
    "iso": ("2012-05-22T10:00+02:00", None),
    "rss": ("Tue, 22 May 2012 10:00:00 GMT", None),
    "veille": ("21 mai 2012", "fr"),
    "veille-tard": ("Mon, 21 May 2012 23:30:00 -0500", "en"),  # 22 May in UTC, the 21st where written
    "lendemain": ("2012-05-23T00:30:00+02:00", None),  # 22 May in UTC, the 23rd where written
    "juin": ("1er juin 2012", "fr"),
    "vague": ("le jour de Pâques", "fr"),  # no day: shown as written, never in a date filter
    "sans": (None, None),
}
MAY = {"fr", "iso", "rss", "veille", "veille-tard", "lendemain"}


def write_dated(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for aid, (date, lang) in DATED.items():
        record = {"id": aid, "title": f"Article {aid}", "text": f"Le conseil municipal s'est réuni ({aid})."}
        record |= {"date": date} if date else {}
        record |= {"lang": lang} if lang else {}
        lines.append(json.dumps(record, ensure_ascii=False))
    (root / "dates.jsonl").write_text("\n".join(lines), "utf-8")
    return root


@pytest.fixture(scope="module", params=["embedded", "milvus-lite"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[index.Storage]:
    root = tmp_path_factory.mktemp(request.param)
    corpus = write_dated(root / "articles")
    if request.param == "embedded":
        location = str(root / "ix")
    else:
        pytest.importorskip("pymilvus")
        location = f"milvus-lite:{root}/lite.db/dates"
    index.build([corpus], location, embedder=FakeEmbedder())
    opened = index.open_index(location)
    yield opened
    opened.close()


def allowed(store: index.Storage, filters: Filters) -> set[str]:
    hits = store.chunks(store.chunk_ids(filters))
    return {hit.article.id for hit in hits.values()}


@pytest.mark.parametrize(
    ("date_from", "date_to", "found"),
    [
        ("2012-05-22", "2012-05-22", {"fr", "iso", "rss"}),
        ("2012-05-22", None, {"fr", "iso", "rss", "lendemain", "juin"}),
        (None, "2012-05-22", {"fr", "iso", "rss", "veille", "veille-tard"}),
        ("2012-05-21", "2012-05-21", {"veille", "veille-tard"}),
        ("2012-05-23", "2012-05-31", {"lendemain"}),
        ("2012-05", "2012-05", MAY),
        ("2012-06", None, {"juin"}),
        ("2012", "2012", MAY | {"juin"}),
        (None, "2012-05-20", set()),
    ],
)
def test_date_filters_find_each_article_on_the_day_its_source_wrote(store, date_from, date_to, found):
    filters = Filters(date_from=date_from, date_to=date_to)
    assert allowed(store, filters) == found
    vector = FakeEmbedder().encode_queries(["conseil municipal"])[0]
    dense = store.chunks([cid for cid, _ in store.dense_search(vector, 20, filters=filters)])
    assert {hit.article.id for hit in dense.values()} == found


def test_without_a_date_filter_every_article_answers(store):
    assert allowed(store, Filters()) == set(DATED)


def test_each_article_keeps_its_date_as_written_for_display(store):
    for aid, (written, _) in DATED.items():
        article = store.article(aid)
        assert article.date_text == written
    assert store.article("rss").date == "2012-05-22T10:00:00+00:00"
    assert store.article("vague").date is None
    hits = store.chunks(store.chunk_ids(Filters(article_ids=("fr",))))
    assert [h.article.date_text for h in hits.values()] == ["22 mai 2012"]
    assert store.date_range() == ("2012-05-21", "2012-06-01")


def test_an_index_of_format_4_keeps_its_dates_as_stored_through_an_update_and_a_merge(tmp_path, monkeypatch):
    corpus = write_dated(tmp_path / "articles")
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    # What format 4 wrote: no date_text column, the dates as given (the French one as text).
    [segment] = index.open_index(target).segments
    db = sqlite3.connect(segment.path / DATABASE)
    db.execute("UPDATE articles SET date = date_text WHERE id IN ('fr', 'vague')")
    db.execute("ALTER TABLE articles DROP COLUMN date_text")
    db.commit()
    db.close()
    manifest = json.loads((target / MANIFEST).read_text("utf-8"))
    (target / MANIFEST).write_text(json.dumps({**manifest, "format_version": 4}), "utf-8")

    old = index.open_index(target)
    assert (old.article("fr").date, old.article("fr").date_text) == ("22 mai 2012", "22 mai 2012")
    assert allowed(old, Filters(date_from="2012-05-22", date_to="2012-05-22")) == {"iso", "rss"}

    (corpus / "ajout.jsonl").write_text(
        json.dumps({"id": "ajout", "text": "Un ajout.", "date": "22 mai 2012"})
    )
    monkeypatch.setattr(writer, "MERGE_SHARE", 10.0)  # a segment of its own, merged below
    index.update([corpus], target, embedder=FakeEmbedder())
    updated = index.open_index(target)
    assert len(updated.segments) == 2
    assert updated.article("ajout").date == "2012-05-22"
    assert allowed(updated, Filters(date_from="2012-05-22", date_to="2012-05-22")) == {"iso", "rss", "ajout"}

    index.compact(target)
    merged = index.open_index(target)
    assert len(merged.segments) == 1
    assert [(a.id, a.date, a.date_text) for a in merged.articles()] == [
        (a.id, a.date, a.date_text) for a in updated.articles()
    ]
    assert merged.article("fr").date_text == "22 mai 2012"
