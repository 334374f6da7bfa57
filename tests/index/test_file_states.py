"""An update reads only the files that changed (index/readers/file_states.py): unchanged files
are recognised by size and modification time, confirmed by their hash where those disagree,
and never trusted beyond what the index holds."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import index
from index.readers import DEFAULT_MAX_FILE_MB, file_states, sources
from index.readers.file_states import FILE_STATES, FileStates

TEXT = "Titre {n}\n\nLa capsule numéro {n} est arrivée à la station ce matin. Elle transporte du matériel.\n"


def folder(root: Path, n: int = 6) -> Path:
    root.mkdir()
    for i in range(n):
        (root / f"a{i}.txt").write_text(TEXT.format(n=i), encoding="utf-8")
    return root


def settle(root: Path, seconds: float = 10.0) -> None:
    """Date every file ``seconds`` back, as files written earlier than their record (not racy)."""
    for path in root.iterdir():
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds * 1e9)))


def built(tmp_path: Path, embedder, opened: list[str]) -> tuple[Path, Path]:
    articles = folder(tmp_path / "articles")
    settle(articles)
    index.build([articles], tmp_path / "ix", embedder=embedder)
    index.update([articles], tmp_path / "ix", embedder=embedder)  # records the settled stats
    opened.clear()
    return articles, tmp_path / "ix"


def test_an_update_with_nothing_changed_parses_no_file(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    report = index.update([articles], ix, embedder=fake_embedder)
    assert opened == [] and report.unchanged == 6
    assert not (report.added or report.changed or report.removed)
    assert (ix / FILE_STATES).exists()


def test_one_changed_file_is_the_only_one_parsed(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    (articles / "a3.txt").write_text(TEXT.format(n=33), encoding="utf-8")
    (articles / "new.txt").write_text(TEXT.format(n=99), encoding="utf-8")
    report = index.update([articles], ix, embedder=fake_embedder)
    assert sorted(opened) == ["a3.txt", "new.txt"]
    assert (report.changed, report.added, report.unchanged) == (["a3.txt"], ["new.txt"], 5)
    opened.clear()
    settle(articles)
    index.update([articles], ix, embedder=fake_embedder)  # the new stats are recorded …
    opened.clear()
    index.update([articles], ix, embedder=fake_embedder)
    assert opened == []  # … and trusted


def test_a_touched_file_is_confirmed_by_its_hash_not_parsed(tmp_path, fake_embedder, opened, monkeypatch):
    articles, ix = built(tmp_path, fake_embedder, opened)
    hashed: list[str] = []
    real = file_states.file_digest
    monkeypatch.setattr(file_states, "file_digest", lambda p: hashed.append(p.name) or real(p))
    os.utime(articles / "a1.txt")  # a new modification time, the same bytes
    report = index.update([articles], ix, embedder=fake_embedder)
    assert opened == [] and hashed == ["a1.txt"] and report.unchanged == 6


def test_a_same_size_rewrite_within_the_clock_tick_is_caught(tmp_path, fake_embedder, opened):
    articles = folder(tmp_path / "articles")
    index.build([articles], tmp_path / "ix", embedder=fake_embedder)  # recorded as just written: racy
    stat = (articles / "a2.txt").stat()
    (articles / "a2.txt").write_text(TEXT.format(n=7), encoding="utf-8")  # same size
    os.utime(articles / "a2.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time
    opened.clear()
    report = index.update([articles], tmp_path / "ix", embedder=fake_embedder)
    assert report.changed == ["a2.txt"] and opened == ["a2.txt"]


def test_a_table_ahead_of_the_index_cannot_hide_a_change(tmp_path, fake_embedder, opened):
    """An update killed after it wrote the table and before it published leaves the table
    saying a file's new content is indexed: the index's own hashes overrule it."""
    articles, ix = built(tmp_path, fake_embedder, opened)
    changed = articles / "a4.txt"
    changed.write_text(TEXT.format(n=44), encoding="utf-8")
    settle(articles)
    store = index.open_index(ix)
    states = FileStates.load(ix / FILE_STATES, stamp=store.manifest.digest(), max_file_mb=DEFAULT_MAX_FILE_MB)
    states.indexed = store.article_hashes()
    store.close()
    read = sources.read_sources([articles], known=states)  # records the new a4 …
    states.save(read.files, read.roots, stamp=None)  # … as if indexed: then "killed"
    opened.clear()
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.changed == ["a4.txt"] and opened == ["a4.txt"]


def test_a_deleted_file_is_removed_and_forgotten(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    (articles / "a0.txt").unlink()
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.removed == ["a0.txt"] and opened == []
    rows = sqlite3.connect(ix / FILE_STATES).execute("SELECT path FROM files").fetchall()
    assert sorted(Path(p).name for (p,) in rows) == [f"a{i}.txt" for i in range(1, 6)]


def test_a_file_with_a_problem_is_read_and_reported_each_time(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    (articles / "records.jsonl").write_text(
        '{"id": "r1", "title": "Un", "text": "La fusée a décollé ce matin de Kourou sans encombre."}\n{broken\n',
        encoding="utf-8",
    )
    first = index.update([articles], ix, embedder=fake_embedder)
    second = index.update([articles], ix, embedder=fake_embedder)
    assert first.added == ["r1"] and second.unchanged == 7
    assert [p.code for p in first.problems] == [p.code for p in second.problems] == ["bad_json"]
    assert opened.count("records.jsonl") == 2


def test_a_damaged_table_is_ignored_and_every_file_read(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    (ix / FILE_STATES).write_bytes(b"not a database at all" * 100)
    for extra in ("-wal", "-shm"):
        Path(str(ix / FILE_STATES) + extra).unlink(missing_ok=True)
    report = index.update([articles], ix, embedder=fake_embedder)
    assert sorted(opened) == [f"a{i}.txt" for i in range(6)] and report.unchanged == 6
    opened.clear()
    index.update([articles], ix, embedder=fake_embedder)  # the table was written again
    assert opened == []


def test_a_change_of_reading_settings_reads_every_file_again(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    index.update([articles], ix, embedder=fake_embedder, max_file_mb=10)
    assert len(opened) == 6


def test_an_edit_whose_modification_time_is_set_back_is_caught(tmp_path, fake_embedder, opened):
    """A same-size edit whose writer puts the old modification time back (``touch -d``,
    ``cp -p``): the status-change time cannot be put back, so the file is read."""
    articles, ix = built(tmp_path, fake_embedder, opened)
    edited = articles / "a3.txt"
    stat = edited.stat()
    edited.write_text(TEXT.format(n=9), encoding="utf-8")  # same size
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the recorded time, not racy
    assert edited.stat().st_size == stat.st_size
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.changed == ["a3.txt"] and opened == ["a3.txt"]


def test_a_table_of_an_older_layout_is_replaced(tmp_path, fake_embedder, opened):
    articles, ix = built(tmp_path, fake_embedder, opened)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ix / FILE_STATES}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(ix / FILE_STATES) as old:  # the first layout: no ctime column
        old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        old.execute("INSERT INTO meta VALUES ('reading', ?)", (f"1:{DEFAULT_MAX_FILE_MB:g}",))
        old.execute("CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha TEXT, "
                    "articles TEXT, recorded_ns INTEGER)")  # fmt: skip
    old.close()
    index.update([articles], ix, embedder=fake_embedder)
    assert len(opened) == 6
    opened.clear()
    index.update([articles], ix, embedder=fake_embedder)
    assert opened == []
