"""Nothing lost: the holes found by trying to break the indexer (issue 10), kept closed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import index
from index.embedded.manifest_file import MANIFEST
from tests.fakes import FakeEmbedder


def build(sources, path, **kw):
    return index.build(
        sources if isinstance(sources, list) else [sources], path, embedder=FakeEmbedder(), **kw
    )


def generations(path: Path) -> list[str]:
    return sorted(p.name for p in path.glob("g[0-9]*"))


# -- item 2: a generation a reader holds is never deleted --------------------------------------


def test_two_updates_do_not_delete_the_generation_an_open_reader_holds(corpus, tmp_path):
    target = tmp_path / "ix"
    build(corpus, target)
    reader = index.open_index(target)  # a running server, say
    held = reader.generation_dir
    for n in range(3):
        (corpus / f"new{n}.txt").write_text(f"Titre {n}\n\nUn article de plus, le numéro {n}.", "utf-8")
        index.update([corpus], target, embedder=FakeEmbedder())
    assert held.is_dir()
    # The reader still answers from its generation, and a fresh reader sees the newest one.
    assert reader.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
    assert index.open_index(target).manifest.counts["articles"] == 8
    del reader  # the reader goes: the next update may delete its generation
    (corpus / "last.txt").write_text("Dernier\n\nEncore un article.", "utf-8")
    index.update([corpus], target, embedder=FakeEmbedder())
    assert not held.exists()
    assert len(generations(target)) <= 2


# -- item 3: one bad file does not stop the others ---------------------------------------------


def test_a_utf16_file_with_a_bom_is_read_and_other_encodings_too(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "utf16.txt").write_bytes("Élections en Grèce\n\nLes Grecs ont voté dimanche.".encode("utf-16"))
    (src / "latin.txt").write_bytes("Noël à Paris\n\nLa fête a coûté 9,40 €.".encode("cp1252"))
    (src / "cyrillique.txt").write_bytes(
        "Новости\n\nПрезидент России посетил Францию в понедельник.".encode("cp1251")
    )
    read = index.read_sources([src])
    assert not read.problems
    by_id = {a.id: a for a in read.articles}
    assert by_id["utf16.txt"].title == "Élections en Grèce"
    assert by_id["latin.txt"].text == "La fête a coûté 9,40 €."
    assert "Президент" in by_id["cyrillique.txt"].text


def test_a_file_that_fails_in_any_way_is_reported_and_the_others_are_read(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "bon.txt").write_text("Un titre\n\nUn bon article.", "utf-8")
    (src / "piege.html").write_text("<html><body><p>Une page.</p></body></html>", "utf-8")
    (src / "binaire.txt").write_bytes(bytes(range(256)) * 8)

    def broken(text, path):
        raise RuntimeError("the HTML library failed")

    monkeypatch.setattr(index.readers.html, "parse", broken)
    read = index.read_sources([src])
    assert [a.id for a in read.articles] == ["bon.txt"]
    problems = {Path(p.path).name: p.message for p in read.problems}
    assert "RuntimeError: the HTML library failed" in problems["piege.html"]
    assert "binary file" in problems["binaire.txt"]


def test_an_html_file_without_text_says_so_in_terms_of_a_file(tmp_path):
    (tmp_path / "vide.html").write_text("<html><body><script>x()</script></body></html>", "utf-8")
    [problem] = index.read_sources([tmp_path / "vide.html"]).problems
    assert "no article text found in this file" in problem.message
    assert "'paragraphs'" not in problem.message


# -- item 4: a refused build deletes nothing ---------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "older format", "a list", "wrong types", "segment list"])
def test_a_refused_build_on_a_damaged_manifest_deletes_nothing(corpus, tmp_path, damage):
    target = tmp_path / "ix"
    build(corpus, target)
    manifest = target / MANIFEST
    data = json.loads(manifest.read_text())
    if damage == "segment list":
        (target / data["generation"] / "segments.json").write_text("null")
    else:
        manifest.write_text(
            {
                "truncated": manifest.read_text()[:40],
                "older format": json.dumps({**data, "format_version": 1}),
                "a list": "[]",
                "wrong types": json.dumps({**data, "generation": 7, "dimension": "64"}),
            }[damage]
        )
    before = generations(target)
    with pytest.raises(index.IndexExistsError, match="--rebuild") as refused:
        build(corpus, target)
    # It says what is wrong, not to run an update (which would refuse too).
    assert "index update" not in str(refused.value) and refused.value.data["damaged"]
    assert "damaged" in str(refused.value) or "format version" in str(refused.value)
    assert generations(target) == before and before
    with pytest.raises((index.IndexDamagedError, index.IndexMismatchError)):
        index.open_index(target)
    # --rebuild replaces it, as asked.
    build(corpus, target, rebuild=True)
    assert index.open_index(target).manifest.counts["articles"] == 5
    with pytest.raises(index.IndexExistsError, match="index update") as refused:
        build(corpus, target)  # a sound index: add to it with an update
    assert not refused.value.data["damaged"]


def test_a_missing_or_truncated_database_is_a_damaged_index_not_a_crash(corpus, tmp_path):
    target = tmp_path / "ix"
    build(corpus, target)
    database = target / index.open_index(target).manifest.generation / "index.sqlite"
    database.write_bytes(database.read_bytes()[:500])
    with pytest.raises(index.IndexDamagedError, match="damaged"):
        index.open_index(target)
    database.unlink()
    with pytest.raises(index.IndexDamagedError, match="damaged"):
        index.open_index(target)


def test_a_first_build_that_fails_leaves_no_directory_behind(tmp_path):
    target = tmp_path / "new-index"
    with pytest.raises(index.NoArticlesError):
        build(tmp_path / "missing", target)
    assert not target.exists()


def test_an_index_on_a_file_or_where_no_directory_can_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(index.IndexNotFoundError, match="it is a file"):
        build(tmp_path, tmp_path / "a-file")
    with pytest.raises(index.IndexNotFoundError, match="cannot create the index directory"):
        build(tmp_path, Path("/proc/article-qa-index"))


def test_leftovers_of_a_killed_manifest_write_are_cleared_by_the_next_writer(corpus, tmp_path):
    target = tmp_path / "ix"
    build(corpus, target)
    (target / f".{MANIFEST}.12345.tmp").write_text("{")
    (corpus / "autre.txt").write_text("Autre\n\nUn autre article.", "utf-8")
    index.update([corpus], target, embedder=FakeEmbedder())
    assert not list(target.glob(".manifest.json.*.tmp"))


# -- item 5: a source that cannot be read keeps its articles -----------------------------------


def test_an_empty_source_directory_keeps_its_articles(corpus, tmp_path):
    target = tmp_path / "ix"
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Autre\n\nUn article ailleurs.", "utf-8")
    build([corpus, other], target)
    for f in corpus.rglob("*.*"):
        f.unlink()  # the share is mounted but empty
    report = index.update([corpus, other], target, embedder=FakeEmbedder())
    assert report.removed == []
    assert index.open_index(target).manifest.counts["articles"] == 6
    assert any("no article files" in str(p) for p in report.problems)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_subdirectory_keeps_its_articles(corpus, tmp_path):  # pragma: no cover - not root
    target = tmp_path / "ix"
    build(corpus, target)
    (corpus / "nouvelles").chmod(0)
    try:
        report = index.update([corpus], target, embedder=FakeEmbedder())
    finally:
        (corpus / "nouvelles").chmod(0o755)
    assert "nouvelles/economie.html" not in report.removed


def test_an_unlistable_subdirectory_is_reported_and_keeps_its_articles(corpus, tmp_path, monkeypatch):
    target = tmp_path / "ix"
    build(corpus, target)
    real_scandir = os.scandir

    def scandir(path):  # as the system answers for a directory it may not list
        if str(path).endswith("nouvelles"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(index.readers.walk.os, "scandir", scandir)
    report = index.update([corpus], target, embedder=FakeEmbedder())
    assert report.removed == []
    assert any("cannot list this directory" in str(p) for p in report.problems)


def test_removing_more_than_half_the_index_asks_for_allow_removals(corpus, tmp_path):
    target = tmp_path / "ix"
    build(corpus, target)
    for name in ("espace.txt", "sport.md", "fil.jsonl"):
        (corpus / name).unlink()  # four of the five articles
    generation = index.open_index(target).manifest.generation
    with pytest.raises(index.RemovalRefusedError, match="--allow-removals"):
        index.update([corpus], target, embedder=FakeEmbedder())
    assert index.open_index(target).manifest.generation == generation  # nothing changed
    report = index.update([corpus], target, embedder=FakeEmbedder(), allow_removals=True)
    assert len(report.removed) == 4


# -- item 6: a '#' in a file name --------------------------------------------------------------


def test_a_file_with_a_hash_in_its_name_keeps_its_path_and_records_their_line(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "file #1.txt").write_text("Titre\n\nUn article au nom étrange.", "utf-8")
    (src / "fil #2.jsonl").write_text('{"id": "a", "title": "T", "text": "Un texte."}\n' * 1, "utf-8")
    target = tmp_path / "ix"
    build(src, target)
    store = index.open_index(target)
    assert store.article("file #1.txt").path == str(src.resolve() / "file #1.txt")
    record = store.article("a")
    assert record.path == str(src.resolve() / "fil #2.jsonl") and record.line == 1
    # An update sees the files as present: nothing removed.
    assert index.update([src], target, embedder=FakeEmbedder()).removed == []


# -- item 12: no misleading output ---------------------------------------------------------------


def test_reading_html_prints_no_warning_of_the_html_library(tmp_path, caplog):
    for n, page in enumerate(
        ["<html><body><p>Une page.</p></body></html>", "<html><body><script>x()</script></body></html>"]
    ):
        (tmp_path / f"p{n}.html").write_text(page, "utf-8")
    with caplog.at_level("WARNING"):
        index.read_sources([tmp_path])
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]
