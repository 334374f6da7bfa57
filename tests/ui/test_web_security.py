"""The web app as an attacker and a careless user meet it (issue 10), through its HTTP API."""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.web_users import chat_rows
from tests.ui.test_web_app import asked, assistant_html, served, served_copy

pytestmark = pytest.mark.e2e

EXE = Path(sys.executable).with_name("article-qa")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served_app(sample_index, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A served copy of the sample index, and where it keeps uploaded files."""
    root = tmp_path_factory.mktemp("secure")
    with served_copy(sample_index, root) as url:
        yield url, root / "index-uploads"


def call(url: str, endpoint: str, *data: object) -> tuple[str, object]:
    """POST to an endpoint as any HTTP client can, no gradio_client: (event, data) of the result."""
    base = url.rstrip("/") + "/gradio_api/call/" + endpoint
    event_id = httpx.post(base, json={"data": list(data)}, timeout=30).json()["event_id"]
    stream = httpx.get(f"{base}/{event_id}", timeout=120).text
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.M)
    kind, payload = events[-1]
    return kind, json.loads(payload)


def articles(url: str) -> int:
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        _, info, *_ = client.predict([], "en", api_name="/add")
    finally:
        client.close()
    return int(re.search(r"<dt>Articles</dt><dd>([\d\s\u202f\u00a0]+)</dd>", info).group(1).replace(" ", ""))


# -- item 1: /add takes only what this client uploaded -------------------------------------


def test_add_refuses_a_server_file_that_a_client_names(served_app):
    url, uploads = served_app
    before = articles(url)
    for target in (ROOT / "README.md", ROOT / "pyproject.toml", Path("/etc/hostname")):
        for item in (
            {"path": str(target), "meta": {"_type": "gradio.FileData"}, "orig_name": "x.md"},
            {"path": str(target), "orig_name": "x.md"},
            str(target),
        ):
            kind, _ = call(url, "add", [item], "en")
            assert kind == "error", (target, item)
    assert articles(url) == before
    assert not uploads.exists() or not [p for p in uploads.iterdir() if p.name in ("README.md", "x.md")]


def test_a_file_really_uploaded_by_the_client_is_added(served_app, tmp_path):
    from gradio_client import Client, handle_file

    url, uploads = served_app
    mine = tmp_path / "lune.txt"
    mine.write_text("La Lune s'éloigne\n\nLa Lune s'éloigne de la Terre de 3,8 cm par an.", "utf-8")
    client = Client(url, verbose=False)
    try:
        report, *_ = client.predict([handle_file(str(mine))], "en", api_name="/add")
    finally:
        client.close()
    assert "1 added" in report or "1 article(s) added" in report, report
    assert (uploads / "lune.txt").read_text("utf-8").startswith("La Lune")


def test_the_app_itself_refuses_a_file_outside_gradios_upload_folder(tmp_path, sample_index):
    # Gradio checks the paths of a request first; the app checks again on its own, so that a
    # change in Gradio cannot open the hole again.
    from ui.web import panel
    from ui.web.state import LiveAssistant
    from ui.web.uploads import UploadArea

    copy = tmp_path / "index"
    shutil.copytree(sample_index, copy)
    live = LiveAssistant.open(copy)
    received = tmp_path / "gradio"
    received.mkdir()
    report = panel.add_files(
        live,
        UploadArea(tmp_path / "up"),
        [("README.md", str(ROOT / "README.md"))],
        "en",
        received_in=received,
    )
    assert "this file was not uploaded through this page" in html.unescape(report)
    assert not (tmp_path / "up" / "README.md").exists()


# -- item 3: a bad upload does not wedge the panel ------------------------------------------


def test_a_bad_upload_is_reported_taken_out_and_later_uploads_work(served_app, tmp_path):
    from gradio_client import Client, handle_file

    url, uploads = served_app
    utf16 = tmp_path / "grece.txt"
    utf16.write_bytes(
        "Élections en Grèce\n\nLes Grecs ont voté dimanche pour la troisième fois.".encode("utf-16")
    )
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 16)
    client = Client(url, verbose=False)
    try:
        report, *_ = client.predict(
            [handle_file(str(utf16)), handle_file(str(binary))], "en", api_name="/add"
        )
        assert "image.txt: binary file, not text" in report
        assert "grece.txt" not in report  # read, as UTF-16
        assert (uploads / "grece.txt").exists() and not (uploads / "image.txt").exists()
        good = tmp_path / "mars.txt"
        good.write_text("Mars\n\nLe robot Curiosity s'est posé sur Mars en août 2012.", "utf-8")
        report, *_ = client.predict([handle_file(str(good))], "en", api_name="/add")
        assert "1 article(s) added" in report or "1 added" in report, report
    finally:
        client.close()


# -- items 7 and 11: any question, any length ------------------------------------------------


def test_a_lone_surrogate_and_a_huge_question_neither_break_the_conversation(served_app, monkeypatch):
    import httpx._content
    from gradio_client import Client

    # A browser sends a lone surrogate as the JSON escape "\ud800"; httpx would refuse to.
    ascii_dumps = functools.partial(json.dumps, ensure_ascii=True)
    monkeypatch.setattr(
        httpx._content, "json_dumps", lambda obj, **kw: ascii_dumps(obj, **{**kw, "ensure_ascii": True})
    )
    url, _ = served_app
    client = Client(url, verbose=False)
    try:
        chat, *_ = asked(client, "Qui a rompu ses relations\ud800 avec la Corée du Nord ?")
        assert "Corée du Nord" in html.unescape(assistant_html(chat))
        chat, *_ = asked(client, "Qui a gagné ? " + "x" * 120_000)
        long_question = [body for role, body in chat_rows(chat) if role == "user"][-1]
        assert len(long_question) < 2_500
        chat, *_ = asked(client, "Combien de morts a fait l'ouragan Sandy ?")
        assert "39 morts" in html.unescape(assistant_html(chat))
        assert len(json.dumps(chat)) < 200_000
    finally:
        client.close()


# -- item 2: a running app and command-line updates -------------------------------------------


def test_a_running_app_keeps_answering_through_cli_updates_and_follows_them(sample_index, tmp_path):
    from gradio_client import Client

    more = tmp_path / "more"
    more.mkdir()
    with served_copy(sample_index, tmp_path) as url:
        for n, (title, text) in enumerate(
            [
                (
                    "Le pont de Millau fermé",
                    "Le pont de Millau a été fermé mardi à cause de vents de 130 km/h.",
                ),
                ("Un record à Grenoble", "Le téléphérique de Grenoble a transporté 9 999 passagers lundi."),
            ]
        ):
            (more / f"n{n}.txt").write_text(f"{title}\n\n{text}", "utf-8")
            done = subprocess.run(
                [str(EXE), "index", "update", str(more), "--index", str(tmp_path / "index"), "--quiet"],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        time.sleep(1.5)  # the app looks at the manifest at most once a second
        client = Client(url, verbose=False)
        try:
            answers = []
            for question in [
                "Qui a rompu ses relations avec la Corée du Nord ?",
                "Combien de passagers le téléphérique de Grenoble a-t-il transportés ?",
            ] * 5:
                chat, *_ = asked(client, question)
                answers.append(html.unescape(assistant_html(chat)))
        finally:
            client.close()
    assert not [a for a in answers if "Erreur" in a or "Error" in a]
    assert all("9 999 passagers" in a for a in answers[1::2])


# -- item 8: the login --------------------------------------------------------------------------


def test_the_login_comes_from_the_environment_and_wrong_guesses_are_slow(sample_index, tmp_path):
    secret = "s3cret-for-test"
    with served(sample_index, tmp_path / "serve.log", env={"ARTICLE_QA_AUTH": f"reader:{secret}"}) as url:
        listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert secret not in listing
        started = time.monotonic()
        for guess in ("a", "b", "c"):
            wrong = httpx.post(url + "login", data={"username": "reader", "password": guess}, timeout=30)
            assert wrong.status_code == 400
        assert time.monotonic() - started >= 3.0
        # The server kept answering others meanwhile (the wait does not block its event loop).
        right = httpx.post(url + "login", data={"username": "reader", "password": secret}, timeout=30)
        assert right.status_code == 200 and right.json() == {"success": True}
        assert httpx.get(url + "config", timeout=30).status_code == 401
        assert httpx.get(url + "config", cookies=right.cookies, timeout=30).status_code == 200
