"""The app listens once the lighter engine answers, and loads the full model behind it."""

import logging
import shutil
from types import SimpleNamespace

from ui.web.server import load_in_background, prepare


class Loading:
    def __init__(self, fails: bool = False) -> None:
        self.loaded, self.fails = False, fails

    def load(self) -> None:
        if self.fails:
            raise RuntimeError("no torch here")
        self.loaded = True


def test_the_full_model_loads_in_a_thread_and_a_failure_is_logged_not_raised(caplog):
    fine = Loading()
    load_in_background(fine).join(10)
    assert fine.loaded
    with caplog.at_level(logging.WARNING, logger="ui.web.server"):
        load_in_background(Loading(fails=True)).join(10)
    assert "the model did not load (no torch here)" in caplog.text


def test_nothing_is_loaded_for_an_embedder_without_a_lighter_engine():
    assert load_in_background(object()) is None  # type: ignore[arg-type]
    done = Loading()
    done.loaded = True
    assert load_in_background(done) is None


def test_serve_answers_with_the_c_engine_then_the_graph_and_loads_torch_only_for_passages(
    sample_index, tmp_path
):
    from index.embedders import e5_onnx

    served = tmp_path / "index"
    shutil.copytree(sample_index, served)
    live = prepare(served, say=lambda _: None)
    embedder = live.current.embedder
    assert embedder.quick_queries and not embedder.loaded  # the warm-up question went through the C engine
    loading = load_in_background(embedder)  # as serve() does once the app listens
    while loading.is_alive():  # questions are answered meanwhile
        assert live.current.ask("Qui a rompu ses relations avec la Corée du Nord ?").citations
        loading.join(0.2)
    assert isinstance(embedder._questions(), e5_onnx.GraphQuestions) and not embedder.loaded
    assert live.current.ask("Qui a rompu ses relations avec la Corée du Nord ?").citations
    assert not embedder.loaded  # a question needs no torch
    assert embedder.encode_documents(["Un passage à indexer."]).shape == (1, 384)
    assert embedder.loaded  # a passage loads it


def test_without_a_graph_the_full_model_loads_behind_the_app(sample_index, tmp_path, monkeypatch):
    served = tmp_path / "index"
    shutil.copytree(sample_index, served)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-cache"))  # no graph made here yet
    live = prepare(served, say=lambda _: None)
    embedder = live.current.embedder
    load_in_background(embedder).join(300)
    assert embedder.loaded and embedder._questions() is not None  # the model loaded, and made the graph


def test_gradio_keeps_a_bounded_number_of_sessions():
    """Each call of the HTTP API without a session is one Gradio session of about 130 KB:
    Gradio's default of 10,000 would grow a served index by 1.3 GB (docs/benchmarks.md section 8)."""
    from ui.web import server

    launched: dict = {}

    class Demo:
        def launch(self, **kwargs):
            launched.update(kwargs)

    live = SimpleNamespace(composer=None)  # what launching reads of it: how many answer at once
    server._launch(Demo(), live, "127.0.0.1", 7860, None)  # type: ignore[arg-type]
    assert launched["state_session_capacity"] == server.SESSIONS_KEPT <= 2_000
    assert launched["enable_monitoring"] is False  # what no_event_summaries relies on
