"""The served app with a language model that misbehaves (issue 24), driven through its HTTP
API: a slow model must not hold quoted questions back, a model's or a URL's secrets must reach
no client and no log, and a client that sends odd types gets an error with a code."""

from __future__ import annotations

import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.fakes import scripted_llm
from tests.ui.test_web_app import served

pytestmark = [pytest.mark.e2e]

QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
KEY = "sk-web-77aa0c31"
PASSWORD = "web-pass-19fe"


def call(app: str, *data: object, timeout: float = 180) -> dict:
    """One ``/ask`` call through Gradio's HTTP API, as any client could make it."""
    base = app.rstrip("/") + "/gradio_api/call/ask"
    event_id = httpx.post(base, json={"data": list(data)}, timeout=30).json()["event_id"]
    stream = httpx.get(f"{base}/{event_id}", timeout=timeout).text
    kind, payload = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.M)[-1]
    assert kind == "complete", stream
    (answer,) = json.loads(payload)
    return answer


def test_a_slow_model_holds_no_quoted_question_back_and_no_secret_leaves(sample_index, tmp_path):
    # Before: 8 composed questions to a model sending a token a second took every worker and
    # a quoted question waited more than 75 s; /ask's detail held the URL's password and the
    # key a server repeated; serve printed the password at start-up.
    shutil.copytree(sample_index, tmp_path / "index")
    with scripted_llm() as (url, script):
        script.mode, script.reply, script.interval = "trickle", "L’Ukraine a rompu [1]. ", 1.0
        with_password = url.replace("http://", f"http://reader:{PASSWORD}@")
        with (
            served(
                tmp_path / "index",
                tmp_path / "serve.log",
                "--llm-url", with_password, "--llm-model", "slow", "--llm-timeout", "30",
                env={"ARTICLE_QA_LLM_KEY": KEY},
            ) as app,
            ThreadPoolExecutor(max_workers=8) as pool,
        ):  # fmt: skip
            slow = [pool.submit(call, app, QUESTION, "", "", "", 5, "fr", True) for _ in range(8)]
            while len(script.requests) < 2:
                time.sleep(0.1)
            started = time.monotonic()
            quoted = call(app, QUESTION, "", "", "", 5, "fr", False)
            waited = time.monotonic() - started
            composed = [f.result() for f in slow]
            script.mode = "echo_auth"
            echoed = call(app, QUESTION, "", "", "", 5, "fr", True)
        log = (tmp_path / "serve.log").read_text()
    assert quoted["mode"] == "quoted" and quoted["citations"] and waited < 20  # the model's deadline is 30 s
    reasons = sorted(a["check"]["fallback"] for a in composed)
    assert reasons == ["busy"] * 6 + ["timeout"] * 2, reasons  # two turns, cut at the deadline
    assert len(script.requests) == 2 + 1
    assert echoed["check"]["fallback"] == "http" and echoed["citations"]
    assert script.headers[-1]["Authorization"] == f"Bearer {KEY}"  # the key was sent, and shown nowhere:
    everything = json.dumps([quoted, composed, echoed]) + log
    assert KEY not in everything and PASSWORD not in everything
    assert "***@127.0.0.1" in log


@pytest.fixture(scope="module")
def plain_app(sample_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("odd-types")
    shutil.copytree(sample_index, root / "index")
    with served(root / "index", root / "serve.log") as app:
        yield app, root / "serve.log"


@pytest.mark.parametrize(
    "data",
    [
        [QUESTION, "", "", "", "abc", "fr", False],
        [QUESTION, "", "", "", [1], "fr", False],
        [QUESTION, "", 1e20, "", 5, "fr", False],
        [QUESTION, "", {"a": 1}, "", 5, "fr", False],
        [QUESTION, {"a": 1}, "", "", 5, "fr", False],
        [QUESTION, "", "", "", 5, {"x": 1}, "yes"],
        [["not", "text"], "", "", "", 5, "fr", False],
        [],
    ],
)
def test_odd_types_from_an_api_client_get_an_error_with_a_code(plain_app, data):
    # Before: {"error": null} and a traceback in the log.
    app, log = plain_app
    answer = call(app, *data)
    assert answer["code"] in {"option", "question"} and answer["error"], answer
    assert "Traceback" not in log.read_text()


def test_a_server_started_with_a_key_that_is_not_ascii_refuses_in_one_line(sample_index, tmp_path):
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("article-qa")
    done = subprocess.run(
        [str(exe), "serve", "--index", str(sample_index), "--llm-url", "http://127.0.0.1:9/v1",
         "--llm-model", "m", "--quiet"],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "ARTICLE_QA_LLM_KEY": "clé-secrète"},
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ARTICLE_QA_LLM_KEY" in done.stderr and "clé" not in done.stderr + done.stdout


def test_a_plain_http_client_may_send_the_question_alone(plain_app):
    app, _ = plain_app
    answer = call(app, QUESTION)
    assert not answer["abstained"] and "Corée du Nord" in answer["citations"][0]["text"]
    assert call(app)["code"] == "question"  # nothing at all: the question is empty
