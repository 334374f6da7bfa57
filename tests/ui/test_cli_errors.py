"""Every bad input on the command line is one clear line, never a traceback (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.embedded.manifest_file import MANIFEST
from index.errors import OptionError
from tests.paths import SEED
from ui.cli import main

EXE = Path(sys.executable).with_name("article-qa")


def refused(capsys, *argv: str) -> str:
    """Run ``article-qa argv``; it must exit 2 with a message and no traceback; return stderr."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.strip()
    return err


# -- item 9: options out of range ------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "1000000", "abc"])
def test_ask_top_k_out_of_range_is_refused_by_argparse(capsys, tmp_path, value):
    err = refused(capsys, "ask", "Qui ?", "--index", str(tmp_path), "--top-k", value)
    assert "--top-k" in err


def test_ask_top_k_above_the_old_candidates_limit_is_accepted(capsys, tmp_path):
    # 31 used to fail deep inside with "candidates must be >= top_k"; now it reaches the index.
    err = refused(capsys, "ask", "Qui ?", "--index", str(tmp_path / "none"), "--top-k", "31")
    assert "no index at" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["eval", "data.json", "--threshold", "2"], "--threshold"),
        (["eval", "data.json", "--top-k", "0"], "--top-k"),
        (["eval", "data.json", "--limit", "0"], "--limit"),
        (["index", "build", "src", "--chunk-size", "10"], "--chunk-size"),
        (["index", "build", "src", "--chunk-size", "0"], "--chunk-size"),
        (["index", "build", "src", "--chunk-size", "-5"], "--chunk-size"),
        (["index", "build", "src", "--overlap", "-1"], "--overlap"),
        (["index", "build", "src", "--max-file-mb", "0"], "--max-file-mb"),
        (["serve", "--port", "0"], "--port"),
        (["serve", "--port", "70000"], "--port"),
        (["ask", "Qui ?", "--from", "2012-13-45"], "--from"),
        (["ask", "Qui ?", "--to", "hier"], "--to"),
    ],
)
def test_out_of_range_options_name_the_option(capsys, argv, named):
    assert named in refused(capsys, *argv)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--llm-url", "http://127.0.0.1:9/v1"], "--llm-model"),
        (["--llm-url", "file:///etc/passwd", "--llm-model", "m"], "http:// or https://"),
        (["--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-timeout", "0"], "--llm-timeout"),
    ],
)
def test_a_language_model_badly_named_is_refused_before_anything_loads(
    capsys, tmp_path, monkeypatch, options, said
):
    monkeypatch.delenv("ARTICLE_QA_LLM_MODEL", raising=False)
    assert said in refused(capsys, "ask", "Qui ?", "--index", str(tmp_path / "none"), *options)


def test_reversed_dates_are_refused_before_anything_loads(capsys, tmp_path):
    err = refused(
        capsys, "ask", "Qui ?", "--index", str(tmp_path), "--from", "2013-01-01", "--to", "2012-01-01"
    )
    assert "reversed" in err


@pytest.mark.parametrize("content", ['{"data": [1, 2, 3]}', "[1, 2]", "{}", "pas du JSON"])
def test_eval_on_a_file_that_is_not_squad_says_what_it_expects(capsys, tmp_path, content):
    data = tmp_path / "data.json"
    data.write_text(content)
    err = refused(capsys, "eval", str(data))
    assert "not a SQuAD-format JSON file" in err


def test_index_on_a_file_or_under_proc_is_a_clear_error(capsys, tmp_path):
    (tmp_path / "a-file").write_text("x")
    assert "it is a file" in refused(capsys, "index", "build", str(SEED), "--index", str(tmp_path / "a-file"))
    err = refused(capsys, "index", "build", str(SEED), "--index", "/proc/article-qa", "--quiet")
    assert "cannot create the index directory" in err
    assert "it is a file" in refused(capsys, "index", "info", "--index", str(SEED))


