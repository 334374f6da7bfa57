"""The indexes an evaluation asks its questions of: the data set's articles indexed once and
kept under a key that changes with anything that changes the index, and the removal measure's
copy of it without a seeded share of the articles."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import index
from index.backends import backend_for
from index.embedders import spec_of
from index.info import indexing_version
from index.settings import cache_dir

from .datasets import slug
from .splits import removed


def default_eval_dir(
    dataset: Path, spec: index.ModelSpec, settings: index.ChunkSettings | None = None
) -> Path:
    """Where the data set's index is kept: keyed on the file, the indexing code, the model and
    its runtime, and the chunk settings, so that no figure comes from a stale index."""
    digest = hashlib.sha1(dataset.read_bytes()).hexdigest()[:10]
    key = json.dumps(
        [indexing_version(), spec.runtime, spec.model, asdict(settings or index.ChunkSettings())]
    )
    name = f"{dataset.stem}-{digest}-{slug(spec.model)}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    return cache_dir() / "eval" / name


def prepare_index(
    dataset: Path,
    articles: Sequence[dict[str, Any]],
    eval_dir: Path,
    embedder: index.Embedder,
    progress: index.Progress | None = None,
    *,
    settings: index.ChunkSettings | None = None,
    target: str | Path | None = None,
) -> str | Path:
    """Index the data set's articles in ``target`` (default ``eval_dir/index``; a URI puts
    them in an engine), reusing an index of the same file."""
    target = target if target is not None else eval_dir / "index"
    try:
        manifest = backend_for(target).read_manifest()
        if manifest.model_spec == spec_of(embedder) and manifest.counts.get("articles") == len(articles):
            return target
    except (index.IndexNotFoundError, index.IndexMismatchError):
        pass  # none yet, or of an older format: build it
    eval_dir.mkdir(parents=True, exist_ok=True)
    corpus = eval_dir / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for record in articles:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    index.build(
        [corpus],
        target,
        embedder=embedder,
        chunk_settings=settings,
        rebuild=True,
        max_file_mb=1000,
        progress=progress,
    )
    return target


def removal_index(full: Path, removed_ids: Sequence[str], target: Path) -> Path:
    """A copy of the index at ``full`` without the articles ``removed_ids`` (none encoded)."""
    try:
        manifest = backend_for(target).read_manifest()
        source = backend_for(full).read_manifest()
        if manifest.updated_at >= source.updated_at and manifest.last_build.get("removed") == len(
            removed_ids
        ):
            return target
    except (index.IndexNotFoundError, index.IndexMismatchError):
        pass
    if target.exists():
        shutil.rmtree(target)
    index.copy_index(full, target)
    index.remove(target, removed_ids)
    return target


def removal_for(
    full: Path, articles: Sequence[dict[str, Any]], *, share: float, seed: int
) -> tuple[Path, set[str]]:
    """The seeded removal measure's index beside ``full`` (``eval_dir/index``), with the ids of
    the articles it lacks (a ``share`` of ``articles`` drawn by title)."""
    gone = {a["id"] for a in articles if removed(a["title"], seed=seed, share=share)}
    target = full.parent / f"index-without-{share:g}-seed{seed}"
    return removal_index(full, sorted(gone), target), gone
