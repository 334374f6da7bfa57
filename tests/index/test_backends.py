"""Opening an index in a backend whose optional dependency is missing (index/milvus)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import index


def test_a_milvus_index_without_its_client_installed_is_a_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus now raises ImportError
    with pytest.raises(index.MissingDependencyError, match=r"pip install 'article-qa\[milvus\]'") as caught:
        index.open_index(f"milvus-lite:{tmp_path}/x.db/news")
    assert caught.value.code == "missing_dependency"
    assert caught.value.data == {"extra": "milvus", "package": "pymilvus"}
    assert not isinstance(caught.value, index.IndexStateError)
