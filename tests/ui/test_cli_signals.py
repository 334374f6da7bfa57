"""SIGTERM during `article-qa index build` runs the clean-up a failure runs (issue 24)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import index
from tests.fakes import FakeEmbedder
from tests.index.test_atomic import many_articles
from tests.paths import ROOT
from tests.processes import stop

# The command line as a user runs it, its model a slow stand-in (each text takes 20 ms).
CLI = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import index.builder
    from tests.fakes import FakeEmbedder
    index.builder.load_embedder = lambda spec=None: FakeEmbedder(delay=0.02)
    from ui.cli import main
    sys.exit(main(sys.argv[1:]))
    """
).format(root=str(ROOT))


def terminated_while_encoding(
    target: Path, *argv: str, wait: float = 0.0
) -> subprocess.CompletedProcess[str]:
    """Run ``article-qa index build ARGV --index TARGET``, SIGTERM it ``wait`` seconds after its
    new generation appears (as it is being made, or while it encodes), and return how it ended."""
    known = {p.name for p in target.glob("g*")}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "index", "build", *argv, "--index", str(target), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not {p.name for p in target.glob("g*")} - known:
            assert process.poll() is None and time.monotonic() < deadline, "no generation was started"
            time.sleep(0.01)
        time.sleep(wait)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        stop(process, kill=True)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("wait", [0.0, 0.5])
def test_sigterm_during_a_first_build_leaves_nothing(tmp_path, wait):
    source = many_articles(tmp_path / "src", 40, "pluie")
    target = tmp_path / "ix"
    done = terminated_while_encoding(target, str(source), wait=wait)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stderr.strip() == "article-qa: stopped by SIGTERM; what was not published was dropped"
    assert not target.exists()  # no lock file, no half-written generation


@pytest.mark.parametrize("wait", [0.0, 0.5])
def test_sigterm_during_a_rebuild_leaves_the_index_it_had(tmp_path, wait):
    target = tmp_path / "ix"
    index.build([many_articles(tmp_path / "old", 5, "neige")], target, embedder=FakeEmbedder())
    before = index.open_index(target).manifest
    new = many_articles(tmp_path / "new", 40, "soleil")
    done = terminated_while_encoding(target, str(new), "--rebuild", wait=wait)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in target.glob("g*")) == [before.generation]
    store = index.open_index(target)
    assert store.manifest == before and len(list(store.articles())) == 5
    # The lock is free: the next writer goes ahead at once.
    index.update([tmp_path / "old"], target, embedder=FakeEmbedder())
