"""An optional second reading of the scorer's best sentences, by a cross-encoder of the user's choice.

The scorer (:mod:`qa.scoring`) puts the sentence that holds the answer among its candidates far
more often than first (docs/quality.md): choosing among them is where quality is lost. A
cross-encoder reads the question and one sentence together, which overlap and similarity
signals cannot. It is slow (one forward pass per pair), so it reads only the scorer's
:data:`RERANK_DEPTH` best; its raw score is combined with the scorer's as
:class:`qa.fitted_rerank.RerankFit` says (fitted per re-ranker; the scorer alone when it has no
fit), and the sentences are ranked again before the passages are and the citations chosen.

Any sentence-transformers ``CrossEncoder`` that gives one score per pair will do, by hub name
or by folder, loaded on first use, offline unless the user allows the hub:

>>> assistant = Assistant.open("my-index", reranker="models/my-cross-encoder")
>>> assistant.ask("Qui a rompu ?").rerank   # RerankCost(model=..., pairs=10, ms=..., fitted=...)
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index.errors import MissingDependencyError, ModelLoadError, OptionError
from index.settings import hub_offline

from .fitted_rerank import RERANK_FITS, UNFITTED, RerankFit
from .records import RerankCost
from .scoring import ScoredSentence

logger = logging.getLogger(__name__)

RERANK_DEPTH = 10
"""How many of the scorer's best sentences the re-ranker reads per question reading. Each pair
is a forward pass of the cross-encoder, so the depth is its cost: 10 pairs took 5 ms with a tiny
model and 140 ms with one of ms-marco-MiniLM-L6's shape here (docs/quality.md). Not tuned: no
cross-encoder could be measured here (the one trained here read the eight best)."""

_WARNED: set[str] = set()
_SAVE_HINT = "give the folder a CrossEncoder was saved to (CrossEncoder.save(FOLDER))"


@runtime_checkable
class Reranker(Protocol):
    """Scores (question, sentence) pairs: the higher, the likelier the sentence answers.

    Scores are raw (a logit, say), on the re-ranker's own scale: :class:`RerankFit` maps them.
    """

    @property
    def name(self) -> str: ...

    def score(self, question: str, sentences: Sequence[str]) -> list[float]: ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder``, loaded on first use and then kept.

    Args:
        model: a hub name (``cross-encoder/ms-marco-MiniLM-L6-v2``), a folder a CrossEncoder
            was saved to, or a ``CrossEncoder`` already loaded. A name is looked up in this
            machine's Hugging Face cache only, unless ``HF_HUB_OFFLINE`` is unset.
        device: where the model runs.
        batch_size: pairs per forward pass.

    Raises:
        OptionError: ``model`` is empty or not one of the above, or ``batch_size`` is < 1.
    """

    def __init__(self, model: str | os.PathLike[str] | Any, *, device: str = "cpu", batch_size: int = 32):
        if batch_size < 1:
            raise OptionError(f"batch_size must be > 0, got {batch_size}", option="batch_size")
        self.device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        if isinstance(model, str | os.PathLike):
            self._name = os.fspath(model).strip()
            if not self._name:
                raise OptionError(
                    "the re-ranker's name is empty: give a cross-encoder's name or folder", option="reranker"
                )
        elif callable(getattr(model, "predict", None)):
            self._model = model
            self._name = str(
                getattr(getattr(model, "config", None), "_name_or_path", "") or type(model).__name__
            )
            _check_one_score(model, self._name)
        else:
            raise OptionError(
                "a re-ranker is a cross-encoder's name or folder, or a loaded sentence-transformers "
                f"CrossEncoder; got {type(model).__name__}",
                option="reranker",
            )

    @property
    def name(self) -> str:
        """The name or folder as given (what :data:`qa.fitted_rerank.RERANK_FITS` is keyed by)."""
        return self._name

    def load(self) -> None:
        """Load the model now (else the first question does), so that a bad one fails early.

        Raises:
            ModelLoadError: no such folder or cached model, or not a cross-encoder.
            MissingDependencyError: sentence-transformers is missing or older than 4.
        """
        self._load()

    def score(self, question: str, sentences: Sequence[str]) -> list[float]:
        """The model's raw score (its logit, no sigmoid) of each (``question``, sentence) pair."""
        if not sentences:
            return []
        model = self._load()
        import torch

        raw = model.predict(
            [(question, s) for s in sentences],
            batch_size=self.batch_size,
            show_progress_bar=False,
            activation_fn=torch.nn.Identity(),
            convert_to_numpy=True,
        )
        values = np.asarray(raw, dtype=np.float64).reshape(len(sentences), -1)
        if values.shape[1] != 1:
            raise ModelLoadError(_many_scores(self._name, values.shape[1]), model=self._name, reason="scores")
        return [float(v) for v in values[:, 0]]

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_cross_encoder(self._name, self.device)
            return self._model

    def __repr__(self) -> str:
        return f"CrossEncoderReranker({self._name!r})"


