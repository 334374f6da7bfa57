"""Choosing a backend from a location, copying an index (index/backends.py), and the refusals
of a backend whose optional dependency is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import index
from index.backends import backend_for
from index.embedded import EmbeddedBackend
from index.milvus import MilvusBackend
from tests.fakes import FakeEmbedder
from tests.index.test_segments import by_place, files_of, forty, record, write  # noqa: F401 (forty: a fixture)


def test_a_directory_is_embedded_and_a_uri_is_milvus(tmp_path: Path) -> None:
    assert isinstance(backend_for(tmp_path / "ix"), EmbeddedBackend)
    assert isinstance(backend_for(str(tmp_path / "ix")), EmbeddedBackend)
    assert isinstance(backend_for(f"milvus-lite:{tmp_path}/x.db/news"), MilvusBackend)
    assert isinstance(backend_for("milvus://127.0.0.1:19530/news"), MilvusBackend)


@pytest.fixture
def three_segments(request: pytest.FixtureRequest) -> Path:
    """A 42-article index whose generation reads three segments and deletes one article."""
    corpus, target = request.getfixturevalue("forty")
    write(corpus, "base.jsonl", [record(i, extra=" Un ajout tardif." if i == 7 else "") for i in range(40)])
    write(corpus, "new.jsonl", [record(40)])
    index.update([corpus], target, embedder=FakeEmbedder())
    write(corpus, "newer.jsonl", [record(41)])
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert store.segment_count() == 3 and backend_for(target).fragmented()
    store.close()
    return target


def searches(store: index.Storage) -> list[object]:
    """What a question sees: dense and lexical hits (by place), and the articles."""
    query = FakeEmbedder().encode_queries(["Le volcan numéro 3 et la station"])
    return [
        by_place(store, store.dense_search(query, 10)),
        by_place(store, store.lexical_search(["volcan", "station", "quatre3x"], 10)),
        sorted((a.id, a.content_hash) for a in store.articles()),
        store.manifest.counts,
    ]


def test_a_copy_of_several_segments_answers_like_its_source_and_changes_apart(
    three_segments: Path, tmp_path: Path
) -> None:
    source = three_segments
    copy = tmp_path / "copy"
    before = {gen.name: files_of(gen) for gen in source.glob("g*")}
    original = index.open_index(source)
    index.copy_index(source, copy)

    copied = index.open_index(copy)
    assert copied.manifest.generation == original.manifest.generation
    assert [s.name for s in copied.segments] == [s.name for s in original.segments]
    assert searches(copied) == searches(original)
    # Only what the generation reads is copied; the source is left as it was.
    wanted = {s.name for s in original.segments} | {original.manifest.generation}
    assert {p.name for p in copy.glob("g*")} == wanted
    assert {gen.name: files_of(gen) for gen in source.glob("g*")} == before
    apart = {"index_dir": None, "size_bytes": None}  # older generations' own records are not copied
    assert {**index.index_info(copy).to_dict(), **apart} == {**index.index_info(source).to_dict(), **apart}
    copied.close()

    report = index.remove(copy, ["a3", "a40", "nowhere"])
    assert report.removed == ["a3", "a40"]
    after = index.open_index(copy)
    assert after.manifest.counts["articles"] == 40
    assert not {"a3", "a40"} & {a.id for a in after.articles()}
    again = index.open_index(source)
    assert again.manifest == original.manifest  # the source is whole
    assert searches(again) == searches(original)
    assert {a.id for a in again.articles()} >= {"a3", "a40", "a41"}
    assert {gen.name: files_of(gen) for gen in source.glob("g*")} == before
    for store in (after, again, original):
        store.close()


def test_a_copy_of_a_compacted_index_is_one_segment(three_segments: Path, tmp_path: Path) -> None:
    index.compact(three_segments)
    assert not backend_for(three_segments).fragmented()
    index.copy_index(three_segments, tmp_path / "copy")
    store = index.open_index(tmp_path / "copy")
    assert store.segment_count() == 1 and store.manifest.counts["articles"] == 42
    store.close()


def test_a_copy_is_refused_where_it_would_overwrite_or_cannot_go(
    three_segments: Path, tmp_path: Path
) -> None:
    with pytest.raises(index.IndexExistsError):
        index.copy_index(three_segments, three_segments)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(index.OptionError, match="not empty"):
        index.copy_index(three_segments, busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    with pytest.raises(index.OptionError, match="copied to a directory"):
        index.copy_index(three_segments, f"milvus-lite:{tmp_path}/x.db/news")
    with pytest.raises(index.IndexNotFoundError):
        index.copy_index(tmp_path / "nothing", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    index.copy_index(three_segments, empty)  # an empty directory is a fine target
    assert index.open_index(empty).manifest.counts["articles"] == 42


def test_an_index_in_milvus_is_not_copied_and_says_so_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(index.OptionError) as refused:
        index.copy_index(f"milvus-lite:{tmp_path}/x.db/news", tmp_path / "copy")
    assert "\n" not in str(refused.value) and "Milvus" in str(refused.value)
    assert not (tmp_path / "copy").exists()


def test_a_milvus_index_without_its_client_installed_is_a_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus now raises ImportError
    with pytest.raises(index.MissingDependencyError, match=r"pip install 'article-qa\[milvus\]'") as caught:
        index.open_index(f"milvus-lite:{tmp_path}/x.db/news")
    assert caught.value.code == "missing_dependency"
    assert caught.value.data == {"extra": "milvus", "package": "pymilvus"}
    assert not isinstance(caught.value, index.IndexStateError)
