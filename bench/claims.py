"""Fit the claim check's two closeness bounds (qa.fitted.SUPPORT_THRESHOLD and
qa.fitted.MAX_NEW_WORDS) on PIAF's fit part, and report them on the held-out test part.

    python -m bench.claims --llm-url URL --llm-model NAME [--limit N] [--out bench/results/claims.json]
    python -m bench.claims --local-model [--limit N]     (starts tests/llm/server.py's Qwen 0.5B)
    python -m bench.claims --replies var/bench/claims-replies.json   (fits again, no model asked)

For each question of a part (evenly spread, ``--limit`` of them), the language model composes
an answer from the numbered sentences as the app asks it to (the replies are kept in
``--replies``, so that the fit can be run again without the model). The claims that pass the
other checks (they cite sentences that exist, those hold their numbers and names, their
polarity, and they bear on the question) give the cases (:func:`cases`): *true* claims (they
hold a gold answer and cite a sentence that does: a proxy for a human judgement), and two
kinds of false ones made from them, *mismatched* (against another claim's sentences) and
*appended* (another claim appended as a clause).

Each case has a support (the least share of a clause's content words found in the sentences)
and a count of new words (content words found in none of them). The pair of bounds is the one
that best separates the kinds on the fit part (largest true-pass rate minus the mean false-pass
rate of the two false kinds, Youden's J). When several pairs are best (a small model writes
few true claims, all near-verbatim, and every pair separates them), the fit cannot choose: the
shipped pair is kept if it is one of them, and the result says so (``chosen``). The test part's
rates at the chosen pair are reported as held out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import index
from bench.common import DATA, RESULTS, commit, machine, write_json
from index.embedders import spec_of
from qa import Assistant, Endpoint, GenerativeAnswerer
from qa.answerers import AnswerRequest
from qa.claims import check_claims, new_words, support
from qa.eval import PARTS, contains_answer, default_eval_dir, load_dataset, prepare_index, select_questions
from qa.fitted import MAX_NEW_WORDS, SUPPORT_THRESHOLD
from qa.generative import DECLINE
from qa.records import Answer, Citation, Passage

GRID = tuple(round(0.05 * i, 2) for i in range(21))
ALLOWANCES = tuple(range(6))
LENIENT = 99  # no bound on new words while the other checks are run


class Recording(GenerativeAnswerer):
    """The app's composing answerer, keeping each request and the model's raw reply."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint, threshold=0.0, max_new_words=LENIENT)
        self.seen: list[tuple[AnswerRequest, str]] = []

    def checked(self, request: AnswerRequest, reply: str) -> Answer:
        self.seen.append((request, reply))
        return super().checked(request, reply)


Case = tuple[float, int]  # (support, new words)


def cases(
    seen: list[tuple[AnswerRequest, str]], answers: dict[str, tuple[str, ...]], seed: int = 0
) -> dict[str, list[Case]]:
    """The cases of the fit, from the claims that pass every check but closeness:

    - *true*: a claim that holds a gold answer of its question and cites a sentence that holds
      one too, against the sentences it cites (``answers``: each question's gold answers);
    - *mismatched*: a true claim against the sentences another question's claim cites;
    - *appended*: a true claim with another question's claim appended to it as a clause,
      against its own cited sentences (a fabricated clause after a true sentence).
    """
    claims: list[tuple[str, list[str], str, str]] = []  # (claim, its cited sentences, question, language)
    for request, reply in seen:
        shown = {c.number: c.text for c in request.candidates}
        for v in check_claims(
            reply, request.candidates, question=request.question, language=request.language,
            threshold=0.0, max_new_words=LENIENT,
        ):  # fmt: skip
            if v.kept and not DECLINE.match(v.text):
                claims.append((v.text, [shown[n] for n in v.cites], request.question, request.language))
    rng = random.Random(seed)
    found: dict[str, list[Case]] = {"true": [], "mismatched": [], "appended": []}

    def case(claim: str, sentences: list[str], language: str) -> Case:
        return support(claim, sentences, language), len(new_words(claim, sentences, language))

    for claim, sentences, question, language in claims:
        gold = answers.get(question, ())
        if not (contains_answer(claim, gold) and any(contains_answer(s, gold) for s in sentences)):
            continue
        found["true"].append(case(claim, sentences, language))
        others = [j for j, other in enumerate(claims) if other[2] != question]
        if others:
            other, wrong, _, _ = claims[rng.choice(others)]
            found["mismatched"].append(case(claim, wrong, language))
            appended = f"{claim.rstrip('.!?… ')}, {other[:1].lower()}{other[1:]}"
            found["appended"].append(case(appended, sentences, language))
    return found


def rates(values: dict[str, list[Case]], threshold: float, allowance: int) -> dict[str, float]:
    def share(xs: list[Case]) -> float:
        passing = sum(s >= threshold and n <= allowance for s, n in xs)
        return round(passing / max(len(xs), 1), 4)

    return {f"{kind}_pass": share(xs) for kind, xs in values.items()}


def optima(values: dict[str, list[Case]]) -> list[tuple[float, int]]:
    """The bounds of largest (true pass rate − the mean false-pass rate of the mismatched and
    appended cases), Youden's J: every pair of the grid that reaches it."""

    def score(pair: tuple[float, int]) -> float:
        r = rates(values, *pair)
        return round(r["true_pass"] - (r["mismatched_pass"] + r["appended_pass"]) / 2, 6)

    scores = {(t, n): score((t, n)) for t in GRID for n in ALLOWANCES}
    best = max(scores.values())
    return [pair for pair, value in scores.items() if value == best]


