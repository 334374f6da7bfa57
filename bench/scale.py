"""How article-qa's build, update, questions, memory and start-up grow with the corpus.

    python -m bench.scale [--sizes 1000,10000,100000] [--questions 500]

The corpus: PIAF v1.1's 480 French articles (title and paragraphs), then copies of them
until the size is reached. Copy k of an article has the id ``ID~k``, the title
``TITLE (copie k)`` and the same text, so that each copy is a near-duplicate as wire copies
of a news story are. The 480 originals are encoded by the real model once (the index is
kept in ``--work``). A copy's vectors are its original's plus seeded Gaussian noise
(cosine about 0.95 to the original), not encodings: encoding 100,000 articles would take
about a day on this machine (``bench.peers`` measures the model's rate). Any text that is
neither an original nor a copy (the update's edit, every question) goes through the real
model.

For each size, in fresh processes: the build (stages, peak memory, disk per article); then a
served index: process start to first answer, resident memory once open and after the
questions, and ``Assistant.ask`` latency over a seeded sample of PIAF questions, split into
question encoding, dense search, lexical search and sentence selection. Recall@5 counts a
passage of the gold article or of one of its copies. At the ``--update-sizes``, ``index
update`` is timed, with the bytes it writes (``/proc/self/io``): one article changed and one
added, each given as a one-record file, then one changed with the whole corpus as the source;
then a seeded 12% of the articles are removed, past the share at which an update merges.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DATA,
    RESULTS,
    Stages,
    current_rss_mb,
    machine,
    peak_rss_mb,
    pyplot,
    save_figure,
    write_json,
)
from bench.grown_corpus import embedder, write_corpus
from bench.processes import child_args, run_python
from qa.eval import percentile

# -- children ------------------------------------------------------------------------------------


def child_base(dataset: Path, work: Path) -> dict[str, Any]:
    """Index the originals with the real model (once; kept for later runs)."""
    import index
    from qa.eval import load_dataset

    target = work / "base-index"
    if (target / "manifest.json").exists():
        return {"reused": str(target)}
    articles, _ = load_dataset(dataset)
    corpus = work / "base.jsonl"
    write_corpus(articles, len(articles), corpus)
    t = time.perf_counter()
    report = index.build([corpus], target, model="minilm", rebuild=True, max_file_mb=1000)
    return {"build_s": round(time.perf_counter() - t, 2), "counts": report.counts}


def child_build(dataset: Path, work: Path, size: int) -> dict[str, Any]:
    import index
    from qa.eval import load_dataset

    articles, _ = load_dataset(dataset)
    corpus = work / f"corpus-{size}.jsonl"
    write_corpus(articles, size, corpus)
    replay = embedder(work / "base-index")
    target = work / f"index-{size}"
    rss_before = current_rss_mb()
    t = time.perf_counter()
    report = index.build([corpus], target, embedder=replay, rebuild=True, max_file_mb=100_000)
    wall = time.perf_counter() - t
    store = index.open_index(target)
    disk = store.size_bytes()
    return {
        "size": size,
        "build_s": round(wall, 2),
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
        "counts": report.counts,
        "encoded_by_model": replay.encoded,
        "disk_mb": round(disk / 2**20, 1),
        "disk_kb_per_article": round(disk / 1024 / size, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "rss_before_build_mb": round(rss_before),
    }


def child_serve(dataset: Path, work: Path, size: int, questions: int, started: float) -> dict[str, Any]:
    """Open the index as ``serve`` does, answer, and measure."""
    from index.settings import stay_offline

    stay_offline()
    from qa import Assistant
    from qa.eval import holds_answer, load_dataset

    assistant = Assistant.open(work / f"index-{size}")
    _, golds = load_dataset(dataset)
    sample = random.Random(0).sample([g for g in golds if g.answerable], questions)
    first = assistant.ask(sample[0].question)
    startup = time.time() - started
    rss_open = current_rss_mb()
    latencies: list[float] = []
    stages = Stages()
    recall5 = cite1 = 0
    for gold in sample:
        t = time.perf_counter()
        answer, ranked = assistant.ask_with_candidates(gold.question)
        latencies.append((time.perf_counter() - t) * 1000)
        stages.add(answer.timings)
        recall5 += any(holds_answer(gold, p.article_id.split("~")[0], p.start, p.end) for p in ranked[:5])
        cited = answer.citations[0] if answer.citations and not answer.abstained else None
        cite1 += cited is not None and holds_answer(
            gold, cited.article_id.split("~")[0], cited.start, cited.end
        )
    return {
        "size": size,
        "startup_s": round(startup, 2),
        "first_answer_abstained": first.abstained,
        "rss_open_mb": round(rss_open),
        "rss_after_mb": round(current_rss_mb()),
        "questions": len(sample),
        "recall@5": round(recall5 / len(sample), 4),
        "citation@1": round(cite1 / len(sample), 4),
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p95": round(percentile(latencies, 0.95), 2),
        "stages_ms_p50": stages.at(0.5),
        "stages_ms_p95": stages.at(0.95),
    }


def io_counters() -> dict[str, int]:
    """This process's I/O counters: ``wchar`` (bytes handed to write()), ``write_bytes``
    (bytes sent to the disk, counted when pages are dirtied), ``cancelled_write_bytes``."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(v) for k, v in fields.items()}


