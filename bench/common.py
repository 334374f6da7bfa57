"""What the benchmarks share: stage times, peak memory, the machine, fresh child processes."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.eval import percentile

SHARED = Path(__file__).resolve().parents[2] / "shared"
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


def run_child(module: str, *args: str, timeout: float | None = None) -> dict[str, Any]:
    """Run ``python -m module args...`` in a fresh process; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def save_figure(fig: Any, path: Path) -> None:
    """Lay out a matplotlib figure and write it as a PNG."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def child_args(argv: Sequence[str] | None) -> list[str] | None:
    """The arguments of a ``child`` run (a benchmark's own subprocess), else None."""
    args = list(sys.argv[1:] if argv is None else argv)
    return args[1:] if args[:1] == ["child"] else None
