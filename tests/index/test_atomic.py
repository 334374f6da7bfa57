"""A writer killed with SIGKILL at any moment leaves the previous index whole; one writer at a time."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import index
from index.analysis import analyze
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import index
    from tests.fakes import FakeEmbedder
    print("writing", flush=True)
    index.{call}([{source!r}], {target!r}, embedder=FakeEmbedder(delay={delay}){extra})
    print("done", flush=True)
    """
)


def many_articles(root: Path, n: int, word: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "fil.jsonl").open("w", encoding="utf-8") as out:
        for i in range(n):
            text = f"Article {i} sur {word}. " + " ".join(
                f"Phrase {j} du texte {i} sur {word}." for j in range(30)
            )
            out.write(json.dumps({"id": f"{word}-{i}", "title": f"{word} {i}", "text": text}) + "\n")
    return root


def start_writer(call: str, source: Path, target: Path, delay: float, extra: str = "") -> subprocess.Popen:
    code = WRITER.format(
        root=str(ROOT), call=call, source=str(source), target=str(target), delay=delay, extra=extra
    )
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    return writer


def kill(writer: subprocess.Popen) -> None:
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.stdout is not None
    writer.stdout.close()


def counts_of(path: Path) -> dict[str, int]:
    store = index.open_index(path)
    counts = dict(store.manifest.counts)
    assert store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == counts["articles"]
    assert store.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == counts["chunks"]
    assert store.vectors.ntotal == counts["chunks"]
    store.close()
    return counts


def test_sigkill_at_any_moment_of_a_rebuild_leaves_a_whole_index(tmp_path):
    old = many_articles(tmp_path / "old", 10, "pluie")
    new = many_articles(tmp_path / "new", 40, "soleil")
    killed_mid_write = 0
    for n, kill_after in enumerate([0.2, 0.6, 1.0, 1.6, 2.4]):
        target = tmp_path / f"ix{n}"
        index.build([old], target, embedder=FakeEmbedder())
        before = counts_of(target)
        writer = start_writer("build", new, target, delay=0.02, extra=", rebuild=True")
        time.sleep(kill_after)
        kill(writer)
        generations = sorted(p.name for p in target.glob("g*"))
        published = index.open_index(target).manifest.generation
        killed_mid_write += generations[-1] != published
        after = counts_of(target)  # opens, and manifest, SQLite and FAISS agree
        assert after == before or after["articles"] == 40
        # The lock died with the writer, and the next build clears what the killed one left.
        index.build([new], target, embedder=FakeEmbedder(), rebuild=True)
        assert counts_of(target)["articles"] == 40
        assert len(list(target.glob("g*"))) <= 2
    assert killed_mid_write >= 1, "no kill landed while a generation was being written"


def test_sigkill_during_update_leaves_the_previous_index(tmp_path):
    corpus = many_articles(tmp_path / "c", 10, "pluie")
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    many_articles(tmp_path / "c" / "more", 30, "neige")
    writer = start_writer("update", corpus, target, delay=0.02)
    time.sleep(1.0)
    kill(writer)
    assert counts_of(target)["articles"] in (10, 40)
    report = index.update([corpus], target, embedder=FakeEmbedder())
    assert counts_of(target)["articles"] == 40
    assert report.added or report.unchanged == 40


def test_a_second_writer_gets_a_clear_error_not_a_corrupt_index(tmp_path):
    corpus = many_articles(tmp_path / "c", 40, "vent")
    target = tmp_path / "ix"
    index.build([many_articles(tmp_path / "first", 5, "gel")], target, embedder=FakeEmbedder())
    writer = start_writer("build", corpus, target, delay=0.05, extra=", rebuild=True")
    try:
        deadline = time.time() + 20
        while "pid" not in (target / ".lock").read_text() and time.time() < deadline:
            time.sleep(0.05)
        with pytest.raises(index.IndexLockedError, match=f"pid {writer.pid}.*wait for it"):
            index.update([corpus], target, embedder=FakeEmbedder())
        assert counts_of(target)["articles"] == 5  # readers still see the published index
    finally:
        writer.wait(timeout=120)
        assert writer.stdout is not None
        writer.stdout.close()
    assert writer.returncode == 0
    assert counts_of(target)["articles"] == 40
    assert os.path.exists(target / ".lock")


def test_sigkill_during_a_small_update_leaves_the_previous_segments_whole(tmp_path):
    corpus = many_articles(tmp_path / "c", 40, "pluie")
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    first = index.open_index(target).manifest.generation
    extra = many_articles(tmp_path / "c" / "more", 1, "grêle")
    for kill_after in (0.1, 0.3, 0.5, 0.8):
        writer = start_writer("update", corpus, target, delay=0.02)
        time.sleep(kill_after)
        kill(writer)
        store = index.open_index(target)
        assert store.manifest.counts["articles"] in (40, 41)
        assert len(list(store.articles())) == store.manifest.counts["articles"]
        assert store.segments[0].name == first  # the first segment is never rewritten by a small update
        if store.manifest.counts["articles"] == 41:
            break
        assert (target / first).is_dir()
    index.update([corpus], target, embedder=FakeEmbedder())
    store = index.open_index(target)
    assert store.manifest.counts["articles"] == 41 == len(list(store.articles()))
    assert store.segments[0].name == first and len(store.segments) == 2
    assert store.lexical_search(analyze("grêle", "fr"), 5)
    assert extra.exists()
