"""Keeping the served index fresh (ui/web/refresh.py, the index panel's sources): a feed read
again on a timer, a watched folder, an address added on the page; questions keep being answered."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import index
from tests.conftest import write_corpus
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from tests.index.test_web_sources import LOCAL, rss, serve_pages
from tests.web_server import Route, WebServer, web_server
from ui.web import index_html, panel
from ui.web.refresh import Refresher, parse_duration
from ui.web.state import LiveAssistant

DRAGON = ("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT")
LAGOS = ("/actualite/article-2", "Lagos", "Tue, 05 Jun 2012 08:00:00 GMT")


def wait_for(condition, seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def feed_index(server: WebServer, tmp_path: Path, embedder: FakeEmbedder) -> LiveAssistant:
    serve_pages(server)
    server.routes["/feed.rss"] = Route(rss(server, [DRAGON]), type="application/rss+xml", etag='"v1"')
    index.build([server.url("/feed.rss")], tmp_path / "ix", embedder=embedder, fetch=LOCAL)
    live = LiveAssistant.open(tmp_path / "ix", embedder=embedder, threshold=FAKE_THRESHOLD)
    live.fetch_policy = LOCAL
    return live


@pytest.mark.parametrize(
    ("given", "seconds"), [("30m", 1800), ("2h", 7200), ("90s", 90), ("1d", 86400), ("1.5h", 5400)]
)
def test_durations_are_read_with_their_unit(given, seconds):
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["30", "5s", "soon", "-1m", ""])
def test_a_duration_without_a_unit_or_too_short_is_refused_with_words(given):
    with pytest.raises(ValueError, match=r"unit|too often"):
        parse_duration(given)


def test_a_timer_refresh_adds_the_feeds_new_item_and_the_app_answers_from_it(tmp_path, fake_embedder):
    with web_server() as server:
        live = feed_index(server, tmp_path, fake_embedder)
        refresher = Refresher(live, every=0.3).start()
        try:
            assert wait_for(lambda: refresher.last is not None)
            assert refresher.last.added == 0 and refresher.last.error is None
            server.routes["/feed.rss"] = Route(
                rss(server, [DRAGON, LAGOS]), type="application/rss+xml", etag='"v2"'
            )
            new = server.url("/actualite/article-2")
            assert wait_for(lambda: new in live.current.store.article_hashes())
            assert wait_for(lambda: refresher.last is not None and refresher.last.added == 1) or (
                new in live.current.store.article_hashes()
            )
            sources = live.info["sources"]
            assert sources[0]["added"] == 1 and sources[0]["etag"] == '"v2"'
        finally:
            refresher.stop()


def test_questions_are_answered_while_a_refresh_waits_on_a_slow_site(tmp_path, fake_embedder):
    with web_server() as server:
        live = feed_index(server, tmp_path, fake_embedder)
        server.routes["/feed.rss"] = Route(
            rss(server, [DRAGON, LAGOS]), type="application/rss+xml", etag='"v2"'
        )
        server.routes["/actualite/article-2"] = Route(server.routes["/actualite/article-2"].body, delay=1.5)
        refresher = Refresher(live)
        running = threading.Thread(target=refresher.run_once)
        running.start()
        assert wait_for(lambda: server.hits("/actualite/article-2"))  # the refresh is fetching the page
        answer = live.current.ask("Combien de kilos la capsule Dragon transporte-t-elle ?")
        assert running.is_alive()  # answered while the refresh was still waiting on the page
        running.join(timeout=30)
        assert answer.passages and answer.passages[0].url == server.url("/actualite/article-1")
        assert refresher.last is not None and refresher.last.added == 1


def test_a_refresh_that_finds_another_write_running_skips_its_turn(tmp_path, fake_embedder):
    with web_server() as server:
        live = feed_index(server, tmp_path, fake_embedder)
        with live._writer():
            outcome = Refresher(live).run_once()
    assert outcome.error and "another update" in outcome.error and outcome.added == 0


def test_a_watched_folder_is_indexed_within_seconds_of_a_change(tmp_path, fake_embedder):
    corpus = write_corpus(tmp_path / "articles")
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    live = LiveAssistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    refresher = Refresher(live, watch=[corpus]).start()
    try:
        time.sleep(0.5)  # the watch is set up
        (corpus / "phare.txt").write_text("Le phare rouvre\n\nLe phare de Cordouan rouvre samedi.", "utf-8")
        assert wait_for(lambda: "phare.txt" in live.current.store.article_hashes(), 20)
        assert refresher.last is not None and refresher.last.trigger == "watch" and refresher.last.added == 1
        (corpus / "phare.txt").unlink()
        assert wait_for(lambda: "phare.txt" not in live.current.store.article_hashes(), 20)
    finally:
        refresher.stop()


def test_an_address_added_on_the_page_is_checked_then_indexed_and_listed(tmp_path, fake_embedder):
    with web_server() as server:
        live = feed_index(server, tmp_path, fake_embedder)
        for bad in ("file:///etc/passwd", "javascript:alert(1)", "ftp://x/y"):
            out = panel.add_url(live, bad, "fr")
            assert "Seules les adresses http et https" in out
        assert "Écrivez l’adresse" in panel.add_url(live, "  ", "fr")
        out = panel.add_url(live, "https://desk:hunter2@news.example/feed", "fr")
        assert "identifiant ou un mot de passe" in out and "hunter2" not in out
        live.fetch_policy = index.FetchPolicy(host_delay=0.0)  # as served without --allow-private-urls
        out = panel.add_url(live, server.url("/actualite/article-3"), "en")
        assert "internal address" in out and not server.hits("/actualite/article-3")
        live.fetch_policy = LOCAL
        out = panel.add_url(live, server.url("/actualite/article-3"), "fr")
        assert "1 article(s) ajouté(s)" in out
        shown = index_html.sources_html(live.info["sources"], "fr")
        assert shown.count('class="aq-source-item"') == 2 and "flux" in shown and "page" in shown
        assert f'href="{server.url("/actualite/article-3")}"' in shown


def test_the_sources_list_shows_no_server_path_and_escapes_addresses():
    sources = [
        {"location": "/srv/secret/archive/articles", "kind": "path", "read_at": "2026-12-05T10:00:00+00:00",
         "error": "cannot list /srv/secret/archive/articles"},
        {"location": 'https://x.example/<script>"', "kind": "feed", "error": "the server answered 500 <b>"},
    ]  # fmt: skip
    out = index_html.sources_html(sources, "en")
    assert "/srv/secret" not in out and "articles" in out and "its articles are kept" in out
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;" in out


def test_a_served_refresh_of_an_unchanged_feed_is_one_conditional_request(tmp_path, fake_embedder):
    with web_server() as server:
        live = feed_index(server, tmp_path, fake_embedder)
        refresher = Refresher(live)
        refresher.run_once()  # the app's fetcher reads the site's robots.txt once
        server.requests.clear()
        generation = live.current.store.manifest.generation
        outcome = refresher.run_once()
        assert [(r.path, r.headers.get("if-none-match")) for r in server.requests] == [("/feed.rss", '"v1"')]
        assert outcome.added == outcome.changed == 0 and outcome.error is None
        assert live.current.store.manifest.generation == generation


def test_serve_watch_without_folders_watches_the_indexs_own_folders(tmp_path, fake_embedder):
    from ui.web.server import watched_folders

    corpus = write_corpus(tmp_path / "articles")
    index.build([corpus, corpus / "sport.md"], tmp_path / "ix", embedder=fake_embedder)
    live = LiveAssistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    assert watched_folders(live, []) == [corpus.resolve()]  # folders only, not a file source
    assert watched_folders(live, None) == []
    assert watched_folders(live, [str(tmp_path)]) == [tmp_path.resolve()]


def nice_of_this_thread() -> int:
    """The calling thread's nice value, from /proc (field 19 of its stat line)."""
    stat = Path(f"/proc/self/task/{threading.get_native_id()}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_refresh_runs_at_a_lower_priority_and_its_threads_inherit_it() -> None:
    from ui.web.refresh import BACKGROUND_NICE, in_background

    mine = nice_of_this_thread()
    seen: list[int] = []

    def work() -> int:
        child = threading.Thread(target=lambda: seen.append(nice_of_this_thread()))  # as torch's workers
        child.start()
        child.join()
        return nice_of_this_thread()

    assert in_background(work) == min(19, mine + BACKGROUND_NICE) == seen[0]
    assert nice_of_this_thread() == mine  # the caller (a question's thread) keeps its priority

    def fails() -> None:
        raise index.NoArticlesError("nothing readable")

    with pytest.raises(index.NoArticlesError, match="nothing readable"):
        in_background(fails)
