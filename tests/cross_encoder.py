"""A tiny but real sentence-transformers CrossEncoder, made on the spot: no hub, no download.

A BERT of two layers of width 32 with a one-score head (``BertForSequenceClassification``,
``num_labels=1``) and a WordPiece vocabulary of the test texts' own words, saved with
``save_pretrained`` and its tokenizer, as any cross-encoder's folder is. Its weights are random
(seeded): it ranks nothing well, but it is loaded, tokenizes and runs exactly as a trained one
would. They are drawn wide (``initializer_range=1.0``, against BERT's 0.02, at which every pair
gets the same score) so that its scores lie far apart and no tie blurs an order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from index.analysis import fold

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCTUATION = list(".,;:!?'’«»()-%")


def tiny_cross_encoder(folder: Path, texts: Iterable[str], *, seed: int = 0, labels: int = 1) -> Path:
    """Save a tiny cross-encoder that knows the words of ``texts`` into ``folder``.

    ``labels`` other than 1 make a classifier instead (what a re-ranker must refuse).
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    words = sorted({w for text in texts for w in re.findall(r"\w+", fold(text))})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join([*SPECIAL, *PUNCTUATION, *words]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    tokenizer.model_max_length = 128  # longer pairs are truncated, as a real model's are
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(SPECIAL) + len(PUNCTUATION) + len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=labels,
        initializer_range=1.0,
    )
    model = BertForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def raw_scores(folder: Path, question: str, sentences: list[str]) -> list[float]:
    """The model's own logits for (``question``, sentence) pairs, read without article-qa."""
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(folder), device="cpu", local_files_only=True)
    scores = model.predict([(question, s) for s in sentences], activation_fn=torch.nn.Identity())
    return [float(s) for s in scores]
