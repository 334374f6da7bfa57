"""Composed answers in the web app, in Chromium: how long until the first words show, and
until the checked answer does.

    python -m bench.web_llm --index DIR [--questions N] [--threads 1] [--out bench/results/web_llm.json]

It starts tests/llm/server.py's local model (Qwen2.5 0.5B, llama.cpp, ``--threads`` threads) and
``article-qa serve --llm-url`` on 127.0.0.1, opens the page in headless Chromium (Debian's),
asks the sample's French questions one after another with "composed" on, and records, from
the click on Send: the first draft shown (the first streamed words), and the composed (or
quoted, after a fallback) answer shown. The times are the page's own (``performance.now()``
in a MutationObserver), so they include Gradio, the network and the rendering.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, write_json
from bench.webapp import QUESTIONS, Server
from qa.eval import percentile

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

WATCH_JS = """() => {
  window.__aq = {drafts: [], done: []};
  new MutationObserver(() => {
    const n = document.querySelectorAll('#aq-chat .aq-answer:not(.aq-draft)').length;
    const d = document.querySelector('#aq-chat .aq-draft');
    if (d && window.__aq.drafts.length === window.__aq.done.length) window.__aq.drafts.push(performance.now());
    if (n > window.__aq.done.length) window.__aq.done.push(performance.now());
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index (served from a copy)")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--threads", type=int, default=1, help="the model server's threads")
    parser.add_argument("--out", type=Path, default=RESULTS / "web_llm.json")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.llm.server import MODEL_NAME, llama_server

    work = Path(tempfile.mkdtemp(prefix="aq-web-llm-"))
    rows: list[dict[str, Any]] = []
    try:
        shutil.copytree(args.index, work / "index")
        with llama_server(threads=args.threads) as url:
            import os

            env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
            env["ARTICLE_QA_LLM_URL"], env["ARTICLE_QA_LLM_MODEL"] = url, MODEL_NAME
            server = Server(work / "index", work / "serve.log", env)
            try:
                server.wait()
                with sync_playwright() as playwright:
                    context = playwright.chromium.launch_persistent_context(
                        str(work / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                        locale="fr-FR", viewport={"width": 1400, "height": 1000},
                    )  # fmt: skip
                    page = context.pages[0] if context.pages else context.new_page()
                    page.set_default_timeout(180_000)
                    page.goto(server.url)
                    page.wait_for_selector("#aq-mode")
                    page.evaluate(WATCH_JS)
                    for i, question in enumerate(QUESTIONS[: args.questions]):
                        page.fill("#aq-question textarea", question)
                        sent = page.evaluate("performance.now()")
                        page.click("#aq-send")
                        page.wait_for_function("n => window.__aq.done.length > n", arg=i)
                        marks = page.evaluate("window.__aq")
                        answer = page.locator("#aq-chat .aq-answer").last
                        classes = answer.get_attribute("class") or ""
                        drafted = marks["drafts"][i] if len(marks["drafts"]) > i else None
                        rows.append(
                            {
                                "question": question,
                                "first_words_s": round((drafted - sent) / 1000, 3) if drafted else None,
                                "answer_s": round((marks["done"][i] - sent) / 1000, 3),
                                "composed": "aq-composed" in classes,
                                "abstained": "aq-abstained" in classes,
                                "text": answer.locator(".aq-text").first.inner_text()[:300],
                            }
                        )
                        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
                        time.sleep(0.5)
                    context.close()
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = [r["first_words_s"] for r in rows if r["first_words_s"] is not None]
    total = [r["answer_s"] for r in rows if r["first_words_s"] is not None]
    result = {
        "command": f"python -m bench.web_llm --index DIR --threads {args.threads}",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "model": MODEL_NAME,
        "threads": args.threads,
        "questions": len(rows),
        "model_asked": len(first),
        "composed": sum(r["composed"] for r in rows),
        "abstained": sum(r["abstained"] for r in rows),
        "first_words_s_p50": round(statistics.median(first), 3) if first else None,
        "first_words_s_p95": round(percentile(first, 0.95), 3) if first else None,
        "answer_s_p50": round(statistics.median(total), 3) if total else None,
        "answer_s_p95": round(percentile(total, 0.95), 3) if total else None,
        "rows": rows,
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k not in {"rows", "machine"}}, indent=2))


if __name__ == "__main__":
    main()