def as_reranker(value: str | os.PathLike[str] | Reranker | Any) -> Reranker:
    """``value`` as a :class:`Reranker`: itself if it is one, else a :class:`CrossEncoderReranker`."""
    if isinstance(value, Reranker):
        return value
    return CrossEncoderReranker(value)


@dataclass
class RerankUsage:
    """What re-ranking cost one question so far (its readings add up)."""

    pairs: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0


class Reranking:
    """The assistant's re-ranking step: a re-ranker and its combination with the scorer.

    ``fit`` (default: the re-ranker's in :data:`~qa.fitted_rerank.RERANK_FITS`, else
    :data:`~qa.fitted_rerank.UNFITTED`, the scorer alone, which a warning says on first use).
    """

    def __init__(self, reranker: Reranker, fit: RerankFit | None = None, *, depth: int = RERANK_DEPTH):
        if depth < 1:
            raise OptionError(f"the re-ranking depth must be > 0, got {depth}", option="rerank_depth")
        self.reranker = reranker
        self.depth = depth
        self.fitted = fit is not None or reranker.name in RERANK_FITS
        self.fit: RerankFit = fit or RERANK_FITS.get(reranker.name, UNFITTED)

    def apply(
        self, question: str, scored: Sequence[ScoredSentence], usage: RerankUsage
    ) -> list[ScoredSentence]:
        """``scored`` (best first) ranked again by the combined score; ``usage`` counts the cost."""
        load = getattr(self.reranker, "load", None)
        if callable(load):  # loading (once) is counted apart from reading the pairs
            started = time.perf_counter()
            load()
            usage.load_seconds += time.perf_counter() - started
        if not self.fitted and self.reranker.name not in _WARNED:  # once it loads (not before
            _WARNED.add(self.reranker.name)  # an error), and once: an app reopens its index
            logger.warning(
                "re-ranker %s has no fitted combination: answers stay the scorer's until `make fit "
                "RERANKER=%s` fits one (its scores are computed, its cost reported)",
                self.reranker.name,
                self.reranker.name,
            )
        started = time.perf_counter()
        ranked, pairs = rerank(self.reranker, self.fit, question, scored, depth=self.depth)
        usage.pairs += pairs
        usage.seconds += time.perf_counter() - started
        return ranked

    def cost(self, usage: RerankUsage) -> RerankCost:
        ms = round(usage.seconds * 1000, 2)
        load_ms = round(usage.load_seconds * 1000, 2)
        return RerankCost(self.reranker.name, usage.pairs, ms, self.fitted, load_ms)


def rerank(
    reranker: Reranker,
    fit: RerankFit,
    question: str,
    scored: Sequence[ScoredSentence],
    *,
    depth: int = RERANK_DEPTH,
) -> tuple[list[ScoredSentence], int]:
    """The ``depth`` best of ``scored`` read by ``reranker``, every sentence's score combined by
    ``fit``, best first; and how many pairs were read.

    A sentence beyond the ``depth`` best is given the lowest raw score among them: it ranked
    below them all, so it is presumed no better, and every score is on one scale.

    Raises:
        ModelLoadError: the re-ranker gave another number of scores than it was given pairs.
    """
    top = list(scored[:depth])
    if not top:
        return list(scored), 0
    raw = list(reranker.score(question, [s.sentence.text for s in top]))
    if len(raw) != len(top):
        raise ModelLoadError(
            f"re-ranker {reranker.name} gave {len(raw)} scores for {len(top)} sentences", model=reranker.name
        )
    if fit.scorer_alone:
        return list(scored), len(top)  # exactly the scorer's scores, not a logit's round trip
    floor = min(raw)
    combined = [replace(s, score=fit.combine(s.score, r)) for s, r in zip(top, raw, strict=True)]
    combined += [replace(s, score=fit.combine(s.score, floor)) for s in scored[depth:]]
    combined.sort(key=lambda s: -s.score)
    return combined, len(top)


