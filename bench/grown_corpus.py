"""A corpus grown past its data set for ``bench.scale``: copies of the articles (``ID~k``,
``TITLE (copie k)``), and an embedder that gives an original the vector the real model gave it
and a copy that vector plus seeded noise, so that a large index is built without a day of
encoding."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

COPY = re.compile(r"^(.*) \(copie (\d+)\)\n\n", re.S)
NOISE = 0.33  # |noise| / |vector|: cosine 1 / sqrt(1 + 0.33²) ≈ 0.95 to the original


class ReplayEmbedder:
    """The real model's vectors for the originals, noisy copies of them for the copies.

    ``table`` maps each original embedded text (``title\\n\\ntext``) to its vector; any
    other text is encoded by ``real``.
    """

    def __init__(self, real: Any, table: dict[str, np.ndarray]) -> None:
        self.real = real
        self.table = table
        self.encoded = 0

    @property
    def runtime(self) -> str:
        return str(self.real.runtime)

    @property
    def name(self) -> str:
        return str(self.real.name)

    @property
    def dimension(self) -> int:
        return int(self.real.dimension)

    def _replay(self, text: str) -> np.ndarray | None:
        found = self.table.get(text)
        if found is not None:
            return found
        match = COPY.match(text)
        if match is None:
            return None
        original = self.table.get(f"{match.group(1)}\n\n{text[match.end() :]}")
        if original is None:
            return None
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        noisy = original + rng.normal(0.0, NOISE / np.sqrt(original.size), original.size).astype(np.float32)
        return noisy / np.linalg.norm(noisy)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.real.encode_queries(texts), dtype=np.float32)

    def encode_documents(self, texts: Sequence[str], *, progress: Any = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            vector = self._replay(text)
            if vector is None:
                missing.append(i)
            else:
                out[i] = vector
        if missing:
            out[missing] = self.real.encode_documents([texts[i] for i in missing])
            self.encoded += len(missing)
        if progress is not None:
            progress(len(texts), len(texts))
        return out


def table_of(index_dir: Path) -> dict[str, np.ndarray]:
    """Every embedded text of an index, with its stored vector."""
    import index
    from index.prepare import embedding_text

    store = index.open_index(index_dir)
    table: dict[str, np.ndarray] = {}
    ids = store.chunk_ids()
    for begin in range(0, len(ids), 5000):
        part = ids[begin : begin + 5000]
        hits = store.chunks(part)
        for cid, vector in zip(part, store.chunk_vectors(part), strict=True):
            table[embedding_text(hits[cid].article.title, hits[cid].chunk.text)] = vector
    for article in store.articles():
        block = store.sentence_block(article)
        assert block.vectors is not None
        for sentence, vector in zip(block.sentences, block.vectors, strict=True):
            table[embedding_text(article.title, sentence.text)] = vector
    return table


def write_corpus(articles: Sequence[dict[str, Any]], size: int, path: Path) -> None:
    """The originals, then copies of them in turn until ``size`` articles."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            a = dict(articles[n % len(articles)])
            copy = n // len(articles)
            if copy:
                a["id"] = f"{a['id']}~{copy}"
                a["title"] = f"{a['title']} (copie {copy})"
            out.write(json.dumps(a, ensure_ascii=False) + "\n")


def embedder(base_index: Path) -> ReplayEmbedder:
    import index

    model = index.open_index(base_index).manifest.model_spec  # the model the originals were encoded by
    return ReplayEmbedder(index.load_embedder(model), table_of(base_index))
