"""What an evaluation measures: retrieval, citations, abstention and latency of quoted answers,
the removal measure, and composed answers against quoted ones.

Every question is asked as a user would ask it, and the gold answers' positions are checked
against the returned passages and cited sentences (:func:`holds_answer`).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import Any

from index.analysis import fold

from ..answerers import Answerer
from ..assistant import Assistant
from ..claims import check_claims, without_markers
from ..records import Answer, Passage
from .datasets import GoldQuestion

RECALL_DEPTHS = (1, 5, 20)


def holds_answer(gold: GoldQuestion, article_id: str, start: int, end: int) -> bool:
    """Whether the span ``start:end`` of the article ``article_id`` (a passage, a sentence)
    holds the position of one of ``gold``'s answers."""
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
        first = next(
            (r for r, p in enumerate(ranked, 1) if holds_answer(gold, p.article_id, p.start, p.end)), None
        )
        for k in RECALL_DEPTHS:
            recall[k] += first is not None and first <= k
        rr += 1.0 / first if first else 0.0
        answered += not answer.abstained
        cited += len(answer.citations) if not answer.abstained else 0
        hits = [holds_answer(gold, c.article_id, c.start, c.end) for c in answer.citations]
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
        holds["quoted_first_citation"] += contains_answer(first, gold.answers)
        f1["quoted_first_citation"] += _best_f1(first, gold.answers)
        holds["shipped"] += contains_answer(
            without_markers(answer.text) if not answer.abstained else "", gold.answers
        )
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
        holds["composed"] += contains_answer(text, gold.answers)
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


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``answers`` (each compared as :func:`normal_answer` makes it)."""
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
