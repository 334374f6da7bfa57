"""An agency's story told by several papers: the assistant reads it once, and its answer says
who else published it, with their links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qa
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from tests.index.test_stories import STORY, wire  # noqa: F401 (a fixture)
from ui.cli import main
from ui.web.render import citation_html

QUESTION = STORY.split(".")[3] + " ?"  # the words of one of the story's sentences


@pytest.fixture
def assistant(wire: Path) -> qa.Assistant:  # noqa: F811
    return qa.Assistant.open(wire, embedder=FakeEmbedder(), threshold=FAKE_THRESHOLD)


def test_a_search_without_filters_reads_one_copy_of_a_story(assistant):
    passages = assistant.search(QUESTION, top_k=10)
    story = [p.article_id for p in passages if p.article_id in ("afp", "monde", "libe")]
    assert story and set(story) == {"afp"}


def test_the_answer_lists_the_other_sources_of_the_cited_story_with_their_links(assistant):
    answer = assistant.ask(QUESTION)
    assert not answer.abstained
    first = answer.citations[0]
    assert first.article_id == "afp"
    assert first.also_published_count == 2
    assert [(p.article_id, p.source, p.url) for p in first.also_published] == [
        ("monde", "Monde", "https://monde.example/monde"),
        ("libe", "Libération", "https://libération.example/libe"),
    ]
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["citations"][0]["also_published_count"] == 2
    assert data["citations"][0]["also_published"][0]["url"] == "https://monde.example/monde"
    assert "stories" in answer.timings


def test_with_a_source_filter_that_source_is_cited_and_the_others_listed(assistant):
    answer = assistant.ask(QUESTION, filters=qa.Filters(source="Monde"))
    first = answer.citations[0]
    assert first.article_id == "monde"
    assert [p.article_id for p in first.also_published] == ["afp", "libe"]


def test_a_story_told_once_lists_no_other_source(assistant):
    answer = assistant.ask(QUESTION, filters=qa.Filters(source="Reuters"))
    assert all(c.also_published_count == 0 and not c.also_published for c in answer.citations)


def test_ask_prints_the_other_sources_under_the_citation(assistant, monkeypatch, capsys):
    monkeypatch.setattr(qa.Assistant, "open", lambda *args, **kwargs: assistant)
    assert main(["ask", QUESTION]) == 0
    out = capsys.readouterr().out
    assert "published by 2 other sources: Monde https://monde.example/monde, " in out


def test_the_web_app_links_the_other_sources_under_the_citation_safely(assistant):
    cited = assistant.ask(QUESTION).citations[0]
    hostile = qa.Publication("x", '<script>alert("t")</script>', "Le <b>Pirate</b>", "javascript:alert(1)")
    cited = cited.__class__(**{**cited.__dict__, "also_published": (*cited.also_published, hostile)})
    shown = citation_html(cited, "1.1", "en")
    assert "Also published by 2 other sources:" in shown
    assert 'href="https://monde.example/monde"' in shown
    assert shown.count('rel="noopener noreferrer nofollow"') == 3  # the original and two copies
    assert "javascript:" not in shown and "<b>" not in shown and "<script>" not in shown
    assert "Le &lt;b&gt;Pirate&lt;/b&gt;" in shown
