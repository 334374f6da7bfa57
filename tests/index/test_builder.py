import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import index
from index.embedded.manifest_file import MANIFEST, read_manifest
from index.manifest import FORMAT_VERSION
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder


def build(corpus, path, embedder, **kw):
    return index.build([corpus], path, embedder=embedder, progress=None, **kw)


def consistent(path: Path) -> dict[str, int]:
    """Open the index and check that manifest, SQLite and FAISS agree; return the counts."""
    store = index.open_index(path)
    counts = store.manifest.counts
    db = store.db
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == counts["articles"]
    assert db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == counts["chunks"]
    assert db.execute("SELECT COUNT(*) FROM chunk_terms").fetchone()[0] == counts["chunks"]
    assert store.vectors.ntotal == counts["chunks"]
    assert store.sentence_vectors.ntotal == counts["sentences"]
    ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
    faiss_ids = set(store.vectors.id_map.at(i) for i in range(store.vectors.ntotal))
    assert ids == faiss_ids
    store.close()
    return counts


def test_build_indexes_every_article_with_sentences_chunks_and_vectors(corpus, tmp_path, fake_embedder):
    report = build(corpus, tmp_path / "ix", fake_embedder)
    assert sorted(report.added) == sorted(["espace.txt", "sport.md", "nouvelles/economie.html", "w1", "w2"])
    counts = consistent(tmp_path / "ix")
    assert counts["articles"] == 5 and counts["sentences"] >= 12
    store = index.open_index(tmp_path / "ix")
    article = store.article("espace.txt")
    sentences = store.sentences(article)
    assert sentences[1].text.startswith("M. Musk s'est dit")
    assert all(article.text[s.start : s.end] == s.text for s in sentences)
    assert store.manifest.model == "fake-hash-64" and store.manifest.dimension == 64
    assert set(report.timings) == {"read", "segment", "stories", "embed", "write"}


