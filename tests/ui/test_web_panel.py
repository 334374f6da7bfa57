"""The index panel: safe uploads, adding articles while the app answers, rebuilding."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

import index
from qa import IndexLockedError
from tests.conftest import write_corpus
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from ui.web import panel, server
from ui.web.state import LiveAssistant, rebuild_sources
from ui.web.uploads import UploadArea, UploadRefused, safe_name

NEW_ARTICLE = (
    "Le phare de Cordouan rouvre\n\n"
    "Le phare de Cordouan accueille de nouveau les visiteurs depuis samedi. "
    "Les gardiens ont repeint la lanterne en vert émeraude."
)


@pytest.fixture
def live(tmp_path: Path, fake_embedder: FakeEmbedder) -> LiveAssistant:
    corpus = write_corpus(tmp_path / "articles")
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    return LiveAssistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)


@pytest.fixture
def area(live: LiveAssistant) -> UploadArea:
    return UploadArea(live.uploads_dir)


def upload(tmp_path: Path, name: str, content: str | bytes) -> tuple[str, Path]:
    """A file as Gradio hands it over: the browser's name, and a temporary copy."""
    tmp = tmp_path / "gradio-tmp" / str(len(list(tmp_path.glob("gradio-tmp/*"))))
    tmp.mkdir(parents=True)
    path = tmp / "upload"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return name, path


# -- upload safety ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../etc/passwd.txt", "passwd.txt"), ("..\\..\\boot.ini.md", "boot.ini.md"), ("/abs/page.html", "page.html"),
     (".hidden.txt", "hidden.txt"), ("ok\x00bad\n.txt", "okbad.txt"), ("Été à Paris.md", "Été à Paris.md")],
)  # fmt: skip
def test_names_keep_only_their_last_component(given, kept):
    assert safe_name(given) == kept


@pytest.mark.parametrize("given", ["..", "../", "/", "", "  ", "a/.."])
def test_names_with_nothing_left_are_refused(given):
    with pytest.raises(UploadRefused):
        safe_name(given)


def test_a_dotted_path_cannot_write_outside_the_upload_area(tmp_path):
    area = UploadArea(tmp_path / "area" / "uploads")
    saved = area.save("../../../escaped.txt", upload(tmp_path, "x", "Titre\n\nTexte.")[1])
    assert saved == (tmp_path / "area" / "uploads" / "escaped.txt").resolve()
    assert not list(tmp_path.glob("**/escaped.txt"))[1:]  # the one copy is inside the area


def test_a_symlink_in_the_area_is_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    area = UploadArea(tmp_path / "uploads")
    area.root.mkdir()
    (area.root / "link.txt").symlink_to(outside)
    result = area.accept([upload(tmp_path, "link.txt", "Titre\n\nTexte.")])
    assert not result.saved and "inside the upload area" in result.rejected[0].reason
    assert outside.read_text() == "secret"


def test_types_sizes_and_empty_files_are_checked(tmp_path):
    area = UploadArea(tmp_path / "uploads", max_mb=0.001)
    result = area.accept([
        upload(tmp_path, "notes.txt", "Titre\n\nUn texte court."),
        upload(tmp_path, "virus.exe", "MZ"),
        upload(tmp_path, "page.txt.exe", "MZ"),
        upload(tmp_path, "grand.md", "x" * 2000),
        upload(tmp_path, "vide.txt", ""),
    ])  # fmt: skip
    assert [p.name for p in result.saved] == ["notes.txt"]
    reasons = {r.name: r.reason for r in result.rejected}
    assert reasons["virus.exe"].startswith("unsupported file type") and "page.txt.exe" in reasons
    assert reasons["grand.md"].startswith("larger than 0.001 MB") and reasons["vide.txt"] == "empty file"


# -- adding articles ----------------------------------------------------------------------------


