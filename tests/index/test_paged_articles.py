"""Authors and pages in the embedded backend: stored, read back with every read that carries an
article, kept by updates and merges; an index of format 5 (no such columns) opens, is updated
and merged as it is, its articles' hashes unchanged."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

import index
from index.embedded import writer
from index.embedded.layout import DATABASE
from index.embedded.manifest_file import MANIFEST
from index.manifest import FORMAT_VERSION
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder
from tests.index.readers.samples import docx_bytes, pdf_bytes
from tests.index.readers.test_docx import MEMO
from tests.index.readers.test_pdf import INFO, REPORT


def write_paged(root: Path) -> Path:
    """The test corpus, a three-page PDF with an author and a Word document with one."""
    write_corpus(root)
    (root / "rapport.pdf").write_bytes(pdf_bytes(REPORT, INFO))
    (root / "note.docx").write_bytes(docx_bytes(MEMO, author="Paul Martin"))
    return root


def page_two(store: index.Storage) -> tuple[str, int, int]:
    """(article id, first, last) of the sentences of ``rapport.pdf`` that start on its page 2."""
    article = store.article("rapport.pdf")
    sentences = store.sentences(article)
    on_two = [s.ordinal for s in sentences if article.page_at(s.start) == 2]
    assert on_two
    return "rapport.pdf", on_two[0], on_two[-1]


def test_a_page_is_the_last_one_starting_at_or_before_an_offset() -> None:
    article = index.Article("a", "T", "Un.\n\nDeux.\n\nTrois.", pages=[0, 5, 5, 12])
    assert article.pages == (0, 5, 5, 12)  # a tuple, whatever was given
    assert [article.page_at(o) for o in (0, 3, 5, 11, 12, 17)] == [1, 1, 3, 3, 4, 4]
    assert index.Article("b", "T", "Un.").page_at(0) is None
    for wrong in ([], [3, 5], [0, 5, 4]):
        with pytest.raises(ValueError, match="pages must start at 0 and never decrease"):
            index.Article("c", "T", "Un.", pages=wrong)


def test_an_article_without_author_or_pages_keeps_the_hash_format_5_stored() -> None:
    assert index.Article("a", "T", "x").content_hash == (
        "84932c496ce39da42cd36ca8d62c531768f7318c00a79925989cbf7f943025bc"
    )
    dated = index.Article(
        "a",
        "T",
        "x",
        date="2012-05-22",
        date_text="22 mai 2012",
        url="u",
        source="s",
        category="c",
        lang="fr",
    )
    assert dated.content_hash == "0eea138f4329986e3d34c921ab00c3ad4c93eadd042df7cd325eeeb86254dad7"
    hashes = {
        index.Article("a", "T", "x", author="A").content_hash,
        index.Article("a", "T", "x", pages=(0,)).content_hash,
        index.Article("a", "T", "x", author="A", pages=(0,)).content_hash,
    }
    assert len(hashes) == 3 and index.Article("a", "T", "x").content_hash not in hashes


def test_stored_pages_read_back_and_a_damaged_value_names_no_page() -> None:
    from index.storage import pages_of, stored_pages

    assert pages_of(stored_pages((0, 1520, 1520, 3012))) == (0, 1520, 1520, 3012)
    assert stored_pages(None) is None and pages_of(None) is None and pages_of("") is None
    for damaged in ("0 x 3", "5 10", "0 10 4"):
        assert pages_of(damaged) is None


def test_authors_and_pages_read_back_as_read(tmp_path: Path) -> None:
    corpus = write_paged(tmp_path / "articles")
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    store = index.open_index(tmp_path / "ix")
    read = index.read_sources([corpus]).articles
    for article in read:
        stored = store.article(article.id)
        assert stored == replace(article, lang=stored.lang)
        assert stored.content_hash == article.content_hash
    pdf, word = store.article("rapport.pdf"), store.article("note.docx")
    assert pdf.pages is not None and len(pdf.pages) == 4 and pdf.author == "Jeanne Dupont"
    assert (word.pages, word.author) == (None, "Paul Martin")
    assert store.article("espace.txt").pages is None and store.article("espace.txt").author is None
    # What a citation reads: the articles that come with sentence blocks and chunks.
    articles, [block] = store.sentence_blocks([page_two(store)])
    assert articles["rapport.pdf"].pages == pdf.pages and articles["rapport.pdf"].author == "Jeanne Dupont"
    assert {pdf.page_at(s.start) for s in block.sentences} == {2}
    hits = store.chunks(store.chunk_ids(index.Filters(article_ids=("rapport.pdf",))))
    assert {h.article.pages for h in hits.values()} == {pdf.pages}


def test_an_update_and_a_merge_keep_authors_and_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "articles")
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    (corpus / "rapport.pdf").write_bytes(pdf_bytes(REPORT, INFO))
    monkeypatch.setattr(writer, "MERGE_SHARE", 10.0)  # a segment of its own, merged below
    report = index.update([corpus], target, embedder=FakeEmbedder())
    assert report.added == ["rapport.pdf"]
    updated = index.open_index(target)
    assert len(updated.segments) == 2
    pages = updated.article("rapport.pdf").pages
    assert pages is not None and len(pages) == 4
    index.compact(target)
    merged = index.open_index(target)
    assert len(merged.segments) == 1
    assert [(a.id, a.author, a.pages) for a in merged.articles()] == [
        (a.id, a.author, a.pages) for a in updated.articles()
    ]
    assert merged.article("rapport.pdf").author == "Jeanne Dupont"


def test_an_index_of_format_5_opens_updates_and_merges_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "articles")
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    before = {a.id: a for a in index.open_index(target).articles()}
    # What format 5 wrote: no author nor pages columns.
    [segment] = index.open_index(target).segments
    db = sqlite3.connect(segment.path / DATABASE)
    db.execute("ALTER TABLE articles DROP COLUMN author")
    db.execute("ALTER TABLE articles DROP COLUMN pages")
    db.commit()
    db.close()
    manifest = json.loads((target / MANIFEST).read_text("utf-8"))
    (target / MANIFEST).write_text(json.dumps({**manifest, "format_version": 5}), "utf-8")

    old = index.open_index(target)
    assert old.manifest.format_version == 5
    assert list(old.articles()) == list(before.values())
    assert {(a.author, a.pages) for a in old.articles()} == {(None, None)}
    assert old.article_hashes() == {aid: (a.content_hash, a.path) for aid, a in before.items()}

    (corpus / "rapport.pdf").write_bytes(pdf_bytes(REPORT, INFO))
    monkeypatch.setattr(writer, "MERGE_SHARE", 10.0)
    report = index.update([corpus], target, embedder=FakeEmbedder())
    assert (report.added, report.changed, report.unchanged) == (["rapport.pdf"], [], len(before))
    updated = index.open_index(target)
    assert updated.manifest.format_version == FORMAT_VERSION and len(updated.segments) == 2
    assert updated.article("rapport.pdf").author == "Jeanne Dupont"
    assert updated.article("espace.txt").pages is None

    index.compact(target)
    merged = index.open_index(target)
    assert len(merged.segments) == 1
    assert [(a.id, a.author, a.pages, a.content_hash) for a in merged.articles()] == [
        (a.id, a.author, a.pages, a.content_hash) for a in updated.articles()
    ]
