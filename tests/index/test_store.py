"""The store's reads (index/embedded/database.py) over the small test corpus.

The index is built once for the module with the fake embedder; expected values come from
reading the same corpus with :func:`index.read_sources`, from the analysis of each text, or
from the fake embedder's own vectors.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import index
from index import Article, Filters
from index.analysis import analyze
from index.embedded import IndexStore
from index.prepare import embedding_text
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index directory): the test corpus indexed with the fake embedder."""
    root = tmp_path_factory.mktemp("store")
    corpus = write_corpus(root / "articles")
    index.build([corpus], root / "ix", embedder=FakeEmbedder())
    return corpus, root / "ix"


@pytest.fixture(scope="module")
def read(built: tuple[Path, Path]) -> list[Article]:
    """The articles as the reader gives them (before indexing detects their language)."""
    return index.read_sources([built[0]]).articles


@pytest.fixture
def store(built: tuple[Path, Path]) -> Iterator[IndexStore]:
    opened = index.open_index(built[1])
    yield opened
    opened.close()


def all_chunk_ids(store: IndexStore) -> list[int]:
    return store.chunk_ids()


# -- articles -------------------------------------------------------------------------------


def test_an_article_reads_back_as_read_with_its_language(store: IndexStore, read: list[Article]) -> None:
    for article in read:
        stored = store.article(article.id)
        assert stored == replace(article, lang=stored.lang)
        assert stored.content_hash == article.content_hash  # what an update compares
    # A record's own language is kept; the others are detected (the French texts are French).
    assert {a.id: store.article(a.id).lang for a in read} == {
        "espace.txt": "fr",
        "w1": "fr",
        "w2": "en",
        "sport.md": "fr",
        "nouvelles/economie.html": "fr",
    }


def test_an_unknown_article_is_a_key_error(store: IndexStore) -> None:
    with pytest.raises(KeyError, match="no article 'nope' in the index"):
        store.article("nope")


def test_articles_come_in_the_order_they_were_read(store: IndexStore, read: list[Article]) -> None:
    assert [a.id for a in store.articles()] == [a.id for a in read]
    assert len(list(store.articles())) == store.manifest.counts["articles"]


def test_article_hashes_give_each_article_its_hash_and_path(store: IndexStore, read: list[Article]) -> None:
    assert store.article_hashes() == {a.id: (a.content_hash, a.path) for a in read}


def test_languages_of_known_articles_in_batches(store: IndexStore) -> None:
    assert store.languages(["w2", "w1", "nope"]) == {"w2": "en", "w1": "fr"}
    assert store.languages([]) == {}
    # More ids than one query takes (500): the known ones are found in every batch.
    many = [f"x{n}" for n in range(1200)]
    many[3], many[700], many[1100] = "w2", "espace.txt", "sport.md"
    assert store.languages(many) == {"w2": "en", "espace.txt": "fr", "sport.md": "fr"}


def test_distinct_values_of_an_article_column(store: IndexStore, read: list[Article]) -> None:
    assert store.distinct("category") == sorted({a.category for a in read if a.category})
    assert store.distinct("category") == ["nn-science", "politique", "weather"]
    assert store.distinct("source") == ["WIKINEWS", "Wikinews"]  # values as written, sorted
    assert store.distinct("lang") == ["en", "fr"]


@pytest.mark.parametrize("column", ["title", "text", "category; DROP TABLE articles", ""])
def test_distinct_refuses_other_columns(store: IndexStore, column: str) -> None:
    with pytest.raises(ValueError, match="column must be category, source or lang"):
        store.distinct(column)
    assert store.distinct("lang")  # the table is still there


def test_date_range_spans_the_dated_articles(store: IndexStore, read: list[Article]) -> None:
    dates = [a.date for a in read if a.date]
    assert len(dates) < len(read)  # undated articles are left out, not counted as None
    assert store.date_range() == (min(dates), max(dates)) == ("2012-06-17", "2012-08-27")


# -- sentences ------------------------------------------------------------------------------


def test_sentences_are_slices_of_the_article_in_order(store: IndexStore) -> None:
    for article in store.articles():
        sentences = store.sentences(article)
        assert [s.ordinal for s in sentences] == list(range(len(sentences)))
        assert all(article.text[s.start : s.end] == s.text and s.article_id == article.id for s in sentences)
        assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    assert sum(len(store.sentences(a)) for a in store.articles()) == store.manifest.counts["sentences"]