def _load_cross_encoder(name: str, device: str) -> Any:
    """The CrossEncoder ``name`` names, or a one-line :class:`ModelLoadError` saying what to do."""
    path = Path(name).expanduser()
    local = path.exists()
    if not local and (name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1):
        raise ModelLoadError(
            f"no re-ranker at {name}: no such folder; {_SAVE_HINT}", model=name, reason="not_found"
        )
    if local:
        _refuse_what_is_not_a_cross_encoder(path, name)
    cross_encoder = _import_cross_encoder()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar per load says nothing
    logger.info("loading re-ranker %s", name)
    try:
        model = cross_encoder(
            str(path) if local else name, device=device, local_files_only=local or hub_offline()
        )
    except Exception as exc:  # sentence-transformers raises OSError, ValueError, safetensors' errors…
        logger.debug("loading re-ranker %s failed", name, exc_info=True)
        if not local and hub_offline():
            raise ModelLoadError(
                f"unknown re-ranker {name!r}: no such folder, and no such model in this machine's "
                f"Hugging Face cache (HF_HUB_OFFLINE is set); {_SAVE_HINT}, or fetch the model once "
                "where the network is allowed",
                model=name,
                reason="unknown",
            ) from None
        said = " ".join(str(exc).split())[:200]
        hint = (
            "the folder must hold a saved sentence-transformers CrossEncoder: config.json, weights, tokenizer"
            if local
            else "check the name"
        )
        raise ModelLoadError(
            f"cannot load re-ranker {name!r}: {said} ({hint})", model=name, reason="broken"
        ) from exc
    _check_one_score(model, name)
    return model


def _refuse_what_is_not_a_cross_encoder(path: Path, name: str) -> None:
    """Refuse a file, and a folder holding a model without a scoring head (an embedding model):
    a CrossEncoder would load it with a head of random weights, and rank at random."""
    if not path.is_dir():
        raise ModelLoadError(f"re-ranker {name} is a file; {_SAVE_HINT}", model=name, reason="broken")
    try:
        config = json.loads((path / "config.json").read_text("utf-8"))
        architectures = [str(a) for a in config.get("architectures") or []]
    except (OSError, ValueError, AttributeError):
        return  # no readable config: the loader says what is wrong
    if architectures and not any("For" in a for a in architectures):
        raise ModelLoadError(
            f"re-ranker {name} holds a model without a scoring head ({', '.join(architectures)}: an "
            f"embedding model?), not a cross-encoder; {_SAVE_HINT}",
            model=name,
            reason="not_cross_encoder",
        )


def _check_one_score(model: Any, name: str) -> None:
    labels: Any = getattr(model, "num_labels", None) or getattr(
        getattr(model, "config", None), "num_labels", 1
    )
    if labels != 1:
        raise ModelLoadError(_many_scores(name, int(labels)), model=name, reason="scores")


def _many_scores(name: str, n: int) -> str:
    return (
        f"re-ranker {name} gives {n} scores per pair (a classifier of {n} classes); a re-ranker gives "
        "one (num_labels=1)"
    )


def _import_cross_encoder() -> Any:
    try:
        import sentence_transformers
        from sentence_transformers import CrossEncoder
    except ImportError as exc:
        raise MissingDependencyError(
            "re-ranking needs sentence-transformers: pip install 'article-qa[rerank]'",
            extra="rerank",
            package="sentence-transformers",
        ) from exc
    major = int(str(sentence_transformers.__version__).split(".")[0] or 0)
    if major < 4:
        raise MissingDependencyError(
            f"re-ranking needs sentence-transformers 4 or later (found {sentence_transformers.__version__}): "
            "pip install 'article-qa[rerank]'",
            extra="rerank",
            package="sentence-transformers",
        )
    return CrossEncoder
