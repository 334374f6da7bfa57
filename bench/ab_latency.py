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

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from qa import Assistant
from qa.eval import load_dataset, percentile, select_questions
_, questions = load_dataset(Path(sys.argv[3]))
asked = [q.question for q in select_questions(questions, part="test", limit=int(sys.argv[4]))]
assistant = Assistant.open(sys.argv[2])
assistant.ask(asked[0])
spent = []
for question in asked:
    t = time.perf_counter()
    assistant.ask(question)
    spent.append((time.perf_counter() - t) * 1000)
print(json.dumps({"p50": round(percentile(spent, 0.5), 1), "p95": round(percentile(spent, 0.95), 1)}))
"""


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
    runs: list[dict[str, object]] = []
    for _ in range(args.rounds):
        for version, code, where in (
            ("old", args.old_code, args.old_index),
            ("new", new_code, args.new_index),
        ):
            load = Path("/proc/loadavg").read_text().split()[0]
            figures = run_python(
                "-c",
                CHILD,
                str(code.resolve()),
                str(where.resolve()),
                str(args.dataset.resolve()),
                str(args.questions),
                cwd="/tmp",  # so that neither checkout is imported by accident
            )
            runs.append({"version": version, "load_before": float(load), **figures})
            print(json.dumps(runs[-1]), flush=True)
    write_json(args.out, {"questions": args.questions, "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
