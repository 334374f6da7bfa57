"""How many answers a second one process gives, with 1, 2 and 4 threads asking at once.

    python -m bench.experiments.throughput --index SAMPLE_INDEX [--seconds 10]
        → bench/results/throughput.json

SAMPLE_INDEX is ``article-qa index build --sample``. The questions are fr-news-dev's, asked in
turn by each thread with no pause, through ``Assistant.ask`` with the model in torch (as
``serve`` has it once loaded). No web server: this is the ceiling of what the web app can answer, before Gradio's own
cost. With N clients that ask with no pause, the mean wait is about N divided by it (Little's
law): the bound of issue 28's 32-client load test on this machine.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

from bench.common import DATA, RESULTS, machine, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=DATA / "fr-news-dev.json")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", default="1,2,4")
    parser.add_argument("--out", type=Path, default=RESULTS / "throughput.json")
    args = parser.parse_args(argv)
    from index.settings import stay_offline

    stay_offline()
    from qa import Assistant

    data = json.loads(args.dataset.read_text(encoding="utf-8"))["data"]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    assistant = Assistant.open(args.index)
    for question in questions[:10]:  # warm
        assistant.ask(question)
    rates = {}
    for count in (int(n) for n in args.threads.split(",")):
        answered = [0] * count
        stop = time.perf_counter() + args.seconds

        def user(n: int, count: int = count, answered: list[int] = answered, stop: float = stop) -> None:
            k = n
            while time.perf_counter() < stop:
                assistant.ask(questions[k % len(questions)])
                k += count
                answered[n] += 1

        threads = [threading.Thread(target=user, args=(n,)) for n in range(count)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rates[str(count)] = round(sum(answered) / (time.perf_counter() - started), 1)
    result = {
        "machine": machine(),
        "index": str(args.index),
        "seconds": args.seconds,
        "answers_per_s_by_threads": rates,
        "mean_wait_s_for_32_clients": round(32 / max(rates.values()), 2),
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
