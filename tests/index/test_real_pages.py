"""Real news pages (tests/data/web/real): the article kept, the site's frame dropped, the metadata read.

The passages are those of trafilatura's extraction benchmark for these pages (tests/data/README.md).
"""

from __future__ import annotations

import json

import pytest

import index
from index.documents import Article
from index.fetch import FetchPolicy
from index.normalize import normalize_text
from index.readers.formats import read_file
from index.readers.limits import DEFAULT_MAX_FILE_MB
from tests.fakes import FakeEmbedder
from tests.paths import TEST_DATA
from tests.web_server import Route, web_server

REAL = TEST_DATA / "web" / "real"
PAGES = json.loads((REAL / "passages.json").read_text("utf-8"))["pages"]
LOCAL = FetchPolicy(allow_private=True, host_delay=0.0, backoff=0.05, timeout=2.0)
METADATA = {  # what each page says of itself: its title, date, site and author
    "wikimediafoundation.org.turkey.html": (
        "Access to Wikipedia restored in Turkey after more than two and a half years",
        "2020-01-15",
        "Wikimedia Foundation",
        "en",
    ),
    "netzpolitik.org.abmahnungen.html": (
        "Die Cider Connection: Abmahnungen gegen Nutzer von Creative-Commons-Bildern",
        "2016-06-23",
        "netzpolitik.org",
        "de",
    ),
    "boingboing.net.millenials.html": (
        "Hating Millennials - the prejudice you're allowed to boast about",
        "2013-07-19",
        "Boing Boing",
        "en",
    ),
}
DIFFERENCES = {  # the benchmark's passages the reader misses or keeps, as trafilatura's defaults do
    "wikimediafoundation.org.turkey.html": {
        "missed": ["Bu yazının Türkçe’sini buradan okuyabilirsiniz"],  # a link to the translation, above
        "kept": [],
    },
    "netzpolitik.org.abmahnungen.html": {
        "missed": ["Seit Dezember 2015"],  # the lead is only in the page's meta description
        "kept": [],
    },
    "boingboing.net.millenials.html": {
        "missed": [],
        "kept": ["Patti Smith and Stewart Copeland"],  # a related post's teaser below the article
    },
}


def test_the_pages_and_their_passages_are_all_there():
    assert sorted(p["file"] for p in PAGES) == sorted(METADATA)
    assert all(p["with"] and p["without"] for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p["file"])
def test_a_saved_real_page_keeps_the_articles_passages_and_drops_its_frame(page):
    [article] = read_file(REAL / page["file"], REAL, DEFAULT_MAX_FILE_MB)
    assert isinstance(article, Article)
    title, date, _, _ = METADATA[page["file"]]
    assert (article.title, article.date) == (title, date)
    expected = DIFFERENCES[page["file"]]
    assert [p for p in page["with"] if normalize_text(p) not in article.text] == expected["missed"]
    assert [p for p in page["without"] if normalize_text(p) in article.text] == expected["kept"]
    assert len(article.text) > 2000  # the whole article, not a teaser


def test_real_pages_fetched_by_url_carry_their_site_date_and_language(tmp_path):
    with web_server() as server:
        urls = {}
        for name in METADATA:
            path = "/" + name.removesuffix(".html")
            server.routes[path] = Route((REAL / name).read_text("utf-8"))
            urls[name] = server.url(path)
        report = index.build(list(urls.values()), tmp_path / "ix", embedder=FakeEmbedder(), fetch=LOCAL)
    assert sorted(report.added) == sorted(urls.values()) and report.problems == []
    store = index.open_index(tmp_path / "ix")
    for name, url in urls.items():
        article = store.article(url)  # the canonical URL is on the real site's host: not taken
        assert (article.title, article.date, article.source, article.lang) == METADATA[name]
        assert article.url == url
