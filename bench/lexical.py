"""The lexical search's candidates measured against each other on one index (issue 28).

    python -m bench.lexical --index INDEX [--dataset ../shared/data/piaf-v1.1.json] [--questions 500]

``INDEX``: an embedded index written with postings (``bench.scale --keep`` or
``bench.update_files`` leave one of 100,000 articles). The same analysed terms of each
question (as ``Retriever.search`` makes them) go to:

- ``fts5``: FTS5's ``bm25()`` (:func:`index.embedded.lexical.fts_search`, what an index
  written before postings is searched by; the commonest terms left out past
  ``LEXICAL_MAX_POSTINGS``);
- ``postings``: what ships, ``store.lexical_search`` over each segment's postings
  (:mod:`index.embedded.lexical`; the same formula, statistics and budget);
- ``postings_every_term``: the same with no budget (every term scored);
- ``tantivy``: the same terms in a tantivy index built for the run in a temporary directory
  (:mod:`bench.lexical_tantivy`: its BM25, every term, no budget), when tantivy is installed
  (the ``bench`` extra); else it is left out, and said so.

It reports each one's latency (p50, p95, in one process, after a warm-up pass, in turn
question by question), the postings' size on disk, tantivy's build time and size on disk,
and how many of FTS5's top 5 and top ``k`` each finds.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import lexical_tantivy
from bench.common import DATA, RESULTS, machine, write_json
from qa.eval import percentile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=DATA / "piaf-v1.1.json")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS / "lexical.json")
    args = parser.parse_args(argv)
    from index.analysis import analyze
    from index.bm25 import LEXICAL_MAX_POSTINGS
    from index.embedded import lexical
    from index.embedded.database import IndexStore
    from qa.eval import load_dataset
    from qa.question import analyze_question

    store = IndexStore.open(args.index)
    postings = store._segment_postings()
    if not postings:
        parser.error(f"{args.index} was written without postings: run article-qa index compact on it")
    languages = [lang for lang in store.manifest.languages if lang]
    _, golds = load_dataset(args.dataset)
    sample = random.Random(0).sample(golds, min(args.questions, len(golds)))
    questions = []
    for gold in sample:
        q = analyze_question(gold.question, languages=languages)
        terms = list(q.terms) + list(q.subject_terms)
        for other in languages:
            if other != q.language:
                terms += analyze(q.retrieval_text, other)
        questions.append(list(dict.fromkeys(t for t in terms if t)))
    searches = {
        "fts5": lambda terms: lexical.fts_search(store, terms, args.k, None, LEXICAL_MAX_POSTINGS),
        "postings": lambda terms: store.lexical_search(terms, args.k),
        "postings_every_term": lambda terms: store.lexical_search(terms, args.k, max_postings=0),
    }
    tantivy: dict[str, Any] | None = None
    with ExitStack() as scratch:
        if lexical_tantivy.available():
            directory = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="lexical-tantivy-")))
            engine = lexical_tantivy.TantivyIndex(store, directory)
            searches["tantivy"] = lambda terms: engine.search(terms, args.k)
            tantivy = engine.report()
        else:
            print("tantivy is not installed (pip install -e '.[bench]'): its candidate is left out")
        times: dict[str, list[float]] = {name: [] for name in searches}
        found: dict[str, list[list[tuple[int, float]]]] = {name: [] for name in searches}
        for rounds in range(2):  # the first pass warms the page cache and FTS5's pages
            for terms in questions:
                for name, search in searches.items():
                    t = time.perf_counter()
                    hits = search(terms)
                    if rounds:
                        times[name].append((time.perf_counter() - t) * 1000)
                        found[name].append(hits)
    fts_top5 = sum(min(5, len(a)) for a in found["fts5"])
    fts_topk = sum(len(a) for a in found["fts5"])
    finds = {}
    for name in [name for name in searches if name != "fts5"]:
        top5 = topk = 0
        for a, b in zip(found["fts5"], found[name], strict=True):
            top5 += len({i for i, _ in a[:5]} & {i for i, _ in b[:5]})
            topk += len({i for i, _ in a} & {i for i, _ in b})
        finds[name] = {
            "fts5_top5": round(top5 / max(fts_top5, 1), 4),
            "fts5_topk": round(topk / max(fts_topk, 1), 4),
        }
    disk = sum(
        segment.db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('postings', 'lexicon')").fetchone()[
            0
        ]
        or 0
        for segment in store.segments
    )
    result = {
        "machine": machine(),
        "index": str(args.index),
        "chunks": store.lexical_totals()[0],
        "segments": len(store.segments),
        "questions": len(questions),
        "k": args.k,
        "latency_ms": {
            name: {"p50": round(percentile(ts, 0.5), 2), "p95": round(percentile(ts, 0.95), 2)}
            for name, ts in times.items()
        },
        "finds": finds,
        "postings_bytes_on_disk": disk,
        "postings_mb_on_disk": round(disk / 2**20, 1),
        "terms": sum(s.db.execute("SELECT COUNT(*) FROM postings").fetchone()[0] for s in store.segments),
        "tantivy": tantivy,
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
