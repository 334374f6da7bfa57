"""What ``bench.ann`` reports: the cheapest setting of each index type that reaches the recall
target, the pick per corpus size, the Markdown table, the figure and the printed summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.ann_search import K, Result
from bench.common import pyplot

RECALL_TARGET = 0.95
P50_BUDGET_MS = 10.0


def p50_of(r: Result, one_thread: bool = False) -> float:
    return r.p50_ms_1thread if one_thread else r.p50_ms


def best_setting(
    results: list[Result], n: int, kind: str, target: float = RECALL_TARGET, one_thread: bool = False
) -> Result | None:
    """Lowest-p50 setting of that type at that size reaching the recall target, if any."""
    good = [r for r in results if r.n == n and r.type == kind and r.recall_at_10 >= target]
    return min(good, key=lambda r: p50_of(r, one_thread)) if good else None


def highest_recall(results: list[Result], n: int, kind: str) -> Result | None:
    rows = [r for r in results if r.n == n and r.type == kind]
    return max(rows, key=lambda r: (r.recall_at_10, -r.p50_ms)) if rows else None


def choose(
    results: list[Result],
    p50_budget_ms: float = P50_BUDGET_MS,
    target: float = RECALL_TARGET,
    one_thread: bool = False,
) -> dict[str, Any]:
    """Measured sizes where exact flat search stays under the p50 budget, and a pick per size.

    The pick is flat when its p50 is within budget, else the fastest (lowest p50) ivf or hnsw
    setting reaching the recall target; nothing is interpolated between measured sizes.
    ``one_thread`` judges by the latencies measured with one OpenMP thread.
    """
    sizes = sorted({r.n for r in results})
    flat = {r.n: r for r in results if r.type == "flat"}
    under = [n for n in sizes if p50_of(flat[n], one_thread) <= p50_budget_ms]
    picks: dict[str, str] = {}
    for n in sizes:
        if n in under:
            picks[str(n)] = f"flat (p50 {p50_of(flat[n], one_thread):.2f} ms)"
            continue
        candidates = [
            b for kind in ("ivf", "hnsw") if (b := best_setting(results, n, kind, target, one_thread))
        ]
        if not candidates:
            picks[str(n)] = f"flat (no ivf/hnsw setting measured reaches recall@10 >= {target})"
            continue
        best = min(candidates, key=lambda r: p50_of(r, one_thread))
        picks[str(n)] = (
            f"{best.type} {describe(best.param)} "
            f"(recall {best.recall_at_10:.3f}, p50 {p50_of(best, one_thread):.2f} ms)"
        )
    return {
        "search_threads": 1 if one_thread else "default",
        "p50_budget_ms": p50_budget_ms,
        "recall_target": target,
        "flat_under_budget": under,
        "largest_flat_under_budget": max(under) if under else None,
        "flat_over_budget": [n for n in sizes if n not in under],
        "pick": picks,
    }


def describe(param: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in param.items()) or "exact"


def table_row(n: int, r: Result, setting: str) -> str:
    return (
        f"| {n:,} | {r.type} | {setting} | {r.recall_at_10:.3f} | {r.p50_ms:.3f} | {r.p95_ms:.3f} "
        f"| {r.p50_ms_1thread:.3f} | {r.p95_ms_1thread:.3f} | {r.build_s:.1f} | {r.bytes / 1e6:.1f} |"
    )


def markdown_table(results: list[Result]) -> str:
    """Per size: exact flat, and the cheapest ivf / hnsw setting with recall@10 >= 0.95."""
    lines = [
        f"| N | index | setting (cheapest with recall@10 >= {RECALL_TARGET}) | recall@10 | p50 ms | p95 ms "
        "| p50 ms, 1 thread | p95 ms, 1 thread | build s | serialized MB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r.n for r in results}):
        for kind in ("flat", "ivf", "hnsw"):
            best = best_setting(results, n, kind)
            if best is not None:
                lines.append(table_row(n, best, describe(best.param)))
            elif (top := highest_recall(results, n, kind)) is not None:
                lines.append(table_row(n, top, f"none reaches {RECALL_TARGET}; best: {describe(top.param)}"))
    return "\n".join(lines)


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB RAM, faiss {machine['faiss']}, "
        f"numpy {machine['numpy']}, OpenMP threads: build {machine['omp_threads_build']}, "
        f"search {machine['omp_threads_search']} and 1; OMP_WAIT_POLICY {machine['omp_wait_policy']}; "
        f"load average {machine['load_average_start']} at start"
    )


def plot(results: list[Result], machine: dict[str, Any], path: Path) -> None:
    """Left: p50 vs N per type (best setting with recall >= target). Right: recall vs p50 at the largest N."""
    plt = pyplot()
    sizes = sorted({r.n for r in results})
    largest = sizes[-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    styles = {"flat": ("black", "o"), "ivf": ("tab:blue", "s"), "hnsw": ("tab:orange", "^")}
    for kind, (colour, marker) in styles.items():
        points = [(n, b) for n in sizes if (b := best_setting(results, n, kind)) is not None]
        if not points:
            continue
        threads = machine["omp_threads_search"]
        label = (
            f"flat (exact), {threads} OpenMP threads"
            if kind == "flat"
            else f"{kind}, fastest with recall@10 ≥ {RECALL_TARGET}"
        )
        left.plot(
            [n for n, _ in points], [b.p50_ms for _, b in points], marker=marker, color=colour, label=label
        )
        for n, b in points:
            if b.param:
                left.annotate(
                    describe(b.param), (n, b.p50_ms), textcoords="offset points", xytext=(4, 4), fontsize=7
                )
    flat_rows = [r for r in results if r.type == "flat"]
    left.plot(
        [r.n for r in flat_rows],
        [r.p50_ms_1thread for r in flat_rows],
        marker="o",
        color="black",
        linestyle="--",
        markerfacecolor="none",
        label="flat (exact), 1 OpenMP thread",
    )
    left.axhline(P50_BUDGET_MS, color="grey", linestyle=":", linewidth=1, label=f"{P50_BUDGET_MS:g} ms")
    left.set(
        xscale="log", yscale="log", xlabel="corpus size N (vectors)", ylabel="single-query p50 latency (ms)"
    )
    left.set_title("Latency vs corpus size")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    for kind, key, offset in (("ivf", "nprobe", (4, -10)), ("hnsw", "efSearch", (-4, 5))):
        rows = sorted((r for r in results if r.n == largest and r.type == kind), key=lambda r: r.param[key])
        if not rows:
            continue
        colour, marker = styles[kind]
        right.plot(
            [r.p50_ms for r in rows],
            [r.recall_at_10 for r in rows],
            marker=marker,
            color=colour,
            label=f"{kind} ({key} sweep)",
        )
        for r in rows:
            right.annotate(
                str(r.param[key]),
                (r.p50_ms, r.recall_at_10),
                textcoords="offset points",
                xytext=offset,
                ha="left" if offset[0] > 0 else "right",
                fontsize=7,
            )
    flat = next(r for r in results if r.n == largest and r.type == "flat")
    right.plot(
        [flat.p50_ms],
        [flat.recall_at_10],
        marker="o",
        color="black",
        linestyle="none",
        label="flat (exact), default threads",
    )
    right.axhline(RECALL_TARGET, color="grey", linestyle=":", linewidth=1, label=f"recall {RECALL_TARGET}")
    right.set(xscale="log", xlabel="single-query p50 latency (ms)", ylabel=f"recall@{K} vs exact")
    right.set_title(f"Recall vs latency at N = {largest:,}")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("FAISS index choice for 384-d MiniLM chunk vectors (synthetic: real vectors + noise)")
    fig.text(0.5, 0.01, machine_line(machine), ha="center", fontsize=7, color="dimgrey")
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def print_choice(choice: dict[str, Any]) -> None:
    threads = "1 OpenMP thread" if choice["search_threads"] == 1 else "default OpenMP threads"
    under = ", ".join(f"{n:,}" for n in choice["flat_under_budget"]) or "none"
    over = ", ".join(f"{n:,}" for n in choice["flat_over_budget"]) or "none"
    largest = choice["largest_flat_under_budget"]
    print(
        f"\nWith {threads}: exact flat p50 <= {choice['p50_budget_ms']:g} ms at measured sizes: {under}; over: {over}."
    )
    print(f"Largest measured N with flat p50 under budget: {f'{largest:,}' if largest else 'none'}.")
    for n, pick in choice["pick"].items():
        print(f"- N = {int(n):,}: {pick}")


def print_summary(report: dict[str, Any], results: list[Result]) -> None:
    vectors = report["vectors"]
    print(f"\n{machine_line(report['machine'])}")
    print(
        f"Vectors: {vectors['real_vectors_pooled']:,} real MiniLM vectors pooled; synthetic mean cosine to parent "
        f"{vectors['mean_parent_cosine']:.4f} (sigma {vectors['sigma']:.4f}); {report['queries']['count']} queries, "
        f"one at a time, k = {K}.\n"
    )
    print(markdown_table(results))
    print_choice(report["choice"]["default_threads"])
    print_choice(report["choice"]["one_thread"])
