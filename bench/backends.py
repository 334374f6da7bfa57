"""Ask latency and bytes per article of the same index in each storage backend.

The embedded index and the Milvus Lite file are the ones ``article-qa eval`` builds (PIAF, say);
the server run serves a copy of the Lite file's directory with ``milvus-lite server`` on
127.0.0.1. The backends are asked the same questions in turns (a round of each, then the next
round), so that a busy machine slows them alike.

    python -m bench.backends --embedded DIR --lite FILE.db/NAME --dataset ../shared/data/piaf-v1.1.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, write_json
from qa.eval import load_dataset, percentile, select_questions


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded", type=Path, required=True, help="an embedded index directory")
    parser.add_argument(
        "--lite", required=True, help="PATH/FILE.db/NAME: the same articles in a Milvus Lite file"
    )
    parser.add_argument("--dataset", type=Path, required=True, help="the SQuAD-format file of the questions")
    parser.add_argument("--questions", type=int, default=300, help="test-split questions, evenly spread")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "backends.json")
    args = parser.parse_args(argv)

    import index
    from qa import Assistant
    from tests.milvus.server import milvus_server

    _, questions = load_dataset(args.dataset)
    asked = [q.question for q in select_questions(questions, part="test", limit=args.questions)]
    embedder = index.load_embedder(index.open_index(args.embedded).manifest.model_spec)
    lite_file, _, name = args.lite.rpartition("/")
    work = Path(tempfile.mkdtemp(prefix="backends-"))
    shutil.copytree(lite_file, work / "milvus-data")
    shutil.rmtree(work / "milvus-data" / "LOCK", ignore_errors=True)
    results: dict[str, Any] = {"machine": machine(), "questions": len(asked), "rounds": args.rounds}
    with milvus_server(work) as port:
        backends = {
            "embedded": str(args.embedded),
            "milvus-lite file": f"milvus-lite:{args.lite}",
            "milvus-lite server": f"milvus://127.0.0.1:{port}/{name}",
        }
        assistants = {k: Assistant.open(v, embedder=embedder) for k, v in backends.items()}
        for assistant in assistants.values():
            assistant.ask(asked[0])  # warm: the model, the first reads
        times: dict[str, list[float]] = {k: [] for k in backends}
        answers: dict[str, list[str]] = {k: [] for k in backends}
        for _ in range(args.rounds):
            for question in asked:
                for kind, assistant in assistants.items():
                    t = time.perf_counter()
                    answer = assistant.ask(question)
                    times[kind].append((time.perf_counter() - t) * 1000)
                    answers[kind].append(answer.citations[0].text if answer.citations else "")
        counts = assistants["embedded"].store.manifest.counts
        sizes = {"embedded": _size(args.embedded), "milvus-lite file": _size(Path(lite_file))}
    shutil.rmtree(work, ignore_errors=True)
    results["articles"] = counts["articles"]
    results["counts"] = counts
    results["ask_ms"] = {
        k: {"p50": round(percentile(v, 0.5), 1), "p95": round(percentile(v, 0.95), 1)}
        for k, v in times.items()
    }
    results["same_first_citation_as_embedded"] = {
        k: round(sum(a == b for a, b in zip(v, answers["embedded"], strict=True)) / len(v), 4)
        for k, v in answers.items()
    }
    results["bytes_per_article"] = {k: round(v / counts["articles"]) for k, v in sizes.items()}
    write_json(args.out, results)
    print(
        json.dumps(
            {k: results[k] for k in ("ask_ms", "same_first_citation_as_embedded", "bytes_per_article")}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
