"""``POST /api/ask``: one question in one plain HTTP request, answered as Gradio's ``/ask``."""

from __future__ import annotations

import shutil
import threading
from types import SimpleNamespace

import anyio
import httpx
import pytest

from tests.ui.test_web_app import served
from tests.ui.test_web_operations import ask, metric
from ui.web import rest

SECRET = "rest-s3cret"
QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"


@pytest.mark.e2e
def test_a_served_index_answers_plain_http_as_its_gradio_api_does(sample_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    with served(index_dir, tmp_path / "serve.log", env={"ARTICLE_QA_AUTH": f"api:{SECRET}"}) as url:
        endpoint, login = url + "api/ask", ("api", SECRET)

        def post(body: object, **options: object) -> httpx.Response:
            return httpx.post(endpoint, json=body, auth=options.pop("auth", login), timeout=60, **options)  # type: ignore[arg-type]

        # Behind the app's login, as HTTP Basic.
        assert post({"question": QUESTION}, auth=None).status_code == 401
        assert post({"question": QUESTION}, auth=("api", "wrong")).status_code == 401

        answered = post({"question": QUESTION})
        assert answered.status_code == 200 and answered.headers["content-type"].startswith("application/json")
        cookies = httpx.post(url + "login", data={"username": "api", "password": SECRET}, timeout=30).cookies
        through_gradio = ask(url, cookies, QUESTION)
        got = answered.json()
        assert not got["abstained"] and got["citations"]
        assert (got["text"], [c["article_id"] for c in got["citations"]]) == (
            through_gradio["text"],
            [c["article_id"] for c in through_gradio["citations"]],
        )
        refused = post({"question": "Quelle est la couleur préférée du chat de la reine ?", "top_k": 3})
        assert refused.status_code == 200 and refused.json()["abstained"]

        # What a client must correct says what, with a status to match, in the asked language.
        wrong_option = post({"question": "Qui ?", "date_from": "2012-13-45", "lang": "en"})
        assert wrong_option.status_code == 400 and wrong_option.json()["code"] == "option"
        wrong_type = post({"question": "Qui ?", "composed": "yes", "lang": "en"})
        assert (
            wrong_type.status_code == 400 and "“composed”" in wrong_type.json()["error"]
        )  # the field's name
        empty = post({"question": "  "})
        assert empty.status_code == 400 and "question" in empty.json()["error"].lower()
        unknown = post({"question": QUESTION, "k": 3})
        assert unknown.status_code == 400 and "'k'" in unknown.json()["error"]
        not_json = httpx.post(
            endpoint, content=b"{", auth=login, headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400 and not_json.json()["code"] == "request"
        form = httpx.post(endpoint, data={"question": QUESTION}, auth=login, timeout=30)
        assert form.status_code == 415  # a page elsewhere cannot send JSON without asking first
        assert httpx.get(endpoint, auth=login, timeout=30).status_code == 405
        huge = post({"question": "a" * (rest.MAX_BODY + 1)})
        assert huge.status_code == 413

        # Counted as the HTTP API's questions.
        metrics = httpx.get(url + "metrics", auth=login, timeout=10).text
        assert metric(metrics, "article_qa_questions_total", outcome="answered", mode="quoted") == 2
        assert metric(metrics, "article_qa_questions_total", outcome="abstained", mode="quoted") == 1


class _Answer:
    def __init__(self, question: str) -> None:
        self.question = question

    def to_dict(self) -> dict:
        return {"question": self.question, "text": "", "abstained": True, "citations": []}


def test_questions_beyond_those_answered_and_waiting_are_refused_with_retry_after(monkeypatch):
    """One answered at a time, none may wait: a second question at once is told to come back."""
    monkeypatch.setattr(rest, "MAX_WAITING", 0)
    started, release = threading.Event(), threading.Event()

    def slow_ask(question: str, **_: object) -> _Answer:
        started.set()
        release.wait(10)
        return _Answer(question)

    live = SimpleNamespace(current=SimpleNamespace(ask=slow_ask), composer=None, monitor=None)

    async def not_gradio(scope, receive, send) -> None:  # pragma: no cover - not reached
        raise AssertionError("the request went past the endpoint")

    app = rest.AskEndpoint(not_gradio, live, at_once=1)  # type: ignore[arg-type]

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first: dict[str, httpx.Response] = {}

            async def ask_first() -> None:
                first["r"] = await client.post("/api/ask", json={"question": "une"})

            async with anyio.create_task_group() as group:
                group.start_soon(ask_first)
                await anyio.to_thread.run_sync(started.wait, 10)
                second = await client.post("/api/ask", json={"question": "deux"})
                release.set()
            return first["r"], second

    first, second = anyio.run(scenario)
    assert first.status_code == 200 and first.json()["question"] == "une"
    assert second.status_code == 503 and second.headers["retry-after"] == "1"
    assert second.json()["code"] == "busy"
