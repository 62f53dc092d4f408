"""Session fixtures for the browser tests: headless Chromium and one JupyterLab server.

Every test here is marked ``browser``. They skip (with the reason) when Chromium, playwright,
JupyterLab, Notebook 7 or ipykernel is missing; CI installs them (``.ci/run``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._harness import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    ROUND_TRIPS,
    missing_requirement,
    start_jupyter_server,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "doc" / "images" / "widgets"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the measured round trips (target: <= 100 ms + model time)."""
    if not ROUND_TRIPS:
        return
    terminalreporter.section("widget round trips (user event -> real model output on screen)")
    for description, milliseconds, model_ms in ROUND_TRIPS:
        terminalreporter.write_line(
            f"{description:<48} {milliseconds:7.1f} ms  (model {model_ms:6.1f} ms, "
            f"overhead {milliseconds - model_ms:6.1f} ms; target <= 100 ms + model)"
        )


@pytest.fixture(scope="session")
def browser_stack() -> None:
    """Skip when the browser stack is not installed."""
    reason = missing_requirement()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(browser_stack: None) -> Iterator[Any]:
    """A headless Chromium (the system one: playwright downloads no browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def jupyter_server(browser_stack: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One JupyterLab server (also serving Notebook 7) for the whole session."""
    server = start_jupyter_server(tmp_path_factory.mktemp("jupyter"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the widget screenshots go: a temporary folder, or the docs' copy.

    Set ``LIMEWIDGETS_UPDATE_SCREENSHOTS=1`` to write them into ``doc/images/widgets`` (the
    images the documentation shows); by default a test run leaves the repository untouched.
    """
    if os.environ.get("LIMEWIDGETS_UPDATE_SCREENSHOTS", "") not in ("", "0"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT_DIR
    return tmp_path_factory.mktemp("screenshots")
