"""The Gradio app served on 127.0.0.1, driven through its HTTP API as eight people at once."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.web_users import chat_rows, page_id
from tests.processes import free_port, stop

pytestmark = [
    pytest.mark.e2e,
]

QUESTIONS = {
    "Qui a rompu ses relations avec la Corée du Nord ?": "Dans leur isolement, la Russie et la Corée du Nord",
    "Combien de morts a fait l'ouragan Sandy ?": "Ouragan Sandy : 39 morts aux États-Unis",
    "Combien d'emplois PSA va-t-il supprimer ?": "France : PSA va supprimer 8 000 emplois",
    "Qui a remporté le tournoi de Wimbledon en 2012 ?": "Tennis : victoire de Serena Williams",
    "Quand a été découvert le boson de Higgs ?": "Science : découverte du Boson de Higgs",
    "Quel pays a accordé l'asile politique à Julian Assange ?": "WikiLeaks : l’Équateur accorde",
    "Qui a été élu président en Égypte ?": "Égypte : Mohamed Morsi élu président",
    "Combien de personnes étaient à bord de l'avion qui s'est écrasé à Lagos ?": "Nigeria : crash d'un avion",
}


@contextlib.contextmanager
def served(
    index_dir: Path, log: Path, *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``article-qa serve`` on a free port as a user would; yield its address once it answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("article-qa")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(exe), "serve", "--index", str(index_dir), "--port", str(port), "--quiet", *args],
            stdout=out, stderr=subprocess.STDOUT, cwd=log.parent, env={**os.environ, **(env or {})},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while "Serving " not in log.read_text():
            assert process.poll() is None, f"the server stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield url
    finally:
        stop(process, timeout=15)


@contextlib.contextmanager
def served_copy(index_dir: Path, root: Path) -> Iterator[str]:
    """Serve a copy of ``index_dir`` made under ``root`` (uploads and rebuilds change it)."""
    shutil.copytree(index_dir, root / "index")
    with served(root / "index", root / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def app_url(sample_index, tmp_path_factory) -> Iterator[str]:
    with served_copy(sample_index, tmp_path_factory.mktemp("served")) as url:
        yield url


def assistant_html(chat: str) -> str:
    """The HTML of the last assistant message of the chat's HTML."""
    return [body for role, body in chat_rows(chat) if role == "assistant"][-1]


def roles(chat: str) -> list[str]:
    return [role for role, _ in chat_rows(chat)]


def asked(client, question: str) -> tuple[str, dict, str]:
    """The page's event for ``question`` in ``client``'s conversation (``page_id``), filters
    left as they are: the chat's HTML, the citation list, the reading panel."""
    _, chat, choices, reader = client.predict(
        question, "", None, None, 5, "quoted", page_id(client), "fr", api_name="/question"
    )
    return chat, choices, reader


def ask(url: str, question: str) -> tuple[list[dict], dict]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        chat, choices, _ = asked(client, question)
    finally:
        client.close()
    return chat, choices


def test_eight_people_asking_at_once_each_get_their_own_answer(app_url):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(QUESTIONS, pool.map(lambda q: ask(app_url, q), QUESTIONS), strict=True))
    for question, (chat, _) in results.items():
        questions = [body for role, body in chat_rows(chat) if role == "user"]
        assert len(questions) == 1 and html.escape(question) in questions[0]  # theirs only
        answer = html.unescape(assistant_html(chat))
        assert QUESTIONS[question] in answer, question
        assert re.search(r'<mark class="aq-hl">[^<]+</mark>', answer)


def test_a_session_keeps_its_conversation_and_opens_its_citations(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    question = "Qui a rompu ses relations avec la Corée du Nord ?"
    asked(client, question)
    page = page_id(client)
    job = client.submit("Et en avril ?", "", None, None, 5, "quoted", page, "fr", api_name="/question")
    _, chat, choices, opened = job.result()
    # One event: the question left the box for the chat at once, then its answer came.
    box, taken, *_ = job.outputs()[0]
    assert box == "" and roles(taken) == ["user", "assistant", "user", "assistant"]
    assert "aq-pending" in chat_rows(taken)[-1][1]
    assert 'class="aq-hl aq-target"' in opened  # the reader opened the best citation by itself
    assert roles(chat) == ["user", "assistant", "user", "assistant"]
    assert {value for _, value in choices["choices"]} >= {"1.1"}  # the latest answer's citations
    article = client.predict("1.1", page, "fr", api_name="/open_citation")
    cited = re.search(r'id="aq-cite-1.1".*?<mark class="aq-hl">(.*?)</mark>', assistant_html(chat))
    assert cited and re.findall(r'<mark class="aq-hl aq-target"[^>]*>(.*?)</mark>', article) == [
        cited.group(1)
    ]
    # A blank question stays in the box and changes nothing; the conversation goes on after it.
    box, *_ = client.predict("   ", "", None, None, 5, "quoted", page, "fr", api_name="/question")
    assert box == "   "
    chat, *_ = asked(client, "Combien de morts a fait l'ouragan Sandy ?")
    assert roles(chat) == ["user", "assistant"] * 3
    client.close()


def chat_call(url: str, payload: object) -> httpx.Response:
    """The page's own call for a quoted answer: the chat's server function ``ask_quoted``."""
    config = httpx.get(url + "config", timeout=30).json()
    chat = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "aq-chat")
    body = {"session_hash": "t" * 11, "component_id": chat, "fn_name": "ask_quoted", "data": payload}
    return httpx.post(url + "gradio_api/component_server", json=body, timeout=60)


