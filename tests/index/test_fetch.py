"""Fetching safely and politely (index/fetch.py), against a server the tests start on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

from index.addresses import allowed_address
from index.fetch import Fetcher, FetchError, FetchPolicy, check_url
from tests.web_server import Route, web_server

LOCAL = FetchPolicy(allow_private=True, host_delay=0.0, backoff=0.05, timeout=2.0)


def reason(exc: pytest.ExceptionInfo[FetchError]) -> str:
    return exc.value.reason


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
        "255.255.255.255",
    ],
)
def test_loopback_private_link_local_multicast_and_reserved_addresses_are_refused(address):
    assert not allowed_address(address, allow_private=False)
    assert allowed_address(address, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert allowed_address(address, allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/a", "javascript:alert(1)", "gopher://x/", "http:///nohost"],
)
def test_other_schemes_are_refused_before_anything_is_fetched(url):
    with pytest.raises(FetchError) as exc:
        check_url(url)
    assert reason(exc) == "scheme" and "http" in str(exc.value)


def test_a_server_on_the_loopback_is_refused_unless_the_operator_allows_it():
    with web_server() as server:
        server.routes["/a"] = Route("<p>hello</p>")
        with Fetcher(FetchPolicy(host_delay=0.0)) as fetcher, pytest.raises(FetchError) as exc:
            fetcher.get(server.url("/a"))
        assert reason(exc) == "private_address" and "--allow-private-urls" in str(exc.value)
        assert not server.requests  # refused before connecting
        with Fetcher(LOCAL) as fetcher:
            assert fetcher.get(server.url("/a")).body == b"<p>hello</p>"


def test_the_resolved_address_is_checked_not_the_name(monkeypatch):
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real("127.0.0.1", *a, **k) if host == "news.example" else real(host, *a, **k),
    )
    with Fetcher(FetchPolicy(host_delay=0.0, robots=False)) as fetcher, pytest.raises(FetchError) as exc:
        fetcher.get("http://news.example/article")
    assert reason(exc) == "private_address" and "127.0.0.1" in str(exc.value)


def test_a_redirect_to_an_internal_address_is_refused(monkeypatch):
    # Only the test server's own address counts as public here: a redirect elsewhere on the
    # loopback stands for a redirect into the network the app runs in.
    monkeypatch.setattr(
        "index.addresses.allowed_address", lambda address, allow_private: address == "127.0.0.1"
    )
    with web_server() as server:
        port = server.base.rsplit(":", 1)[1]
        server.routes["/go"] = Route(status=302, headers={"Location": f"http://127.0.0.2:{port}/secret"})
        with Fetcher(FetchPolicy(host_delay=0.0, robots=False)) as fetcher, pytest.raises(FetchError) as exc:
            fetcher.get(server.url("/go"))
        assert reason(exc) == "private_address" and "127.0.0.2" in str(exc.value)


def test_redirects_are_followed_each_checked_and_a_loop_is_cut():
    with web_server() as server:
        server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
        server.routes["/new"] = Route("<p>moved</p>")
        server.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
        server.routes["/to-file"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
        with Fetcher(LOCAL) as fetcher:
            page = fetcher.get(server.url("/old"))
            assert page.url == server.url("/new") and page.body == b"<p>moved</p>"
            with pytest.raises(FetchError) as exc:
                fetcher.get(server.url("/loop"))
            assert reason(exc) == "redirects"
            assert len(server.hits("/loop")) == LOCAL.max_redirects + 1
            with pytest.raises(FetchError) as exc:
                fetcher.get(server.url("/to-file"))
            assert reason(exc) == "scheme"


def test_a_page_that_never_answers_times_out_after_its_retries():
    with web_server() as server:
        server.routes["/slow"] = Route("late", delay=3.0)
        policy = FetchPolicy(allow_private=True, host_delay=0.0, timeout=0.5, retries=1, backoff=0.05)
        with Fetcher(policy) as fetcher, pytest.raises(FetchError) as exc:
            fetcher.get(server.url("/slow"))
        assert reason(exc) == "timeout"
        assert len(server.hits("/slow")) == 2  # the request and one retry


def test_5xx_is_retried_with_backoff_and_404_is_not():
    with web_server() as server:
        server.routes["/flaky"] = Route("<p>up again</p>", fail_first=2)
        with Fetcher(LOCAL) as fetcher:
            assert fetcher.get(server.url("/flaky")).body == b"<p>up again</p>"
            assert len(server.hits("/flaky")) == 3
            with pytest.raises(FetchError) as exc:
                fetcher.get(server.url("/missing"))
            assert reason(exc) == "status" and "404" in str(exc.value)
            assert len(server.hits("/missing")) == 1


def test_too_large_bodies_and_unaccepted_types_are_refused():
    with web_server() as server:
        server.routes["/big"] = Route(b"x" * 3_000_000)
        server.routes["/liar"] = Route(b"y" * 3_000_000, headers={"Content-Length": "10"})
        server.routes["/image"] = Route(b"\x89PNG....", type="image/png")
        with Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, max_mb=1.0)) as fetcher:
            for path in ("/big",):
                with pytest.raises(FetchError) as exc:
                    fetcher.get(server.url(path))
                assert reason(exc) == "too_large"
            with pytest.raises(FetchError) as exc:
                fetcher.get(server.url("/image"))
            assert reason(exc) == "content_type" and "image/png" in str(exc.value)
            # A server that lies about the length gets no more than it said (httpx stops there).
            assert len(fetcher.get(server.url("/liar")).body) <= 1_000_000


def test_robots_txt_is_respected_and_read_once_per_host():
    with web_server() as server:
        server.routes["/robots.txt"] = Route("User-agent: *\nDisallow: /private/\n", type="text/plain")
        server.routes["/private/a"] = Route("<p>no</p>")
        server.routes["/public/a"] = Route("<p>yes</p>")
        server.routes["/public/b"] = Route("<p>yes</p>")
        with Fetcher(LOCAL) as fetcher:
            with pytest.raises(FetchError) as exc:
                fetcher.get(server.url("/private/a"))
            assert reason(exc) == "robots"
            fetcher.get(server.url("/public/a"))
            fetcher.get(server.url("/public/b"))
        assert not server.hits("/private/a") and len(server.hits("/robots.txt")) == 1
        assert all(r.headers["user-agent"].startswith("article-qa/") for r in server.requests)


def test_an_unreachable_robots_txt_forbids_the_host_and_a_missing_one_allows_it():
    with web_server() as server:
        server.routes["/robots.txt"] = Route("down", status=500)
        server.routes["/a"] = Route("<p>a</p>")
        with (
            Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, retries=0)) as fetcher,
            pytest.raises(FetchError) as exc,
        ):
            fetcher.get(server.url("/a"))
        assert reason(exc) == "robots" and not server.hits("/a")
        del server.routes["/robots.txt"]  # 404: everything is allowed
        with Fetcher(LOCAL) as fetcher:
            assert fetcher.get(server.url("/a")).body == b"<p>a</p>"


def test_requests_to_one_host_are_spaced_by_the_delay():
    with web_server() as server:
        server.routes["/a"] = Route("<p>a</p>")
        with Fetcher(FetchPolicy(allow_private=True, host_delay=0.4, robots=False)) as fetcher:
            t = time.monotonic()
            for _ in range(3):
                fetcher.get(server.url("/a"))
            assert time.monotonic() - t >= 0.8


def test_a_conditional_request_gets_not_modified():
    with web_server() as server:
        server.routes["/feed"] = Route("<rss/>", type="application/rss+xml", etag='"v1"')
        with Fetcher(LOCAL) as fetcher:
            first = fetcher.get(server.url("/feed"))
            assert first.etag == '"v1"' and not first.not_modified
            again = fetcher.get(server.url("/feed"), etag=first.etag)
            assert again.not_modified and again.body == b""
        assert server.hits("/feed")[-1].headers["if-none-match"] == '"v1"'
