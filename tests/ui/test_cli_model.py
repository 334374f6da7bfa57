"""The command line with a language model that misbehaves (issue 24): its deadline holds, its
secrets and the URL's stay out of every line printed or logged, a key it cannot send is
refused in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes import scripted_llm
from ui.cli import main

pytestmark = [pytest.mark.e2e]

EXE = Path(sys.executable).with_name("article-qa")
QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
KEY = "sk-cli-0b5e71d2"
PASSWORD = "cli-pass-8c2d"


def ask(index: Path, url: str, *extra: str, key: str = KEY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "-v", "ask", QUESTION, "--index", str(index), "--llm-url", url, "--llm-model", "m", *extra],
        capture_output=True, text=True, timeout=300, env={**os.environ, "ARTICLE_QA_LLM_KEY": key},
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["echo_auth", "error_event"])
def test_no_secret_is_printed_or_logged(sample_index, mode):
    with scripted_llm() as (url, script):
        script.mode = mode
        with_password = url.replace("http://", f"http://reader:{PASSWORD}@")
        as_json = ask(sample_index, with_password, "--json")
        as_text = ask(sample_index, with_password)
        unreachable = ask(sample_index, f"http://reader:{PASSWORD}@127.0.0.1:9/v1")
    assert script.headers[-1]["Authorization"] == f"Bearer {KEY}"
    assert json.loads(as_json.stdout)["check"]["fallback"] == "http"
    assert "Quoted instead of composed" in as_text.stdout and "Quoted instead" in unreachable.stdout
    for done in (as_json, as_text, unreachable):
        assert done.returncode == 0, done.stderr
        assert KEY not in done.stdout + done.stderr and PASSWORD not in done.stdout + done.stderr


def test_a_model_sending_a_token_a_second_is_cut_off_at_the_deadline(sample_index):
    # `ask --llm-timeout 3` was still running after 90 s.
    with scripted_llm() as (url, script):
        script.mode, script.reply, script.interval = "trickle", "L’Ukraine a rompu [1]. ", 1.0
        started = time.monotonic()
        done = ask(sample_index, url, "--llm-timeout", "3")
        took = time.monotonic() - started
    assert done.returncode == 0 and "did not finish within 3 s" in done.stdout
    assert took < 60  # model loading included; the reply alone would never end


def test_a_key_that_is_not_ascii_is_refused_in_one_line(capsys, tmp_path, monkeypatch):
    # It used to end in UnicodeEncodeError.
    monkeypatch.setenv("ARTICLE_QA_LLM_KEY", "clé-secrète")
    code = main(
        ["ask", "Qui ?", "--index", str(tmp_path), "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m"]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "ARTICLE_QA_LLM_KEY" in err and "ASCII" in err and "clé" not in err
