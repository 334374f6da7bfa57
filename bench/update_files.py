"""What ``index update`` of a folder costs when one of its many files changed.

    python -m bench.update_files [--size 100000] [--old-code CHECKOUT] [--work var/bench/update-files] [--repeat N]

The collection: ``--size`` one-article JSON files (PIAF's 480 French articles, then copies of
them as in ``bench.scale``), 1,000 to a folder. It is indexed once from the folder, the copies'
vectors replayed from the originals' (``bench.grown_corpus``); the real model encodes
everything else. Then, in a fresh process with the model and the language detector loaded (as
in a running server), the whole folder is given to ``index update`` three times: nothing
changed; one file edited (a sentence added); one file added. Each is timed, with the files the
update parsed (calls to the reader), the bytes it handed to ``write()`` (``/proc/self/io``),
and its encoding time. With ``--repeat N`` (``child update WORK INDEX N``), the unchanged
update and the edit run N more times each: the first edit of a process also imports the
chunker's library (langchain-text-splitters, 0.2-0.3 s), as a server's first refresh does.

With ``--old-code`` (a checkout of an earlier commit), the same updates also run with that
checkout's ``index`` package on a copy of the index, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import DATA, RESULTS, machine, peak_rss_mb, write_json
from bench.processes import child_args, run_python

PER_FOLDER = 1000
EDIT = "\n\nCette phrase a été ajoutée pour le banc d'essai de mise à jour."


def write_folder(dataset: Path, folder: Path, size: int) -> None:
    """``size`` one-article files under ``folder`` (kept when already complete)."""
    from bench.grown_corpus import write_corpus
    from qa.eval import load_dataset

    done = folder / f".complete-{size}"
    if done.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    articles, _ = load_dataset(dataset)
    corpus = folder.parent / f"corpus-{size}.jsonl"
    folder.mkdir(parents=True)
    write_corpus(articles, size, corpus)
    with corpus.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            sub = folder / f"{n // PER_FOLDER:04d}"
            sub.mkdir(exist_ok=True)
            (sub / f"{n:06d}.json").write_text(line, encoding="utf-8")
    corpus.unlink()
    done.touch()


def child_build(dataset: Path, work: Path, size: int) -> dict[str, Any]:
    import index
    from bench.grown_corpus import embedder
    from bench.scale import child_base

    child_base(dataset, work)
    folder = work / "articles"
    write_folder(dataset, folder, size)
    target = work / "index"
    t = time.perf_counter()
    report = index.build([folder], target, embedder=embedder(work / "base-index"), rebuild=True)
    return {
        "size": size,
        "build_s": round(time.perf_counter() - t, 2),
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
        "counts": report.counts,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def child_update(work: Path, target: Path, repeat: int = 0) -> dict[str, Any]:
    import index
    import index.readers.sources as sources
    from bench.grown_corpus import embedder
    from bench.scale import io_counters
    from index.analysis import detect_language

    parsed = [0]
    read_file = sources.read_file

    def counted(*args: Any, **kwargs: Any) -> Any:
        parsed[0] += 1
        return read_file(*args, **kwargs)

    sources.read_file = counted  # type: ignore[assignment]
    replay = embedder(work / "base-index")
    replay.real.encode_queries(["?"])  # loaded before the clock starts, as in a running server
    detect_language("Une phrase pour charger le détecteur de langue.")
    folder = work / "articles"
    edited = folder / "0000" / "000007.json"
    original = edited.read_bytes()
    record = json.loads(original)
    added = folder / "0000" / "bench-added.json"
    added.unlink(missing_ok=True)
    results: dict[str, Any] = {"index_code": str(Path(index.__file__).parents[1])}
    for kind in ("unchanged", "one_edited", "one_added"):
        if kind == "one_edited":
            edited.write_text(json.dumps({**record, "text": record["text"] + EDIT}, ensure_ascii=False))
        elif kind == "one_added":
            added.write_text(json.dumps({**record, "id": f"{record['id']}~ajout"}, ensure_ascii=False))
        parsed[0], before, t = 0, io_counters()["wchar"], time.perf_counter()
        report = index.update([folder], target, embedder=replay)
        wall = time.perf_counter() - t
        embed = report.timings.get("embed", 0.0)
        results[kind] = {
            "added": len(report.added),
            "changed": len(report.changed),
            "unchanged": report.unchanged,
            "files_parsed": parsed[0],
            "update_s": round(wall, 3),
            "embed_s": round(embed, 3),
            "update_minus_embed_s": round(wall - embed, 3),
            "written_mb": round((io_counters()["wchar"] - before) / 2**20, 2),
            "timings": {k: round(v, 3) for k, v in report.timings.items()},
        }
    edited.write_bytes(original)  # as built, for a second run
    added.unlink()
    index.update([folder], target, embedder=replay, allow_removals=True)
    walls, reads = [], []
    for _ in range(repeat):  # the unchanged update again: its spread on this machine
        t = time.perf_counter()
        report = index.update([folder], target, embedder=replay)
        walls.append(round(time.perf_counter() - t, 3))
        reads.append(round(report.timings.get("read", 0.0), 3))
    edits = []
    for n in range(repeat):  # one file edited again: the first edit above also imported the chunker
        edited.write_text(json.dumps({**record, "text": f"{record['text']}{EDIT} ({n})"}, ensure_ascii=False))
        t = time.perf_counter()
        report = index.update([folder], target, embedder=replay)
        edits.append(round(time.perf_counter() - t - report.timings.get("embed", 0.0), 3))
    if repeat:
        edited.write_bytes(original)
        index.update([folder], target, embedder=replay)
        results["unchanged_again"] = {"update_s": walls, "read_s": reads}
        results["one_edited_again"] = {"update_minus_embed_s": edits}
    return results


def main(argv: list[str] | None = None) -> int:
    child = child_args(argv)
    if child is not None:
        from index.settings import stay_offline

        stay_offline()
        kind, work = child[0], Path(child[1])
        if kind == "build":
            result = child_build(Path(child[2]), work, int(child[3]))
        else:
            result = child_update(work, Path(child[2]), int(child[3]) if len(child) > 3 else 0)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--dataset", type=Path, default=DATA / "piaf-v1.1.json")
    parser.add_argument("--old-code", type=Path, help="a checkout of an earlier commit, measured beside")
    parser.add_argument("--work", type=Path, default=Path("var/bench/update-files"))
    parser.add_argument(
        "--repeat", type=int, default=0, help="run the unchanged update and the edit N more times"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "update-files.json")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve()
    env = {**os.environ, "PYTHONPATH": str(here.parents[1])}
    build = run_python(
        str(here), "child", "build", str(work), str(args.dataset.resolve()), str(args.size), env=env
    )
    print(f"build: {json.dumps(build)}", file=sys.stderr, flush=True)
    runs: dict[str, Any] = {}
    for name, code in (("old", args.old_code), ("new", here.parents[1])):
        if code is None:
            continue
        target = work / f"index-{name}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / "index", target, ignore=shutil.ignore_patterns(".lock"))
        env = {**os.environ, "PYTHONPATH": str(Path(code).resolve())}
        runs[name] = run_python(
            str(here), "child", "update", str(work), str(target), str(args.repeat), env=env, cwd=code
        )
        print(f"{name}: {json.dumps(runs[name])}", file=sys.stderr, flush=True)
        shutil.rmtree(target)
    write_json(args.out, {"machine": machine(), "build": build, **runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
