"""Where an encoder runs: a CUDA device when torch sees one, else the CPU.

    ARTICLE_QA_DEVICE=auto (the default) | cpu | cuda | cuda:N

On a GPU the encoders run in half precision and take large batches: a forward pass of 16
texts, the CPU's best batch, would leave a GPU mostly idle. An encoder of e5-small's shape
runs on one H200 at about 100,000 texts/s for 32-piece sentences and 16,000 for 256-piece
chunks (issue 28's figures, measured elsewhere with random weights of the same shape). **No
machine this project is tested on has a GPU: the GPU path has not been run here.** The CPU
path is the tested default; this module's choice is tested with a stand-in for torch's count
of devices.

>>> choose_device()                  # on a machine without CUDA
Placement(device='cpu', half=False)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import OptionError

__all__ = [
    "CPU",
    "DEVICE_ENV",
    "GPU_BATCH_SIZE",
    "Placement",
    "bfloat16_matrices",
    "choose_device",
    "cuda_devices",
    "requested_device",
]

DEVICE_ENV = "ARTICLE_QA_DEVICE"
GPU_BATCH_SIZE = 512
"""Texts per forward pass on a GPU (the CPU's batch, 16 to 64, is far too small for one)."""
_CUDA = re.compile(r"cuda(?::(\d+))?")


@dataclass(frozen=True)
class Placement:
    """A device for torch (``cpu``, ``cuda``, ``cuda:1``) and whether to run in half precision."""

    device: str
    half: bool

    @property
    def gpu(self) -> bool:
        return self.device != "cpu"

    def batch_size(self, cpu_batch: int) -> int:
        """Texts per forward pass: ``cpu_batch`` on the CPU, at least :data:`GPU_BATCH_SIZE` on a GPU."""
        return max(cpu_batch, GPU_BATCH_SIZE) if self.gpu else cpu_batch


CPU = Placement("cpu", half=False)


def cuda_devices() -> int:
    """How many CUDA devices torch sees (0 without torch, or with its CPU build)."""
    try:
        import torch
    except ImportError:
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def bfloat16_matrices() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel's AMX, which torch's
    oneDNN kernels use): there e5 encodes 2.4 to 2.9 times faster in bfloat16 than in float32,
    its vectors within a cosine of 0.9999 of the float ones (docs/benchmarks.md section 8).
    Without it bfloat16 is converted in software, slower than float32. False without torch."""
    try:
        import torch
    except ImportError:
        return False
    capabilities = getattr(torch.cpu, "get_capabilities", None)  # torch >= 2.6
    return bool(capabilities is not None and capabilities().get("amx_bf16"))


def requested_device(requested: str | None = None) -> str:
    """The device asked for: ``requested``, else ``$ARTICLE_QA_DEVICE``, else ``auto`` (as
    written, lower-cased; :func:`choose_device` checks it)."""
    return (requested or os.environ.get(DEVICE_ENV) or "auto").strip().lower()


def choose_device(requested: str | None = None, *, devices: Callable[[], int] = cuda_devices) -> Placement:
    """The placement for ``requested`` (else ``$ARTICLE_QA_DEVICE``, else ``auto``): ``auto``
    takes the first CUDA device in half precision when ``devices()`` counts one, else the CPU.

    Raises:
        OptionError: the setting is not one of the above, or names a CUDA device torch does not see.
    """
    asked = requested_device(requested)
    named = _CUDA.fullmatch(asked)
    if asked not in ("auto", "cpu") and named is None:
        raise OptionError(f"{DEVICE_ENV} must be auto, cpu, cuda or cuda:N, got {asked!r}", device=asked)
    if asked == "cpu":
        return CPU
    count = devices()
    if asked == "auto":
        return Placement("cuda", half=True) if count else CPU
    number = int(named.group(1) or 0) if named else 0
    if number >= count:
        seen = f"{count} CUDA device{'s' if count != 1 else ''}" if count else "no CUDA device"
        raise OptionError(
            f"{DEVICE_ENV}={asked}, but torch sees {seen}: set it to auto or cpu "
            "(a CUDA build of torch and its driver are needed for a GPU)",
            device=asked,
        )
    return Placement(asked, half=True)
