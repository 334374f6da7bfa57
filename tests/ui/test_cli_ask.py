"""``article-qa ask``: the dates it prints are the articles' own, as their sources wrote them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import index
import qa
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from tests.index.test_date_filters import write_dated
from ui.cli import main


@pytest.fixture
def dated_assistant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> qa.Assistant:
    """What ``ask`` opens: an assistant over articles dated in several ways (fake embedder)."""
    index.build([write_dated(tmp_path / "articles")], tmp_path / "ix", embedder=FakeEmbedder())
    assistant = qa.Assistant.open(tmp_path / "ix", embedder=FakeEmbedder(), threshold=FAKE_THRESHOLD)
    monkeypatch.setattr(qa.Assistant, "open", lambda *args, **kwargs: assistant)
    return assistant


def test_ask_with_dates_prints_the_articles_of_that_day_with_their_dates_as_written(dated_assistant, capsys):
    code = main(
        ["ask", "Quand le conseil municipal s'est-il réuni ?", "--from", "2012-05-22", "--to", "2012-05-22"]
    )
    out = capsys.readouterr().out
    assert code == 0
    shown = re.findall(r"^\[\d+\] Article \S+, (.*) — characters", out, re.M) or re.findall(
        r"^  - Article \S+ \((.*)\):", out, re.M
    )
    assert sorted(shown) == ["2012-05-22T10:00+02:00", "22 mai 2012", "Tue, 22 May 2012 10:00:00 GMT"]


def test_ask_prints_the_page_beside_a_citation_of_a_pdf(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.index.test_paged_articles import write_paged

    index.build([write_paged(tmp_path / "articles")], tmp_path / "ix", embedder=FakeEmbedder())
    assistant = qa.Assistant.open(tmp_path / "ix", embedder=FakeEmbedder(), threshold=FAKE_THRESHOLD)
    monkeypatch.setattr(qa.Assistant, "open", lambda *args, **kwargs: assistant)
    assert main(["ask", "Les dépenses ont-elles baissé ?"]) == 0
    out = capsys.readouterr().out
    assert "[1] Le rapport annuel, 2012-05-22T10:00:00+02:00, p. 2 — characters" in out
    assert main(["ask", "Combien de kilos de matériel la capsule transporte-t-elle ?"]) == 0
    cited = re.findall(r"^\[\d+\] .*$", capsys.readouterr().out, re.M)
    assert cited and not any(", p. " in line for line in cited)  # articles without pages name none
