"""Fixtures for the browser tests: a real `streamlit run app.py` and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, group_alive


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium: skip without it locally, but fail under CI, which must run these tests."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium: str):
    """One app server per test module, with its own empty cache folder; no process survives it."""
    cache = tmp_path_factory.mktemp("e2e-cache")
    server = StreamlitServer({"FORECAST_CACHE_DIR": str(cache)}).start()
    yield server
    group = server.process.pid
    server.stop()
    assert not group_alive(group), "processes of the app server survived its stop"


@pytest.fixture(scope="module")
def browser(chromium: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()
