"""Evaluation on SQuAD-format data sets (v1.1 and v2.0): retrieval, citations, abstention, latency.

Each article of the data set becomes one article of an index (its title, and its paragraphs
joined by blank lines, so that chunking is part of what is measured). Every question is then
asked as a user would ask it, and the gold answers' positions are checked against the
returned passages and cited sentences.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import statistics
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import index
from index.analysis import fold
from index.backends import backend_for
from index.embedders import spec_of
from index.info import indexing_version
from index.normalize import normalize_text

from .answerers import Answerer
from .assistant import Assistant
from .claims import check_claims, without_markers
from .records import Answer, Passage
from .splits import PARTS, part_of, removed

logger = logging.getLogger(__name__)

RECALL_DEPTHS = (1, 5, 20)


@dataclass(frozen=True)
class GoldQuestion:
    """A question of the data set with the positions of its gold answers in the article text."""

    id: str
    question: str
    article_id: str
    positions: tuple[int, ...]
    title: str = ""
    answers: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.positions)


def load_dataset(path: Path) -> tuple[list[dict[str, Any]], list[GoldQuestion]]:
    """Read a SQuAD file into article records (for the indexer) and gold questions."""
    try:
        return _read_squad(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        raise index.ArticleFormatError(
            f"{path} is not a SQuAD-format JSON file ({reason}); give a file like "
            '{"data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [...]}]}]}'
        ) from None


def _read_squad(content: Any) -> tuple[list[dict[str, Any]], list[GoldQuestion]]:
    data = content["data"]
    if not isinstance(data, list) or not data:
        raise ValueError("'data' must be a non-empty list of articles")
    articles: list[dict[str, Any]] = []
    questions: list[GoldQuestion] = []
    for number, item in enumerate(data):
        article_id = f"{number:04d}-{_slug(item.get('title', ''))}"
        offsets: list[int | None] = []
        texts: list[str] = []
        position = 0
        for paragraph in item["paragraphs"]:
            normal = normalize_text(paragraph["context"])
            if not normal:
                offsets.append(None)
                continue
            offsets.append(position)
            texts.append(normal)
            position += len(normal) + 2
        text = "\n\n".join(texts)
        articles.append(
            {"id": article_id, "title": item.get("title", "").replace("_", " "), "text": text,
             "category": item.get("categorie") or item.get("category")}
        )  # fmt: skip
        for paragraph, offset in zip(item["paragraphs"], offsets, strict=True):
            for qa in paragraph.get("qas", []):
                positions: list[int] = []
                golden: list[str] = []
                if offset is not None and not qa.get("is_impossible"):
                    for ans in qa.get("answers", []):
                        start = _normal_position(paragraph["context"], int(ans["answer_start"]))
                        positions.append(offset + start)
                        golden.append(normalize_text(str(ans.get("text", ""))))
                questions.append(
                    GoldQuestion(
                        str(qa["id"]),
                        qa["question"],
                        article_id,
                        tuple(positions),
                        item.get("title", ""),
                        tuple(dict.fromkeys(a for a in golden if a)),
                    )
                )
    return articles, questions


def _slug(title: str) -> str:
    return re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60] or "article"


def _normal_position(context: str, start: int) -> int:
    """Where ``context[start]`` lands once the context is normalised."""
    marked = normalize_text(context[:start] + "\u2063" + context[start:])  # invisible separator
    return marked.index("\u2063")


def default_eval_dir(
    dataset: Path, spec: index.ModelSpec, settings: index.ChunkSettings | None = None
) -> Path:
    """Where the data set's index is kept: keyed on the file, the indexing code, the model and
    its runtime, and the chunk settings, so that no figure comes from a stale index."""
    digest = hashlib.sha1(dataset.read_bytes()).hexdigest()[:10]
    key = json.dumps(
        [indexing_version(), spec.runtime, spec.model, asdict(settings or index.ChunkSettings())]
    )
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = f"{dataset.stem}-{digest}-{_slug(spec.model)}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    return cache / "article-qa" / "eval" / name


def prepare_index(
    dataset: Path,
    articles: Sequence[dict[str, Any]],
    eval_dir: Path,
    embedder: index.Embedder,
    progress: index.Progress | None = None,
    *,
    settings: index.ChunkSettings | None = None,
    target: str | Path | None = None,
) -> str | Path:
    """Index the data set's articles in ``target`` (default ``eval_dir/index``; a URI puts
    them in an engine), reusing an index of the same file."""
    target = target if target is not None else eval_dir / "index"
    try:
        manifest = backend_for(target).read_manifest()
        if manifest.model_spec == spec_of(embedder) and manifest.counts.get("articles") == len(articles):
            return target
    except (index.IndexNotFoundError, index.IndexMismatchError):
        pass  # none yet, or of an older format: build it
    eval_dir.mkdir(parents=True, exist_ok=True)
    corpus = eval_dir / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for record in articles:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    index.build(
        [corpus],
        target,
        embedder=embedder,
        chunk_settings=settings,
        rebuild=True,
        max_file_mb=1000,
        progress=progress,
    )
    return target


def removal_index(full: Path, removed_ids: Sequence[str], target: Path) -> Path:
    """A copy of the index at ``full`` without the articles ``removed_ids`` (none encoded)."""
    try:
        manifest = backend_for(target).read_manifest()
        source = backend_for(full).read_manifest()
        if manifest.updated_at >= source.updated_at and manifest.last_build.get("removed") == len(
            removed_ids
        ):
            return target
    except (index.IndexNotFoundError, index.IndexMismatchError):
        pass
    if target.exists():
        shutil.rmtree(target)
    index.copy_index(full, target)
    index.remove(target, removed_ids)
    return target


def removal_for(
    full: Path, articles: Sequence[dict[str, Any]], *, share: float, seed: int
) -> tuple[Path, set[str]]:
    """The seeded removal measure's index beside ``full`` (``eval_dir/index``), with the ids of
    the articles it lacks (a ``share`` of ``articles`` drawn by title)."""
    gone = {a["id"] for a in articles if removed(a["title"], seed=seed, share=share)}
    target = full.parent / f"index-without-{share:g}-seed{seed}"
    return removal_index(full, sorted(gone), target), gone


def select_questions(
    questions: Sequence[GoldQuestion], *, part: str = "all", limit: int | None = None
) -> list[GoldQuestion]:
    """The questions of one part of the split (``all``, ``fit``, ``test``), then ``limit`` of
    them evenly spread (the one sampling rule of ``eval`` and the benchmarks)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    chosen = [q for q in questions if part == "all" or part_of(q.title) == part]
    if limit and limit < len(chosen):
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    return chosen


