"""The lexical search over each segment's postings (index.embedded.lexical): the same ranking
and scores as FTS5's bm25() on one segment, copies and filters applied as masks, and an index
written before postings searched by FTS5 until `compact` writes them."""

import sqlite3

import pytest

import index
from index import bm25
from index.analysis import analyze
from index.embedded import lexical, writer
from index.embedded.layout import DATABASE
from index.filters import Filters
from tests.fakes import FakeEmbedder
from tests.index.test_stories import STORY, text_of, wire  # noqa: F401 - the fixture

QUERIES = [
    STORY.replace(".", "").split(" ")[:12],
    text_of(2).replace(".", "").split(" ")[5:9],
    ["terme7", "terme7", "inconnu", "terme1999"],
    ['"terme3" OR *', "NEAR(terme4)", "terme5"],  # FTS5 syntax is only ever a word
]
FILTERS = [None, Filters(), Filters(source="Monde"), Filters(article_ids=("afp", "n3", "n4"))]


def close(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> None:
    assert [cid for cid, _ in a] == [cid for cid, _ in b]
    assert all(abs(x - y) <= 1e-7 * max(1.0, abs(y)) for (_, x), (_, y) in zip(a, b, strict=True))


@pytest.mark.parametrize("filters", FILTERS)
def test_postings_rank_and_score_as_fts5_does_on_one_segment(wire, filters) -> None:  # noqa: F811
    store = index.open_index(wire)
    postings = store._segment_postings()
    assert len(postings) == len(store.segments) == 1
    assert store.segments[0].copies  # the story's copies are left out of unfiltered searches
    for terms in QUERIES:
        unique = list(dict.fromkeys(terms))
        for k in (1, 5, 50):
            mine = lexical.search(store, postings, unique, k, filters, bm25.LEXICAL_MAX_POSTINGS)
            fts5 = lexical.fts_search(store, unique, k, filters, bm25.LEXICAL_MAX_POSTINGS)
            close(mine, fts5)
            assert store.lexical_search(terms, k, filters=filters) == mine
    assert lexical.search(store, postings, ["terme7"], 5, Filters(source="Nobody"), 0) == []


def test_the_postings_hold_each_chunks_counts_and_length(wire) -> None:  # noqa: F811
    store = index.open_index(wire)
    (segment,) = store.segments
    part = store._segment_postings()[0]
    chunks = {cid: (title.split(), body.split()) for cid, title, body in segment.db.execute(
        "SELECT rowid, title, body FROM chunk_terms")}  # fmt: skip
    held: dict[int, dict[str, float]] = {cid: {} for cid in chunks}
    for term, df, rows, counts in segment.db.execute("SELECT term, df, rows, counts FROM postings"):
        assert df == len(rows) // 4 == len(counts) // 2
        for row, count in zip(memoryview(rows).cast("i"), memoryview(counts).cast("H"), strict=True):
            held[part.first + row][term] = count / 2
    assert held == {cid: bm25.term_counts(title, body) for cid, (title, body) in chunks.items()}
    for cid, (title, body) in chunks.items():
        assert part.lengths[cid - part.first] == len(title) + len(body)
    assert sum(part.lengths) == lexical.fts_totals(segment)[1]  # FTS5's own token count


def test_document_frequencies_come_from_the_postings_and_are_fts5_s(wire) -> None:  # noqa: F811
    store = index.open_index(wire)
    (segment,) = store.segments
    terms = [t for (t,) in segment.db.execute("SELECT term FROM postings")] + ["inconnu", '"x" OR *']
    assert store.document_frequencies(terms) == {
        t: segment.document_frequencies([t]).get(t, 0) for t in terms
    }
    assert store.document_frequencies(["terme7"])["terme7"] > 0


def test_an_index_written_before_postings_is_searched_by_fts5_until_compacted(wire) -> None:  # noqa: F811
    before = index.open_index(wire)
    terms = STORY.replace(".", "").split(" ")[:12]
    want = before.lexical_search(terms, 20)
    before.close()
    database = wire / index.open_index(wire).manifest.generation / DATABASE
    with sqlite3.connect(database) as db:  # a segment as the previous version wrote it
        db.executescript("DROP TABLE postings; DROP TABLE lexicon;")
    old = index.open_index(wire)
    assert old._segment_postings() == []
    close(old.lexical_search(terms, 20), want)  # FTS5 ranks it, as it did
    backend = index.backends.backend_for(wire)
    assert backend.fragmented()  # it would read faster compacted
    report = index.compact(wire)
    assert report.counts["articles"] == old.manifest.counts["articles"]
    new = index.open_index(wire)
    assert new.manifest.generation != old.manifest.generation and len(new._segment_postings()) == 1
    assert not backend.fragmented()
    found = new.chunks([cid for cid, _ in new.lexical_search(terms, 20)])
    kept = old.chunks([cid for cid, _ in want])
    assert [(h.article.id, h.chunk.ordinal) for h in found.values()] == [
        (h.article.id, h.chunk.ordinal) for h in kept.values()
    ]
    assert index.compact(wire).counts == report.counts  # compact again: nothing to do
    assert index.open_index(wire).manifest.generation == new.manifest.generation


def test_an_update_searches_its_new_segment_and_leaves_out_what_it_deleted(wire, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setattr(writer, "MERGE_SHARE", 1.0)  # a segment of its own, however small the index
    corpus = wire.parent / "corpus"
    lines = (corpus / "wire.jsonl").read_text("utf-8").splitlines()
    changed = [line for line in lines if '"id": "n3"' not in line]
    changed.append('{"id": "neuf", "title": "Neuf", "text": "Le glacier recule encore. Le glacier fond."}')
    (corpus / "wire.jsonl").write_text("\n".join(changed) + "\n", "utf-8")
    old = index.open_index(wire)
    n3 = set(old.chunk_ids(Filters(article_ids=("n3",))))
    index.update([corpus], wire, embedder=FakeEmbedder())
    store = index.open_index(wire)
    assert len(store.segments) == 2 and len(store._segment_postings()) == 2
    hits = store.lexical_search(analyze("glacier", "fr"), 5)
    assert store.chunks([hits[0][0]])[hits[0][0]].article.id == "neuf"
    n3_terms = text_of(13).replace(".", "").split(" ")[:12]  # n3's own words
    found = {cid for cid, _ in store.lexical_search(n3_terms, 200)}
    assert found and not found & n3  # its chunks are still in the first segment's postings
