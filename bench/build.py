"""Build and update cost of the indexer, stage by stage, beside the bare model's encoding.

    python -m bench.build [--shared ../shared] [--out bench/results/build.json]

For each corpus (the bundled sample, and PIAF v1.1's 480 articles, each its title and
paragraphs) it builds an index in a fresh process, reports read / segment / embed / write
seconds, the peak resident memory of that process, and the time the bare sentence-transformers
model takes to encode exactly the same texts (each chunk and each sentence, title-prefixed). Then it changes one PIAF article and
times ``index update``, beside the encoding time of that article's chunks.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from index.settings import stay_offline
stay_offline()
import index
from index.store import embedding_text
kind, sources, target = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
embedder = index.SentenceTransformerEmbedder()
t = time.perf_counter(); embedder.dimension; load = time.perf_counter() - t
t = time.perf_counter()
if kind == "build":
    report = index.build(sources, target, embedder=embedder, rebuild=True)
else:
    report = index.update(sources, target, embedder=embedder)
wall = time.perf_counter() - t
store = index.open_index(target)
ids = [r[0] for r in store.db.execute("SELECT id FROM chunks")]
changed = set(report.added) | set(report.changed)
texts = [embedding_text(h.article.title, h.chunk.text) for h in store.chunks(ids).values()
         if kind == "build" or h.article.id in changed]
rows = store.db.execute("SELECT a.id, a.title, a.text, s.start, s.end FROM sentences s "
                        "JOIN articles a ON a.rowid = s.article")
texts += [embedding_text(title, text[b:e]) for aid, title, text, b, e in rows
          if kind == "build" or aid in changed]
model = embedder._load()
t = time.perf_counter()
model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False)
bare = time.perf_counter() - t
print(json.dumps({"kind": kind, "timings": report.timings, "wall": wall, "model_load": load,
    "bare_encode": bare, "texts": len(texts), "counts": report.counts,
    "chunk_chars": sum(len(h.chunk.text) for h in store.chunks(ids).values()) / max(len(ids), 1),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(kind: str, sources: list[str], target: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, json.dumps(sources), str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


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
        f"| {name} | {r['counts'].get('articles')} | {r['texts']} | {t.get('read', 0):.2f} | "
        f"{t.get('segment', 0):.2f} | {t.get('embed', 0):.2f} | {t.get('write', 0):.2f} | "
        f"{total:.2f} | {100 * other / total:.1f}% | {r['bare_encode']:.2f} | "
        f"{r['counts'].get('articles', 0) / total:.1f} | {r['counts'].get('chunks', 0) / total:.1f} | "
        f"{r['texts'] / total:.1f} | {r['texts'] / r['bare_encode']:.1f} | {r['peak_rss_mb']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--out", type=Path, default=Path("bench/results/build.json"))
    args = parser.parse_args()
    from index import sample_sources

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results["sample"] = run("build", [str(p) for p in sample_sources()], work / "sample-ix")
        piaf = piaf_corpus(args.shared, work)
        results["piaf"] = run("build", [str(piaf)], work / "piaf-ix")
        title = change_one_article(piaf)
        t = time.perf_counter()
        results["piaf_update"] = run("update", [str(piaf)], work / "piaf-ix")
        results["piaf_update"]["process_wall"] = time.perf_counter() - t
        results["piaf_update"]["changed_article"] = title
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))

    print("| corpus | articles | texts encoded (chunks + sentences) | read s | segment s | embed s | write s | total s |"
          " non-embed share | bare model encode s | articles/s | chunks/s | texts/s | bare model texts/s |"
          " peak RSS MB |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(row("sample (build)", results["sample"]))
    print(row("PIAF v1.1 (build)", results["piaf"]))
    u = results["piaf_update"]
    print(row("PIAF, one article changed (update)", u))
    print(
        f"\nupdate of one PIAF article ({u['changed_article']!r}): {u['wall']:.2f} s in index.update, "
        f"of which embed {u['timings'].get('embed', 0):.2f} s; the bare model encodes its "
        f"{u['texts']} chunk(s) in {u['bare_encode']:.2f} s; "
        f"update minus encoding = {u['wall'] - u['timings'].get('embed', 0):.2f} s"
    )
    print(f"model load (not in the stages): {results['piaf']['model_load']:.2f} s; "
          f"mean chunk {results['piaf']['chunk_chars']:.0f} chars; own process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
