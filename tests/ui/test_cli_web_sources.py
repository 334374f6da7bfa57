"""Pages and feeds from the command line, as a user runs them: a feed served on 127.0.0.1, the
real model, a question answered with the original's link (index/web.py, ui/cli)."""

from __future__ import annotations

import json

import pytest

from tests.index.test_web_sources import rss, serve_pages
from tests.web_server import Route, web_server
from ui.cli import main

pytestmark = pytest.mark.e2e


def test_a_feed_is_indexed_asked_refreshed_and_listed(tmp_path, capsys):
    ix = str(tmp_path / "ix")
    with web_server() as server:
        serve_pages(server)
        items = [("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT")]
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml", etag='"v1"')
        listing = tmp_path / "sources.txt"
        listing.write_text(f"# the desk's feeds\n{server.url('/feed.rss')}\n", "utf-8")

        # Refused by default: the server is on the loopback.
        assert main(["index", "build", "--sources", str(listing), "--index", ix, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "--allow-private-urls" in err and "Traceback" not in err and not server.hits("/feed.rss")

        assert (
            main(
                [
                    "index",
                    "build",
                    "--sources",
                    str(listing),
                    "--index",
                    ix,
                    "--quiet",
                    "--allow-private-urls",
                ]
            )
            == 0
        )
        assert "1 added" in capsys.readouterr().out

        assert (
            main(["ask", "Combien de kilos de matériel la capsule Dragon transporte-t-elle ?", "--index", ix])
            == 0
        )
        out = capsys.readouterr().out
        assert "521 kg" in out and server.url("/actualite/article-1") in out and "Le Fil Test" in out
        assert main(["ask", "Combien de kilos la capsule transporte-t-elle ?", "--index", ix, "--json"]) == 0
        first = json.loads(capsys.readouterr().out)["citations"][0]
        assert first["url"] == server.url("/actualite/article-1") and first["source"] == "Le Fil Test"

        # A new item, and a refresh with no source named: the index's own.
        items.append(("/actualite/article-2", "Lagos", "Tue, 05 Jun 2012 08:00:00 GMT"))
        server.routes["/feed.rss"] = Route(rss(server, items), type="application/rss+xml", etag='"v2"')
        assert main(["index", "update", "--index", ix, "--quiet", "--allow-private-urls", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["added"] == [server.url("/actualite/article-2")] and report["unchanged"] == 0

    # The server is gone: the refresh says so, and keeps every article.
    assert main(["index", "update", "--index", ix, "--quiet", "--allow-private-urls"]) == 0
    captured = capsys.readouterr()
    assert "cannot be reached" in captured.err and "0 removed" in captured.out
    assert main(["index", "info", "--index", ix]) == 0
    info = capsys.readouterr().out
    assert "articles    2" in info and "feed  " + server.url("/feed.rss") in info
    assert "last change" in info and "1 added" in info and "last error:" in info
