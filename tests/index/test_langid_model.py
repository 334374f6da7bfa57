"""The language model is unpacked once per machine, then mapped from the cache by each process."""

import logging
import lzma
import os
import tempfile
import time

import numpy as np
import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from index import analysis, langid_model

TEXTS = [
    "La fusée Falcon 9 a décollé ce matin de Cap Canaveral avec la capsule.",
    "Tropical storm Isaac hit Florida on Monday and the governor declared an emergency.",
    "Der Sturm traf am Montag die Küste von Florida.",
    "Quién ganó las elecciones?",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    forget()
    yield tmp_path / "article-qa" / "langid"
    forget()


def forget() -> None:
    analysis._identifier.cache_clear()
    langid_model.langid_model.cache_clear()


def kept_folder():
    return langid_model.made_path(MODEL_DIR / MODEL_FILE, "langid", langid_model.VERSION)


def detected() -> list[str]:
    return [analysis.detect_language(t) for t in TEXTS]


def test_the_model_is_kept_once_then_mapped_and_detects_as_py3langid_does(cache, monkeypatch):
    theirs = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def no_temporary_file(*_, **__):  # py3langid's own loader writes 68 MB to one each time
        raise AssertionError("the language model was unpacked to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temporary_file)
    cache.mkdir(parents=True)
    older = cache / "model.npz-4586720-1000-v1"  # an earlier install's, unused for days
    older.mkdir()
    os.utime(older, (time.time() - 3 * 86_400,) * 2)
    assert detected() == [theirs.classify(t)[0] for t in TEXTS]
    folder = kept_folder()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.npy" for n in langid_model.ARRAYS)
    assert not older.exists()
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no leftover of the making

    forget()

    def no_unpacking(*_, **__):
        raise AssertionError("the archive was unpacked again")

    monkeypatch.setattr(lzma, "open", no_unpacking)
    assert detected() == [theirs.classify(t)[0] for t in TEXTS]
    assert isinstance(langid_model.langid_model()[0], np.memmap)
    ranked = analysis.rank_languages(TEXTS[0])
    assert ranked[0][0] == "fr" and abs(sum(p for _, p in ranked) - 1) < 1e-3


def test_a_damaged_kept_model_is_unpacked_and_kept_again(cache, caplog):
    detected()
    ptc = kept_folder() / "ptc.npy"
    ptc.write_bytes(ptc.read_bytes()[:1000])  # a disk that filled up, say
    forget()
    with caplog.at_level(logging.WARNING, logger="index.langid_model"):
        assert detected()[:3] == ["fr", "en", "de"]
    assert "damaged" in caplog.text
    assert ptc.stat().st_size > 20_000_000
    forget()
    assert detected()[:3] == ["fr", "en", "de"]


def test_without_a_cache_that_can_be_written_the_model_is_unpacked_in_memory(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    forget()
    try:
        assert detected()[:3] == ["fr", "en", "de"]
        assert blocked.read_text() == "not a folder"
    finally:
        forget()


def test_a_second_writer_leaves_the_first_ones_model_and_nothing_of_its_own(cache):
    detected()
    folder = kept_folder()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    arrays = langid_model.mapped(folder)
    langid_model.keep(arrays, folder)  # another process, a moment later: the place is taken
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert [p.name for p in cache.iterdir()] == [folder.name]
