"""Compare fusion settings for retrieval on SQuAD-format sets, from one pass of searches.

    python -m bench.tune_retrieval DATA.json [DATA2.json ...] [--limit N]

For each question the dense and lexical candidate lists (50 deep) are computed once; each
fusion setting is then scored offline: recall@1/5/20 and MRR of the chunk holding the answer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import index
from qa import Assistant
from qa.evaluate import default_eval_dir, load_dataset, prepare_index
from qa.question import analyze_question


def lists_for(path: Path, embedder, limit):
    articles, questions = load_dataset(path)
    index_dir = prepare_index(path, articles, default_eval_dir(path, embedder.name), embedder)
    assistant = Assistant.open(index_dir, embedder=embedder)
    store = assistant.store
    questions = [q for q in questions if q.answerable]
    if limit and limit < len(questions):
        step = len(questions) / limit
        questions = [questions[int(i * step)] for i in range(limit)]
    chunk_rows = store.db.execute(
        "SELECT c.id, a.id, c.start, c.end FROM chunks c JOIN articles a ON a.rowid = c.article"
    )
    spans = {cid: (aid, s, e) for cid, aid, s, e in chunk_rows}
    out = []
    languages = store.manifest.languages.keys()
    for gold in questions:
        analysis = analyze_question(gold.question, languages=languages)
        vec = embedder.encode([analysis.retrieval_text])[0]
        dense = store.dense_search(vec, 50)
        lexical = store.lexical_search(list(analysis.terms), 50)
        relevant = {
            cid
            for cid, (aid, s, e) in spans.items()
            if aid == gold.article_id and any(s <= p < e for p in gold.positions)
        }
        out.append((dense, lexical, relevant))
    return out


def rrf(dense, lexical, wd=1.0, wl=1.0, k=60):
    scores = {}
    for r, (cid, _) in enumerate(dense, 1):
        scores[cid] = scores.get(cid, 0) + wd / (k + r)
    for r, (cid, _) in enumerate(lexical, 1):
        scores[cid] = scores.get(cid, 0) + wl / (k + r)
    return [c for c, _ in sorted(scores.items(), key=lambda x: -x[1])]


def linear(dense, lexical, alpha):
    """Min-max normalised scores, alpha * dense + (1 - alpha) * lexical."""

    def norm(items):
        if not items:
            return {}
        vals = np.asarray([s for _, s in items])
        lo, hi = vals.min(), vals.max()
        return {c: (s - lo) / (hi - lo) if hi > lo else 1.0 for c, s in items}

    d, lx = norm(dense), norm(lexical)
    keys = set(d) | set(lx)
    return sorted(keys, key=lambda c: -(alpha * d.get(c, 0) + (1 - alpha) * lx.get(c, 0)))


def metrics(runs, ranker):
    r1 = r5 = r20 = mrr = 0
    for dense, lexical, relevant in runs:
        ranked = ranker(dense, lexical)[:20]
        first = next((i for i, c in enumerate(ranked, 1) if c in relevant), None)
        r1 += first is not None and first <= 1
        r5 += first is not None and first <= 5
        r20 += first is not None
        mrr += 1 / first if first else 0
    n = len(runs)
    return f"R@1 {r1 / n:.4f}  R@5 {r5 / n:.4f}  R@20 {r20 / n:.4f}  MRR {mrr / n:.4f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.SentenceTransformerEmbedder()
    for path in args.data:
        runs = lists_for(path, embedder, args.limit)
        print(f"== {path.name}: {len(runs)} answerable questions")
        print("  dense only     ", metrics(runs, lambda d, lx: [c for c, _ in d]))
        print("  lexical only   ", metrics(runs, lambda d, lx: [c for c, _ in lx]))
        for wd in (1.0, 0.7, 0.5, 0.3):
            for k in (60, 20):
                print(
                    f"  rrf wd={wd} k={k} ", metrics(runs, lambda d, lx, wd=wd, k=k: rrf(d, lx, wd, 1.0, k))
                )
        for alpha in (0.2, 0.3, 0.4, 0.5):
            print(f"  linear a={alpha}  ", metrics(runs, lambda d, lx, a=alpha: linear(d, lx, a)))


if __name__ == "__main__":
    main()
