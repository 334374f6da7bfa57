"""Evaluation on SQuAD-format data sets (v1.1 and v2.0): the data sets and their seeded split,
the indexes the questions are asked of, the metrics, and the whole run ``article-qa eval`` makes.

>>> from qa.eval import evaluate_dataset
>>> report = evaluate_dataset(Path("fr-news-dev.json"), split="test")
>>> report.metrics["citation@1"]
"""

from __future__ import annotations

from .datasets import GoldQuestion, asked_in, load_dataset, select_questions
from .fixtures import default_eval_dir, prepare_index, removal_for, removal_index
from .metrics import contains_answer, evaluate, evaluate_composed, evaluate_removal, holds_answer, percentile
from .splits import PARTS, SPLIT_SEED, TEST_SHARE, part_of
from .workflow import EvalReport, evaluate_dataset

__all__ = [
    "PARTS",
    "SPLIT_SEED",
    "TEST_SHARE",
    "EvalReport",
    "GoldQuestion",
    "asked_in",
    "contains_answer",
    "default_eval_dir",
    "evaluate",
    "evaluate_composed",
    "evaluate_dataset",
    "evaluate_removal",
    "holds_answer",
    "load_dataset",
    "part_of",
    "percentile",
    "prepare_index",
    "removal_for",
    "removal_index",
    "select_questions",
]
