"""Fixtures of the web app's browser tests: one Chromium driver and one served sample a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.required import require
from tests.ui.test_web_app import served_copy
from tests.ui.test_web_browser import CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require(
        None if Path(CHROMIUM).exists() else f"no {CHROMIUM}: run `make browser` (apt-get install chromium)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def sample_url(sample_index, tmp_path_factory) -> Iterator[str]:
    with served_copy(sample_index, tmp_path_factory.mktemp("browser-sample")) as url:
        yield url