def test_the_page_asks_a_quoted_question_in_one_plain_call_and_keeps_its_conversation(app_url):
    page, other = uuid.uuid4().hex, uuid.uuid4().hex
    first = chat_call(app_url, {"page": page, "question": "Qui a rompu ses relations avec la Corée du Nord ?",
                                "lang": "fr-FR", "category": "Toutes", "top_k": 5})  # fmt: skip
    assert first.status_code == 200, first.text
    answer = first.json()
    assert roles(answer["html"]) == ["user", "assistant"]
    assert QUESTIONS["Qui a rompu ses relations avec la Corée du Nord ?"] in html.unescape(answer["html"])
    assert 'class="aq-hl aq-target"' in answer["reader"]  # [1]'s article, at its sentence
    follow = chat_call(app_url, {"page": page, "question": "Et en avril ?", "lang": "fr"}).json()
    assert roles(follow["html"]) == ["user", "assistant"] * 2
    alone = chat_call(app_url, {"page": other, "question": "Et en avril ?", "lang": "fr"}).json()
    assert roles(alone["html"]) == ["user", "assistant"]  # another page's conversation is its own
    assert chat_call(app_url, {"page": page, "question": "   "}).json() == {"html": None}


def test_every_event_the_page_fills_in_ends_with_the_page_id_and_the_language(app_url):
    from ui.web.chat_page import PAGE_ID_AND_LANGUAGE_JS
    from ui.web.style import PAGE_LANGUAGE_JS

    config = httpx.get(app_url + "config", timeout=30).json()
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    filled = [d for d in config["dependencies"] if d.get("js") == PAGE_ID_AND_LANGUAGE_JS]
    assert {d.get("api_name") for d in filled} >= {"question", "open_citation"}
    for dependency in filled:  # the script writes the last two inputs: another order corrupts one
        assert dependency["inputs"][-2:] == [ids["aq-page"], ids["aq-lang"]], dependency.get("api_name")
    for dependency in (d for d in config["dependencies"] if d.get("js") == PAGE_LANGUAGE_JS):
        assert dependency["inputs"][-1] == ids["aq-lang"]


@pytest.mark.parametrize(
    "payload",
    [
        "Qui a gagné ?",
        [1, 2],
        None,
        {"question": 5},
        {"question": ["a"], "page": {"x": 1}},
        {"question": "Qui a gagné ?", "top_k": "beaucoup"},
        {"question": "Qui a gagné ?", "top_k": 10**9},
        {"question": "Qui a gagné ?", "date_from": [2012]},
        {"question": "Qui a gagné ?", "date_from": "demain"},
        {"question": "Qui a gagné ?", "category": {"a": 1}},
        {"question": "Qui a gagné ?", "lang": ["fr"]},
    ],
)
def test_a_page_that_lies_gets_a_message_never_a_server_error(app_url, payload):
    response = chat_call(app_url, payload)
    assert response.status_code == 200, response.text
    chat = response.json()["html"]
    if chat is not None:  # answered, or told what was wrong in the chat
        assert roles(chat) == ["user", "assistant"]
        body = assistant_html(chat)
        assert "aq-answer" in body and "Traceback" not in body


def test_a_category_the_index_lacks_is_refused(app_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(
            "Qui a rompu ses relations avec la Corée du Nord ?",
            "nope",
            None,
            None,
            5,
            "quoted",
            page_id(client),
            "en",
            api_name="/question",
        )
    client.close()


def test_the_http_api_answers_one_question_as_json_in_one_call(app_url):
    base = app_url.rstrip("/") + "/gradio_api/call/ask"

    def call(*data: object) -> dict:
        event_id = httpx.post(base, json={"data": list(data)}, timeout=30).json()["event_id"]
        stream = httpx.get(f"{base}/{event_id}", timeout=120).text
        kind, payload = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.M)[-1]
        assert kind == "complete", stream
        (answer,) = json.loads(payload)
        return answer

    answer = call("Qui a rompu ses relations avec la Corée du Nord ?", "", "", "", 5, "fr", False)
    assert not answer["abstained"] and answer["language"] == "fr"
    first = answer["citations"][0]
    assert first["article_id"] == "000_b58262a57bd1c4a3.txt" and "Corée du Nord" in first["text"]
    assert first["passage"] in {p["chunk_id"] for p in answer["passages"]}
    refused = call("Qui ?", "", "2012-13-45", "", 5, "en", False)
    assert refused == {"error": refused["error"], "code": "option"} and "2012-13-45" in refused["error"]
    assert call("Qui ?", "", "", "", 500, "fr", False)["code"] == "option"  # top_k out of range, in French
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    try:  # gradio_client sends the defaults of what is left out
        again = client.predict("Qui a rompu ses relations avec la Corée du Nord ?", api_name="/ask")
    finally:
        client.close()
    assert again["citations"][0]["text"] == first["text"]


def test_an_address_on_this_machine_or_its_network_is_refused_from_the_web_app(app_url):
    from gradio_client import Client

    from tests.web_server import Route, web_server

    with web_server() as site:
        site.routes["/secret"] = Route("<p>internal</p>")
        client = Client(app_url, verbose=False)
        try:
            for url in (
                site.url("/secret"),
                "http://169.254.169.254/latest/meta-data/",
                "file:///etc/passwd",
            ):
                report, *_ = client.predict(url, "en", api_name="/add_url")
                assert "refused" in report or "Only http and https" in report, report
        finally:
            client.close()
        assert not site.requests  # nothing reached the internal server