def choose(best: list[tuple[float, int]], shipped: tuple[float, int]) -> tuple[tuple[float, int], str]:
    """The bounds to ship, and how they were chosen: the fit's, when one pair is best; when
    several are (the fit part cannot tell them apart), the shipped pair if it is one of them,
    else the best pair nearest to it."""
    if len(best) == 1:
        return best[0], "fitted"
    if shipped in best:
        return shipped, "kept: one of the best pairs on the fit part, which cannot tell them apart"
    nearest = min(best, key=lambda p: (abs(p[1] - shipped[1]), abs(p[0] - shipped[0])))
    return nearest, "moved to the best pair nearest the shipped one"


def save(seen: list[tuple[AnswerRequest, str]]) -> list[dict[str, Any]]:
    """The replies and what each request showed, as JSON (only what the check reads)."""
    return [
        {
            "question": request.question,
            "language": request.language,
            "candidates": [[c.number, c.text, c.title] for c in request.candidates],
            "reply": reply,
        }
        for request, reply in seen
    ]


def load(rows: list[dict[str, Any]]) -> list[tuple[AnswerRequest, str]]:
    passage = Passage(0, "", "", "", 0, 0, 0, 0, 0.0)
    seen = []
    for row in rows:
        candidates = tuple(
            Citation(number, text, "", title, 0, len(text), 0.0, 0, passage)
            for number, text, title in row["candidates"]
        )
        request = AnswerRequest(row["question"], row["language"], (), (), candidates, ())
        seen.append((replace(request, chosen=candidates[:1]), row["reply"]))
    return seen


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
    parser.add_argument("--dataset", type=Path, default=DATA / "piaf-v1.1.json")
    parser.add_argument("--fit-part", choices=PARTS, default="fit", help="questions fitted on (default fit)")
    parser.add_argument(
        "--test-part", choices=PARTS, default="test", help="questions reported on (default test)"
    )
    parser.add_argument(
        "--replies", type=Path, default=None,
        help="the model's replies: read from this file if it exists (no model is asked), else written there",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS / "claims.json")
    args = parser.parse_args()
    reuse = args.replies is not None and args.replies.exists()
    if not reuse and not args.local_model and not args.llm_url:
        parser.error("give --llm-url URL (and --llm-model), --local-model, or --replies FILE that exists")

    result: dict[str, Any] = {
        "command": "python -m bench.claims "
        + ("--replies FILE" if reuse else "--local-model" if args.local_model else "--llm-url URL"),
        "dataset": args.dataset.name,
        "commit": commit(short=True),
        "machine": machine(),
        "limit_per_part": args.limit,
    }
    if reuse:
        kept = json.loads(args.replies.read_text(encoding="utf-8"))
        result |= {"model": kept["model"], "replies_from": str(args.replies)}
        result |= {k: kept[k] for k in ("replies_command", "replies_commit", "limit_per_part") if k in kept}
        seen = {part: load(kept[part]["replies"]) for part in ("fit", "test")}
        for part in ("fit", "test"):
            result[part] = {k: v for k, v in kept[part].items() if k != "replies"}
    else:
        seen = ask_model(args, result)
        if args.replies is not None:
            args.replies.parent.mkdir(parents=True, exist_ok=True)
            kept = {
                "model": result["model"],
                "replies_command": result["command"] + f" --limit {args.limit} --replies {args.replies}",
                "replies_commit": result["commit"],
                "limit_per_part": args.limit,
            } | {part: result[part] | {"replies": save(seen[part])} for part in ("fit", "test")}
            args.replies.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    _, questions = load_dataset(args.dataset)
    answers = {q.question: q.answers for q in questions}
    values = {part: cases(seen[part], answers) for part in ("fit", "test")}
    for part in ("fit", "test"):
        result[part]["true_claims"] = len(values[part]["true"])
    if not values["fit"]["true"] or not values["fit"]["mismatched"]:
        result["threshold"] = result["max_new_words"] = None  # nothing to fit on: said, not invented
        result["reason"] = (
            "no true claim on the fit part passed the other checks: ask more questions (--limit)"
        )
    else:
        best = optima(values["fit"])
        (threshold, allowance), how = choose(best, (SUPPORT_THRESHOLD, MAX_NEW_WORDS))
        result["threshold"], result["max_new_words"], result["chosen"] = threshold, allowance, how
        result["best_pairs_on_fit"] = f"{len(best)} of {len(GRID) * len(ALLOWANCES)}"
        result["fit"] |= {"in_sample": rates(values["fit"], threshold, allowance)}
        result["test"] |= {"held_out": rates(values["test"], threshold, allowance)}
        result["grid_fit"] = {f"{t}/{n}": rates(values["fit"], t, n) for t in GRID for n in ALLOWANCES}
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k not in {"grid_fit", "machine"}}, indent=2))


def ask_model(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, list[tuple[AnswerRequest, str]]]:
    """Have the model compose an answer to each question of both parts; its replies."""
    embedder = index.load_embedder(None)
    articles, questions = load_dataset(args.dataset)
    eval_dir = default_eval_dir(args.dataset, spec_of(embedder))
    index_dir = prepare_index(args.dataset, articles, eval_dir, embedder, None)
    assistant = Assistant.open(index_dir, embedder=embedder)
    seen = {}
    with endpoint_for(args) as endpoint:
        result["model"] = endpoint.model
        for part, chosen in (("fit", args.fit_part), ("test", args.test_part)):
            recording = Recording(endpoint)
            asked = [q for q in select_questions(questions, part=chosen, limit=args.limit) if q.answerable]
            started = time.perf_counter()
            for gold in asked:
                assistant.ask(gold.question, answerer=recording)
            seen[part] = recording.seen
            result[part] = {
                "part": chosen,
                "questions": len(asked),
                "model_calls": len(recording.seen),
                "seconds": round(time.perf_counter() - started, 1),
            }
    return seen


if __name__ == "__main__":
    main()