def child_update(work: Path, size: int) -> dict[str, Any]:
    """Change one article, then add one, each given as a one-record file (as an editor or a
    feed would), then change one again with the whole corpus as the source."""
    import index

    corpus = work / f"corpus-{size}.jsonl"
    target = work / f"index-{size}"
    lines = corpus.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[7])
    edited = {
        **record,
        "text": record["text"] + "\n\nCette phrase a été ajoutée pour le banc d'essai de mise à jour.",
    }
    added = {**record, "id": f"{record['id']}~ajout", "title": f"{record['title']} (ajout)"}
    replay = embedder(work / "base-index")
    replay.real.encode_queries(["?"])  # the model is loaded before the clock starts, as in a running server
    # So is the language detector: loading it takes ~0.4 s and py3langid unpacks its model to a
    # 65 MB temporary file, which /proc/self/io would count as the update's writes.
    from index.analysis import detect_language

    detect_language("Une phrase pour charger le détecteur de langue.")
    results: dict[str, Any] = {"size": size}
    for kind, source in (("change", edited), ("add", added), ("change_whole_corpus", None)):
        if source is None:  # the corpus file itself: every record is read and hashed
            path = corpus
            lines[7] = json.dumps(edited, ensure_ascii=False)  # as the first update left it
            lines[9] = json.dumps(
                {
                    **json.loads(lines[9]),
                    "text": json.loads(lines[9])["text"] + "\n\nUne autre phrase ajoutée.",
                },
                ensure_ascii=False,
            )
            corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            path = work / f"update-{kind}.jsonl"
            path.write_text(json.dumps(source, ensure_ascii=False) + "\n", encoding="utf-8")
        encoded = replay.encoded
        before = io_counters()
        t = time.perf_counter()
        report = index.update([path], target, embedder=replay, max_file_mb=100_000)
        wall = time.perf_counter() - t
        after = io_counters()
        embed = report.timings.get("embed", 0.0)
        disk = (after["write_bytes"] - before["write_bytes"]) - (
            after["cancelled_write_bytes"] - before["cancelled_write_bytes"]
        )
        store = index.open_index(target)
        results[kind] = {
            "changed": report.changed,
            "added": report.added,
            "update_s": round(wall, 3),
            "embed_s": round(embed, 3),
            "update_minus_embed_s": round(wall - embed, 3),
            "texts_encoded_by_model": replay.encoded - encoded,
            "written_mb": round((after["wchar"] - before["wchar"]) / 2**20, 2),
            "disk_written_mb": round(disk / 2**20, 2),
            "segments": len(getattr(store, "segments", [None])),
            "timings": {k: round(v, 3) for k, v in report.timings.items()},
        }
        store.close()
    # Past the merge share: a seeded 12% of the articles removed, so the update merges them all.
    ids = sorted(index.open_index(target).article_hashes())
    removed = random.Random(0).sample(ids, max(1, round(0.12 * len(ids))))
    before = io_counters()
    t = time.perf_counter()
    report = index.remove(target, removed)
    wall = time.perf_counter() - t
    after = io_counters()
    store = index.open_index(target)
    results["merge"] = {
        "removed": len(report.removed),
        "merge_s": round(wall, 2),
        "written_mb": round((after["wchar"] - before["wchar"]) / 2**20, 1),
        "segments": len(getattr(store, "segments", [None])),
        "articles": store.manifest.counts["articles"],
        "process_peak_rss_mb": round(peak_rss_mb()),
    }
    store.close()
    return results


def child(argv: Sequence[str]) -> None:
    started = float(argv[-1])
    from index.settings import stay_offline

    stay_offline()
    kind, dataset, work = argv[0], Path(argv[1]), Path(argv[2])
    work.mkdir(parents=True, exist_ok=True)
    if kind == "base":
        result = child_base(dataset, work)
    elif kind == "build":
        result = child_build(dataset, work, int(argv[3]))
    elif kind == "serve":
        result = child_serve(dataset, work, int(argv[3]), int(argv[4]), started)
    else:
        result = child_update(work, int(argv[3]))
    print(json.dumps(result))


