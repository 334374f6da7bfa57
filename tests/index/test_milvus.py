"""The Milvus backend against the embedded one: the same corpus gives the same reads.

Run twice, against Milvus Lite as a local file and as ``milvus-lite server`` on 127.0.0.1
(gRPC, as a cluster), both real engines; the embedder is the deterministic fake, so the
vectors are the same in both backends. Chunks are compared by (article, ordinal): the
backends number them differently.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import index
from index import Filters
from index.analysis import analyze
from index.readers import DEFAULT_MAX_FILE_MB
from index.readers.file_states import FileStates, states_path
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder
from tests.required import require_module

require_module("pymilvus", "pip install 'article-qa[milvus]'")

QUESTIONS = [("la capsule Dragon", "fr"), ("Paris grec élection", "fr"), ("storm Florida vote", "en")]


@pytest.fixture(scope="module", params=["lite-file", "lite-server"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """(embedded store, Milvus store, corpus) of the test corpus."""
    root = tmp_path_factory.mktemp(request.param)
    corpus = write_corpus(root / "articles")
    with _milvus_uri(request.param, root) as uri:
        index.build([corpus], root / "ix", embedder=FakeEmbedder())
        index.build([corpus], uri, embedder=FakeEmbedder())
        yield index.open_index(root / "ix"), index.open_index(uri), corpus, uri


def _milvus_uri(kind: str, root: Path):  # type: ignore[no-untyped-def]
    from tests.milvus.server import milvus_server

    if kind == "lite-file":
        return contextlib.nullcontext(f"milvus-lite:{root}/lite.db/news")

    @contextlib.contextmanager
    def served() -> Iterator[str]:
        with milvus_server(root) as port:
            yield f"milvus://127.0.0.1:{port}/news"

    return served()


def keyed(store, hits):  # type: ignore[no-untyped-def]
    """Hits as ((article, ordinal), score), best first; ties (equal scores) in key order."""
    chunks = store.chunks([c for c, _ in hits])
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    found = [((chunks[c].article.id, chunks[c].chunk.ordinal), round(s, 4)) for c, s in hits]
    return sorted(found, key=lambda hit: (-hit[1], hit[0]))


def test_articles_read_back_the_same(pair) -> None:  # type: ignore[no-untyped-def]
    embedded, milvus, _, _ = pair
    assert list(milvus.articles()) == list(embedded.articles())
    assert [a.text for a in milvus.articles()] == [a.text for a in embedded.articles()]
    assert milvus.article_hashes() == embedded.article_hashes()
    for column in ("category", "source", "lang"):
        assert milvus.distinct(column) == embedded.distinct(column)
    assert milvus.date_range() == embedded.date_range()
    ids = [a.id for a in embedded.articles()]
    assert milvus.languages(ids) == embedded.languages(ids)
    assert milvus.manifest.counts == embedded.manifest.counts
    assert milvus.manifest.languages == embedded.manifest.languages
    with pytest.raises(KeyError):
        milvus.article("nope")


def test_sentence_blocks_hold_the_same_sentences_terms_and_vectors(pair) -> None:  # type: ignore[no-untyped-def]
    embedded, milvus, _, _ = pair
    spans = [(a.id, 1, 3) for a in embedded.articles()] + [("unknown", 0, 2)]
    _, want = embedded.sentence_blocks(spans)
    articles, got = milvus.sentence_blocks(spans)
    assert set(articles) == {a.id for a in embedded.articles()}
    for w, g in zip(want, got, strict=True):
        assert g.sentences == w.sentences and g.terms == w.terms
        if w.vectors is None:
            assert g.vectors is None
        else:
            np.testing.assert_allclose(g.vectors, w.vectors, atol=2e-3)  # the embedded ones are float16


def test_dense_and_lexical_search_rank_the_same_chunks_with_the_same_scores(pair) -> None:  # type: ignore[no-untyped-def]
    embedded, milvus, _, _ = pair
    fake = FakeEmbedder()
    for question, lang in QUESTIONS:
        vector = fake.encode_queries([question])[0]
        assert keyed(milvus, milvus.dense_search(vector, 8)) == keyed(
            embedded, embedded.dense_search(vector, 8)
        )
        terms = analyze(question, lang)
        want = keyed(embedded, embedded.lexical_search(terms, 8))
        assert want, question
        assert keyed(milvus, milvus.lexical_search(terms, 8)) == want
        assert milvus.document_frequencies(terms) == embedded.document_frequencies(terms)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(category="politique"),
        Filters(date_from="2012-08-01"),
        Filters(date_to="2012-07-31"),
        Filters(article_ids=("w1", "sport.md")),
        Filters(category='x" or id >= 0 or category == "y'),  # a value is never read as syntax
    ],
)
def test_filters_allow_the_same_chunks(pair, filters: Filters) -> None:  # type: ignore[no-untyped-def]
    embedded, milvus, _, _ = pair
    assert keyed(milvus, [(c, 0.0) for c in milvus.chunk_ids(filters)]) == keyed(
        embedded, [(c, 0.0) for c in embedded.chunk_ids(filters)]
    )
    vector = FakeEmbedder().encode_queries(["Paris"])[0]
    assert keyed(milvus, milvus.dense_search(vector, 5, filters=filters)) == keyed(
        embedded, embedded.dense_search(vector, 5, filters=filters)
    )
    terms = analyze("Paris grec capsule", "fr")
    assert keyed(milvus, milvus.lexical_search(terms, 5, filters=filters)) == keyed(
        embedded, embedded.lexical_search(terms, 5, filters=filters)
    )


def test_an_update_adds_changes_and_removes_as_the_embedded_backend_does(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    embedded, _, corpus, uri = pair
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    for location in (embedded.location, uri):
        index.build([work], location, embedder=FakeEmbedder(), rebuild=True)
    before = index.open_index(uri)
    (work / "ajout.txt").write_text("Un ajout\n\nLa capsule Dragon revient sur Terre.", encoding="utf-8")
    (work / "sport.md").unlink()
    with (work / "espace.txt").open("a", encoding="utf-8") as out:
        out.write("\n\nLa capsule a aussi ramené des échantillons.")
    for location in (embedded.location, uri):
        report = index.update([work], location, embedder=FakeEmbedder())
        assert (report.added, report.changed, report.removed) == (["ajout.txt"], ["espace.txt"], ["sport.md"])
        published = index.open_index(location).manifest.digest()  # the table vouches for what was published
        assert FileStates.load(
            states_path(location), stamp=published, max_file_mb=DEFAULT_MAX_FILE_MB
        ).trusted
    after_e, after_m = index.open_index(embedded.location), index.open_index(uri)
    assert after_m.manifest.generation != before.manifest.generation
    assert [a.id for a in after_m.articles()] == [a.id for a in after_e.articles()]
    assert after_m.manifest.counts == after_e.manifest.counts
    terms = analyze("la capsule Dragon revient", "fr")
    assert after_m.document_frequencies(terms) == after_e.document_frequencies(terms)
    assert [k for k, _ in keyed(after_m, after_m.lexical_search(terms, 5))] == [
        k for k, _ in keyed(after_e, after_e.lexical_search(terms, 5))
    ]
    assert after_m.article("espace.txt").text == after_e.article("espace.txt").text
    assert before.published_generation() == after_m.manifest.generation  # a reader sees the change
    assert [a.id for a in before.articles()][-1] != "ajout.txt"  # and still reads its own epoch


def test_term_statistics_are_cut_into_parts_that_fit_a_varchar_and_read_back_whole() -> None:
    import json

    from index.milvus.writer import STATS_PART_CHARS, _parts

    frequencies = {f'terme{n}é"\\': n for n in range(30_000)}  # quotes and backslashes grow in JSON
    parts = list(_parts(frequencies))
    assert len(parts) > 1 and all(len(p) <= STATS_PART_CHARS for p in parts)
    merged: dict[str, int] = {}
    for part in parts:
        merged.update(json.loads(part))
    assert merged == frequencies
    assert list(_parts({})) == ["{}"]


def test_authors_and_pages_read_back_as_the_embedded_backend_reads_them(tmp_path: Path) -> None:
    from tests.index.test_paged_articles import page_two, write_paged

    corpus = write_paged(tmp_path / "articles")
    uri = f"milvus-lite:{tmp_path}/lite.db/paged"
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    index.build([corpus], uri, embedder=FakeEmbedder())
    embedded, milvus = index.open_index(tmp_path / "ix"), index.open_index(uri)
    assert list(milvus.articles()) == list(embedded.articles())  # authors and pages included
    assert milvus.article_hashes() == embedded.article_hashes()
    pdf = milvus.article("rapport.pdf")
    assert pdf.pages is not None and len(pdf.pages) == 4 and pdf.author == "Jeanne Dupont"
    assert milvus.article("note.docx").author == "Paul Martin"
    span = page_two(embedded)
    articles, [block] = milvus.sentence_blocks([span])
    assert (articles["rapport.pdf"].pages, articles["rapport.pdf"].author) == (pdf.pages, pdf.author)
    assert block.sentences == embedded.sentence_blocks([span])[1][0].sentences
    hits = milvus.chunks(milvus.chunk_ids(Filters(article_ids=("rapport.pdf",))))
    assert {h.article.pages for h in hits.values()} == {pdf.pages}


def test_an_epoch_of_format_5_is_read_and_updated_as_it_is(tmp_path: Path) -> None:
    import json

    from pymilvus import CollectionSchema

    from index.milvus import schema
    from index.milvus.connection import collection, connect, parse, put, read_head
    from tests.index.readers.samples import pdf_bytes
    from tests.index.readers.test_pdf import INFO, REPORT

    corpus = write_corpus(tmp_path / "articles")
    uri = f"milvus-lite:{tmp_path}/lite.db/old"
    index.build([corpus], uri, embedder=FakeEmbedder())
    before = list(index.open_index(uri).articles())
    # What format 5 wrote: an articles collection without author nor pages, and its head says 5.
    where = parse(uri)
    client = connect(where)
    head, manifest = read_head(where, client)
    name = collection(where.name, int(head["epoch"]), "articles")
    rows = client.query(name, filter="", output_fields=["*"])
    client.drop_collection(name)
    current, params = schema.schemas(manifest.dimension)["articles"]
    old = CollectionSchema([f for f in current.fields if f.name not in ("author", "pages")])
    client.create_collection(name, schema=old, index_params=params)
    client.insert(name, data=[{k: v for k, v in r.items() if k not in ("author", "pages")} for r in rows])
    client.load_collection(name)
    head["manifest"]["format_version"] = 5
    put(where, client, "head", json.dumps(head))

    opened = index.open_index(uri)
    assert opened.manifest.format_version == 5
    assert list(opened.articles()) == before
    assert {(a.author, a.pages) for a in opened.articles()} == {(None, None)}

    (corpus / "rapport.pdf").write_bytes(pdf_bytes(REPORT, INFO))
    report = index.update([corpus], uri, embedder=FakeEmbedder())
    assert (report.added, report.changed, report.unchanged) == (["rapport.pdf"], [], len(before))
    updated = index.open_index(uri)
    assert updated.manifest.format_version > 5
    assert updated.article("rapport.pdf").author == "Jeanne Dupont"
    assert [(a.id, a.author, a.pages) for a in updated.articles()][: len(before)] == [
        (a.id, None, None) for a in before
    ]