def test_dense_and_lexical_search_find_the_matching_chunk(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    store = index.open_index(tmp_path / "ix")
    query = fake_embedder.encode_queries(["capsule Dragon station matériel"])[0]
    best_dense = store.chunks([store.dense_search(query, 1)[0][0]])
    assert next(iter(best_dense.values())).article.id == "espace.txt"
    hits = store.lexical_search(index.analysis.analyze("la capsule a été lancée", "fr"), 3)
    assert store.chunks([hits[0][0]])[hits[0][0]].article.id == "espace.txt"
    # Accent-free and elided forms find the same words.
    assert store.lexical_search(index.analysis.analyze("l'election grecque", "fr"), 1)


def test_lexical_search_never_reads_user_text_as_fts_syntax(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    store = index.open_index(tmp_path / "ix")
    for nasty in ['"', "*", "OR", "NEAR(", "a AND", "^x", "col:val", "(((", "'); DROP TABLE x; --"]:
        store.lexical_search([*index.analysis.analyze(nasty, "fr"), nasty], 5)  # must not raise


def test_update_embeds_only_new_and_changed_articles(corpus, tmp_path):
    embedder = FakeEmbedder()
    build(corpus, tmp_path / "ix", embedder)
    embedder.calls.clear()
    (corpus / "sport.md").write_text("# Le Tour de France\n\nUn tout autre texte sur le vélo.", "utf-8")
    (corpus / "neuf.txt").write_text("Nouvel article\n\nIl parle de la pluie à Brest.", "utf-8")
    report = index.update([corpus], tmp_path / "ix", embedder=embedder)
    assert report.added == ["neuf.txt"] and report.changed == ["sport.md"] and not report.removed
    assert report.unchanged == 4
    assert report.chunks_embedded == 2 and report.sentences_embedded == 2
    # Only the sentences go through the model; the chunks' vectors are summed from theirs.
    assert sum(embedder.calls) == report.texts_encoded == report.sentences_embedded
    store = index.open_index(tmp_path / "ix")
    assert "vélo" in store.article("sport.md").text
    consistent(tmp_path / "ix")


def test_an_edited_article_keeps_its_language_and_a_new_one_is_detected(corpus, tmp_path, monkeypatch):
    embedder = FakeEmbedder()
    build(corpus, tmp_path / "ix", embedder)
    detected: list[str] = []
    monkeypatch.setattr("index.prepare.detect_language", lambda text: detected.append(text) or "en")
    (corpus / "sport.md").write_text("# Le Tour de France\n\nUn tout autre texte sur le vélo.", "utf-8")
    (corpus / "new.txt").write_text("A new article\n\nIt rains in Brest.", "utf-8")
    report = index.update([corpus], tmp_path / "ix", embedder=embedder)
    assert report.changed == ["sport.md"] and report.added == ["new.txt"]
    assert len(detected) == 1 and "Brest" in detected[0]  # only the new article was detected
    store = index.open_index(tmp_path / "ix")
    assert store.article("sport.md").lang == "fr" and store.article("new.txt").lang == "en"
    # The kept language does not make the article look changed next time.
    assert index.update([corpus], tmp_path / "ix", embedder=embedder).unchanged == 6


def test_update_with_nothing_changed_embeds_nothing_and_keeps_the_generation(corpus, tmp_path):
    embedder = FakeEmbedder()
    build(corpus, tmp_path / "ix", embedder)
    generation = index.open_index(tmp_path / "ix").manifest.generation
    embedder.calls.clear()
    report = index.update([corpus], tmp_path / "ix", embedder=embedder)
    assert report.unchanged == 5 and not embedder.calls
    assert index.open_index(tmp_path / "ix").manifest.generation == generation


def test_update_removes_articles_whose_file_is_gone_and_keeps_other_sources(corpus, tmp_path, fake_embedder):
    other = tmp_path / "other"
    other.mkdir()
    (other / "ailleurs.txt").write_text("Ailleurs\n\nUn article d'une autre source.", "utf-8")
    index.build([corpus, other], tmp_path / "ix", embedder=fake_embedder)
    (corpus / "sport.md").unlink()
    lines = (corpus / "fil.jsonl").read_text("utf-8").splitlines()
    (corpus / "fil.jsonl").write_text(lines[0] + "\n", "utf-8")  # w2 deleted from the file
    report = index.update([corpus], tmp_path / "ix", embedder=fake_embedder)
    assert sorted(report.removed) == ["sport.md", "w2"]
    store = index.open_index(tmp_path / "ix")
    assert {a.id for a in store.articles()} == {"espace.txt", "nouvelles/economie.html", "w1", "ailleurs.txt"}
    consistent(tmp_path / "ix")


def test_update_keeps_articles_of_a_file_that_failed_to_read(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    (corpus / "sport.md").write_bytes(b"\x00\x01\x02binary now")
    (corpus / "neuf.txt").write_text("Nouvel article\n\nTexte neuf.", "utf-8")
    report = index.update([corpus], tmp_path / "ix", embedder=fake_embedder)
    assert not report.removed and report.added == ["neuf.txt"]
    assert "binary" in str(report.problems[0])
    assert index.open_index(tmp_path / "ix").article("sport.md")


def test_build_refuses_to_replace_an_index_without_rebuild(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    with pytest.raises(index.IndexExistsError, match="--rebuild"):
        build(corpus, tmp_path / "ix", fake_embedder)
    (corpus / "sport.md").unlink()
    build(corpus, tmp_path / "ix", fake_embedder, rebuild=True)
    assert consistent(tmp_path / "ix")["articles"] == 4


def test_failed_run_leaves_the_existing_index_untouched(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    before = (tmp_path / "ix" / MANIFEST).read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(index.NoArticlesError, match="nothing was changed"):
        build(empty, tmp_path / "ix", fake_embedder, rebuild=True)
    with pytest.raises(index.NoArticlesError):
        index.update([tmp_path / "missing"], tmp_path / "ix", embedder=fake_embedder)
    assert (tmp_path / "ix" / MANIFEST).read_text() == before
    assert consistent(tmp_path / "ix")["articles"] == 5


class ExplodingEmbedder(FakeEmbedder):
    def encode_documents(self, texts, *, progress=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("model crashed")


def test_a_crash_while_embedding_leaves_the_previous_index(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    (corpus / "neuf.txt").write_text("Nouvel article\n\nTexte neuf.", "utf-8")
    with pytest.raises(RuntimeError, match="model crashed"):
        index.update([corpus], tmp_path / "ix", embedder=ExplodingEmbedder())
    assert consistent(tmp_path / "ix")["articles"] == 5
    report = index.update([corpus], tmp_path / "ix", embedder=fake_embedder)  # and it recovers
    assert report.added == ["neuf.txt"]
    assert len(list((tmp_path / "ix").glob("g*"))) <= 2


def test_opening_with_another_model_or_format_names_both_and_how_to_rebuild(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    with pytest.raises(index.IndexMismatchError) as err:
        index.open_index(tmp_path / "ix", model="other/model")
    assert "fake-hash-64" in str(err.value) and "other/model" in str(err.value)
    assert "--rebuild" in str(err.value)
    with pytest.raises(index.IndexMismatchError):
        index.update([corpus], tmp_path / "ix", embedder=FakeEmbedder(name="other/model"))
    manifest = json.loads((tmp_path / "ix" / MANIFEST).read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (tmp_path / "ix" / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(index.IndexMismatchError, match=f"format version {FORMAT_VERSION + 1}.*--rebuild"):
        index.open_index(tmp_path / "ix")


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(index.IndexNotFoundError, match="article-qa index build"):
        index.open_index(tmp_path / "nothing")
    with pytest.raises(index.IndexNotFoundError):
        index.update([tmp_path], tmp_path / "nothing")


def test_index_info_reports_counts_model_size_and_last_build(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    info = index.index_info(tmp_path / "ix")
    assert info.articles == 5 and info.model == "fake-hash-64" and info.dimension == 64
    assert info.size_bytes is not None and info.size_bytes > 10_000
    assert info.last_build["added"] == 5
    assert info.categories == ("nn-science", "politique", "weather")
    assert info.languages["fr"] == 4 and info.languages["en"] == 1
    assert info.segments == 1


def test_index_info_as_a_dict_keeps_the_keys_and_values_of_index_info_json(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    info = index.index_info(tmp_path / "ix")
    shown = info.to_dict()
    assert list(shown) == [
        "index_dir", "articles", "sentences", "chunks", "model", "runtime", "chunk_vectors", "dimension",
        "vector_index", "segments", "chunk_size", "overlap", "languages", "categories", "dates",
        "size_bytes", "format_version", "created_at", "updated_at", "last_build", "sources",
    ]  # fmt: skip
    manifest = read_manifest(tmp_path / "ix")
    assert shown["sources"] == manifest.sources and shown["sources"][0]["location"] == str(corpus.resolve())
    assert shown["index_dir"] == str(tmp_path / "ix")
    assert (shown["articles"], shown["segments"], shown["format_version"]) == (5, 1, FORMAT_VERSION)
    assert shown["categories"] == ["nn-science", "politique", "weather"]
    assert shown["dates"] == list(info.dates) and all(isinstance(d, str) for d in shown["dates"])
    assert shown["last_build"] == manifest.last_build and shown["languages"] == manifest.languages
    assert json.loads(json.dumps(shown)) == shown  # JSON as it is, no tuples turned into lists on the way


def test_sample_corpus_ships_with_attribution():
    sources = index.sample_sources()
    assert [p.name for p in sources] == ["000_b58262a57bd1c4a3.txt", "wikinews-fr-100.jsonl"]
    attribution = (sources[0].parent / "ATTRIBUTION.md").read_text("utf-8")
    assert "Wikinews" in attribution and "CC BY 2.5" in attribution
    ids = [json.loads(line)["id"] for line in sources[1].read_text("utf-8").splitlines()]
    assert len(ids) == 100 and all(i in attribution for i in ids)


def test_vectors_are_unit_length(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    store = index.open_index(tmp_path / "ix")
    matrix = store.vectors.index.reconstruct_n(0, store.vectors.ntotal)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    shutil.rmtree(tmp_path / "ix")


def test_sentence_blocks_read_many_passages_at_once_as_one_by_one(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    store = index.open_index(tmp_path / "ix")
    spans = [("espace.txt", 0, 2), ("w1", 1, 1), ("espace.txt", 1, 99), ("absent", 0, 3)]
    articles, blocks = store.sentence_blocks(spans)
    assert set(articles) == {"espace.txt", "w1"}
    for (aid, first, last), block in zip(spans[:3], blocks, strict=False):
        one = store.sentence_block(store.article(aid), first, last)
        assert block.sentences == one.sentences and block.terms == one.terms
        assert np.array_equal(block.vectors, one.vectors)
    assert blocks[3].sentences == [] and blocks[3].vectors is None


def test_lexical_search_leaves_out_the_commonest_terms_past_its_budget(corpus, tmp_path, fake_embedder):
    build(corpus, tmp_path / "ix", fake_embedder)
    store = index.open_index(tmp_path / "ix")
    vocab = store.db.execute("SELECT term, doc FROM chunk_vocab ORDER BY doc DESC, term").fetchall()
    (common, many), (rare_term, few) = vocab[0], vocab[-1]
    assert few < many
    both = store.lexical_search([rare_term, common], 10)
    rare = store.lexical_search([rare_term], 10)
    assert len(both) > len(rare)  # the common term matches chunks the rare one does not
    assert store.lexical_search([rare_term, common], 10, max_postings=few) == rare
    assert store.lexical_search([common, rare_term], 10, max_postings=0) == both  # 0: no budget
    # With a filter the same chunks come back through the joined query.
    article = store.chunks([both[0][0]])[both[0][0]].article.id
    assert store.lexical_search([rare_term, common], 10, filters=index.Filters(article_ids=(article,))) == [
        hit for hit in both if store.chunks([hit[0]])[hit[0]].article.id == article
    ]


def test_a_failure_after_the_commit_point_keeps_the_new_generation(tmp_path, monkeypatch):
    """Cleaning old generations fails after the manifest names the new one: the build reports
    the error, and the index is the new generation, whole (the writer must not abort it)."""
    corpus = write_corpus(tmp_path / "articles")
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())

    def broken(*_args, **_kwargs):
        raise OSError("disk said no")

    monkeypatch.setattr("index.embedded.writer.remove_old_generations", broken)
    (corpus / "ajout.txt").write_text("Ajout\n\nUne phrase de plus sur la capsule.", encoding="utf-8")
    with pytest.raises(OSError, match="disk said no"):
        index.update([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    store = index.open_index(tmp_path / "ix")
    assert "ajout.txt" in store.article_hashes()
    assert store.chunk_ids() and store.manifest.counts["articles"] == len(store.article_hashes())