# -- the run -------------------------------------------------------------------------------------


def run(kind: str, *args: Any) -> dict[str, Any]:
    result = run_python("-m", "bench.scale", "child", kind, *map(str, args), str(time.time()))
    print(f"{kind}: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def table(builds: Sequence[dict[str, Any]], serves: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| articles | chunks | sentences | build s | articles/s | disk MB | KB/article | RSS served MB | "
        "start-up s | p50 ms | p95 ms | encode | dense | lexical | select (p50 ms) | R@5 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b, s in zip(builds, serves, strict=True):
        st = s["stages_ms_p50"]
        lines.append(
            f"| {b['size']:,} | {b['counts']['chunks']:,} | {b['counts']['sentences']:,} | {b['build_s']:.1f} | "
            f"{b['size'] / b['build_s']:.0f} | {b['disk_mb']:,.0f} | {b['disk_kb_per_article']:.1f} | "
            f"{s['rss_after_mb']:,} | {s['startup_s']:.1f} | {s['latency_ms_p50']:.1f} | {s['latency_ms_p95']:.1f} | "
            f"{st.get('encode', 0):.1f} | {st.get('dense', 0):.1f} | {st.get('lexical', 0):.1f} | "
            f"{st.get('select', 0):.1f} | {s['recall@5']:.3f} |"
        )
    return "\n".join(lines)


def plot(serves: Sequence[dict[str, Any]], path: Path) -> None:
    plt = pyplot()
    sizes = [s["size"] for s in serves]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(sizes, [s["latency_ms_p50"] for s in serves], "o-", label="ask p50")
    left.plot(sizes, [s["latency_ms_p95"] for s in serves], "o--", label="ask p95")
    for stage in ("encode", "dense", "lexical", "select"):
        left.plot(sizes, [s["stages_ms_p50"].get(stage, 0) for s in serves], ".:", label=f"{stage} p50")
    left.set(xscale="log", xlabel="articles", ylabel="ms", title="Assistant.ask latency")
    left.legend(fontsize=8)
    right.plot(sizes, [s["recall@5"] for s in serves], "o-")
    right.set(
        xscale="log", xlabel="articles", ylabel="recall@5", title="PIAF questions, recall@5", ylim=(0, 1)
    )
    save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> None:
    if (given := child_args(argv)) is not None:
        return child(given)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--dataset", default="piaf-v1.1.json", help="the SQuAD-format file of --data to grow")
    parser.add_argument(
        "--base-index", type=Path, default=None,
        help="an index of exactly the data set's articles, built with the real model, to reuse",
    )  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path("var/bench/scale"))
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument(
        "--update-sizes", default="10000,100000", help="sizes at which one-article updates are measured"
    )
    args = parser.parse_args(argv)
    dataset = args.data / args.dataset
    if not dataset.is_file():
        parser.error(f"no {dataset}: pass --data DIR holding {args.dataset}")
    base_link = args.work / "base-index"
    if args.base_index and not base_link.exists():
        args.work.mkdir(parents=True, exist_ok=True)
        base_link.symlink_to(args.base_index.resolve(), target_is_directory=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    update_sizes = {int(s) for s in args.update_sizes.split(",") if s}
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    base = run("base", dataset, args.work)
    builds, serves, updates = [], [], []
    for size in sizes:
        builds.append(run("build", dataset, args.work, size))
        serves.append(run("serve", dataset, args.work, size, args.questions))
        if size in update_sizes:
            updates.append(run("update", dataset, args.work, size))
        if not args.keep:
            shutil.rmtree(args.work / f"index-{size}", ignore_errors=True)
    write_json(
        args.out,
        {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(),
         "base": base, "builds": builds, "serves": serves, "updates": updates},
    )  # fmt: skip
    print(table(builds, serves))
    for u in updates:
        for kind in ("change", "add", "change_whole_corpus"):
            r = u[kind]
            print(
                f"\n{kind} one article in {u['size']:,}: {r['update_s']:.2f} s, of which encoding "
                f"{r['embed_s']:.2f} s ({r['texts_encoded_by_model']} texts); without encoding "
                f"{r['update_minus_embed_s']:.2f} s; {r['written_mb']} MB handed to write(), "
                f"{r['disk_written_mb']} MB to the disk; {r['segments']} segments; stages {r['timings']}"
            )
        m = u["merge"]
        print(
            f"\nremove {m['removed']:,} of {u['size']:,} (a merge): {m['merge_s']:.1f} s, {m['written_mb']} MB "
            f"handed to write(), {m['segments']} segment(s) after; process peak {m['process_peak_rss_mb']} MB"
        )
    if args.plot:
        plot(serves, args.plot)


if __name__ == "__main__":
    main()