def test_sentences_first_to_last_inclusive(store: IndexStore) -> None:
    article = store.article("espace.txt")
    every = store.sentences(article)
    assert len(every) == 4
    assert store.sentences(article, 1, 2) == every[1:3]
    assert store.sentences(article, 2) == every[2:]
    assert store.sentences(article, 3, 3)[0].text == "Elle transporte 521 kg de matériel."
    assert store.sentences(article, 9) == [] and store.sentences(article, 2, 1) == []


def test_a_sentence_block_holds_the_analysed_terms_and_the_stored_vectors(store: IndexStore) -> None:
    article = store.article("espace.txt")
    block = store.sentence_block(article)
    assert block.terms == [tuple(analyze(s.text, article.lang)) for s in block.sentences]
    assert block.vectors is not None and block.vectors.shape == (4, store.manifest.dimension)
    texts = [embedding_text(article.title, s.text) for s in block.sentences]
    # The title leads each sentence's vector; sentence vectors are stored in float16.
    assert np.allclose(block.vectors, FakeEmbedder().encode_documents(texts), atol=2e-3)
    assert store.sentence_block(article, 1, 2).sentences == block.sentences[1:3]
    assert store.sentence_block(article, vectors=False).vectors is None


def test_sentence_blocks_answer_each_span_in_order(store: IndexStore) -> None:
    espace, w2 = store.article("espace.txt"), store.article("w2")
    spans = [("espace.txt", 1, 2), ("nope", 0, 5), ("w2", 0, 0), ("espace.txt", 3, 99), ("espace.txt", 7, 9)]
    articles, blocks = store.sentence_blocks(spans)
    assert articles == {"espace.txt": espace, "w2": w2}  # unknown articles are left out
    assert [[s.ordinal for s in b.sentences] for b in blocks] == [[1, 2], [], [0], [3], []]
    assert blocks[0].sentences == store.sentences(espace, 1, 2)
    assert blocks[2].sentences[0].text == "Tropical storm Isaac hit Florida on Monday."
    assert blocks[1].vectors is None and blocks[4].vectors is None  # nothing to hold
    whole = store.sentence_block(espace).vectors
    assert blocks[0].vectors is not None and whole is not None
    assert (
        np.array_equal(blocks[0].vectors, whole[1:3])
        and blocks[0].terms == store.sentence_block(espace).terms[1:3]
    )
    assert all(b.vectors is None for b in store.sentence_blocks(spans, vectors=False)[1])
    assert store.sentence_blocks([]) == ({}, [])


# -- chunks ---------------------------------------------------------------------------------


def test_chunks_are_runs_of_whole_sentences_with_their_article(store: IndexStore) -> None:
    ids = all_chunk_ids(store)
    assert len(ids) == store.manifest.counts["chunks"] == store.vectors.ntotal
    hits = store.chunks(ids)
    assert sorted(hits) == sorted(ids)
    for cid, hit in hits.items():
        chunk, article = hit.chunk, hit.article
        assert chunk.id == cid and chunk.article_id == article.id == store.article(article.id).id
        assert article.text[chunk.start : chunk.end] == chunk.text
        sentences = store.sentences(article, chunk.first_sentence, chunk.last_sentence)
        assert (chunk.start, chunk.end) == (sentences[0].start, sentences[-1].end)
    assert set(store.chunks([*ids, 9999])) == set(ids)  # unknown ids are left out
    assert store.chunks([]) == {}


def test_chunk_ids_of_the_articles_that_meet_the_filters(store: IndexStore) -> None:
    hits = store.chunks(all_chunk_ids(store))
    of = {
        aid: sorted(cid for cid, h in hits.items() if h.article.id == aid) for aid in ("w1", "w2", "sport.md")
    }
    assert store.chunk_ids(Filters(category="politique")) == of["w1"]
    assert store.chunk_ids(Filters(date_from="2012-08-01")) == of["w2"]
    assert store.chunk_ids(Filters(article_ids=("w1", "sport.md"))) == sorted(of["w1"] + of["sport.md"])
    assert store.chunk_ids(Filters(category="sport")) == []
    assert store.chunk_ids(Filters()) == store.chunk_ids() == sorted(hits)


# -- search ---------------------------------------------------------------------------------


def test_dense_search_finds_a_chunk_by_its_own_vector_best_first(store: IndexStore) -> None:
    ids = all_chunk_ids(store)
    for cid in ids:
        hits = store.dense_search(store.vectors.reconstruct(cid), 3)
        assert hits[0][0] == cid and hits[0][1] == pytest.approx(1.0, abs=1e-5)
        assert len(hits) == 3 and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    # Asking for more than there are gives what there is, without padding.
    everything = store.dense_search(store.vectors.reconstruct(ids[0]), 50)
    assert sorted(c for c, _ in everything) == sorted(ids)


