"""The served app's metrics, request log and readiness (ui/web/monitor.py, ui/web/health.py),
on a small index with the fake model; the served app end to end is in test_web_operations.py."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

import index
from qa import Check
from tests.conftest import write_corpus
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from ui.web import chat
from ui.web.health import Operations
from ui.web.monitor import Monitor, request_logger
from ui.web.refresh import Refresher
from ui.web.server import slow_login
from ui.web.state import LiveAssistant

QUESTION = "Combien de kilos de matériel transporte la capsule Dragon ?"


@pytest.fixture
def live(tmp_path: Path, fake_embedder: FakeEmbedder) -> LiveAssistant:
    index.build([write_corpus(tmp_path / "corpus")], tmp_path / "ix", embedder=fake_embedder)
    return LiveAssistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)


def sample(monitor: Monitor, name: str, **labels: str) -> float:
    return monitor.registry.get_sample_value(name, labels) or 0.0


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


def logged_monitor(live: LiveAssistant, **options: bool) -> tuple[Monitor, Lines]:
    lines = Lines()
    log = logging.getLogger("tests.requests")
    log.handlers[:] = [lines]
    log.setLevel(logging.INFO)
    log.propagate = False
    return Monitor(live, log=log, **options), lines


def test_questions_are_counted_by_outcome_and_mode_with_their_stages(live):
    monitor, lines = logged_monitor(live)
    live.monitor = monitor
    answered = chat.answer_json(live, QUESTION)
    refused = chat.answer_json(live, QUESTION, date_from="2031-01-01")  # no article that recent
    failed = chat.answer_json(live, "Qui ?", top_k=500)
    assert not answered["abstained"] and refused["abstained"] and failed["code"] == "option"
    assert sample(monitor, "article_qa_questions_total", outcome="answered", mode="quoted") == 1
    assert sample(monitor, "article_qa_questions_total", outcome="abstained", mode="quoted") == 1
    assert sample(monitor, "article_qa_questions_total", outcome="error", mode="none") == 1
    assert sample(monitor, "article_qa_errors_total", kind="option") == 1
    assert sample(monitor, "article_qa_stage_seconds_count", stage="total") == 3
    assert sample(monitor, "article_qa_stage_seconds_count", stage="lexical") == 2
    assert sample(monitor, "article_qa_stage_seconds_sum", stage="encode") > 0
    assert [(line["abstained"], line["error"], line["channel"]) for line in lines.lines] == [
        (False, None, "api"),
        (True, None, "api"),
        (None, "option", "api"),
    ]
    first = lines.lines[0]
    assert first["citations"] == len(answered["citations"]) and first["language"] == "fr"
    assert first["generation"] == live.current.store.manifest.generation
    assert set(first["stages_ms"]) >= {"encode", "dense", "lexical", "select", "total"}
    assert all("question" not in line for line in lines.lines)


def test_the_question_is_logged_only_when_asked_and_a_fallback_is_its_own_mode(live):
    monitor, lines = logged_monitor(live, log_questions=True)
    answer = live.current.ask(QUESTION)
    fallen = replace(answer, check=Check("tiny", fallback="timeout"))
    monitor.question(QUESTION, answer=fallen, seconds=0.5, channel="web")
    monitor.question(QUESTION, answer=replace(answer, mode="composed"), seconds=0.5, channel="web")
    assert sample(monitor, "article_qa_questions_total", outcome="answered", mode="fallback") == 1
    assert sample(monitor, "article_qa_questions_total", outcome="answered", mode="composed") == 1
    assert [(line["mode"], line["fallback"], line["question"]) for line in lines.lines] == [
        ("fallback", "timeout", QUESTION),
        ("composed", None, QUESTION),
    ]


def test_a_bug_in_a_question_is_counted_then_raised(live, monkeypatch):
    monitor, lines = logged_monitor(live)
    live.monitor = monitor

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(live.current), "ask", broken)
    with pytest.raises(RuntimeError):
        chat.answer_json(live, QUESTION)
    assert sample(monitor, "article_qa_errors_total", kind="internal") == 1
    assert lines.lines[0]["error"] == "internal"


def test_the_index_is_described_at_each_scrape(live, tmp_path):
    monitor = Monitor(live)
    before = live.info["articles"]
    text = monitor.exposition().decode()
    assert f"article_qa_index_articles {float(before)}" in text
    assert "article_qa_index_segments 1.0" in text
    generation = live.current.store.manifest.generation
    assert f'article_qa_index_info{{generation="{generation}",model="{live.info["model"]}"}} 1.0' in text
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "nouveau.txt").write_text("La capsule Dragon est revenue sur Terre.\n\n" * 3)
    live.update([tmp_path / "more"])
    after = monitor.exposition().decode()
    assert f"article_qa_index_articles {float(before + 1)}" in after
    assert "article_qa_index_generation 2.0" in after


def test_refreshes_are_counted_done_failed_and_skipped(live, monkeypatch):
    monitor = Monitor(live)
    live.monitor = monitor
    refresher = Refresher(live)
    refresher.run_once("panel")
    monkeypatch.setattr(live, "refresh", lambda: (_ for _ in ()).throw(index.NoArticlesError("nothing")))
    refresher.run_once("panel")
    with live._writer():
        monkeypatch.undo()
        refresher.run_once("panel")
    counts = {
        o: sample(monitor, "article_qa_refreshes_total", outcome=o) for o in ("done", "failed", "skipped")
    }
    assert counts == {"done": 1, "failed": 1, "skipped": 1}


def test_the_request_log_goes_to_a_file_or_nowhere(tmp_path):
    assert request_logger(None) is None
    log = request_logger(str(tmp_path / "logs" / "requests.jsonl"))
    assert log is not None
    log.info('{"a": 1}')
    for handler in log.handlers:
        handler.flush()
    assert (tmp_path / "logs" / "requests.jsonl").read_text() == '{"a": 1}\n'
    with pytest.raises(OSError):
        request_logger(str(tmp_path / "logs"))  # a directory


def test_readiness_waits_for_the_model_and_for_a_searchable_index(live):
    assert live.unready() == "the model is not loaded yet"
    live.warm(QUESTION)
    assert live.unready() is None
    manifest = Path(live.location) / "manifest.json"
    manifest.rename(manifest.with_suffix(".moved"))
    assert live.unready() is not None
    manifest.with_suffix(".moved").rename(manifest)
    assert live.unready() is None


# -- the operator's paths, in front of any app -----------------------------------------------------


async def _passed_on(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"the app"})


def call(operations: Operations, method: str, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=operations)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_health_paths_are_answered_and_everything_else_passes_on(live):
    operations = Operations(_passed_on, live, login=slow_login("op", "pw", delay=0.01))
    assert call(operations, "GET", "/healthz").text == "ok\n"
    assert call(operations, "GET", "/readyz").status_code == 503  # not warmed yet
    live.warm(QUESTION)
    assert call(operations, "GET", "/readyz/").text == "ready\n"
    head = call(operations, "HEAD", "/readyz")
    assert head.status_code == 200 and head.content == b""
    assert call(operations, "DELETE", "/healthz").status_code == 405
    assert call(operations, "GET", "/metrics").status_code == 404  # no monitor: metrics are off
    live.monitor = Monitor(live)
    assert call(operations, "GET", "/metrics").status_code == 401
    assert call(operations, "GET", "/metrics", authorization=basic("op", "no")).status_code == 401
    assert call(operations, "GET", "/metrics", authorization="Basic ***not-base64").status_code == 401
    shown = call(operations, "GET", "/metrics", authorization=basic("op", "pw"))
    assert shown.status_code == 200 and "article_qa_index_articles" in shown.text
    assert call(operations, "GET", "/healthzz").status_code == 299
    assert call(operations, "GET", "/").text == "the app"


def test_without_a_login_the_metrics_are_open(live):
    live.monitor = Monitor(live)
    assert call(Operations(_passed_on, live), "GET", "/metrics").status_code == 200


def test_a_question_asked_in_the_page_is_counted_as_web(live):
    monitor, lines = logged_monitor(live)
    live.monitor = monitor
    _, conversation = chat.submit(QUESTION, chat.Conversation())
    answered = chat.respond(live, conversation)
    assert answered.exchanges[-1].answer is not None
    assert [(line["channel"], line["abstained"]) for line in lines.lines] == [("web", False)]
    assert sample(monitor, "article_qa_questions_total", outcome="answered", mode="quoted") == 1
