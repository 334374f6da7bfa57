"""The table of files vouches for the index only for the generation it was saved with
(index/readers/file_states.py, index/changes.py): then an update loads no hash but those of
the articles it read; after anything else published, or a save that did not happen, every row
is checked again; and a row that a change made elsewhere no longer holds is forgotten."""

from __future__ import annotations

import json

import index
from index.embedded.database import IndexStore
from index.readers import file_states
from tests.index.test_file_states import TEXT, built, settle


def test_a_trusted_table_spares_loading_every_hash(tmp_path, fake_embedder, opened, monkeypatch):
    articles, ix = built(tmp_path, fake_embedder, opened)
    asked: list[object] = []
    real = IndexStore.article_hashes
    monkeypatch.setattr(
        IndexStore, "article_hashes", lambda self, ids=None: asked.append(ids) or real(self, ids)
    )
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.unchanged == 6 and asked == [[]]
    (articles / "a2.txt").write_text(TEXT.format(n=22), encoding="utf-8")
    asked.clear()
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.changed == ["a2.txt"] and report.unchanged == 5 and asked == [["a2.txt"]]
    (articles / "a5.txt").unlink()  # an article not seen: every hash, to find what is gone
    asked.clear()
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.removed == ["a5.txt"] and None in asked


def test_a_generation_published_by_a_removal_has_the_table_checked_again(tmp_path, fake_embedder, opened):
    """``remove`` publishes without the table: trusted, it would say a4.txt is indexed."""
    articles, ix = built(tmp_path, fake_embedder, opened)
    index.remove(ix, ["a4.txt"])
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.added == ["a4.txt"] and opened == ["a4.txt"]
    opened.clear()
    assert index.update([articles], ix, embedder=fake_embedder).unchanged == 6 and opened == []


def test_an_update_that_published_and_did_not_save_leaves_the_table_untrusted(
    tmp_path, fake_embedder, opened, monkeypatch
):
    """Killed between its publication and its save, an update leaves rows of the files as they
    were: put back byte for byte, a3.txt matches its old row, not what the index now holds."""
    articles, ix = built(tmp_path, fake_embedder, opened)
    edited = articles / "a3.txt"
    original = edited.read_bytes()
    edited.write_text(TEXT.format(n=3) + "Une phrase ajoutée plus tard.\n", encoding="utf-8")
    with monkeypatch.context() as killed:
        killed.setattr(file_states.FileStates, "save", lambda *args, **kwargs: None)
        assert index.update([articles], ix, embedder=fake_embedder).changed == ["a3.txt"]
    edited.write_bytes(original)
    opened.clear()
    report = index.update([articles], ix, embedder=fake_embedder)
    assert report.changed == ["a3.txt"] and opened == ["a3.txt"]
    assert "ajoutée" not in index.open_index(ix).article("a3.txt").text


def test_a_row_naming_an_article_another_source_changed_is_forgotten(tmp_path, fake_embedder, opened):
    """X is read from ``one`` and then, in an update of ``two`` alone, from ``two``: the row
    of one/a.jsonl no longer holds, and the next update of both reads it again."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()

    def record(text: str) -> str:
        return json.dumps({"id": "X", "title": "La sonde", "text": text}, ensure_ascii=False) + "\n"

    (one / "a.jsonl").write_text(
        record("La sonde a atteint Mars ce matin après sept mois."), encoding="utf-8"
    )
    (two / "y.txt").write_text(TEXT.format(n=1), encoding="utf-8")
    settle(one)
    settle(two)
    ix = tmp_path / "ix"
    index.build([one, two], ix, embedder=fake_embedder)
    index.update([one, two], ix, embedder=fake_embedder)  # the settled stats recorded
    (two / "b.jsonl").write_text(
        record("La sonde a survolé Vénus ce soir, trois mois plus tard."), encoding="utf-8"
    )
    settle(two)
    assert index.update([two], ix, embedder=fake_embedder).changed == ["X"]
    opened.clear()
    report = index.update([one, two], ix, embedder=fake_embedder)
    assert "a.jsonl" in opened and report.changed == ["X"]
    assert [p.code for p in report.problems] == ["duplicate"]
    assert "Mars" in index.open_index(ix).article("X").text
