"""Fit the claim check's support threshold (qa.claims.SUPPORT_THRESHOLD) on PIAF's fit part,
and report it on the held-out test part.

    python -m bench.claims --llm-url URL --llm-model NAME [--limit N] [--out bench/results/claims.json]
    python -m bench.claims --local-model [--limit N]     (starts tests/llm/server.py's Qwen 0.5B)

For each question of a part (evenly spread, ``--limit`` of them), the language model composes
an answer from the numbered sentences as the app asks it to. Each claim that passes the other
checks (it cites sentences that exist, and they hold its numbers and names) gives two cases:

- *as cited*: the claim against the sentences it cites;
- *mismatched*: the same claim against the sentences another question's claim cites (a claim
  that cites the wrong sentences, which the check must catch).

Support is the share of a claim's words found in the sentences (and the question). The
threshold is the one that best separates the two on the fit part (largest true-pass rate minus
false-pass rate, Youden's J, ties to the lower threshold); the test part's rates at that
threshold are reported as held out. "As cited" is not a human judgement: some of those claims
misread their sentence, so its pass rate is an upper bound on what the check should keep.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import index
from index.embedders import spec_of
from qa import Assistant, Endpoint, GenerativeAnswerer
from qa.answerers import AnswerRequest
from qa.claims import check_claims, support
from qa.evaluate import default_eval_dir, load_dataset, prepare_index, select_questions
from qa.records import Answer
from qa.splits import PARTS

from .common import machine, write_json

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "claims.json"
GRID = tuple(round(0.05 * i, 2) for i in range(21))


class Recording(GenerativeAnswerer):
    """The app's composing answerer, keeping each request and the model's raw reply."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint, threshold=0.0)
        self.seen: list[tuple[AnswerRequest, str]] = []

    def checked(self, request: AnswerRequest, reply: str) -> Answer:
        self.seen.append((request, reply))
        return super().checked(request, reply)


def cases(seen: list[tuple[AnswerRequest, str]], seed: int = 0) -> dict[str, list[float]]:
    """Support of each claim as cited, and against another claim's cited sentences."""
    claims: list[tuple[str, list[str], str]] = []  # (claim, its cited sentences, question)
    for request, reply in seen:
        shown = {c.number: c.text for c in request.candidates}
        for v in check_claims(reply, request.candidates, question=request.question, threshold=0.0):
            if v.kept:  # passed every check but closeness
                claims.append((v.text, [shown[n] for n in v.cites], request.question))
    rng = random.Random(seed)
    cited, mismatched = [], []
    for claim, sentences, question in claims:
        cited.append(support(claim, sentences, question))
        others = [j for j, other in enumerate(claims) if other[2] != question]
        if others:
            _, wrong, _ = claims[rng.choice(others)]
            mismatched.append(support(claim, wrong, question))
    return {"as_cited": cited, "mismatched": mismatched}


def rates(values: dict[str, list[float]], threshold: float) -> dict[str, float]:
    def share(xs: list[float]) -> float:
        return round(sum(x >= threshold for x in xs) / max(len(xs), 1), 4)

    return {"as_cited_pass": share(values["as_cited"]), "mismatched_pass": share(values["mismatched"])}


def fit(values: dict[str, list[float]]) -> float:
    """The threshold of largest (as-cited pass rate − mismatched pass rate), lowest on ties."""
    return max(
        GRID, key=lambda t: (rates(values, t)["as_cited_pass"] - rates(values, t)["mismatched_pass"], -t)
    )


@contextlib.contextmanager
def endpoint_for(args: argparse.Namespace) -> Iterator[Endpoint]:
    if args.local_model:
        from tests.llm.server import MODEL_NAME, llama_server

        with llama_server(threads=args.threads) as url:
            yield Endpoint(url, MODEL_NAME, timeout=args.timeout)
    else:
        yield Endpoint(args.llm_url, args.llm_model, timeout=args.timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-url", default=None)
    parser.add_argument("--llm-model", default="local")
    parser.add_argument("--local-model", action="store_true", help="serve tests/llm's Qwen 0.5B on 127.0.0.1")
    parser.add_argument("--threads", type=int, default=1, help="the local model server's threads")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--limit", type=int, default=80, help="questions per part")
    parser.add_argument("--dataset", type=Path, default=SHARED / "piaf-v1.1.json")
    parser.add_argument("--fit-part", choices=PARTS, default="fit", help="questions fitted on (default fit)")
    parser.add_argument(
        "--test-part", choices=PARTS, default="test", help="questions reported on (default test)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.local_model and not args.llm_url:
        parser.error("give --llm-url URL (and --llm-model) or --local-model")

    embedder = index.load_embedder(None)
    articles, questions = load_dataset(args.dataset)
    eval_dir = default_eval_dir(args.dataset, spec_of(embedder))
    index_dir = prepare_index(args.dataset, articles, eval_dir, embedder, None)
    assistant = Assistant.open(index_dir, embedder=embedder)
    result: dict[str, Any] = {
        "command": "python -m bench.claims " + ("--local-model" if args.local_model else "--llm-url URL"),
        "dataset": args.dataset.name,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "machine": machine(),
        "limit_per_part": args.limit,
    }
    values: dict[str, dict[str, list[float]]] = {}
    with endpoint_for(args) as endpoint:
        result["model"] = endpoint.model
        for part, chosen in (("fit", args.fit_part), ("test", args.test_part)):
            recording = Recording(endpoint)
            asked = [q for q in select_questions(questions, part=chosen, limit=args.limit) if q.answerable]
            started = time.perf_counter()
            for gold in asked:
                assistant.ask(gold.question, answerer=recording)
            values[part] = cases(recording.seen)
            result[part] = {
                "part": chosen,
                "questions": len(asked),
                "model_calls": len(recording.seen),
                "claims_checked": len(values[part]["as_cited"]),
                "seconds": round(time.perf_counter() - started, 1),
            }
    if not values["fit"]["as_cited"] or not values["fit"]["mismatched"]:
        result["threshold"] = None  # nothing to fit on: say so rather than report a number
        result["reason"] = "no claim on the fit part passed the other checks: ask more questions (--limit)"
    else:
        threshold = fit(values["fit"])
        result["threshold"] = threshold
        result["fit"] |= {"in_sample": rates(values["fit"], threshold)}
        result["test"] |= {"held_out": rates(values["test"], threshold)}
        result["grid_fit"] = {str(t): rates(values["fit"], t) for t in GRID}
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k not in {"grid_fit", "machine"}}, indent=2))


if __name__ == "__main__":
    main()
