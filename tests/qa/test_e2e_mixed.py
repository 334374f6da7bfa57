"""A mixed collection (French and English articles in one index), questions in either language,
with the real model, FAISS and SQLite (issue 26)."""

from __future__ import annotations

import json
import shutil

import pytest

import index
from qa import Assistant
from tests.paths import SEED, TEST_DATA

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, real_embedder) -> Assistant:
    folder = tmp_path_factory.mktemp("mixed")
    shutil.copy(SEED, folder)  # French: Russia and North Korea
    for article in json.loads((TEST_DATA / "xquad-en-8.json").read_text("utf-8"))["data"][:3]:
        text = "\n\n".join(
            [article["title"].replace("_", " "), *(p["context"] for p in article["paragraphs"])]
        )
        (folder / f"{article['title']}.txt").write_text(text, encoding="utf-8")  # English
    index.build([folder], folder / "ix", embedder=real_embedder)
    return Assistant.open(folder / "ix", embedder=real_embedder)


def test_the_index_holds_both_languages(mixed):
    assert dict(mixed.store.manifest.languages) == {"en": 3, "fr": 1}


def test_an_english_question_cites_the_french_article_in_french(mixed):
    answer = mixed.ask("Which country immediately broke off all relations with North Korea?")
    assert answer.language == "en" and not answer.abstained
    best = answer.citations[0]
    assert best.text == "L’Ukraine a immédiatement rompu toutes les relations avec la Corée du Nord."
    assert best.language == "fr"


def test_a_french_question_cites_the_english_article_in_english(mixed):
    # Which sentence is a matter of quality (docs/quality.md); the article and its language are not.
    answer = mixed.ask("Quelle équipe a remporté le Super Bowl 50 ?")
    assert answer.language == "fr" and not answer.abstained
    assert answer.citations[0].article_id == "Super_Bowl_50.txt" and answer.citations[0].language == "en"


def test_a_french_question_over_the_french_article_is_unchanged(mixed):
    answer = mixed.ask("Qui a rompu ses relations avec la Corée du Nord ?")
    assert not answer.citations[0].language or answer.citations[0].language == "fr"
    assert answer.citations[0].text.startswith("L’Ukraine a immédiatement rompu")
