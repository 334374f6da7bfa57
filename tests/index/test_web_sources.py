"""Pages and feeds as sources, remembered by the index and refreshed (index/web.py, index/sources.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import index
from index.errors import IndexDamagedError, NoArticlesError, OptionError
from index.fetch import FetchPolicy
from index.sources import SourceState, read_sources_file
from tests.fakes import FakeEmbedder
from tests.paths import TEST_DATA
from tests.web_server import Route, WebServer, web_server

LOCAL = FetchPolicy(allow_private=True, host_delay=0.0, backoff=0.05, timeout=2.0)
PAGES = TEST_DATA / "web"


def page(n: int) -> str:
    return (PAGES / f"article-{n}.html").read_text("utf-8")


def rss(server: WebServer, items: list[tuple[str, str, str]], content: dict[str, str] | None = None) -> str:
    """An RSS 2.0 feed of (path, title, date) items; ``content``: full text by path."""
    body = []
    for path, title, date in items:
        full = (content or {}).get(path)
        encoded = f"<content:encoded><![CDATA[{full}]]></content:encoded>" if full else ""
        body.append(
            f"<item><title>{title}</title><link>{server.url(path)}</link><pubDate>{date}</pubDate>"
            f"<author>desk@example.org (Agence Test)</author><description>Résumé.</description>{encoded}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Le Fil Test</title>'
        f"<link>{server.base}</link><description>Un fil</description>{''.join(body)}</channel></rss>"
    )


def serve_pages(server: WebServer) -> None:
    for n in (1, 2, 3):
        server.routes[f"/actualite/article-{n}"] = Route(page(n))


def test_a_page_is_read_with_its_metadata_and_its_canonical_url_as_id(tmp_path):
    with web_server() as server:
        serve_pages(server)
        server.routes["/share/dragon?utm_source=x"] = Route(page(1))  # the same page by another link
        report = index.build(
            [server.url("/actualite/article-1"), server.url("/share/dragon?utm_source=x")],
            tmp_path / "ix",
            embedder=FakeEmbedder(),
            fetch=LOCAL,
        )
    article_id = server.url("/actualite/article-1")
    assert report.added == [article_id]
    assert [p.code for p in report.problems] == ["duplicate"]  # one article, not two
    article = index.open_index(tmp_path / "ix").article(article_id)
    assert article.title == "États-Unis : Lancement réussi pour Space X Dragon"
    assert article.date == "2012-05-22" and article.url == article_id
    assert article.source == "Wikinews, la source d'informations libre"
    assert "Falcon 9" in article.text
    assert "Mentions légales" not in article.text and "Accueil" not in article.text  # the page's frame


def test_a_canonical_url_on_another_host_is_not_taken_as_the_id(tmp_path):
    with web_server() as server:
        server.routes["/copy"] = Route(
            page(2).replace('href="/actualite/article-2"', 'href="https://lemonde.example/vrai"')
        )
        report = index.build([server.url("/copy")], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert report.added == [server.url("/copy")]


def test_a_link_only_feed_fetches_each_item_and_a_refresh_of_an_unchanged_feed_is_one_request(tmp_path):
    embedder = FakeEmbedder()
    with web_server() as server:
        serve_pages(server)
        items = [
            ("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT"),
            ("/actualite/article-2", "Lagos", "Tue, 05 Jun 2012 08:00:00 GMT"),
        ]
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml", etag='"v1"')
        report = index.build([server.url("/feed.rss")], tmp_path / "ix", embedder=embedder, fetch=LOCAL)
        assert sorted(report.added) == [
            server.url("/actualite/article-1"),
            server.url("/actualite/article-2"),
        ]
        store = index.open_index(tmp_path / "ix")
        lagos = store.article(server.url("/actualite/article-2"))
        # the feed's date and name, not the page's
        assert lagos.date.startswith("2012-06-05") and lagos.source == "Le Fil Test"
        generation = store.manifest.generation
        [state] = store.manifest.sources
        assert state["kind"] == "feed" and state["etag"] == '"v1"' and state["added"] == 2

        # Refresh: no source named, the index's own; the feed answers 304, nothing else is asked.
        server.requests.clear()
        embedder.calls.clear()
        report = index.update([], tmp_path / "ix", embedder=embedder, fetch=LOCAL)
        assert [r.path for r in server.requests] == ["/robots.txt", "/feed.rss"]
        assert server.requests[1].headers["if-none-match"] == '"v1"'
        assert not report.added and not report.removed and not embedder.calls
        assert index.open_index(tmp_path / "ix").manifest.generation == generation  # nothing written

        # One new item: the feed and that item's page only, and one article encoded.
        items.append(("/actualite/article-3", "Archéologie", "Fri, 22 Jun 2012 08:00:00 GMT"))
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml", etag='"v2"')
        server.requests.clear()
        report = index.update([], tmp_path / "ix", embedder=embedder, fetch=LOCAL)
        assert [r.path for r in server.requests] == ["/robots.txt", "/feed.rss", "/actualite/article-3"]
        assert report.added == [server.url("/actualite/article-3")] and report.unchanged == 0
        [state] = index.open_index(tmp_path / "ix").manifest.sources
        assert state["etag"] == '"v2"' and state["added"] == 1 and len(state["items"]) == 3


def test_a_full_content_atom_feed_is_read_without_fetching_its_links(tmp_path):
    text = " ".join(["La sonde a transmis ses premières images de la surface de Mars ce matin."] * 8)
    with web_server() as server:
        server.routes["/atom.xml"] = Route(
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Agence Atom</title><id>urn:test</id><updated>2012-08-06T10:00:00Z</updated>"
            f'<entry><title>Curiosity sur Mars</title><link href="{server.url("/mars")}"/><id>urn:mars</id>'
            "<updated>2012-08-06T10:00:00Z</updated><author><name>Jeanne Martin</name></author>"
            f'<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content></entry></feed>',
            type="application/atom+xml",
        )
        report = index.build([server.url("/atom.xml")], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
        assert not server.hits("/mars")
    article = index.open_index(tmp_path / "ix").article(server.url("/mars"))
    assert report.added == [server.url("/mars")] and article.date.startswith("2012-08-06")
    assert article.title == "Curiosity sur Mars" and article.text.startswith("La sonde a transmis")


def test_nothing_is_removed_because_a_source_could_not_be_read(tmp_path):
    with web_server() as server:
        serve_pages(server)
        items = [("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT")]
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml")
        sources = [server.url("/feed.rss"), server.url("/actualite/article-2")]
        index.build(sources, tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
        server.routes.clear()  # the feed and the page now answer 404
        report = index.update([], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert not report.removed and {p.code for p in report.problems} == {"status"}
    store = index.open_index(tmp_path / "ix")
    assert store.manifest.counts["articles"] == 2
    errors = {s["location"]: s.get("error") for s in store.manifest.sources}
    assert all("404" in (e or "") for e in errors.values())  # each source's last error is recorded
    info = index.index_info(tmp_path / "ix")
    assert len(info.sources) == 2 and all(s.error for s in info.sources)


def test_an_item_whose_page_fails_is_reported_the_others_are_read_and_it_is_tried_again(tmp_path):
    with web_server() as server:
        serve_pages(server)
        items = [
            ("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT"),
            ("/gone", "Perdu", "Tue, 22 May 2012 09:00:00 GMT"),
        ]
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml", etag='"v1"')
        report = index.build([server.url("/feed.rss")], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
        assert report.added == [server.url("/actualite/article-1")]
        assert [(p.path, p.code) for p in report.problems] == [(server.url("/gone"), "status")]
        server.routes["/gone"] = Route(page(3))
        report = index.update([], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert report.added == [server.url("/actualite/article-3")]  # its canonical URL


def test_a_private_url_is_refused_without_the_operators_leave(tmp_path):
    with web_server() as server:
        serve_pages(server)
        with pytest.raises(NoArticlesError) as exc:
            index.build(
                [server.url("/actualite/article-1")],
                tmp_path / "ix",
                embedder=FakeEmbedder(),
                fetch=FetchPolicy(host_delay=0.0),
            )
        assert not server.requests
    assert "--allow-private-urls" in str(exc.value) and not (tmp_path / "ix").exists()


def test_files_and_urls_in_one_index_and_a_refresh_reads_them_all(tmp_path, corpus):
    with web_server() as server:
        serve_pages(server)
        index.build(
            [corpus, server.url("/actualite/article-1")],
            tmp_path / "ix",
            embedder=FakeEmbedder(),
            fetch=LOCAL,
        )
        (corpus / "new.txt").write_text("Un nouvel article\n\nIl pleut à Brest.", "utf-8")
        report = index.update([], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert report.added == ["new.txt"]
    kinds = {s.kind for s in index.index_info(tmp_path / "ix").sources}
    assert kinds == {"path", "page"}


def test_an_index_without_recorded_sources_asks_for_them(tmp_path, corpus):
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    path = tmp_path / "ix" / "manifest.json"
    data = json.loads(path.read_text())
    data.pop("sources")
    path.write_text(json.dumps(data))
    with pytest.raises(OptionError) as exc:
        index.update([], tmp_path / "ix", embedder=FakeEmbedder())
    assert "index update SOURCE" in str(exc.value)


def test_damaged_sources_in_the_manifest_are_refused(tmp_path, corpus):
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    path = tmp_path / "ix" / "manifest.json"
    data = json.loads(path.read_text())
    data["sources"] = [{"location": 3}]
    path.write_text(json.dumps(data))
    with pytest.raises(IndexDamagedError) as exc:
        index.open_index(tmp_path / "ix")
    assert "sources" in str(exc.value)


def test_a_sources_file_lists_one_source_a_line(tmp_path):
    listing = tmp_path / "sources.txt"
    listing.write_text("# my sources\nhttps://example.org/feed.xml\n\n  articles/  \n", "utf-8")
    assert read_sources_file(listing) == ["https://example.org/feed.xml", "articles/"]
    with pytest.raises(OptionError):
        read_sources_file(tmp_path / "none.txt")


def test_a_source_state_round_trips_and_refuses_wrong_values():
    state = SourceState("https://x.example/feed", kind="feed", etag='"a"', items={"u": "d"}, added=2)
    assert SourceState.from_dict(state.to_dict()) == state
    assert SourceState.from_dict({"location": "x", "kind": "ftp"}) is None
    assert SourceState.from_dict({"location": "x", "added": "2"}) is None
    assert SourceState.from_dict(["x"]) is None


def test_sources_file_location_is_absolute(tmp_path, corpus, monkeypatch):
    monkeypatch.chdir(corpus.parent)
    index.build([Path(corpus.name)], tmp_path / "ix", embedder=FakeEmbedder())
    [state] = index.open_index(tmp_path / "ix").manifest.sources
    assert state["location"] == str(corpus.resolve())


def test_a_pdf_and_a_word_document_by_url_keep_their_pages_and_metadata(tmp_path):
    from tests.index.readers.samples import docx_bytes, pdf_bytes

    report_pages = [
        ["Le rapport annuel", "Le budget est en hausse de 3 %."],
        ["Page deux : les dépenses ont baissé."],
    ]
    with web_server() as server:
        server.routes["/rapport.pdf"] = Route(
            pdf_bytes(report_pages, {"Author": "Jeanne Dupont"}), type="application/pdf"
        )
        server.routes["/note.docx"] = Route(
            docx_bytes([("title", "Note de synthèse"), ("p", "La commune a voté le budget du port.")]),
            type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        server.routes["/scan.pdf"] = Route(pdf_bytes([[]], {}), type="application/pdf")
        sources = [server.url(p) for p in ("/rapport.pdf", "/note.docx", "/scan.pdf")]
        report = index.build(sources, tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert sorted(report.added) == sorted(sources[:2])
    assert [(p.path, p.code) for p in report.problems] == [(sources[2], "no_text_layer")]
    pdf = index.open_index(tmp_path / "ix").article(sources[0])
    assert pdf.author == "Jeanne Dupont" and pdf.page_at(pdf.text.index("les dépenses")) == 2
    assert pdf.url == sources[0] and pdf.source == "127.0.0.1"


def test_a_hostile_feed_expands_no_entity_reads_no_file_and_fetches_a_bounded_number_of_items(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("index.web.MAX_NEW_ITEMS", 3)
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 9))
    story = "Le conseil municipal a voté le budget du port de Brest pour l'année {n}. " * 3
    with web_server() as server:
        serve_pages(server)
        server.routes["/bomb.rss"] = Route(
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{laughs}<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<rss version="2.0"><channel><title>&l8;&x;</title>'
            f"<item><title>&l8;&x;</title><link>{server.url('/actualite/article-1')}</link></item></channel></rss>",
            type="application/rss+xml",
        )
        for n in range(50):
            server.routes[f"/item/{n}"] = Route(
                f"<html><body><article><p>{story.format(n=n)}</p></article></body></html>"
            )
        many = [(f"/item/{n}", f"Budget {n}", "Tue, 22 May 2012 08:00:00 GMT") for n in range(50)]
        server.routes["/many.rss"] = Route(rss(server, many), type="application/rss+xml")
        index.build([server.url("/bomb.rss")], tmp_path / "bomb", embedder=FakeEmbedder(), fetch=LOCAL)
        report = index.build([server.url("/many.rss")], tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
        fetched = [r.path for r in server.requests if r.path.startswith("/item/")]
    [bombed] = index.open_index(tmp_path / "bomb").article_hashes()
    article = index.open_index(tmp_path / "bomb").article(bombed)
    assert len(article.title) < 200 and "lollol" not in article.title  # no entity expanded
    assert "root:" not in article.title + article.text  # no file read
    assert len(fetched) == 3 and len(report.added) == 3 and any(p.code == "later" for p in report.problems)


def test_a_file_added_alone_then_its_folder_is_read_once_on_refresh(tmp_path, corpus):
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    (corpus / "new.txt").write_text("Un nouvel article\n\nIl pleut à Brest.", "utf-8")
    assert index.update([corpus / "new.txt"], tmp_path / "ix", embedder=FakeEmbedder()).added == ["new.txt"]
    report = index.update([], tmp_path / "ix", embedder=FakeEmbedder())
    assert not report.problems and report.unchanged == 6  # not a duplicate of itself
    assert len(index.open_index(tmp_path / "ix").manifest.sources) == 2  # both remembered


def test_a_url_with_a_password_is_refused_and_the_secret_is_neither_kept_nor_shown(tmp_path, caplog):
    with web_server() as server:
        serve_pages(server)
        secret = server.url("/actualite/article-1").replace("http://", "http://desk:hunter2@")
        with pytest.raises(NoArticlesError) as exc:
            index.build([secret], tmp_path / "none", embedder=FakeEmbedder(), fetch=LOCAL)
        assert "hunter2" not in str(exc.value) and "user name or password" in str(exc.value)
        report = index.build(
            [secret, "ftp://desk:hunter2@example.org/x", server.url("/actualite/article-2")],
            tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL,
        )  # fmt: skip
        assert not server.hits("/actualite/article-1")
    assert report.added == [server.url("/actualite/article-2")]
    assert {p.code for p in report.problems} == {"credentials", "scheme"}
    shown = " ".join(str(p) for p in report.problems) + caplog.text
    kept = json.dumps(index.open_index(tmp_path / "ix").manifest.sources)
    assert "hunter2" not in shown and "hunter2" not in kept and "desk" not in kept
