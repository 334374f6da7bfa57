"""Fit the claim check's bound across languages (qa.fitted.CROSS_SUPPORT_THRESHOLD) on XQuAD's
fit articles, and report the whole check on the held-out test articles.

    python -m bench.claims_cross [--out bench/results/claims_cross.json]

A composed claim across languages is a sentence in the question's language citing a sentence of
an article in another. XQuAD's files are professional translations of one another, question by
question, so they give such claims without a language model:

- *true*: the English sentence holding a question's English answer, citing the sentence of the
  other language's paragraph that holds that question's answer there (a human translation of a
  sentence stands for a claim that says what its cited sentence says);
- *mismatched*: the same English sentence citing another question's sentence (another
  paragraph);
- *appended*: the true sentence with another question's English sentence appended as a clause
  (", and …": a fabricated clause).

For German, Spanish, Russian and Chinese articles, with English claims. The bound is the cosine
that best separates true from false cases on the fit articles (Youden's J of the whole check,
each threshold on a grid); the test articles' pass rates at it are reported as held out.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import index
from bench.common import DATA, RESULTS, commit, write_json
from index.sentences import split_sentences
from qa.claims import check_claims
from qa.eval import part_of
from qa.records import Citation, Passage

OTHERS = ("de", "es", "ru", "zh")
GRID = tuple(round(0.70 + 0.01 * i, 2) for i in range(26))
KINDS = ("true", "mismatched", "appended")


def sentence_at(text: str, position: int, language: str) -> str | None:
    """The sentence of ``text`` holding ``position``."""
    for s in split_sentences(text, lang=language):
        if s.start <= position < s.end:
            return s.text
    return None


def gold_sentences(language: str) -> dict[str, tuple[str, str, str]]:
    """Per question id: (article title, sentence holding the answer, question)."""
    data = json.loads((DATA / f"xquad.{language}.json").read_text("utf-8"))["data"]
    out = {}
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                found = sentence_at(paragraph["context"], int(answer["answer_start"]), language)
                if found:
                    out[qa["id"]] = (article["title"], found, qa["question"])
    return out


def cases(language: str, seed: int = 0) -> list[dict[str, Any]]:
    english, other = gold_sentences("en"), gold_sentences(language)
    ids = sorted(set(english) & set(other))
    rng = random.Random(seed)
    out = []
    for qid in ids:
        title, claim, question = english[qid]
        cited = other[qid][1]
        stranger = rng.choice([i for i in ids if other[i][1] != cited and english[i][1] != claim])
        part = part_of(title)
        out.append({"kind": "true", "part": part, "claim": claim, "cited": cited, "question": question})
        out.append(
            {
                "kind": "mismatched",
                "part": part,
                "claim": claim,
                "cited": other[stranger][1],
                "question": question,
            }
        )
        appended = claim.rstrip(".") + ", and " + english[stranger][1][:1].lower() + english[stranger][1][1:]
        out.append(
            {"kind": "appended", "part": part, "claim": appended, "cited": cited, "question": question}
        )
    return [dict(c, language=language) for c in out]


def verdict(case: dict[str, Any], encode: Any, threshold: float) -> tuple[bool, str | None]:
    passage = Passage(0, case["cited"], "a", "", 0, len(case["cited"]), 0, 0, 1.0)
    citation = Citation(1, case["cited"], "a", "", 0, len(case["cited"]), 1.0, 0, passage, case["language"])
    claims = check_claims(
        case["claim"] + " [1]", [citation], question=case["question"], language="en",
        encode=encode, cross_threshold=threshold,
    )  # fmt: skip
    return all(c.kept for c in claims), next((c.reason for c in claims if not c.kept), None)


def rates(results: list[tuple[dict[str, Any], bool]]) -> dict[str, float]:
    out = {}
    for kind in KINDS:
        passed = [ok for case, ok in results if case["kind"] == kind]
        out[f"{kind}_passed"] = round(sum(passed) / len(passed), 4) if passed else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "claims_cross.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder(None)
    cache: dict[str, Any] = {}

    def encode(texts):  # the same texts recur across the grid: encode each once
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder.encode_queries(missing), strict=True))
        import numpy as np

        return np.stack([cache[t] for t in texts])

    every = [c for language in OTHERS for c in cases(language)]
    grid: dict[str, dict[str, float]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for threshold in GRID:
        fit = [(c, verdict(c, encode, threshold)[0]) for c in every if c["part"] == "fit"]
        grid[str(threshold)] = rates(fit)
        print(threshold, grid[str(threshold)], flush=True)

    def youden(t: float) -> float:
        r = grid[str(t)]
        return r["true_passed"] - (r["mismatched_passed"] + r["appended_passed"]) / 2

    chosen = max(GRID, key=youden)
    test = []
    for c in every:
        if c["part"] != "test":
            continue
        ok, reason = verdict(c, encode, chosen)
        test.append((c, ok))
        reasons.setdefault(c["kind"], {})
        reasons[c["kind"]][reason or "kept"] = reasons[c["kind"]].get(reason or "kept", 0) + 1
    result = {
        "commit": commit(),
        "model": str(index.embedders.spec_of(embedder)),
        "languages": {"claims": "en", "cited": list(OTHERS)},
        "cases": {part: sum(1 for c in every if c["part"] == part) for part in ("fit", "test")},
        "threshold": chosen,
        "fit": {"in_sample": True, **grid[str(chosen)]},
        "test": {
            "held_out": True,
            **rates(test),
            "by_language": {
                lang: rates([(c, ok) for c, ok in test if c["language"] == lang]) for lang in OTHERS
            },
            "reasons": reasons,
        },
        "grid": grid,
    }
    write_json(args.out, result, indent=1)
    print(json.dumps({k: result[k] for k in ("threshold", "fit", "test")}, indent=1))


if __name__ == "__main__":
    main()
