from __future__ import annotations

from pathlib import Path

import pytest

import index
from qa import Assistant
from tests.fakes import FAKE_THRESHOLD


@pytest.fixture
def fake_assistant(corpus: Path, tmp_path: Path, fake_embedder) -> Assistant:
    """An assistant over the small test corpus, with the deterministic fake embedder."""
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    return Assistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)
