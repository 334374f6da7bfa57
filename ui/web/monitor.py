"""What a running server tells its operator: Prometheus metrics and one JSON line per question.

Every question the app answers (in the chat or through the HTTP API) is counted by outcome
and answer mode, its time by stage goes into histograms, and a JSON line is written to the
request log: time, channel, latency by stage, abstained or not, mode, the index's
generation, and the error's kind. The question's text is logged only when the operator asks
for it (``serve --log-questions``): questions can be personal. Refreshes are counted with
their failures, and the index's generation, articles, segments and last update are read at
each scrape. The metrics live in the monitor's own registry, never in the process-wide one.

>>> monitor = Monitor(live, log=request_logger("-"))
>>> monitor.question("Qui … ?", answer=answer, seconds=0.02, channel="api")
>>> monitor.exposition()    # what GET /metrics answers
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from qa import Answer, Assistant


class LiveAssistant(Protocol):
    """What the monitor reads of the served app (:class:`ui.web.state.LiveAssistant`)."""

    @property
    def current(self) -> Assistant: ...
    @property
    def info(self) -> dict[str, Any]: ...


__all__ = ["CONTENT_TYPE", "Monitor", "request_logger"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STAGES = ("analyse", "encode", "dense", "lexical", "select", "rerank", "compose", "stories", "total")
"""The stages of a question whose time is kept (the keys of :attr:`qa.Answer.timings`)."""
BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.06, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LOGGER = "article_qa.requests"
_DIGITS = re.compile(r"(\d+)$")


class Monitor:
    """Counts what ``live`` (the served app) does, and writes the request log to ``log``
    (``None``: no request log). ``log_questions`` puts each question's text in its line."""

    def __init__(
        self, live: LiveAssistant, *, log: logging.Logger | None = None, log_questions: bool = False
    ) -> None:
        self.live = live
        self.log = log
        self.log_questions = log_questions
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "article_qa_questions",
            "Questions answered, by outcome (answered, abstained, error) and answer mode "
            "(quoted, composed, fallback: a composed answer was asked for and the quoted one given)",
            ["outcome", "mode"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "article_qa_stage_seconds",
            "Time of each stage of a question (total: the whole question)",
            ["stage"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "article_qa_errors",
            "Questions that failed, by the error's kind",
            ["kind"],
            registry=self.registry,
        )
        self.refreshes = Counter(
            "article_qa_refreshes",
            "Refreshes of the index's sources, by outcome (done, failed, skipped)",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(_IndexCollector(live))

    def question(
        self,
        question: str,
        *,
        answer: Answer | None = None,
        error: str | None = None,
        seconds: float,
        channel: str,
    ) -> None:
        """Count one question: its ``answer``, or the ``error``'s kind; ``seconds`` in all."""
        error = None if answer is not None else error or "internal"
        if answer is not None:
            mode = "fallback" if answer.check is not None and answer.check.fallback else answer.mode
            self.questions.labels("abstained" if answer.abstained else "answered", mode).inc()
            for stage in STAGES:
                if stage in answer.timings and stage != "total":
                    self.stage_seconds.labels(stage).observe(answer.timings[stage])
        else:
            mode = ""
            self.questions.labels("error", "none").inc()
            self.errors.labels(error).inc()
        self.stage_seconds.labels("total").observe(seconds)
        if self.log is not None:
            self.log.info(json.dumps(self._line(question, answer, error, seconds, channel, mode)))

    def refreshed(self, error: str | None, *, skipped: bool = False) -> None:
        """Count one refresh of the sources: done, failed (``error``) or skipped."""
        self.refreshes.labels("skipped" if skipped else "failed" if error else "done").inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)

    def _line(
        self, question: str, answer: Answer | None, error: str | None, seconds: float, channel: str, mode: str
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "channel": channel,
            "ms": round(seconds * 1000, 1),
            "stages_ms": {k: round(v * 1000, 2) for k, v in (answer.timings if answer else {}).items()},
            "abstained": answer.abstained if answer else None,
            "mode": mode or None,
            "fallback": answer.check.fallback if answer and answer.check else None,
            "citations": len(answer.citations) if answer else 0,
            "language": answer.language if answer else None,
            "generation": _generation(self.live),
            "error": error,
        }
        if self.log_questions:
            line["question"] = question
        return line


def request_logger(target: str | None) -> logging.Logger | None:
    """The request log: ``"-"`` (standard error), a file to append to, or None (no log)."""
    if not target:
        return None
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stderr)
    else:
        path = Path(target).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def _generation(live: LiveAssistant) -> str | None:
    try:
        return str(live.current.store.manifest.generation)
    except Exception:  # a monitor never breaks a question
        return None


class _IndexCollector(Collector):
    """The served index's figures, read at each scrape."""

    def __init__(self, live: LiveAssistant) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        info = self.live.info
        generation = _generation(self.live) or ""
        number = _DIGITS.search(generation)
        gauges = {
            "article_qa_index_generation": (
                "The served index generation's number",
                number and int(number[1]),
            ),
            "article_qa_index_articles": ("Articles in the served index", info.get("articles")),
            "article_qa_index_sentences": ("Sentences in the served index", info.get("sentences")),
            "article_qa_index_segments": ("Segments of the served index", info.get("segments")),
            "article_qa_index_last_update_timestamp_seconds": (
                "When the served index was last written (Unix time)",
                _timestamp(info.get("updated_at")),
            ),
        }
        for name, (text, value) in gauges.items():
            if isinstance(value, int | float):
                yield GaugeMetricFamily(name, text, value=float(value))
        labelled = GaugeMetricFamily(
            "article_qa_index_info",
            "The served index (1), labelled by generation and model",
            labels=["generation", "model"],
        )
        labelled.add_metric([generation, str(info.get("model", ""))], 1.0)
        yield labelled


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
