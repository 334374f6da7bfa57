"""What reading an index in two segments costs, against the same index merged into one.

    python -m bench.segments --index PIAF_INDEX --corpus PIAF_CORPUS.jsonl \\
        --dataset ../shared/data/piaf-v1.1.json [--share 0.08] [--questions 300] [--rounds 3]

``--index`` is a built index (for example the one ``article-qa eval`` keeps in its cache) and
``--corpus`` the JSON Lines it was built from. A copy of the index gets ``--share`` of its
articles again as new articles (``ID~1``, ``TITLE (copie 1)``), encoded by the index's model,
through ``index update``: a second segment, just under the share at which an update merges.
A copy of that is compacted into one segment. The same test questions are then asked of both:
ask latency in alternating fresh processes (``bench.ab_latency``), and how many first
citations and top-5 passages are the same.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from bench import ab_latency
from bench.common import RESULTS, machine, write_json


def same_answers(two: Path, one: Path, dataset: Path, questions: int) -> dict[str, int]:
    from qa import Assistant
    from qa.eval import load_dataset, select_questions

    _, golds = load_dataset(dataset)
    asked = [q.question for q in select_questions(golds, part="test", limit=questions)]
    a, b = Assistant.open(two), Assistant.open(one)
    first = top5 = 0
    for question in asked:
        (answer_a, ranked_a), (answer_b, ranked_b) = (
            a.ask_with_candidates(question),
            b.ask_with_candidates(question),
        )
        cite_a = (
            (answer_a.citations[0].article_id, answer_a.citations[0].sentence) if answer_a.citations else None
        )
        cite_b = (
            (answer_b.citations[0].article_id, answer_b.citations[0].sentence) if answer_b.citations else None
        )
        first += cite_a == cite_b
        top5 += [(p.article_id, p.start) for p in ranked_a[:5]] == [
            (p.article_id, p.start) for p in ranked_b[:5]
        ]
    return {"questions": len(asked), "first_citation_equal": first, "top5_passages_equal": top5}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.08)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--merge-share", type=float, default=None,
        help="the share past which an update merges (default: the shipped one; a tiny corpus needs more)",
    )  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path("var/bench/segments"))
    parser.add_argument("--out", type=Path, default=RESULTS / "segments.json")
    args = parser.parse_args(argv)
    import index
    from index.embedded import writer

    if args.merge_share is not None:
        writer.MERGE_SHARE = args.merge_share
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    two, one = args.work / "two-segments", args.work / "merged"
    shutil.copytree(args.index, two, ignore=shutil.ignore_patterns(".lock"))
    records = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line]
    step = max(1, round(1 / args.share))
    extra = args.work / "copies.jsonl"
    with extra.open("w", encoding="utf-8") as out:
        for r in records[::step]:
            out.write(
                json.dumps(
                    {**r, "id": f"{r['id']}~1", "title": f"{r['title']} (copie 1)"}, ensure_ascii=False
                )
                + "\n"
            )
    t = time.perf_counter()
    report = index.update([extra], two)
    update_s = time.perf_counter() - t
    segments = len(index.open_index(two).segments)
    shutil.copytree(two, one, ignore=shutil.ignore_patterns(".lock"))
    index.compact(one)
    print(f"added {len(report.added)} articles in {update_s:.1f} s: {segments} segments", file=sys.stderr)
    latency = args.work / "ab.json"
    ab_latency.main(
        ["--old-code", str(Path(__file__).resolve().parents[1]), "--old-index", str(one), "--new-index", str(two),
         "--dataset", str(args.dataset), "--questions", str(args.questions), "--rounds", str(args.rounds),
         "--out", str(latency)]
    )  # fmt: skip
    runs = json.loads(latency.read_text())["runs"]
    for run in runs:
        run["index"] = "merged" if run.pop("version") == "old" else "two segments"
    result = {
        "machine": machine(),
        "articles": len(records),
        "added": len(report.added),
        "segments": segments,
        "latency_runs": runs,
        **same_answers(two, one, args.dataset, args.questions),
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
