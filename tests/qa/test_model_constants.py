"""An index answers with the constants fitted for the model it was built with."""

import index
from qa import Assistant
from qa.fitted import DENSE_WEIGHT, MODEL_CONSTANTS, PASSAGE_WEIGHT, THRESHOLDS, WEIGHTS
from tests.fakes import FakeEmbedder

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def test_a_minilm_index_takes_minilm_constants_and_options_still_win(corpus, tmp_path):
    embedder = FakeEmbedder(name=MINILM)
    index.build([corpus], tmp_path / "ix", embedder=embedder)
    assistant = Assistant.open(tmp_path / "ix", embedder=embedder)
    own = MODEL_CONSTANTS[MINILM]
    assert assistant.weights == own.weights != WEIGHTS
    assert assistant.passage_weight == own.passage_weight
    assert assistant.retriever.dense_weight == own.dense_weight
    assert assistant.threshold_for("fr") == assistant.threshold_for("en") == own.threshold
    chosen = Assistant.open(
        tmp_path / "ix", embedder=embedder, threshold=0.9, weights=WEIGHTS, passage_weight=0.5
    )
    assert chosen.threshold_for("fr") == 0.9 and chosen.weights == WEIGHTS and chosen.passage_weight == 0.5


def test_another_model_takes_the_default_constants(corpus, tmp_path, fake_embedder):
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    assistant = Assistant.open(tmp_path / "ix", embedder=fake_embedder)
    assert assistant.weights == WEIGHTS and assistant.passage_weight == PASSAGE_WEIGHT
    assert assistant.retriever.dense_weight == DENSE_WEIGHT
    assert (
        assistant.threshold_for("fr") == THRESHOLDS["fr"]
        and assistant.threshold_for("xx") == THRESHOLDS["default"]
    )
