"""``article-qa eval DATASET.json``: retrieval, citations and abstention measured on a
SQuAD-format file (the run itself is :func:`qa.eval.evaluate_dataset`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from index.chunking import CHUNK_VECTORS
from index.location import resolve_location
from index.model_spec import MODEL_HELP
from qa import MAX_TOP_K
from qa.eval import PARTS

from ..progress import TqdmProgress
from .options import endpoint_of, llm_args, reranker_arg, reranker_of, within


def register(commands: Any) -> None:
    e = commands.add_parser("eval", help="measure retrieval and citations on a SQuAD-format file")
    e.set_defaults(run=run, writes=True)  # it builds the data set's index
    e.add_argument("dataset", type=Path, help="SQuAD v1.1 or v2.0 JSON file")
    e.add_argument("--limit", type=within(int, 1, 10**9), default=None, help="ask N questions, evenly spread")
    e.add_argument(
        "--questions",
        type=Path,
        default=None,
        metavar="FILE",
        help="ask the questions as this SQuAD-format file words them, matched by id (the data "
        "set's questions in another language, as XQuAD's parallel files)",
    )
    e.add_argument("--index-dir", type=Path, default=None, help="where to keep the data set's index")
    e.add_argument(
        "--index",
        type=resolve_location,
        default=None,
        metavar="DIR|URI",
        help="index the data set there instead (milvus://HOST:PORT/NAME, say); needs --remove 0 for a URI",
    )
    e.add_argument("--model", default=None, help=MODEL_HELP)
    e.add_argument(
        "--split",
        choices=PARTS,
        default="all",
        help="which articles' questions: all, or the fit / held-out test part of the seeded split",
    )
    e.add_argument(
        "--remove",
        type=within(float, 0.0, 0.95),
        default=0.2,
        metavar="SHARE",
        help="also ask again of an index without this seeded share of the articles: their "
        "questions should get 'not found' (default 0.2; 0 to skip)",
    )
    e.add_argument("--seed", type=int, default=0, help="seed of the removal draw (default 0)")
    e.add_argument("--chunk-vectors", choices=CHUNK_VECTORS, default=None, help="see index build")
    e.add_argument("--top-k", type=within(int, 1, MAX_TOP_K), default=5, help="passages read per question")
    e.add_argument(
        "--threshold", type=within(float, 0.0, 1.0), default=None, help="abstention threshold (0..1)"
    )
    e.add_argument(
        "--fusion", default="linear", choices=["linear", "rrf", "dense", "lexical"], help="retrieval fusion"
    )
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")
    llm_args(e, "also measure the answers this language model composes")
    reranker_arg(e)


def run(args: argparse.Namespace) -> int:
    from qa.eval import evaluate_dataset

    endpoint = endpoint_of(args)
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        report = evaluate_dataset(
            args.dataset,
            model=args.model,
            split=args.split,
            limit=args.limit,
            questions_file=args.questions,
            eval_dir=args.index_dir,
            target=args.index,
            chunk_vectors=args.chunk_vectors,
            remove=args.remove,
            seed=args.seed,
            top_k=args.top_k,
            threshold=args.threshold,
            fusion=args.fusion,
            endpoint=endpoint,
            reranker=reranker_of(args),
            progress=progress,
        )
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.metrics, indent=2))
    else:
        print(f"{args.dataset.name} (index {report.index})")
        for key, value in report.metrics.items():
            print(f"  {key:24} {value}")
    return 0
