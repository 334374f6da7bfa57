"""Fixtures of the index's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.readers import sources


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The files the readers parse, in order."""
    read: list[str] = []
    real = sources.read_file

    def counting(path, *args, **kwargs):
        read.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sources, "read_file", counting)
    return read