def test_uploaded_articles_are_indexed_and_bad_files_listed(live, area, tmp_path):
    before = live.current
    records = '{"id": "r1", "title": "Une dépêche", "text": "Le port de Brest ferme lundi."}\n{oops\n'
    out = panel.add_files(live, area, [
        upload(tmp_path, "phare.txt", NEW_ARTICLE),
        upload(tmp_path, "../fil.jsonl", records),
        upload(tmp_path, "image.png", b"\x89PNG"),
    ], "fr")  # fmt: skip
    assert "Index mis à jour : 2 article(s) ajouté(s)" in out
    # In the interface's language only (the library's English stays out of a French page).
    assert (
        "fil.jsonl:2: JSON mal formé" in out
        and "image.png: refusé (type de fichier non pris en charge" in out
    )
    assert "malformed" not in out and "unsupported" not in out
    english = panel.add_files(live, area, [upload(tmp_path, "other.png", b"\x89PNG")], "en")
    assert "other.png: refused (unsupported file type" in english
    assert str(area.root) not in out  # no server path shown
    assert live.current is not before and live.info["articles"] == 7
    answer = live.current.ask("De quelle couleur est la lanterne du phare de Cordouan ?")
    assert answer.citations[0].article_id == "phare.txt"
    assert "7" in panel.info_html(live, "fr")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_an_upload_loads_its_encoder_first_then_encodes_at_a_lower_priority_and_reports_its_progress(
    live, area, tmp_path, monkeypatch
):
    import contextvars

    from tests.ui.test_web_refresh import nice_of_this_thread
    from ui.web.refresh import BACKGROUND_NICE

    asker = contextvars.ContextVar("asker", default=None)  # as Gradio keeps its event's
    asker.set("this event")
    seen: list[tuple[int, object]] = []
    loads: list[int] = []
    real_encode = live.current.embedder.encode_documents

    def encode(texts, *args, **kwargs):
        # nothing to encode: what loads the encoder first (LiveAssistant.load_for_writing)
        (seen.append((nice_of_this_thread(), asker.get())) if texts else loads.append(nice_of_this_thread()))
        return real_encode(texts, *args, **kwargs)

    monkeypatch.setattr(live.current.embedder, "encode_documents", encode)
    steps: list[object] = []
    mine = nice_of_this_thread()
    out = panel.add_files(
        live,
        area,
        [upload(tmp_path, "phare.txt", NEW_ARTICLE)],
        "fr",
        progress=lambda *a, **k: steps.append(asker.get()),
    )
    assert "1 article(s) ajouté(s)" in out
    assert seen and all(nice == min(19, mine + BACKGROUND_NICE) for nice, _ in seen)
    # Loading is Python holding the GIL: done first, at the questions' priority.
    assert loads[:1] == [mine]
    assert {who for _, who in seen} == {"this event"} and steps and set(steps) == {"this event"}
    assert nice_of_this_thread() == mine


def test_the_same_files_again_change_nothing(live, area, tmp_path):
    panel.add_files(live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE)], "en")
    current = live.current
    out = panel.add_files(live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE)], "en")
    assert "Nothing new" in out and live.current is current


def test_only_unreadable_files_leave_the_index_as_it_was(live, area, tmp_path):
    current = live.current
    out = panel.add_files(live, area, [upload(tmp_path, "a.jsonl", "{oops\n")], "en")
    assert "The index did not change" in out and live.current is current
    assert "No readable article in these files." in out and str(area.root) not in out
    assert not (area.root / "a.jsonl").exists()  # taken out again: it does not come back each time
    # Every file refused at the door: the same, never "nothing new".
    out = panel.add_files(live, area, [upload(tmp_path, "x.exe", "MZ")], "fr")
    assert "L’index n’a pas changé" in out and "Rien de nouveau" not in out


def test_no_files_is_a_message(live, area):
    assert "Choose files to index first." in panel.add_files(live, area, [], "en")


def test_progress_is_reported_per_stage(live, area, tmp_path):
    calls: list[tuple[tuple[int, int], str]] = []
    panel.add_files(
        live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE)], "fr",
        progress=lambda value, desc: calls.append((value, desc)),
    )  # fmt: skip
    stages = [desc for _, desc in calls]
    assert "Lecture des fichiers" in stages and "Calcul des vecteurs" in stages
    assert calls[-1][0][0] == calls[-1][0][1]


