"""Fit the sentence scorer's weights and the abstention threshold on SQuAD-format data.

    python -m bench.fit_citations FIT.json [FIT2.json ...] [--limit N] [--calibrate squad-v2.json]

For every question it scores the sentences of the candidate passages (qa.citations.FEATURES),
labels those that hold a gold answer's start, and fits a logistic regression. It prints the
citation@1 and recall@5 the current and the fitted weights give on those questions. With
--calibrate it then picks the abstention threshold on a v2.0 file: the highest threshold that
still answers at least 90% of the answerable questions. The eval indexes are those
`article-qa eval` builds (built here too if missing).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import index
from qa import Assistant
from qa.citations import FEATURES, PASSAGE_WEIGHT, WEIGHTS, score_sentences
from qa.evaluate import default_eval_dir, load_dataset, prepare_index
from qa.question import analyze_question
from qa.retriever import min_max


def collect(path: Path, embedder: index.Embedder, limit: int | None) -> list[dict]:
    """Per question: candidate sentences' features, labels, passage ids, fused passage scores."""
    articles, questions = load_dataset(path)
    index_dir = prepare_index(path, articles, default_eval_dir(path, embedder.name), embedder)
    assistant = Assistant.open(index_dir, embedder=embedder)
    if limit and limit < len(questions):
        step = len(questions) / limit
        questions = [questions[int(i * step)] for i in range(limit)]
    languages = assistant.store.manifest.languages.keys()
    rows = []
    for gold in questions:
        analysis = analyze_question(gold.question, languages=languages)
        vector = embedder.encode([analysis.retrieval_text])[0]
        candidates = assistant.retriever.search(analysis, query_vector=vector, top_k=assistant.candidates)
        scored = score_sentences(assistant.store, analysis, candidates, vector)
        fused = {
            p.chunk_id: f for p, f in zip(candidates, min_max([p.score for p in candidates]), strict=True)
        }
        relevant = {
            p.chunk_id
            for p in candidates
            if p.article_id == gold.article_id and any(p.start <= x < p.end for x in gold.positions)
        }
        rows.append(
            {
                "answerable": gold.answerable,
                "x": [s.features for s in scored],
                "y": [
                    s.article.id == gold.article_id
                    and any(s.sentence.start <= x < s.sentence.end for x in gold.positions)
                    for s in scored
                ],
                "chunk": [s.passage.chunk_id for s in scored],
                "fused": fused,
                "relevant": relevant,
            }
        )
    return rows


def fit(rows: list[dict], l2: float = 1e-2) -> np.ndarray:
    """Listwise fit: maximise, per answerable question, the softmax mass of its gold sentences.

    The intercept (which the softmax ignores) is then fitted so that the best candidate's
    score is the probability that it holds the answer.
    """
    from scipy.optimize import minimize

    groups = [
        (np.asarray(r["x"], dtype=np.float64), np.asarray(r["y"], dtype=bool))
        for r in rows
        if r["answerable"] and any(r["y"])
    ]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, y in groups:
            z = x @ w
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            gold = p[y].sum()
            total -= np.log(gold + 1e-12)
            grad -= (p[y] @ x[y]) / (gold + 1e-12) - p @ x
        return total / len(groups) + l2 * w @ w, grad / len(groups) + 2 * l2 * w

    w = minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B").x
    # Intercept: a one-feature logistic fit of "the top candidate is right" on its score.
    tops = [(np.asarray(r["x"]) @ w, np.asarray(r["y"])) for r in rows if r["x"]]
    z = np.asarray([s.max() for s, _ in tops])
    right = np.asarray([bool(y[int(np.argmax(s))]) for s, y in tops])

    def nll(b: np.ndarray) -> float:
        q = 1 / (1 + np.exp(-(b[0] * z + b[1])))
        return float(-np.mean(right * np.log(q + 1e-12) + (~right) * np.log(1 - q + 1e-12)))

    scale, intercept = minimize(nll, np.asarray([1.0, 0.0]), method="Nelder-Mead").x
    return np.concatenate([w * scale, [intercept]])


def probabilities(row: dict, w: np.ndarray) -> np.ndarray:
    x = np.asarray(row["x"], dtype=np.float64).reshape(-1, len(FEATURES))
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))


def quality(rows: list[dict], w: np.ndarray, passage_weight: float = PASSAGE_WEIGHT) -> dict[str, float]:
    """citation@1 (best sentence overall) and recall@1/5 of passages re-ranked by best sentence."""
    cite = r1 = r5 = 0
    answerable = [r for r in rows if r["answerable"]]
    for r in answerable:
        if not r["x"]:
            continue
        p = probabilities(r, w)
        cite += bool(r["y"][int(np.argmax(p))])
        best: dict[int, float] = {}
        for chunk, score in zip(r["chunk"], p, strict=True):
            best[chunk] = max(best.get(chunk, 0.0), float(score))
        ranked = sorted(r["fused"], key=lambda c: -(best.get(c, 0.0) + passage_weight * r["fused"][c]))
        first = next((i for i, c in enumerate(ranked, 1) if c in r["relevant"]), None)
        r1 += first == 1
        r5 += first is not None and first <= 5
    n = max(len(answerable), 1)
    return {"citation@1": round(cite / n, 4), "recall@1": round(r1 / n, 4), "recall@5": round(r5 / n, 4)}


def calibrate(rows: list[dict], w: np.ndarray, answer_rate: float = 0.90) -> dict[str, float]:
    best = np.asarray([probabilities(r, w).max() if r["x"] else 0.0 for r in rows])
    answerable = np.asarray([r["answerable"] for r in rows])
    threshold = float(np.quantile(best[answerable], 1 - answer_rate))
    return {
        "threshold": round(threshold, 4),
        "answered_answerable": round(float((best[answerable] >= threshold).mean()), 4),
        "abstained_unanswerable": round(float((best[~answerable] < threshold).mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fit", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--calibrate", type=Path, default=None)
    parser.add_argument("--no-fit", action="store_true", help="only calibrate the current weights")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.SentenceTransformerEmbedder()
    if args.no_fit:
        if args.calibrate:
            v2 = collect(args.calibrate, embedder, args.limit)
            print("calibration, current weights:", calibrate(v2, np.asarray(WEIGHTS)))
        return
    sets = {path.name: collect(path, embedder, args.limit) for path in args.fit}
    rows = [r for rs in sets.values() for r in rs]
    w = fit(rows)
    print("features", FEATURES)
    print("fitted weights", json.dumps([round(float(v), 3) for v in w]))
    for name, rs in sets.items():
        print(f"{name}: current {quality(rs, np.asarray(WEIGHTS))}, fitted {quality(rs, w)}")
        for pw in (0.0, 0.1, 0.3, 0.5, 1.0):
            print(f"   passage weight {pw}: {quality(rs, w, pw)}")
    if args.calibrate:
        v2 = collect(args.calibrate, embedder, args.limit)
        print("calibration, fitted weights:", calibrate(v2, w))


if __name__ == "__main__":
    main()
