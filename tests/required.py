"""Parts of the set-up a test needs (Chromium, Milvus Lite, Ray, the local language model):
missing, the test is skipped, except under ``make test``, which installs every part and sets
``$ARTICLE_QA_REQUIRE_ALL``: there a missing part fails, so a broken set-up cannot pass."""

from __future__ import annotations

import importlib.util
import os

import pytest

VARIABLE = "ARTICLE_QA_REQUIRE_ALL"


def require(missing: str | None) -> None:
    """Go on if ``missing`` is None; else skip (fail under ``make test``) saying what is missing."""
    if missing is None:
        return
    if os.environ.get(VARIABLE):
        pytest.fail(f"required by `make test`, and missing: {missing}", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


def require_module(name: str, install: str) -> None:
    """:func:`require` the importable module ``name`` (``install`` says how to get it)."""
    require(None if importlib.util.find_spec(name) else f"{name} is not installed: {install}")
