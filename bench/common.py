"""What the benchmarks share: where the data and results are, stage times, memory, the machine,
the commit, and how results are written."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
from pathlib import Path
from typing import Any

from bench.processes import run
from qa.eval import percentile

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"
RESULTS = Path("bench/results")


class Stages:
    """Per-stage times of many answers (``Answer.timings``, seconds), summarised in ms."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}

    def add(self, timings: dict[str, float]) -> None:
        for stage, seconds in timings.items():
            self.ms.setdefault(stage, []).append(seconds * 1000)

    def at(self, q: float) -> dict[str, float]:
        """Each stage's ``q`` quantile, in ms."""
        return {stage: round(percentile(values, q), 2) for stage, values in self.ms.items()}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare figures: cores, memory, library versions."""
    import faiss
    import numpy
    import torch

    memory = next(
        (int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
         if line.startswith("MemTotal:")),
        0,
    )  # fmt: skip
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": memory,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "faiss": faiss.__version__,
        "numpy": numpy.__version__,
    }


def commit(*, short: bool = False) -> str:
    """The commit of the code being measured (``git rev-parse HEAD``); empty outside a checkout."""
    command = ["git", "rev-parse", *(["--short"] if short else []), "HEAD"]
    return run(command, check=False).stdout.strip()


def sha256(path: Path) -> str:
    """The digest a result records of a data file, so that a reader knows which file it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_json(path: Path, data: Any, *, indent: int = 2) -> None:
    """Write a result as JSON (UTF-8, ending with a newline), making its folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def pyplot() -> Any:
    """matplotlib's ``pyplot``, drawing into files only (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Lay out a matplotlib figure and write it as a PNG."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
