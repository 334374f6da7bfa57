"""An update writes what changed: a small segment and deleted row ids, merged past a share."""

import json
from pathlib import Path

import numpy as np
import pytest

import index
from index.analysis import analyze
from index.embedded import layout, writer
from index.errors import IndexDamagedError
from index.manifest import FORMAT_VERSION
from tests.fakes import FakeEmbedder

WORDS = ["orage", "marée", "volcan", "glacier", "désert", "récif", "savane", "toundra"]


def record(i: int, *, extra: str = "") -> dict[str, str]:
    word = WORDS[i % len(WORDS)]
    text = f"Le {word} numéro {i} fut observé en {1900 + i}. " + " ".join(
        f"Le relevé {j} du site {i} mentionne le {word} et la station quatre{i}x." for j in range(6)
    )
    return {
        "id": f"a{i}",
        "title": f"{word.capitalize()} {i}",
        "text": text + extra,
        "category": "terre" if i % 2 else "mer",
        "date": f"2024-01-{1 + i % 28:02d}",
    }


def write(root: Path, name: str, records: list[dict[str, str]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def forty(tmp_path: Path) -> tuple[Path, Path]:
    """A 40-article index built from ``corpus/base.jsonl``."""
    corpus = tmp_path / "corpus"
    write(corpus, "base.jsonl", [record(i) for i in range(40)])
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    return corpus, target


def files_of(gen: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in gen.iterdir() if p.is_file()}


def by_place(store, hits):
    """Search hits as (article id, chunk ordinal, score) — ids differ between two indexes."""
    chunks = store.chunks([cid for cid, _ in hits])
    return [(chunks[cid].chunk.article_id, chunks[cid].chunk.ordinal, round(score, 6)) for cid, score in hits]


def test_an_update_of_one_article_writes_a_small_segment_and_leaves_the_first_untouched(forty, tmp_path):
    corpus, target = forty
    first = index.open_index(target).manifest.generation
    before = files_of(target / first)
    write(corpus, "base.jsonl", [record(i, extra=" Un ajout tardif." if i == 7 else "") for i in range(40)])
    write(corpus, "new.jsonl", [record(40)])
    report = index.update([corpus], target, embedder=FakeEmbedder())
    assert report.changed == ["a7"] and report.added == ["a40"]

    store = index.open_index(target)
    gen = target / store.manifest.generation
    assert [s.name for s in store.segments] == [first, gen.name]
    assert files_of(target / first) == before  # not copied, not rewritten
    saved = json.loads((gen / layout.SEGMENTS).read_text())
    assert list(saved["deleted"]) == [first] and len(saved["deleted"][first]) == 1
    own = store.segments[1].db.execute("SELECT id FROM articles").fetchall()
    assert sorted(own) == [("a40",), ("a7",)]  # only what changed is in the new segment

    assert store.manifest.counts["articles"] == 41
    assert sorted(a.id for a in store.articles()) == sorted(f"a{i}" for i in range(41))
    assert store.article("a7").text.endswith("Un ajout tardif.")
    assert len(store.article_hashes()) == 41


def test_reads_over_segments_equal_those_of_a_fresh_build(forty, tmp_path):
    corpus, target = forty
    write(corpus, "base.jsonl", [record(i, extra=" Un ajout tardif." if i == 7 else "") for i in range(40)])
    write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    index.build([corpus], tmp_path / "fresh", embedder=FakeEmbedder())
    store, fresh = index.open_index(target), index.open_index(tmp_path / "fresh")
    assert len(store.segments) == 2 and len(fresh.segments) == 1
    assert store.manifest.counts == fresh.manifest.counts
    assert store.manifest.languages == fresh.manifest.languages
    assert {a.id: a for a in store.articles()} == {a.id: a for a in fresh.articles()}
    assert store.distinct("category") == fresh.distinct("category") == ["mer", "terre"]
    assert store.date_range() == fresh.date_range()
    spans = [("a7", 0, 3), ("a40", 1, 2), ("a3", 0, 99), ("absent", 0, 1)]
    for got, want in zip(store.sentence_blocks(spans)[1], fresh.sentence_blocks(spans)[1], strict=True):
        assert got.sentences == want.sentences and got.terms == want.terms
        assert (got.vectors is None) == (want.vectors is None)
        assert got.vectors is None or np.array_equal(got.vectors, want.vectors)
    query = FakeEmbedder().encode_queries(["le volcan numéro 40 et un ajout tardif"])[0]
    assert by_place(store, store.dense_search(query, 10)) == by_place(fresh, fresh.dense_search(query, 10))
    filters = index.Filters(category="mer")
    assert by_place(store, store.dense_search(query, 5, filters=filters)) == by_place(
        fresh, fresh.dense_search(query, 5, filters=filters)
    )
    assert len(store.chunk_ids()) == len(fresh.chunk_ids()) == store.manifest.counts["chunks"]
    ids = store.chunk_ids(index.Filters(article_ids=("a40",)))
    assert np.array_equal(
        store.chunk_vectors(ids), fresh.chunk_vectors(fresh.chunk_ids(index.Filters(article_ids=("a40",))))
    )


def test_an_added_article_ranks_by_the_whole_index_statistics(forty, tmp_path):
    """Without deletions, the new segment's BM25 scores are those a fresh build gives."""
    corpus, target = forty
    write(corpus, "new.jsonl", [record(40), record(41)])
    index.update([corpus], target, embedder=FakeEmbedder())
    index.build([corpus], tmp_path / "fresh", embedder=FakeEmbedder())
    store, fresh = index.open_index(target), index.open_index(tmp_path / "fresh")
    assert len(store.segments) == 2
    terms = analyze("quatre40x station relevé", "fr")
    got = [h for h in by_place(store, store.lexical_search(terms, 80)) if h[0] in ("a40", "a41")]
    want = [h for h in by_place(fresh, fresh.lexical_search(terms, 80)) if h[0] in ("a40", "a41")]
    assert got and sorted(got) == sorted(want)
    assert got[0][0] == "a40"  # its own rare word puts it first
    assert store.document_frequencies(terms) == fresh.document_frequencies(terms)


def test_a_changed_or_removed_article_is_never_read_again(forty, tmp_path):
    corpus, target = forty
    old = index.open_index(target)
    old_ids = old.chunk_ids(index.Filters(article_ids=("a5",)))
    old_vector = old.chunk_vectors(old_ids[:1])[0]
    records = [record(i) for i in range(40) if i != 9]
    records[5] = {**record(5), "text": "Un texte entièrement neuf sur la banquise et les manchots."}
    write(corpus, "base.jsonl", records)
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert len(store.segments) == 2 and store.manifest.counts["articles"] == 39
    with pytest.raises(KeyError):
        store.article("a9")
    assert "a9" not in store.article_hashes() and store.languages(["a9"]) == {}
    assert store.chunks(old_ids) == {}
    assert not set(old_ids) & set(store.chunk_ids())
    assert not set(old_ids) & {cid for cid, _ in store.dense_search(old_vector, 50)}
    assert not set(old_ids) & {cid for cid, _ in store.lexical_search(["quatre5x"], 50)}
    assert store.lexical_search(["quatre9x"], 50) == []
    hits = store.lexical_search(analyze("banquise manchots", "fr"), 5)
    assert hits and store.chunks([hits[0][0]])[hits[0][0]].chunk.article_id == "a5"
    assert store.sentence_block(store.article("a5")).sentences[0].text.startswith("Un texte entièrement neuf")
    assert store.sentence_blocks([("a9", 0, 5)])[1][0].sentences == []


def test_past_the_share_everything_merges_into_one_segment(forty, tmp_path):
    corpus, target = forty
    write(corpus, "base.jsonl", [record(i, extra=" Révisé." if i < 1 else "") for i in range(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    assert len(index.open_index(target).segments) == 2  # 1 new row + 1 deleted: 2 ≤ 0.1 × 40
    write(corpus, "base.jsonl", [record(i, extra=" Révisé." if i < 3 else "") for i in range(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    gen = target / store.manifest.generation
    assert [s.name for s in store.segments] == [gen.name] and not (gen / layout.SEGMENTS).exists()
    assert store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 40  # deleted rows are gone
    assert (
        store.vectors.ntotal
        == store.manifest.counts["chunks"]
        == store.db.execute("SELECT COUNT(*) FROM chunk_terms").fetchone()[0]
    )
    index.build([corpus], tmp_path / "fresh", embedder=FakeEmbedder())
    fresh = index.open_index(tmp_path / "fresh")
    assert {a.id: a for a in store.articles()} == {a.id: a for a in fresh.articles()}
    terms = analyze("relevé du volcan révisé", "fr")
    assert by_place(store, store.lexical_search(terms, 20)) == by_place(
        fresh, fresh.lexical_search(terms, 20)
    )
    # the merged generation, the one it replaced (kept for readers in transit) and its segment
    assert len(list(target.glob("g*"))) == 3


def test_past_max_segments_the_small_ones_merge(forty, tmp_path, monkeypatch):
    corpus, target = forty
    monkeypatch.setattr(writer, "MAX_SEGMENTS", 3)
    first = index.open_index(target).manifest.generation
    counts = []
    for n in range(4):
        write(corpus, f"new{n}.jsonl", [record(40 + n)])
        index.update([corpus], target, embedder=FakeEmbedder())
        store = index.open_index(target)
        counts.append(len(store.segments))
        assert store.segments[0].name == first
        assert store.manifest.counts["articles"] == 41 + n == len(list(store.articles()))
    assert counts == [2, 3, 2, 3]
    assert [a.id for a in store.articles()][-4:] == ["a40", "a41", "a42", "a43"]  # in the order added


def test_a_reader_keeps_its_segments_through_later_updates_and_a_merge(forty, tmp_path):
    corpus, target = forty
    write(corpus, "new0.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    reader = index.open_index(target)
    assert len(reader.segments) == 2
    for n in range(1, 4):
        write(corpus, f"new{n}.jsonl", [record(40 + n)])
        index.update([corpus], target, embedder=FakeEmbedder())
    write(corpus, "base.jsonl", [record(i, extra=" Révisé." if i < 10 else "") for i in range(40)])
    index.update([corpus], target, embedder=FakeEmbedder())  # past the share: merged
    assert len(index.open_index(target).segments) == 1
    assert all(s.path.is_dir() for s in reader.segments)
    assert len(list(reader.articles())) == 41 and reader.article("a40").id == "a40"
    query = FakeEmbedder().encode_queries(["volcan 40"])[0]
    assert reader.dense_search(query, 3) and reader.lexical_search(["quatre40x"], 3)
    del reader
    index.update([corpus], target, embedder=FakeEmbedder())  # nothing to do: nothing published
    write(corpus, "new9.jsonl", [record(49)])
    index.update([corpus], target, embedder=FakeEmbedder())
    live = index.open_index(target)
    # Once the reader is gone its segments go too: what is left is the merged segment and the
    # small one added after it (the merged generation is also the one just replaced).
    assert [s.name for s in live.segments] == sorted(p.name for p in target.glob("g*"))
    assert len(live.segments) == 2


def test_removing_every_article_of_a_small_segment_drops_it(forty, tmp_path):
    corpus, target = forty
    added = write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    assert len(index.open_index(target).segments) == 2
    added.unlink()
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert len(store.segments) == 1 and store.manifest.counts["articles"] == 40
    assert not (target / store.manifest.generation / layout.DATABASE).exists()  # nothing of its own


def test_a_damaged_segment_list_is_a_clear_error(forty, tmp_path):
    corpus, target = forty
    write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    gen = target / index.open_index(target).manifest.generation
    bad_lists = [
        "{",
        '{"segments": ["../etc"]}',
        '{"segments": ["g000001"], "deleted": {"g9": [1]}}',
        '{"segments": ["g000001", "g999999"]}',  # a segment that is not there
    ]
    for bad in bad_lists:
        (gen / layout.SEGMENTS).write_text(bad, "utf-8")
        with pytest.raises(IndexDamagedError, match="damaged"):
            index.open_index(target)


def test_compact_merges_on_demand_and_leaves_one_segment_alone(forty, tmp_path, capsys):
    from ui.cli import main

    corpus, target = forty
    write(corpus, "new.jsonl", [record(40)])
    write(corpus, "base.jsonl", [record(i) for i in range(40) if i != 3])
    index.update([corpus], target, embedder=FakeEmbedder())
    before = index.open_index(target)
    assert len(before.segments) == 2 and before.segments[0].gone
    assert main(["index", "info", "--index", str(target)]) == 0
    assert "in 2 segments" in capsys.readouterr().out
    assert main(["index", "compact", "--index", str(target)]) == 0
    assert "compact: 0 added" in capsys.readouterr().out
    store = index.open_index(target)
    assert len(store.segments) == 1 and not store.segments[0].gone
    assert store.manifest.counts == before.manifest.counts and store.manifest.last_build["kind"] == "compact"
    assert sorted(a.id for a in store.articles()) == sorted(a.id for a in before.articles())
    generation = store.manifest.generation
    report = index.compact(target)  # one segment already: nothing is written
    assert report.counts == store.manifest.counts
    assert index.open_index(target).manifest.generation == generation


def test_two_generations_share_the_vectors_of_their_common_segment(forty, tmp_path):
    corpus, target = forty
    before = index.open_index(target)
    write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    after = index.open_index(target)
    assert after.segments[0].path == before.segments[0].path
    assert after.segments[0].vectors is before.segments[0].vectors  # read once, not per generation
    assert after.segments[1].vectors is not before.segments[0].vectors


def test_a_merge_that_fails_leaves_the_previous_index_and_no_half_written_generation(
    forty, tmp_path, monkeypatch
):
    corpus, target = forty
    published = index.open_index(target).manifest.generation

    def broken(sources, merged, dimension):
        merged.write_bytes(b"half a database")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "merge", broken)
    write(corpus, "base.jsonl", [record(i, extra=" Révisé." if i < 10 else "") for i in range(40)])
    with pytest.raises(OSError, match="No space"):
        index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert store.manifest.generation == published and store.manifest.counts["articles"] == 40
    assert [p.name for p in target.glob("g*")] == [published]
    assert "Révisé" not in store.article("a1").text


def test_an_index_of_the_previous_format_is_read_and_updated_as_it_is(forty, tmp_path):
    corpus, target = forty
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["format_version"] = 3
    (target / "manifest.json").write_text(json.dumps(manifest))
    assert len(list(index.open_index(target).articles())) == 40
    write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert store.manifest.format_version == FORMAT_VERSION and len(store.segments) == 2
    assert store.manifest.counts["articles"] == 41
