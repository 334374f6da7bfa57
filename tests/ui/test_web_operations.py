"""What an operator sees of a running server: health, readiness, metrics and the request log."""

from __future__ import annotations

import json
import re
import shutil

import httpx
import pytest

import index
from tests.ui.test_web_app import served

pytestmark = [pytest.mark.e2e]

SECRET = "op-s3cret"


def ask(url: str, cookies: httpx.Cookies, *data: object) -> dict:
    base = url + "gradio_api/call/ask"
    event_id = httpx.post(base, json={"data": list(data)}, cookies=cookies, timeout=30).json()["event_id"]
    stream = httpx.get(f"{base}/{event_id}", cookies=cookies, timeout=120).text
    kind, payload = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.M)[-1]
    assert kind == "complete", stream
    return json.loads(payload)[0]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition (0 when it is not there)."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        head, _, rest = sample.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if head == name and found == labels:
            return float(value)
    return 0.0


def test_health_readiness_metrics_and_the_request_log_of_a_served_index(sample_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    requests = tmp_path / "requests.jsonl"
    env = {"ARTICLE_QA_AUTH": f"op:{SECRET}"}
    with served(index_dir, tmp_path / "serve.log", "--request-log", str(requests), env=env) as url:
        assert httpx.get(url + "healthz", timeout=10).text == "ok\n"  # no login needed
        ready = httpx.get(url + "readyz", timeout=10)
        assert (ready.status_code, ready.text) == (200, "ready\n")
        assert httpx.post(url + "readyz", timeout=10).status_code == 405

        # The metrics are behind the app's login (HTTP Basic, as Prometheus sends it).
        assert httpx.get(url + "metrics", timeout=10).status_code == 401
        assert httpx.get(url + "metrics", auth=("op", "wrong"), timeout=10).status_code == 401
        before = httpx.get(url + "metrics", auth=("op", SECRET), timeout=10)
        assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
        assert metric(before.text, "article_qa_index_articles") == index.index_info(index_dir).articles
        assert metric(before.text, "article_qa_questions_total", outcome="answered", mode="quoted") == 0

        cookies = httpx.post(url + "login", data={"username": "op", "password": SECRET}, timeout=30).cookies
        answered = ask(url, cookies, "Qui a rompu ses relations avec la Corée du Nord ?")
        refused = ask(url, cookies, "Quelle est la couleur préférée du chat de la reine ?")
        wrong = ask(url, cookies, "Qui ?", "", "2012-13-45")
        assert not answered["abstained"] and refused["abstained"] and wrong["code"] == "option"

        after = httpx.get(url + "metrics", auth=("op", SECRET), timeout=10).text
        assert metric(after, "article_qa_questions_total", outcome="answered", mode="quoted") == 1
        assert metric(after, "article_qa_questions_total", outcome="abstained", mode="quoted") == 1
        assert metric(after, "article_qa_errors_total", kind="option") == 1
        assert metric(after, "article_qa_stage_seconds_count", stage="total") == 3
        assert metric(after, "article_qa_stage_seconds_count", stage="encode") == 2
        assert metric(after, "article_qa_stage_seconds_count", stage="dense") == 2

        lines = [json.loads(line) for line in requests.read_text(encoding="utf-8").splitlines()]
        assert [(line["abstained"], line["error"]) for line in lines] == [
            (False, None),
            (True, None),
            (None, "option"),
        ]
        assert all(line["channel"] == "api" and line["generation"] == "g000001" for line in lines)
        assert lines[0]["citations"] >= 1 and lines[0]["stages_ms"]["encode"] > 0
        assert "Corée" not in requests.read_text(encoding="utf-8")  # questions are not logged by default

        # The index's files gone: not ready (and why is in the server's log, not in the answer).
        manifest = index_dir / "manifest.json"
        manifest.rename(tmp_path / "manifest.json")
        gone = httpx.get(url + "readyz", timeout=10)
        assert (gone.status_code, gone.text) == (503, "not ready\n")
        (tmp_path / "manifest.json").rename(manifest)
        assert httpx.get(url + "readyz", timeout=10).status_code == 200
    assert SECRET not in (tmp_path / "serve.log").read_text() + requests.read_text(encoding="utf-8")


def test_questions_are_logged_only_when_the_operator_asks(sample_index, tmp_path):
    with served(sample_index, tmp_path / "serve.log", "--log-questions") as url:
        ask(url, httpx.Cookies(), "Qui a rompu ses relations avec la Corée du Nord ?")
        metrics = httpx.get(url + "metrics", timeout=10)  # no login set: open, on 127.0.0.1
        assert metric(metrics.text, "article_qa_questions_total", outcome="answered", mode="quoted") == 1
    logged = [
        json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")
    ]
    assert [line["question"] for line in logged] == ["Qui a rompu ses relations avec la Corée du Nord ?"]
