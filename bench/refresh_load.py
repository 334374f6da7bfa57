"""Questions while a refresh encodes: does the refresh's encoder starve them? (issue 28)

    python -m bench.refresh_load [--index SAMPLE_INDEX] [--articles 120] [--seconds 20]

A copy of an index (the bundled sample by default, built first when ``--index`` is not given)
is served by a :class:`~ui.web.state.LiveAssistant` with the model as ``serve`` has it once it
listens (its lighter engine for questions, and torch loaded). One thread asks fr-news-dev's questions one after another, as fast as
it can, and times each ``ask``:

1. ``alone``: for ``--seconds``;
2. then, for each way a refresh can run, while a refresh adds ``--articles`` new articles (PIAF
   articles written as text files into a watched folder) and until it is published:

   - ``thread``: :meth:`LiveAssistant.update` in a thread of the serving process, at the
     questions' priority;
   - ``refresher``: :meth:`ui.web.refresh.Refresher.run_once`, as the app refreshes.

Run from a checkout of an earlier commit (``cd OLD && python -m bench.refresh_load``), it
measures that commit's code: the figures before and after a change, on the same machine.

It reports each phase's question latency (p50, p95, max), how many were asked, and how long
the refresh took. Each phase starts from a fresh copy of the index.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import DATA, RESULTS, commit, machine, write_json
from qa.eval import load_dataset, percentile


def write_articles(dataset: Path, folder: Path, count: int) -> None:
    """``count`` articles of ``dataset`` as text files (title, blank line, paragraphs)."""
    articles, _ = load_dataset(dataset)
    folder.mkdir(parents=True, exist_ok=True)
    for n, article in enumerate(random.Random(0).sample(articles, count)):
        (folder / f"piaf-{n:04d}.txt").write_text(f"{article['title']}\n\n{article['text']}\n", "utf-8")


def asking(live: Any, questions: list[str], stop: threading.Event, out: list[float]) -> None:
    """Ask ``questions`` in turn until ``stop``; append each latency (ms) to ``out``."""
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        live.current.ask(questions[n % len(questions)])
        out.append((time.perf_counter() - started) * 1000)
        n += 1


def summary(latencies: list[float]) -> dict[str, float | int]:
    return {
        "questions": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


def phase(live: Any, questions: list[str], run: Callable[[], Any] | None, seconds: float) -> dict[str, Any]:
    """Questions for ``seconds`` (``run`` None), or while ``run`` runs in a thread."""
    stop = threading.Event()
    latencies: list[float] = []
    asker = threading.Thread(target=asking, args=(live, questions, stop, latencies))
    asker.start()
    started = time.perf_counter()
    result: Any = None
    if run is None:
        time.sleep(seconds)
    else:
        done: list[Any] = []
        worker = threading.Thread(target=lambda: done.append(run()))
        worker.start()
        worker.join()
        result = done[0] if done else None
    took = time.perf_counter() - started
    stop.set()
    asker.join()
    out: dict[str, Any] = {"seconds": round(took, 1), **summary(latencies)}
    if result is not None:
        out["refresh"] = str(result)[:300]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index to copy (default: the sample, built)")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--questions", type=Path, default=DATA / "fr-news-dev.json")
    parser.add_argument("--dataset", type=Path, default=DATA / "piaf-v1.1.json")
    parser.add_argument("--ways", default="thread,refresher")
    parser.add_argument("--out", type=Path, default=RESULTS / "refresh-load.json")
    args = parser.parse_args(argv)

    import index
    from index.settings import stay_offline
    from ui.web.refresh import Refresher
    from ui.web.state import LiveAssistant

    stay_offline()
    _, golds = load_dataset(args.questions)
    questions = [g.question for g in golds]
    results: dict[str, Any] = {"machine": machine(), "commit": commit(), "articles": args.articles}
    with tempfile.TemporaryDirectory(prefix="refresh-load-") as tmp:
        work = Path(tmp)
        source = args.index
        embedder = index.load_embedder(quick_queries=True)  # as serve opens it, then loads torch
        if hasattr(embedder, "load"):
            embedder.load()
        if source is None:
            source = work / "sample"
            index.build(index.sample_sources(), source, embedder=embedder, progress=None)
        write_articles(args.dataset, work / "new", args.articles)
        ways: dict[str, Callable[[Any], Any]] = {
            "thread": lambda live: live.update([str(work / "new")]),
            "refresher": lambda live: Refresher(live).run_once("watch", [str(work / "new")]),
        }
        for n, way in enumerate(["alone", *args.ways.split(",")]):
            copy = work / f"index-{n}"
            shutil.copytree(source, copy)
            live = LiveAssistant.open(copy, embedder=embedder)
            live.warm(questions[0])
            run = None if way == "alone" else (lambda live=live, way=way: ways[way](live))
            results[way] = phase(live, questions, run, args.seconds)
            results[way]["articles_after"] = live.current.store.manifest.counts["articles"]
            print(way, json.dumps(results[way]), file=sys.stderr, flush=True)
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
