"""A served index's memory as programs ask through the HTTP API.

Every ``/ask`` call from a plain HTTP client (or a new ``gradio_client.Client``) is a Gradio
session of its own, which Gradio keeps in memory (``SESSIONS_KEPT`` in ui/web/server.py). This
serves a copy of an index, waits for what loads behind the app (the questions' graph),
asks its French questions once to warm it, then asks ``--calls`` more with 8 threads, and records the server's resident
memory (``VmRSS``) every ``--every`` calls.

    .venv/bin/python -m bench.web_memory --index var/sample-index --calls 3000 --every 500
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import RESULTS
from bench.web_latency import ask_over_http
from bench.webapp import QUESTIONS, served


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit("no VmRSS in /proc: this benchmark needs Linux")


def measure(index: Path, calls: int, every: int, threads: int = 8, settle_s: float = 10.0) -> dict:
    with tempfile.TemporaryDirectory(prefix="aq-web-memory-") as work:
        copy = Path(work) / "index"
        shutil.copytree(index, copy)
        with served(copy, Path(work) / "serve.log") as server:
            pid = server.process.pid
            time.sleep(settle_s)  # the questions' graph loads in the background once the app listens
            for question in QUESTIONS:
                ask_over_http(server.url, question)
            points = [{"calls": 0, "rss_mb": rss_mb(pid)}]
            left, lock, failures = [calls], threading.Lock(), []
            started = time.perf_counter()

            def worker() -> None:
                while True:
                    with lock:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                        n = calls - left[0]
                    try:
                        ask_over_http(server.url, QUESTIONS[n % len(QUESTIONS)])
                    except (OSError, SystemExit) as exc:
                        failures.append(str(exc)[:200])
                    if n % every == 0:
                        points.append({"calls": n, "rss_mb": rss_mb(pid)})

            pool = [threading.Thread(target=worker) for _ in range(threads)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            seconds = time.perf_counter() - started
    return {
        "calls": calls,
        "threads": threads,
        "seconds": round(seconds, 1),
        "errors": len(failures),
        "rss_mb": sorted(points, key=lambda p: p["calls"]),
        "growth_kb_per_call": round((points[-1]["rss_mb"] - points[0]["rss_mb"]) * 1024 / max(calls, 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index (copied, never changed)")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--every", type=int, default=500, help="record the memory every N calls")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds for what loads behind the app")
    parser.add_argument("--out", type=Path, default=RESULTS / "web_memory.json")
    args = parser.parse_args()
    result = measure(args.index, args.calls, args.every, settle_s=args.settle)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
