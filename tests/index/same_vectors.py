"""What "the same vectors" means for an encoder: equal to float32's rounding, or, where the model
runs in bfloat16 (index.embedders.e5_torch.E5Model on a CPU with AMX), within a cosine.

In bfloat16 a text's vector depends a little on the batch it is encoded in: oneDNN picks its
kernels by the batch's shape, and bfloat16 rounds what they sum in another order. 600 sample
sentences encoded 32 and 7 at a time: cosine 0.99998 at the least, 0.0013 apart at most in one
component. In float32 they agree to 1e-6."""

from __future__ import annotations

import numpy as np

BFLOAT16_COSINE = 0.9999


def assert_same_vectors(ours: np.ndarray, theirs: np.ndarray, *, bfloat16: bool, atol: float = 1e-6) -> None:
    assert ours.shape == theirs.shape
    if bfloat16:
        assert float((ours * theirs).sum(axis=1).min()) >= BFLOAT16_COSINE
    else:
        np.testing.assert_allclose(ours, theirs, atol=atol)
