"""A generation's segment list (``segments.json``) that does not match the manifest is damage:
refused in one line, and nothing is deleted by it (issue 24, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import index
from index.embedded import layout
from index.embedded.manifest_file import MANIFEST, read_manifest
from tests.fakes import FakeEmbedder
from tests.index.test_segments import record, write
from ui.cli import main

BASE = "g000001"


@pytest.fixture
def two_segments(tmp_path: Path) -> Path:
    """40 articles built, then one more added by an update: a generation of two segments."""
    corpus = tmp_path / "corpus"
    write(corpus, "base.jsonl", [record(i) for i in range(40)])
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    write(tmp_path / "one", "new.jsonl", [record(40)])
    index.update([tmp_path / "one"], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert [s.name for s in store.segments] == [BASE, store.manifest.generation]
    return target


def generations(target: Path) -> list[str]:
    return sorted(p.name for p in target.glob("g[0-9]*"))


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``article-qa argv`` exits 2 with one line and no traceback; its stderr."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def shapes(newest: str) -> dict[str, str]:
    return {
        "no segment": '{"segments": [], "deleted": {}}',
        "the newest only": json.dumps({"segments": [newest]}),
        "null": "null",
        "a segment twice": json.dumps({"segments": [BASE, BASE, newest]}),
        "an unknown segment in deleted": json.dumps(
            {"segments": [BASE, newest], "deleted": {"g000007": [1]}}
        ),
    }


@pytest.mark.parametrize(
    "shape", ["no segment", "the newest only", "null", "a segment twice", "an unknown segment in deleted"]
)
def test_a_damaged_segment_list_is_refused_and_nothing_is_deleted(two_segments, tmp_path, capsys, shape):
    target = two_segments
    newest = index.open_index(target).manifest.generation
    listed = target / newest / layout.SEGMENTS
    sound = listed.read_text("utf-8")
    before = generations(target)
    listed.write_text(shapes(newest)[shape], "utf-8")

    other = write(tmp_path / "other", "other.jsonl", [record(50)]).parent
    err = refused(capsys, "index", "update", str(other), "--index", str(target), "--quiet")
    assert f"{newest}/segments.json" in err and "damaged" in err and "--rebuild" in err
    assert "nothing was changed" in err
    assert "damaged" in refused(capsys, "index", "info", "--index", str(target))
    assert "damaged" in refused(capsys, "ask", "Qui ?", "--index", str(target))
    with pytest.raises(index.IndexDamagedError) as caught:
        index.update([other], target, embedder=FakeEmbedder())
    assert caught.value.data["generation"] == newest and caught.value.data["file"] == "segments.json"

    assert generations(target) == before
    listed.write_text(sound, "utf-8")
    store = index.open_index(target)
    assert store.manifest.counts["articles"] == 41 == len(list(store.articles()))


def test_a_list_that_parses_but_drops_a_segment_is_refused_without_a_digest_too(two_segments):
    """An index written before the manifest kept digests is checked against its counts."""
    target = two_segments
    manifest = json.loads((target / MANIFEST).read_text())
    del manifest["segment_records"]
    (target / MANIFEST).write_text(json.dumps(manifest))
    newest = manifest["generation"]
    listed = target / newest / layout.SEGMENTS
    sound = listed.read_text("utf-8")
    for bad in ({"segments": [newest]}, {"segments": [BASE, newest], "deleted": {BASE: [3]}}):
        listed.write_text(json.dumps(bad), "utf-8")
        with pytest.raises(index.IndexDamagedError, match="the manifest counts 41"):
            index.open_index(target)
    listed.write_text(sound, "utf-8")
    assert len(list(index.open_index(target).articles())) == 41


def test_deleted_row_ids_a_segment_does_not_hold_are_damage(two_segments):
    target = two_segments
    manifest = json.loads((target / MANIFEST).read_text())
    del manifest["segment_records"]
    (target / MANIFEST).write_text(json.dumps(manifest))
    newest = manifest["generation"]
    (target / newest / layout.SEGMENTS).write_text(
        json.dumps({"segments": [BASE, newest], "deleted": {BASE: [999]}})
    )
    with pytest.raises(index.IndexDamagedError, match=f"deletes articles that {BASE} does not hold"):
        index.open_index(target)


def test_old_generations_are_kept_when_a_staying_one_no_longer_matches_its_digest(two_segments, tmp_path):
    """The list is changed between an update's opening of the index and its clean-up."""
    target = two_segments
    newest = index.open_index(target).manifest.generation
    digests = read_manifest(target).segment_records
    (target / newest / layout.SEGMENTS).write_text(json.dumps({"segments": [newest]}), "utf-8")
    layout.remove_old_generations(target, keep={newest}, digests=digests)
    assert BASE in generations(target)
    layout.remove_old_generations(target, keep={newest}, digests={})  # no digest: nothing deleted
    assert BASE in generations(target)


def test_an_update_records_the_digest_and_still_clears_old_generations(two_segments, tmp_path):
    target = two_segments
    write(tmp_path / "more", "m.jsonl", [record(60)])
    index.update([tmp_path / "more"], target, embedder=FakeEmbedder())
    index.compact(target)
    merged = index.open_index(target).manifest.generation
    write(tmp_path / "more", "n.jsonl", [record(61)])
    index.update([tmp_path / "more"], target, embedder=FakeEmbedder())
    manifest = read_manifest(target)
    store = index.open_index(target)
    assert manifest.segment_records[manifest.generation] == store.record.digest()
    assert generations(target) == [merged, manifest.generation]  # the earlier ones are cleared
    assert store.manifest.counts["articles"] == 43 == len(list(store.articles()))
    index.remove(target, ["a61"])  # the digests of generations cleared go at the next publish
    assert set(read_manifest(target).segment_records) <= set(generations(target))
