"""Composed answers with a real language model (Qwen2.5 0.5B through llama.cpp's server, both
from tests/llm/requirements.txt), offline, on 127.0.0.1: the Python API, the command line, the
HTTP API and the page in Chromium. Properties are asserted, not the model's wording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import index
from qa import Assistant, Endpoint, GenerativeAnswerer
from qa.claims import check_claims
from tests.conftest import write_corpus
from tests.llm.server import available, llama_server
from tests.required import require
from tests.ui.test_web_app import served

pytestmark = pytest.mark.e2e

DRAGON = "Combien de kilos de matériel la capsule Dragon transporte-t-elle ?"
NASA = "Qui est le président de la Nasa ?"
EXE = Path(sys.executable).with_name("article-qa")
SCREENSHOTS = os.environ.get("ARTICLE_QA_SCREENSHOTS")


class CountingEndpoint(Endpoint):
    """The real endpoint, counting the requests it sends."""

    def stream(self, messages):
        object.__setattr__(self, "calls", getattr(self, "calls", 0) + 1)
        return super().stream(messages)


def require_llm() -> None:
    """Skip when the local model is not installed, unless ``make test`` runs (there, its
    absence fails: tests/required.py)."""
    require(available())


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    require_llm()
    with llama_server(threads=1) as url:
        yield url


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory, real_embedder) -> Path:
    root = tmp_path_factory.mktemp("composed")
    index.build([write_corpus(root / "articles")], root / "index", embedder=real_embedder)
    return root / "index"


@pytest.fixture(scope="module")
def assistant(corpus_index, real_embedder) -> Assistant:
    return Assistant.open(corpus_index, embedder=real_embedder)


def test_the_model_answers_with_the_number_and_cites_the_sentence_that_holds_it(assistant, llm_url):
    endpoint = CountingEndpoint(llm_url, "qwen", timeout=120)
    answer = assistant.ask(DRAGON, answerer=GenerativeAnswerer(endpoint))
    assert endpoint.calls == 1
    assert answer.mode == "composed" and answer.check is not None and answer.check.fallback is None
    assert "521" in answer.text
    holding = [c for c in answer.citations if "521" in c.text]
    assert holding and any(f"[{c.number}]" in answer.text for c in holding)
    # Every shipped claim passes the check, read again from the answer as shipped.
    again = check_claims(answer.text, answer.citations, question=answer.question, language=answer.language)
    assert again and all(v.kept for v in again)
    for c in answer.citations:  # the citations are real sentences of the articles
        assert assistant.store.article(c.article_id).text[c.start : c.end] == c.text


def test_no_model_is_asked_where_the_articles_are_silent(assistant, llm_url):
    endpoint = CountingEndpoint(llm_url, "qwen", timeout=120)
    answer = assistant.ask(NASA, answerer=GenerativeAnswerer(endpoint))
    assert answer.abstained and not answer.citations and getattr(endpoint, "calls", 0) == 0


def test_the_command_line_composes_with_the_key_from_the_environment(corpus_index, llm_url):
    env = {**os.environ, "ARTICLE_QA_LLM_KEY": "not-on-the-command-line"}
    args = [
        str(EXE),
        "ask",
        DRAGON,
        "--index",
        str(corpus_index),
        "--llm-url",
        llm_url,
        "--llm-model",
        "qwen",
    ]
    out = subprocess.run([*args, "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mode"] == "composed" and "521" in data["text"] and data["check"]["fallback"] is None
    shown = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0 and "Composed by qwen" in shown.stdout and "521" in shown.stdout
    gone = subprocess.run(
        [*args[:-4], "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "qwen"],
        capture_output=True,
        text=True,
    )
    assert (
        gone.returncode == 0
        and "Quoted instead of composed" in gone.stdout
        and "Traceback" not in gone.stderr
    )


def test_the_page_streams_a_composed_answer_and_links_its_markers(corpus_index, llm_url, tmp_path):
    from tests.ui.test_web_browser import CHROMIUM, new_page

    require(None if Path(CHROMIUM).exists() else f"no {CHROMIUM}: run `make browser`")
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    with served(corpus_index, tmp_path / "serve.log", "--llm-url", llm_url, "--llm-model", "qwen") as url:
        client = Client(url, verbose=False)
        try:  # the HTTP API composes too
            data = client.predict(DRAGON, "", "", "", 5, "fr", True, api_name="/ask")
        finally:
            client.close()
        assert data["mode"] == "composed" and "521" in data["text"]
        with sync_playwright() as playwright:
            context, page, profile = new_page(playwright)
            try:
                page.goto(url)
                page.wait_for_selector("#aq-mode")
                page.evaluate(
                    """() => { window.__drafts = 0; new MutationObserver(() => {
                        if (document.querySelector('#aq-chat .aq-draft')) window.__drafts += 1;
                    }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
                )
                page.fill("#aq-question textarea", DRAGON)
                page.click("#aq-send")
                page.wait_for_selector("#aq-chat .aq-composed", timeout=120_000)
                assert page.evaluate("window.__drafts") > 0  # shown while it was written
                answer = page.locator("#aq-chat .aq-composed").last
                assert "521" in answer.locator(".aq-text").inner_text()
                assert "Rédigée par qwen" in answer.inner_text()
                answer.locator("a.aq-ref").first.click()  # a marker opens its sentence in the article
                page.wait_for_selector("#aq-reader mark.aq-target")
                assert "521" in page.locator("#aq-reader mark.aq-target").inner_text()
                if SCREENSHOTS:
                    page.screenshot(path=str(Path(SCREENSHOTS) / "composed-answer.png"), full_page=True)
                assert page.outside == []
            finally:
                context.close()
                import shutil

                shutil.rmtree(profile, ignore_errors=True)