@pytest.mark.parametrize("manifest", ["[]", '{"format_version": 3, "generation": 5}', '{"format_ver'])
def test_a_damaged_manifest_is_reported_and_nothing_is_deleted(capsys, tmp_path, manifest):
    target = tmp_path / "ix"
    (target / "g000001").mkdir(parents=True)
    (target / "g000001" / "index.sqlite").write_text("kept")
    (target / MANIFEST).write_text(manifest)
    assert "damaged" in refused(capsys, "index", "info", "--index", str(target))
    assert "damaged" in refused(capsys, "ask", "Qui ?", "--index", str(target))
    err = refused(capsys, "index", "build", str(SEED), "--index", str(target), "--quiet")
    assert "--rebuild" in err
    assert (target / "g000001" / "index.sqlite").read_text() == "kept"


# -- item 8: no password on the command line -------------------------------------------------


def test_the_login_is_not_taken_from_the_command_line(capsys):
    err = refused(capsys, "serve", "--auth", "admin:secret")
    assert "unrecognized arguments" in err


def test_a_login_file_or_variable_must_hold_user_and_password(tmp_path, monkeypatch):
    from ui.cli import build_parser
    from ui.cli.serving import credentials as _credentials

    login = tmp_path / "login"
    login.write_text("admin:s3cret\n")
    args = build_parser().parse_args(["serve", "--auth-file", str(login)])
    assert _credentials(args) == ("admin", "s3cret")
    monkeypatch.setenv("ARTICLE_QA_AUTH", "reader:pw")
    assert _credentials(build_parser().parse_args(["serve"])) == ("reader", "pw")
    with pytest.raises(OptionError, match="cannot read --auth-file"):
        _credentials(build_parser().parse_args(["serve", "--auth-file", str(tmp_path / "missing")]))
    monkeypatch.setenv("ARTICLE_QA_AUTH", "no-colon")
    with pytest.raises(OptionError, match="USER:PASSWORD"):
        _credentials(build_parser().parse_args(["serve"]))


# -- end to end, with the real model -----------------------------------------------------------


@pytest.mark.e2e
def test_a_question_with_non_utf8_bytes_or_zero_width_marks_is_answered(sample_index):
    # A terminal in Latin-1 sends "é" as the byte 0xE9; Python hands it over as a lone surrogate.
    argv = [os.fsencode(str(EXE)), b"ask", "Combien de kilos de mat\xe9riel la capsule Dragon transporte-t-elle ?".encode("latin-1"),
            b"--index", os.fsencode(str(sample_index)), b"--json"]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr.decode()
    answer = json.loads(out.stdout)
    assert not answer["abstained"] and "521 kg" in answer["citations"][0]["text"]
    zero_width = "Combien de kilos de maté\u200briel la capsule Dra\u200bgon transporte-t-elle ?"
    out = subprocess.run([str(EXE), "ask", zero_width, "--index", str(sample_index), "--json"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0 and "521 kg" in json.loads(out.stdout)["citations"][0]["text"]


@pytest.mark.e2e
def test_ask_piped_into_head_ends_quietly(sample_index):
    shell = f"'{EXE}' ask 'Qui a rompu ses relations avec la Corée du Nord ?' --index '{sample_index}' | head -c 1"
    out = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {shell}"], capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


@pytest.mark.e2e
def test_an_update_that_would_remove_most_articles_asks_for_allow_removals(tmp_path, capsys):
    share = tmp_path / "share"
    share.mkdir()
    for n in range(3):
        (share / f"a{n}.txt").write_text(f"Article {n}\n\nLe conseil municipal a voté le budget numéro {n}.")
    target = str(tmp_path / "ix")
    assert main(["index", "build", str(share), "--index", target, "--quiet"]) == 0
    for n in (1, 2):
        (share / f"a{n}.txt").unlink()  # most of the share is gone (unmounted, moved…)
    capsys.readouterr()
    err = refused(capsys, "index", "update", str(share), "--index", target, "--quiet")
    assert "remove 2 of the 3 articles" in err and "--allow-removals" in err and "nothing was changed" in err
    assert main(["index", "info", "--index", target, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == 3
    assert main(["index", "update", str(share), "--index", target, "--quiet", "--allow-removals"]) == 0
    assert "2 removed" in capsys.readouterr().out


def test_a_request_log_that_cannot_be_written_stops_serve_before_the_model_loads(capsys, tmp_path):
    err = refused(capsys, "serve", "--index", str(tmp_path / "ix"), "--request-log", str(tmp_path))
    assert "cannot write the request log" in err and "--request-log" in err
    assert not (tmp_path / "ix").exists()  # nothing was built