def test_questions_during_an_update_are_answered_from_the_old_or_the_new_index(tmp_path):
    slow = FakeEmbedder(delay=0.002)
    index.build([write_corpus(tmp_path / "articles")], tmp_path / "ix", embedder=slow)
    live = LiveAssistant.open(
        tmp_path / "ix", embedder=slow, threshold=0.0
    )  # always an answer: from which index?
    area = UploadArea(live.uploads_dir)
    answers, errors = [], []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                answers.append(live.current.ask("Quelle couleur pour la lanterne du phare de Cordouan ?"))
            except Exception as exc:  # any failure fails the test, below
                errors.append(exc)

    askers = [threading.Thread(target=keep_asking) for _ in range(4)]
    for thread in askers:
        thread.start()
    try:
        old = live.current
        fillers = [
            upload(
                tmp_path, f"dépêche-{i}.txt", f"Dépêche {i}\n\nLe conseil municipal {i} a voté le budget {i}."
            )
            for i in range(40)
        ]
        report = panel.add_files(live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE), *fillers], "fr")
        assert "41 article(s) ajouté(s)" in report, report
        # The assistant taken before the swap still answers, from the old index.
        stale = old.ask("Quelle couleur pour la lanterne du phare de Cordouan ?")
        assert all(c.article_id != "phare.txt" for c in stale.citations)
        count, deadline = len(answers), time.monotonic() + 30
        while len(answers) < count + 8 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in askers:
            thread.join()
    assert not errors
    from_new = [a for a in answers if a.citations and a.citations[0].article_id == "phare.txt"]
    assert from_new and len(from_new) < len(answers)


def test_a_second_writer_is_told_to_wait(live, area, tmp_path):
    with live._writing:  # an update is running
        out = panel.add_files(live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE)], "fr")
    assert "Une mise à jour de l’index est déjà en cours" in out
    with pytest.raises(IndexLockedError), live._writing:
        live.update([area.root])


# -- rebuilding -------------------------------------------------------------------------------


def test_rebuild_sources_keep_directory_roots_and_article_ids(tmp_path):
    (tmp_path / "articles" / "nouvelles").mkdir(parents=True)
    (tmp_path / "articles" / "nouvelles" / "eco.html").write_text("x")
    (tmp_path / "seul.txt").write_text("x")
    uploads = tmp_path / "ix-uploads"
    uploads.mkdir()
    hashes = {
        "nouvelles/eco.html": ("h", str(tmp_path / "articles" / "nouvelles" / "eco.html")),
        "seul.txt": ("h", str(tmp_path / "seul.txt")),
        "r1": ("h", str(uploads / "fil.jsonl") + "#1"),
        "parti.txt": ("h", str(tmp_path / "parti.txt")),
        "sans-fichier": ("h", None),
    }
    roots, missing = rebuild_sources(hashes, uploads)
    assert roots == sorted([tmp_path / "articles", tmp_path / "seul.txt", uploads.resolve()])
    assert missing == sorted([str(tmp_path / "parti.txt"), "sans-fichier"])


def test_rebuild_reads_every_source_again(live, area, tmp_path):
    panel.add_files(live, area, [upload(tmp_path, "phare.txt", NEW_ARTICLE)], "fr")
    (tmp_path / "articles" / "sport.md").unlink()
    shutil.rmtree(tmp_path / "articles" / "nouvelles")
    out = panel.rebuild(live, "fr")
    assert "Index reconstruit : 4 articles" in out
    assert live.info["last_build"]["kind"] == "build"
    assert {a.id for a in live.current.store.articles()} == {"espace.txt", "w1", "w2", "phare.txt"}


# -- first run ----------------------------------------------------------------------------------


def test_first_run_builds_the_sample_then_serves_it(tmp_path, monkeypatch, fake_embedder):
    corpus = write_corpus(tmp_path / "sample")
    monkeypatch.setattr(index, "sample_sources", lambda: [corpus])
    monkeypatch.setattr(index, "load_embedder", lambda *a, **k: fake_embedder)
    said: list[str] = []
    progress: list[str] = []
    live = server.prepare(
        tmp_path / "new" / "ix", progress=lambda s, d, t: progress.append(s), say=said.append
    )
    assert live.info["articles"] == 5 and "embed" in progress
    assert said[0].startswith(f"No index at {tmp_path / 'new' / 'ix'} yet: indexing the bundled sample")
    assert said[-1].startswith("Model loaded (fake-hash-64)")
    assert json.loads((tmp_path / "new" / "ix" / "manifest.json").read_text())["model"] == "fake-hash-64"
