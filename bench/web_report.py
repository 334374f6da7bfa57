"""What the load benchmark reports of a run: latency percentiles and errors of the answers,
Gradio's own per-event timings, the CPU the server and the load generator used, the machine's load.

A p50 here is ``statistics.median`` (the mean of the two middle values of an even count), a p95
the nearest rank (``qa.eval.percentile``), as every web benchmark has reported them.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.web_users import Asked
from bench.webapp import Server
from qa.eval import percentile


def around_writes(samples: list[Asked], start: float, writes: dict[str, Any]) -> dict[str, Any]:
    """Latency of the answered questions asked while an index write ran (the upload's, the
    command line update's or the watched folder's refresh time, from ``start``), of those of
    each write, and of the others."""
    windows = {
        name: (start + w["at_s"], start + w["at_s"] + w["seconds"])
        for name, w in writes.items()
        if "seconds" in w
    }
    groups: dict[str, list[float]] = {"while_writing": [], "otherwise": []}
    groups |= {f"while_{name}": [] for name in windows}
    for s in samples:
        if s.error is None:
            hit = [name for name, (begin, end) in windows.items() if s.at < end and s.at + s.seconds > begin]
            for name in hit:
                groups[f"while_{name}"].append(s.seconds)
            groups["while_writing" if hit else "otherwise"].append(s.seconds)
    return {
        name: {"answers": len(values)} | (_middle_and_tail(sorted(values)) if values else {})
        for name, values in groups.items()
    }


def _middle_and_tail(seconds: list[float]) -> dict[str, float]:
    """The median and the 95th percentile of sorted latencies, in seconds to the millisecond."""
    return {"p50_s": round(statistics.median(seconds), 3), "p95_s": round(percentile(seconds, 0.95), 3)}


def summary(samples: list[Asked]) -> dict[str, Any]:
    """Counts and latency percentiles (seconds) of the answered questions."""
    good = sorted(s.seconds for s in samples if s.error is None)
    errors = [s.error for s in samples if s.error is not None]
    result: dict[str, Any] = {"answers": len(good), "errors": len(errors)}
    if good:
        result |= _middle_and_tail(good) | {"max_s": round(good[-1], 3)}
    distinct: dict[str, int] = {}
    for error in errors:
        distinct[error] = distinct.get(error, 0) + 1
    result["error_messages"] = [{"message": m, "count": n} for m, n in distinct.items()]
    start = min((s.at for s in samples), default=0.0)
    result["errors_detail"] = [  # the first ones, to see whether they come together
        {
            "user": s.user,
            "at_s": round(s.at - start, 2),
            "step": s.step,
            "question": s.question,
            "error": s.error,
        }
        for s in sorted(samples, key=lambda s: s.at)
        if s.error is not None
    ][:20]
    return result


PHASES = ("queue_wait", "preprocess", "fn_call", "postprocess", "total")


def profile(server: Server, enabled: bool) -> dict[str, Any] | None:
    """Gradio's per-event timings since the last call (ms), by endpoint; then clears them."""
    if not enabled:
        return None
    traces = server.get("gradio_api/profiling/traces")
    server.post("gradio_api/profiling/clear")
    by_fn: dict[str, dict[str, list[float]]] = {}
    for trace in traces:
        if trace.get("fn_name") == "gradio_file_upload":  # its trace holds no phase
            continue
        phases = by_fn.setdefault(str(trace.get("fn_name")), {})
        for phase in PHASES:
            phases.setdefault(phase, []).append(float(trace.get(f"{phase}_ms") or 0.0))
    return {
        fn: {
            "events": len(phases["total"]),
            **{
                f"{phase}_ms": {
                    "p50": round(statistics.median(values), 1),
                    "p95": round(percentile(values, 0.95), 1),
                }
                for phase, values in phases.items()
            },
        }
        for fn, phases in by_fn.items()
    }


@contextmanager
def cpu_use(server: Server, into: dict[str, Any]) -> Iterator[None]:
    """Record the CPU seconds the server and this load generator used in the block."""
    server_before, own_before = server.cpu_seconds(), time.process_time()
    yield
    server_after = server.cpu_seconds()
    if server_before is not None and server_after is not None:
        into["server_cpu_s"] = round(server_after - server_before, 2)
    into["load_generator_cpu_s"] = round(time.process_time() - own_before, 2)


def per_answer(result: dict[str, Any]) -> None:
    """Add the CPU milliseconds per answer of the server and the load generator."""
    for who in ("server", "load_generator"):
        if f"{who}_cpu_s" in result and result.get("answers"):
            result[f"{who}_cpu_ms_per_answer"] = round(1000 * result[f"{who}_cpu_s"] / result["answers"], 1)


def machine_load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"load_1min": round(one, 2), "load_5min": round(five, 2), "load_15min": round(fifteen, 2)}
