"""The frame guard is written first into the page's ``<head>``, before any of Gradio's scripts."""

from __future__ import annotations

import anyio
import httpx

from ui.web.page_head import FirstInHead

PAGE = b'<!doctype html><html><head><script type="module" src="./assets/index.js"></script></head><body></body></html>'


def make_app(seen: list[dict]):
    async def app(scope, receive, send) -> None:
        seen.append(dict(scope))
        html = scope["path"] == "/"
        body = PAGE if html else b'{"head": "<head>"}'
        length = len(body)
        if scope["method"] == "HEAD":
            body = b""
        kind = b"text/html; charset=utf-8" if html else b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", kind), (b"content-length", str(length).encode())],
            }
        )
        half = len(body) // 2  # sent in two parts, as a streamed response is
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})

    return app


def get(app, path: str, method: str = "GET") -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, headers={"accept-encoding": "gzip, br"})

    return anyio.run(go)


def test_the_page_gets_the_script_first_in_its_head_and_nothing_else_changes():
    seen: list[dict] = []
    app = FirstInHead(make_app(seen), script="<script>window.guarded = 1;</script>")
    page = get(app, "/")
    assert page.text.startswith(
        "<!doctype html><html><head><script>window.guarded = 1;</script><script type="
    )
    assert int(page.headers["content-length"]) == len(page.content)
    # Asked uncompressed from the app, to be written into.
    assert all(name.lower() != b"accept-encoding" for name, _ in seen[-1]["headers"])

    # HEAD says the length that GET gives.
    assert int(get(app, "/", "HEAD").headers["content-length"]) == len(page.content)

    other = get(app, "/config")
    assert other.content == b'{"head": "<head>"}'
    assert any(name.lower() == b"accept-encoding" for name, _ in seen[-1]["headers"])