def _hit(gold: GoldQuestion, article_id: str, start: int, end: int) -> bool:
    return article_id == gold.article_id and any(start <= p < end for p in gold.positions)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def evaluate(
    assistant: Assistant,
    questions: Sequence[GoldQuestion],
    *,
    on_question: Callable[[GoldQuestion, Answer, list[Passage]], None] | None = None,
) -> dict[str, float | int]:
    """Ask every question; return the metrics ``article-qa eval`` prints."""
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    recall = {k: 0 for k in RECALL_DEPTHS}
    rr = 0.0
    cite1 = cite3 = answered = cited = abstained_unanswerable = 0
    later: list[bool] = []  # each citation after [1] of an answered question: does it hold the answer?
    passage_chars: list[int] = []
    sentence_chars: list[int] = []
    latencies: list[float] = []
    for gold in questions:
        started = time.perf_counter()
        answer, ranked = assistant.ask_with_candidates(
            gold.question
        )  # one retrieval serves the answer and recall@k
        latencies.append((time.perf_counter() - started) * 1000)
        passage_chars.extend(len(p.text) for p in answer.passages)
        sentence_chars.extend(len(c.text) for c in answer.citations)
        ranked = ranked[: max(RECALL_DEPTHS)]
        if on_question is not None:
            on_question(gold, answer, ranked)
        if not gold.answerable:
            abstained_unanswerable += answer.abstained
            continue
        first = next((r for r, p in enumerate(ranked, 1) if _hit(gold, p.article_id, p.start, p.end)), None)
        for k in RECALL_DEPTHS:
            recall[k] += first is not None and first <= k
        rr += 1.0 / first if first else 0.0
        answered += not answer.abstained
        cited += len(answer.citations) if not answer.abstained else 0
        hits = [_hit(gold, c.article_id, c.start, c.end) for c in answer.citations]
        cite1 += bool(hits[:1] and hits[0])
        cite3 += any(hits[:3])
        later.extend(hits[1:])
    n = max(len(answerable), 1)
    metrics: dict[str, float | int] = {"questions": len(questions)}
    metrics.update({f"recall@{k}": round(recall[k] / n, 4) for k in RECALL_DEPTHS})
    metrics.update(
        {
            "mrr": round(rr / n, 4),
            "citation@1": round(cite1 / n, 4),
            "citation@3": round(cite3 / n, 4),
            "answered_answerable": round(answered / n, 4),
            # How many sentences an answer cites, and how often one after the first holds the answer.
            "citations_per_answer": round(cited / answered, 3) if answered else 0.0,
            "later_citations_holding": round(sum(later) / len(later), 4) if later else 0.0,
        }
    )
    if unanswerable:
        metrics["abstained_unanswerable"] = round(abstained_unanswerable / len(unanswerable), 4)
    metrics.update(
        {
            "mean_passage_chars": round(statistics.fmean(passage_chars), 1) if passage_chars else 0.0,
            "mean_sentence_chars": round(statistics.fmean(sentence_chars), 1) if sentence_chars else 0.0,
            "latency_ms_p50": round(percentile(latencies, 0.50), 1),
            "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        }
    )
    return metrics


def evaluate_removal(
    assistant: Assistant, questions: Sequence[GoldQuestion], removed_ids: Collection[str]
) -> dict[str, float | int]:
    """Ask ``questions`` of an index that lacks the articles ``removed_ids``.

    The answerable questions of removed articles should be answered "not found"
    (``abstained_removed``); those of kept articles should still be answered
    (``answered_kept``). This is the common case of a user: a question no article covers.
    """
    gone = [q for q in questions if q.answerable and q.article_id in removed_ids]
    kept = [q for q in questions if q.answerable and q.article_id not in removed_ids]
    abstained = sum(assistant.ask(q.question).abstained for q in gone)
    answered = sum(not assistant.ask(q.question).abstained for q in kept)
    return {
        "removed_questions": len(gone),
        "abstained_removed": round(abstained / max(len(gone), 1), 4),
        "answered_kept": round(answered / max(len(kept), 1), 4),
    }


def evaluate_composed(
    assistant: Assistant,
    questions: Sequence[GoldQuestion],
    answerer: Answerer,
    *,
    on_question: Callable[[GoldQuestion, Answer, Answer], None] | None = None,
) -> dict[str, Any]:
    """Ask the answerable ``questions`` twice, quoted and composed by ``answerer``: how often
    the composed answer holds a gold answer (normalised match, token F1) against the quoted
    answer's first citation, what the check removed, the fallbacks, and the latency. The
    unanswerable ones (SQuAD v2.0) are asked both ways too, for the abstentions: how many
    questions of each kind end without an answer, quoted and composed (the scorer abstained,
    or the model found no answer, ``declined``)."""
    asked = [q for q in questions if q.answerable]
    abstained = {"quoted_answerable": 0, "composed_answerable": 0}
    abstained |= {"quoted_unanswerable": 0, "composed_unanswerable": 0}
    unanswerable = [q for q in questions if not q.answerable]
    for gold in unanswerable:
        abstained["quoted_unanswerable"] += assistant.ask(gold.question).abstained
        abstained["composed_unanswerable"] += assistant.ask(gold.question, answerer=answerer).abstained
    fallbacks: dict[str, int] = {}
    claims = passed = composed = shipped_failing = model_calls = declined = 0
    holds = {"composed": 0, "shipped": 0, "quoted_first_citation": 0}
    f1 = {"composed": 0.0, "quoted_first_citation": 0.0}
    latencies: list[float] = []
    for gold in asked:
        quoted = assistant.ask(gold.question)
        started = time.perf_counter()
        answer = assistant.ask(gold.question, answerer=answerer)
        latencies.append((time.perf_counter() - started) * 1000)
        if on_question is not None:
            on_question(gold, quoted, answer)
        first = quoted.citations[0].text if quoted.citations else ""
        holds["quoted_first_citation"] += _holds(first, gold.answers)
        f1["quoted_first_citation"] += _best_f1(first, gold.answers)
        holds["shipped"] += _holds(without_markers(answer.text) if not answer.abstained else "", gold.answers)
        abstained["quoted_answerable"] += quoted.abstained
        abstained["composed_answerable"] += answer.abstained
        if answer.check is None:
            continue  # abstained: the model was not asked
        model_calls += 1
        if answer.check.declined:
            declined += 1
            continue
        claims += len(answer.check.claims)
        passed += sum(c.kept for c in answer.check.claims)
        if answer.check.fallback:
            fallbacks[answer.check.fallback] = fallbacks.get(answer.check.fallback, 0) + 1
            continue
        composed += 1
        text = without_markers(answer.text)
        holds["composed"] += _holds(text, gold.answers)
        f1["composed"] += _best_f1(text, gold.answers)
        # By construction no shipped claim fails; checked again here, on the answer as shipped.
        again = check_claims(
            answer.text, answer.citations, question=answer.question, language=answer.language
        )
        shipped_failing += sum(not v.kept for v in again)
    n = max(len(asked), 1)
    return {
        "composed_questions": len(asked),
        "model_calls": model_calls,
        "composed_share": round(composed / n, 4),
        "fallbacks": dict(sorted(fallbacks.items())),
        "fallback_share": round(sum(fallbacks.values()) / max(model_calls, 1), 4),
        "declined": declined,
        "unanswerable_questions": len(unanswerable),
        **{f"abstained_{kind}": count for kind, count in abstained.items()},
        "generated_sentences": claims,
        "generated_sentences_passing": round(passed / max(claims, 1), 4),
        "shipped_claims_failing": shipped_failing,
        "holds_gold_composed": round(holds["composed"] / n, 4),
        "holds_gold_shipped": round(holds["shipped"] / n, 4),
        "holds_gold_quoted_first_citation": round(holds["quoted_first_citation"] / n, 4),
        "token_f1_composed": round(f1["composed"] / n, 4),
        "token_f1_quoted_first_citation": round(f1["quoted_first_citation"] / n, 4),
        "composed_latency_ms_p50": round(percentile(latencies, 0.50), 1),
        "composed_latency_ms_p95": round(percentile(latencies, 0.95), 1),
    }


def normal_answer(text: str) -> str:
    """``text`` for comparison with a gold answer: no case, accents or punctuation."""
    letters = "".join(c if c.isalnum() else " " for c in fold(text))
    return " ".join(letters.split())


def _holds(text: str, answers: Sequence[str]) -> bool:
    normal = f" {normal_answer(text)} "
    return any(f" {normal_answer(a)} " in normal for a in answers if normal_answer(a))


def _best_f1(text: str, answers: Sequence[str]) -> float:
    got = normal_answer(text).split()
    best = 0.0
    for gold in answers:
        want = normal_answer(gold).split()
        common = sum((Counter(got) & Counter(want)).values())
        if common:
            precision, recall = common / len(got), common / len(want)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best
