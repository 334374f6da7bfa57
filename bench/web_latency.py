"""How fast the web app starts and answers, measured as a person meets it.

1. Start-up: from launching ``article-qa serve`` to a page that answers a question, on the
   first run (no index: the sample is built) and with an existing index.
2. Send to answer: in headless Chromium, from clicking "Envoyer" to the answer showing,
   for one person, then for eight people pressing send at the same moment (eight pages
   of one Chromium on the same machine as the server: their rendering competes with it).
3. The same through the HTTP API (gradio_client, the page's Gradio event ``/question``),
   which leaves the pages' rendering out.

    .venv/bin/python -m bench.web_latency                  # everything (about 3 minutes)
    .venv/bin/python -m bench.web_latency --index DIR      # skip the first run, use DIR
    .venv/bin/python -m bench.web_latency --json
    .venv/bin/python -m bench.web_latency --index DIR --startups 5   # start-up alone, 5 times

Needs Debian's chromium (``make browser``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.web_users import burst
from bench.webapp import QUESTIONS, Server
from qa.eval import percentile

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # eight pages at once: none of them is a throttled background tab
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip


def wait_until_answering(server: Server, timeout: float = 600) -> dict[str, float]:
    """Seconds from launching the server until its page is served, and until a question sent
    the moment it is served is answered (through the HTTP API's ``/ask``, plain HTTP: no
    client library's own start in the figure)."""
    served = None
    deadline = server.started + timeout
    while served is None:
        server.check_running()
        if time.perf_counter() > deadline:
            raise SystemExit(f"the server did not start in {timeout}s:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    served = time.perf_counter() - server.started
        except OSError:
            time.sleep(0.02)
    answer = ask_over_http(server.url, QUESTIONS[0])
    answered = time.perf_counter() - server.started
    if not answer.get("citations"):
        raise SystemExit(f"the first question was not answered from the articles: {answer}")
    return {"page_served_s": round(served, 2), "first_answer_s": round(answered, 2)}


def ask_over_http(url: str, question: str) -> dict:
    """``/ask``'s answer (``Answer.to_dict()``) to ``question``: Gradio's two calls, plain HTTP."""
    request = urllib.request.Request(
        url + "gradio_api/call/ask",
        data=json.dumps({"data": [question]}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        event = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/ask/{event}", timeout=60) as response:
        stream = response.read().decode("utf-8")
    event_name, _, rest = stream.partition("event: ")[2].partition("\n")
    if event_name.strip() != "complete":
        raise SystemExit(f"the first question failed: {stream[:300]}")
    return json.loads(rest.partition("data: ")[2].strip())[0]


ANSWER_SHOWN = """n => new Promise(resolve => {
    const shown = () => document.querySelectorAll('#aq-chat .aq-answer').length > n;
    if (shown()) return resolve();
    new MutationObserver((_, watching) => {
        if (shown()) { watching.disconnect(); resolve(); }
    }).observe(document.body, {childList: true, subtree: true});
})"""
"""Resolves once the page shows more than ``n`` answers. The page's own changes wake it, where
Playwright's ``wait_for_function`` runs its check at every animation frame: eight pages then
drew 60 frames a second each while they waited, on the two cores that also serve them."""


async def _press_send(page, question: str, barrier: asyncio.Barrier | None) -> float:
    before = await page.locator("#aq-chat .aq-answer").count()
    await page.fill("#aq-question textarea", question)
    if barrier is not None:
        await barrier.wait()
    started = time.perf_counter()
    await page.click("#aq-send")
    await page.evaluate(ANSWER_SHOWN, before)
    return time.perf_counter() - started


async def send_to_answer(url: str, users: int, rounds: int) -> list[float]:
    """Seconds from click to answer, for ``users`` pages pressing send together, ``rounds`` times."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile of its own
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        pages = []
        for _ in range(users):  # one context each: eight people, eight sessions
            context = await browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector("#aq-question textarea")
            pages.append(page)
        await _press_send(pages[0], QUESTIONS[-1], None)  # one warm-up round trip
        times: list[float] = []
        for r in range(rounds):
            barrier = asyncio.Barrier(users) if users > 1 else None
            if r and r % 3 == 0:  # keep the chats short: a new conversation now and then
                for page in pages:
                    await page.click("#aq-new")
                    await page.wait_for_function("() => !document.querySelector('#aq-chat .aq-answer')")
            times += await asyncio.gather(
                *(_press_send(p, QUESTIONS[(r + i) % len(QUESTIONS)], barrier) for i, p in enumerate(pages))
            )
        await browser.close()
    return times


def api_send_to_answer(url: str, users: int, rounds: int) -> list[float]:
    """The same through the HTTP API (gradio_client): the server's share, without the page's rendering."""
    asked = burst(url, users, rounds)
    if failed := [a.error for a in asked if a.error is not None]:
        raise SystemExit(f"{len(failed)} of {len(asked)} questions failed through the HTTP API: {failed[0]}")
    return [a.seconds for a in asked]


def summary(times: list[float]) -> dict[str, float]:
    """Median (``statistics.median``), p95 (nearest rank) and largest of the times, in seconds."""
    return {
        "n": len(times),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(percentile(times, 0.95), 3),
        "max_s": round(max(times), 3),
    }


def startups(index_dir: Path, runs: int) -> dict[str, object]:
    """``runs`` start-ups of a server on ``index_dir``, one after the other, and their medians."""
    work = Path(tempfile.mkdtemp(prefix="aq-web-startup-"))
    seen = []
    try:
        for run in range(runs):
            server = Server(index_dir, work / f"serve-{run}.log")
            try:
                seen.append(wait_until_answering(server))
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "runs": seen,
        **{
            f"{key}_p50": statistics.median(s[key] for s in seen)
            for key in ("page_served_s", "first_answer_s")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None, help="an existing index (skips the first run)")
    parser.add_argument("--rounds", type=int, default=12, help="questions per person")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--startups", type=int, default=0, help="only start the server on --index this many times, in turn"
    )
    args = parser.parse_args()
    if args.startups:
        if args.index is None:
            parser.error("--startups needs --index")
        print(json.dumps(startups(args.index, args.startups), indent=2))
        return
    work = Path(tempfile.mkdtemp(prefix="aq-web-latency-"))
    results: dict[str, object] = {}
    try:
        index_dir = args.index
        if index_dir is None:
            index_dir = work / "index"
            server = Server(index_dir, work / "first-run.log")
            try:
                results["startup_first_run"] = wait_until_answering(server)
                print(f"first run: {results['startup_first_run']}", file=sys.stderr, flush=True)
            finally:
                server.stop()
        server = Server(index_dir, work / "serve.log")
        try:
            results["startup_existing_index"] = wait_until_answering(server)
            measures = {
                "send_to_answer_1_user": lambda: asyncio.run(send_to_answer(server.url, 1, args.rounds)),
                "send_to_answer_8_users": lambda: asyncio.run(send_to_answer(server.url, 8, args.rounds)),
                "api_1_user": lambda: api_send_to_answer(server.url, 1, args.rounds),
                "api_8_users": lambda: api_send_to_answer(server.url, 8, args.rounds),
            }
            for name, measure in measures.items():
                results[name] = summary(measure())
                print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, values in results.items():
        assert isinstance(values, dict)
        print(f"{name:24} " + "  ".join(f"{k} {v}" for k, v in values.items()))


if __name__ == "__main__":
    main()
