"""Ask latency of two versions of the code, each on its own index, in alternating processes.

For a change that must not slow answers down: check the old commit out beside the project
(``git worktree add ../old COMMIT``), give each version the index it built, and compare.

    python -m bench.ab_latency --old-code ../old --old-index OLD_DIR --new-index NEW_DIR \\
        --dataset ../shared/data/piaf-v1.1.json --questions 300 --rounds 3

Each round runs the old code, then the new, in fresh processes (the model loads, one question
warms up, then the questions are timed with ``Assistant.ask``), so a busy machine slows both.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS, write_json
from bench.processes import run_python
from qa.eval import load_dataset, percentile, select_questions

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from qa import Assistant
asked = json.loads(open(sys.argv[3], encoding="utf-8").read())
assistant = Assistant.open(sys.argv[2])
assistant.ask(asked[0])
spent = []
for question in asked:
    t = time.perf_counter()
    assistant.ask(question)
    spent.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": spent}))
"""
# The child uses only ``qa.Assistant``, which both versions have: the questions are chosen, and
# the percentiles taken, by this (new) code, so that two versions of any layout compare.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-code", type=Path, required=True, help="a checkout of the old commit")
    parser.add_argument("--old-index", type=Path, required=True)
    parser.add_argument("--new-index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "ab_latency.json")
    args = parser.parse_args(argv)
    new_code = Path(__file__).resolve().parents[1]
    _, questions = load_dataset(args.dataset)
    asked = [q.question for q in select_questions(questions, part="test", limit=args.questions)]
    runs: list[dict[str, object]] = []
    chosen = args.out.with_suffix(".questions.json")
    chosen.parent.mkdir(parents=True, exist_ok=True)
    chosen.write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    for _ in range(args.rounds):
        for version, code, where in (
            ("old", args.old_code, args.old_index),
            ("new", new_code, args.new_index),
        ):
            load = Path("/proc/loadavg").read_text().split()[0]
            spent = run_python(
                "-c",
                CHILD,
                str(code.resolve()),
                str(where.resolve()),
                str(chosen.resolve()),
                cwd="/tmp",  # so that neither checkout is imported by accident
            )["ms"]
            figures = {"p50": round(percentile(spent, 0.5), 1), "p95": round(percentile(spent, 0.95), 1)}
            runs.append({"version": version, "load_before": float(load), **figures})
            print(json.dumps(runs[-1]), flush=True)
    chosen.unlink(missing_ok=True)
    write_json(args.out, {"questions": len(asked), "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