def test_dense_search_within_the_articles_that_meet_the_filters(store: IndexStore) -> None:
    ids = all_chunk_ids(store)
    query = store.vectors.reconstruct(ids[0])
    first = store.chunks([ids[0]])[ids[0]].article.id
    other = next(h.article.id for h in store.chunks(ids).values() if h.article.id != first)
    allowed = store.chunk_ids(Filters(article_ids=(other,)))
    hits = store.dense_search(query, 10, filters=Filters(article_ids=(other,)))
    assert sorted(c for c, _ in hits) == allowed  # not the best chunk: its article is not allowed
    assert store.dense_search(query, 10, filters=Filters(category="sport")) == []


def test_lexical_search_ranks_chunks_holding_any_term_by_bm25(store: IndexStore) -> None:
    hits = store.chunks(all_chunk_ids(store))
    article_of = {cid: h.article.id for cid, h in hits.items()}
    found = store.lexical_search(analyze("la capsule", "fr"), 5)
    assert [article_of[c] for c, _ in found] == ["espace.txt"] and found[0][1] > 0
    # "paris" is in two articles (one title, one sentence), "grec" in one.
    both = store.lexical_search(["paris", "grec"], 5)
    assert {article_of[c] for c, _ in both} == {"sport.md", "nouvelles/economie.html", "w1"}
    assert [s for _, s in both] == sorted((s for _, s in both), reverse=True)
    assert len(store.lexical_search(["paris", "grec"], 2)) == 2
    assert store.lexical_search(["introuvabl"], 5) == []
    assert store.lexical_search([], 5) == store.lexical_search(["", ""], 5) == []


def test_lexical_search_within_allowed_articles(store: IndexStore) -> None:
    found = store.lexical_search(["paris", "grec"], 5, filters=Filters(category="politique"))
    assert [store.chunks([c])[c].article.id for c, _ in found] == ["w1"]


def test_lexical_search_drops_the_commonest_terms_past_its_postings_budget(store: IndexStore) -> None:
    assert store.document_frequencies(["capsul", "paris"]) == {"capsul": 1, "paris": 2}
    unbounded = store.lexical_search(["capsul", "paris"], 10, max_postings=0)
    assert len(unbounded) == 3
    # A budget of one posting keeps the rarest term only (always at least that one).
    bounded = store.lexical_search(["capsul", "paris"], 10, max_postings=1)
    assert bounded == store.lexical_search(["capsul"], 10) and len(bounded) == 1
    # Within the budget (2 terms × 5 chunks), nothing is dropped.
    assert store.lexical_search(["capsul", "paris"], 10, max_postings=10) == unbounded


def test_document_frequencies_count_the_chunks_holding_each_term(store: IndexStore) -> None:
    # A chunk's terms: its article's title and its sentences', as analysed.
    chunk_terms = []
    for hit in store.chunks(all_chunk_ids(store)).values():
        article, chunk = hit.article, hit.chunk
        block = store.sentence_block(article, chunk.first_sentence, chunk.last_sentence, vectors=False)
        chunk_terms.append(set(analyze(article.title, article.lang)).union(*block.terms))
    vocabulary = sorted(set().union(*chunk_terms))
    plain = [t for t in vocabulary if t.isalpha()]  # numbers: see the test below
    expected = {t: sum(t in terms for terms in chunk_terms) for t in plain}
    assert store.document_frequencies(plain) == expected
    assert max(expected.values()) > 1  # some terms are in several chunks
    assert store.document_frequencies(["capsul", "inconnu", "capsul"]) == {"capsul": 1, "inconnu": 0}
    assert store.document_frequencies([]) == {}


def test_a_number_term_has_the_frequency_of_the_chunks_holding_it(store: IndexStore) -> None:
    hits = store.chunks(all_chunk_ids(store))
    holding = {
        term: sorted(
            h.article.id
            for h in hits.values()
            if any(term in terms for terms in store.sentence_block(h.article, vectors=False).terms)
        )
        for term in ("2,5", "7")
    }
    # "Le CAC 40 a perdu 2,5 %…" (economie) and "à 7 h 44" (espace); w1 has "29,7", another term.
    assert holding == {"2,5": ["nouvelles/economie.html"], "7": ["espace.txt"]}
    assert store.document_frequencies(["2,5", "7"]) == {"2,5": 1, "7": 1}
