"""How fast the web app starts and answers, measured as a person meets it.

1. Start-up: from launching ``article-qa serve`` to a page that answers a question, on the
   first run (no index: the sample is built) and with an existing index.
2. Send to answer: in headless Chromium, from clicking "Envoyer" to the answer showing,
   for one person, then for eight people pressing send at the same moment (eight pages
   of one Chromium on the same machine as the server: their rendering competes with it).
3. The same through the HTTP API (gradio_client), which leaves the pages' rendering out.

    .venv/bin/python bench/web_latency.py                  # everything (about 3 minutes)
    .venv/bin/python bench/web_latency.py --index DIR      # skip the first run, use DIR
    .venv/bin/python bench/web_latency.py --json

Needs Debian's chromium (``make browser``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

QUESTIONS = [
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "Combien de morts a fait l'ouragan Sandy ?",
    "Combien d'emplois PSA va-t-il supprimer ?",
    "Qui a remporté le tournoi de Wimbledon en 2012 ?",
    "Quand a été découvert le boson de Higgs ?",
    "Quel pays a accordé l'asile politique à Julian Assange ?",
    "Qui a été élu président en Égypte ?",
    "Combien de personnes étaient à bord de l'avion qui s'est écrasé à Lagos ?",
]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # eight pages at once: none of them is a throttled background tab
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``article-qa serve`` in a subprocess, its output in a log file."""

    def __init__(self, index_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        exe = Path(sys.executable).with_name("article-qa")
        self.started = time.perf_counter()
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [str(exe), "serve", "--index", str(index_dir), "--port", str(self.port), "--quiet"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.log = log

    def wait_until_answering(self, timeout: float = 600) -> dict[str, float]:
        """Seconds from launch until the page is served, and until a question is answered."""
        from gradio_client import Client

        served = None
        deadline = self.started + timeout
        while served is None:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped:\n{self.log.read_text()}")
            if time.perf_counter() > deadline:
                raise SystemExit(f"the server did not start in {timeout}s:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        served = time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)
        client = Client(self.url, verbose=False, ssl_verify=False)  # plain HTTP: no CA load per request
        client.predict(QUESTIONS[0], "fr", api_name="/question")
        client.predict("", None, None, 5, "quoted", "fr", api_name="/answer")
        answered = time.perf_counter() - self.started
        client.close()
        return {"page_served_s": round(served, 2), "first_answer_s": round(answered, 2)}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def _press_send(page, question: str, barrier: asyncio.Barrier | None) -> float:
    before = await page.locator("#aq-chat .aq-answer").count()
    await page.fill("#aq-question textarea", question)
    if barrier is not None:
        await barrier.wait()
    started = time.perf_counter()
    await page.click("#aq-send")
    await page.wait_for_function(
        "n => document.querySelectorAll('#aq-chat .aq-answer').length > n", arg=before, timeout=120_000
    )
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
    from gradio_client import Client

    barrier = threading.Barrier(users)

    def person(i: int) -> list[float]:
        times: list[float] = []
        client = None
        for r in range(rounds):
            if r % 3 == 0:  # a new session, as a new conversation
                if client is not None:
                    client.close()
                client = Client(url, verbose=False, ssl_verify=False)
            barrier.wait()
            started = time.perf_counter()
            client.predict(QUESTIONS[(r + i) % len(QUESTIONS)], "fr", api_name="/question")
            client.predict("", None, None, 5, "quoted", "fr", api_name="/answer")
            times.append(time.perf_counter() - started)
        if client is not None:
            client.close()
        return times

    with ThreadPoolExecutor(max_workers=users) as pool:
        return [t for times in pool.map(person, range(users)) for t in times]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(times),
        "median_s": round(statistics.median(ordered), 3),
        "p95_s": round(p95, 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None, help="an existing index (skips the first run)")
    parser.add_argument("--rounds", type=int, default=12, help="questions per person")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aq-web-latency-"))
    results: dict[str, object] = {}
    try:
        index_dir = args.index
        if index_dir is None:
            index_dir = work / "index"
            server = Server(index_dir, work / "first-run.log")
            try:
                results["startup_first_run"] = server.wait_until_answering()
                print(f"first run: {results['startup_first_run']}", file=sys.stderr, flush=True)
            finally:
                server.stop()
        server = Server(index_dir, work / "serve.log")
        try:
            results["startup_existing_index"] = server.wait_until_answering()
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
