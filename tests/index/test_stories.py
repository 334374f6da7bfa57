"""Stories: copies of one article published by many sources are found when indexed, and an
unfiltered search reads one article of each story."""

import json
import random
import sqlite3
from pathlib import Path

import pytest

import index
from index import stories
from index.filters import Filters
from tests.fakes import FakeEmbedder

VOCABULARY = [f"terme{i}" for i in range(2000)]


def text_of(seed: int, sentences: int = 25) -> str:
    """A news-length text (300 words) of made-up words, the same for the same seed."""
    rng = random.Random(seed)
    return " ".join(" ".join(rng.choice(VOCABULARY) for _ in range(12)) + "." for _ in range(sentences))


def edited(text: str, *changes: int) -> str:
    """``text`` with the words at these places changed (a headline fixed, a name spelled out)."""
    words = text.split(" ")
    for place in changes:
        words[place] = "modifié"
    return " ".join(words)


STORY = text_of(1)


def record(article_id: str, text: str, source: str) -> dict[str, str]:
    return {
        "id": article_id,
        "title": f"Titre de {article_id}",
        "text": text,
        "source": source,
        "url": f"https://{source.lower()}.example/{article_id}",
    }


def write(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def wire(tmp_path: Path) -> Path:
    """An index of one agency story in three papers (one with words changed) and twelve other
    articles (enough for an update of one article not to merge)."""
    corpus = write(
        tmp_path / "corpus" / "wire.jsonl",
        [
            record("afp", STORY, "AFP"),
            record("autre", text_of(2), "Reuters"),
            record("monde", edited(STORY, 10, 100, 200), "Monde"),
            record("libe", STORY, "Libération"),
            *(record(f"n{i}", text_of(10 + i), "Reuters") for i in range(11)),
        ],
    )
    target = tmp_path / "ix"
    index.build([corpus], target, embedder=FakeEmbedder())
    return target


def articles_found(store, filters=None) -> list[str]:
    """The articles of the chunks a dense search of the story's own words finds."""
    query = FakeEmbedder().encode_queries([STORY])[0]
    hits = store.dense_search(query, 50, filters=filters)
    chunks = store.chunks([cid for cid, _ in hits])
    return list(dict.fromkeys(chunks[cid].chunk.article_id for cid, _ in hits))


def lexical_found(store, filters=None) -> list[str]:
    terms = STORY.split(" ")[:40]
    hits = store.lexical_search([t.strip(".") for t in terms], 50, filters=filters)
    chunks = store.chunks([cid for cid, _ in hits])
    return list(dict.fromkeys(chunks[cid].chunk.article_id for cid, _ in hits))


def test_a_copy_with_a_few_words_changed_is_one_story_and_another_text_is_not():
    story, copy, other = (stories.signature(t) for t in (STORY, edited(STORY, 10, 100, 200), text_of(2)))
    assert story is not None and copy is not None and other is not None
    assert stories.similarity(story, copy) >= stories.THRESHOLD
    assert stories.similarity(story, other) < 0.1
    assert set(stories.band_keys(story)) & set(stories.band_keys(copy))
    assert stories.signature("  ...  ") is None


def test_copies_join_the_story_of_the_first_indexed_one(wire):
    store = index.open_index(wire)
    rows = dict(store.db.execute("SELECT id, story FROM articles"))
    assert rows["monde"] == rows["libe"] == rows["afp"]
    assert rows["autre"] != rows["afp"]
    count, copies = store.copies(["monde"])["monde"]
    assert count == 2
    assert [(c.article_id, c.source, c.url) for c in copies] == [
        ("afp", "AFP", "https://afp.example/afp"),
        ("libe", "Libération", "https://libération.example/libe"),
    ]
    assert "autre" not in store.copies(["autre"])


def test_an_unfiltered_search_reads_one_copy_and_a_source_filter_its_own(wire):
    store = index.open_index(wire)
    for found in (articles_found(store), lexical_found(store)):
        assert "afp" in found
        assert not {"monde", "libe"} & set(found)
    for found in (
        articles_found(store, Filters(source="Monde")),
        lexical_found(store, Filters(source="Monde")),
    ):
        assert found == ["monde"]


def test_an_update_adds_a_copy_to_the_story_it_belongs_to(wire, tmp_path):
    later = write(tmp_path / "later" / "more.jsonl", [record("figaro", edited(STORY, 50), "Figaro")])
    index.update([later], wire, embedder=FakeEmbedder())
    store = index.open_index(wire)
    assert len(store.segments) == 2  # the copy is in the update's own segment, its story in the first
    assert store.copies(["figaro"])["figaro"][0] == 3
    assert "figaro" not in articles_found(store)
    assert articles_found(store, Filters(source="Figaro")) == ["figaro"]


def test_with_its_first_article_removed_a_story_is_still_found_and_still_gathers_copies(wire, tmp_path):
    index.remove(wire, ["afp"])
    store = index.open_index(wire)
    assert "monde" in articles_found(store)  # the earliest copy left stands for the story
    assert "libe" not in articles_found(store)
    assert "monde" in lexical_found(store)
    later = write(tmp_path / "later" / "more.jsonl", [record("figaro", STORY, "Figaro")])
    index.update([later], wire, embedder=FakeEmbedder())
    index.compact(wire)  # merged: the removed article's story is kept, its copies are live
    store = index.open_index(wire)
    assert len(store.segments) == 1
    assert store.copies(["figaro"])["figaro"][0] == 2
    assert articles_found(store)[0] == "monde"


def test_an_index_written_before_stories_opens_searches_and_updates(wire, tmp_path):
    """Segments written by format 6 before stories lack the column and tables: every article
    of theirs is a story of its own."""
    (segment,) = index.open_index(wire).segments
    db = sqlite3.connect(segment.path / "index.sqlite")
    db.executescript(
        "DROP INDEX articles_story; ALTER TABLE articles DROP COLUMN story; "
        "DROP TABLE stories; DROP TABLE story_bands;"
    )
    db.close()
    store = index.open_index(wire)
    assert not store.segments[0].has_stories
    assert set(articles_found(store)) >= {"afp", "monde", "libe"}
    assert store.copies(["afp"]) == {}
    later = write(tmp_path / "later" / "more.jsonl", [record("figaro", STORY, "Figaro")])
    index.update([later], wire, embedder=FakeEmbedder())
    index.compact(wire)
    store = index.open_index(wire)
    assert store.manifest.counts["articles"] == 16
    assert "figaro" in articles_found(store)  # no story to join: an old article's text has no signature
