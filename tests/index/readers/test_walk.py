"""The walk of a source folder: links, loops, named pipes and deep folders (issue 24, items 7-8)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import index
from tests.fakes import FakeEmbedder
from tests.paths import ROOT


def article(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\nUn article sur {title.lower()}.", "utf-8")
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """``src/a.txt``, ``src/d.txt`` and two articles in ``src/archive/``, indexed in ``ix``."""
    src = tmp_path / "src"
    article(src / "a.txt", "Alpha")
    article(src / "d.txt", "Delta")
    article(src / "archive" / "b.txt", "Bravo")
    article(src / "archive" / "c.txt", "Charlie")
    index.build([src], tmp_path / "ix", embedder=FakeEmbedder())
    return src


def update(tmp_path: Path, src: Path) -> index.BuildReport:
    return index.update([src], tmp_path / "ix", embedder=FakeEmbedder(), allow_removals=True)


def codes(report: index.BuildReport) -> dict[str, str]:
    return {Path(p.path).name: p.code for p in report.problems}


# -- item 8: a folder replaced by a link, dangling links, loops ---------------------------------


def test_a_folder_moved_elsewhere_and_linked_back_keeps_its_articles(source, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(source / "archive", elsewhere / "archive")
    (source / "archive").symlink_to(elsewhere / "archive")
    report = update(tmp_path, source)
    assert report.removed == [] and report.added == [] and report.changed == []
    assert report.unchanged == 4 and report.problems == []
    store = index.open_index(tmp_path / "ix")
    assert store.article("archive/b.txt").path == str(source.resolve() / "archive" / "b.txt")


@pytest.mark.parametrize("link", ["dangling", "loop", "links in a circle"])
def test_a_link_that_is_not_followed_is_reported_and_removes_nothing(source, tmp_path, link):
    shutil.rmtree(source / "archive")
    if link == "dangling":
        (source / "archive").symlink_to(tmp_path / "unmounted" / "archive")
    elif link == "loop":
        (source / "archive").symlink_to(source)
    else:
        (source / "archive").symlink_to(source / "other")
        (source / "other").symlink_to(source / "archive")
    report = update(tmp_path, source)
    assert report.removed == []
    assert codes(report)["archive"] == {"dangling": "broken_link", "loop": "loop"}.get(link, "broken_link")
    assert index.open_index(tmp_path / "ix").manifest.counts["articles"] == 4


def test_links_to_files_and_folders_outside_the_source_are_followed(tmp_path):
    outside = tmp_path / "outside"
    article(outside / "x.txt", "Xray")
    article(outside / "deep" / "y.txt", "Yankee")
    src = tmp_path / "src"
    article(src / "a.txt", "Alpha")
    (src / "lien.txt").symlink_to(outside / "x.txt")
    (src / "dossier").symlink_to(outside / "deep")
    read = index.read_sources([src])
    assert sorted(a.id for a in read.articles) == ["a.txt", "dossier/y.txt", "lien.txt"]
    assert read.problems == []


def test_a_folder_reached_twice_is_read_once_under_its_real_name(tmp_path):
    src = tmp_path / "src"
    article(src / "z" / "x.txt", "Xray")
    (src / "0-latest").symlink_to(src / "z")  # sorts before the folder it leads to
    read = index.read_sources([src])
    assert [a.id for a in read.articles] == ["z/x.txt"]
    [problem] = read.problems
    assert (Path(problem.path).name, problem.code) == ("0-latest", "same_folder")


# -- item 7: a named pipe, a device -------------------------------------------------------------

READ_IN_A_CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import index
    from tests.fakes import FakeEmbedder
    report = index.build([{src!r}], {target!r}, embedder=FakeEmbedder())
    print(report.added, [(p.path.rsplit("/", 1)[-1], p.code) for p in report.problems])
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_reported_never_opened_and_the_build_goes_on(tmp_path):
    src = tmp_path / "src"
    article(src / "a.txt", "Alpha")
    os.mkfifo(src / "fifo.txt")  # opening it would wait for a writer, forever
    code = READ_IN_A_CHILD.format(root=str(ROOT), src=str(src), target=str(tmp_path / "ix"))
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the build hung on a named pipe")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['a.txt'] [('fifo.txt', 'not_regular')]"
    # Named on its own, too.
    [problem] = index.read_sources([src / "fifo.txt"]).problems
    assert problem.code == "not_regular" and "named pipe" in problem.message


def test_a_device_named_like_an_article_is_not_read(tmp_path):
    src = tmp_path / "src"
    article(src / "a.txt", "Alpha")
    (src / "null.txt").symlink_to("/dev/null")
    read = index.read_sources([src])
    assert [a.id for a in read.articles] == ["a.txt"]
    assert [(Path(p.path).name, p.code) for p in read.problems] == [("null.txt", "not_regular")]


# -- folders nested very deep ---------------------------------------------------------------------


def test_folders_nested_1100_deep_are_read(tmp_path):
    src = tmp_path / "src"
    deepest = src
    src.mkdir()
    for _ in range(1100):  # not os.makedirs: it recurses once per missing level
        deepest = deepest / "d"
        deepest.mkdir()
    article(deepest / "fond.txt", "Fond")
    article(src / "a.txt", "Alpha")
    try:
        report = index.build([src], tmp_path / "ix", embedder=FakeEmbedder())
        assert report.problems == [] and len(report.added) == 2
        assert report.added[1] == "d/" * 1100 + "fond.txt"
        assert update(tmp_path, src).unchanged == 2
    finally:  # shutil.rmtree (pytest's clean-up) recurses once per level too
        subprocess.run(["rm", "-rf", str(src)], check=True)
