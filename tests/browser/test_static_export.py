"""``widget.save_html(path)`` pages, opened from disk in Chromium with no kernel and no network.

The explanations and widgets are built in this (plain Python, non-Jupyter) process. Every request
that is not a ``file:`` / ``data:`` / ``blob:`` URL is aborted and recorded, so a page that needs a
CDN fails. After a click the surrogate estimate on screen must equal the explanation's own
surrogate for the edited instance, computed here in Python with the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from . import _scenarios
from ._harness import click_pixel, numbers_in, shown_value, wait_until_painted

pytestmark = pytest.mark.browser

NO_LIVE_MODEL = "no live model"
HOSTILE_CLASS_NAME = '</script><img src=x onerror="window.__lwInjected = 1">'
LOCAL_SCHEMES = ("file:", "data:", "blob:")


@dataclass
class ExportedPage:
    """A ``save_html`` page and the explanation it was made from."""

    kind: str
    path: Path
    explanation: Any
    label: int
    details: dict

    def surrogate(self, state: list[float]) -> float:
        """The explanation's surrogate output for an edit-space row (ground truth)."""
        perturbation = self.explanation.perturbation
        rows = perturbation.to_interpretable(np.asarray([state], dtype=float))
        return float(np.ravel(self.explanation.surrogate_predict(rows, self.label))[0])

    def initial_state(self) -> list[float]:
        return np.asarray(self.explanation.perturbation.initial_state(), dtype=float).tolist()


@pytest.fixture(scope="module")
def exported(browser_stack: None, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One page per widget kind, written by ``widget.save_html`` outside Jupyter."""
    import limewidgets.widgets  # noqa: F401  (registers explanation.widget())

    folder = tmp_path_factory.mktemp("static")
    scenarios = {
        "image": _scenarios.image_scenario(folder, "static_"),
        "text": _scenarios.text_scenario(
            folder, "static_", class_names=("negative", HOSTILE_CLASS_NAME)
        ),
        "tabular": _scenarios.tabular_scenario(folder, "static_"),
    }
    pages = {}
    for kind, scenario in scenarios.items():
        explanation = scenario["explanation"]
        widget = explanation.widget()
        assert type(widget).__name__ == f"{kind.capitalize()}ExplanationWidget"
        path = Path(widget.save_html(folder / f"{kind}.html"))
        pages[kind] = ExportedPage(kind, path, explanation, int(widget.label), scenario)
    return pages


@pytest.fixture
def offline_page(chromium: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose every non-local request is aborted; yields (page, attempted URLs)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page, blocked
        assert not errors, f"page errors: {errors}"
        assert not blocked, f"the standalone page tried to reach the network: {blocked}"
    finally:
        context.close()


def open_page(page: Any, exported_page: ExportedPage) -> Any:
    """Load a saved page and return the widget root once it has rendered."""
    page.goto(exported_page.path.as_uri())
    root = page.wait_for_selector(
        f".lw-w-root[data-kind={exported_page.kind}]", state="visible", timeout=20_000
    )
    status = root.query_selector("[data-testid=lw-status]").text_content()
    assert NO_LIVE_MODEL in status, status
    assert shown_value(root, "lw-surrogate-output") == pytest.approx(
        exported_page.surrogate(exported_page.initial_state()), abs=6e-4
    )
    return root


def assert_static_after_edit(root: Any, exported_page: ExportedPage, state: list[float]) -> None:
    """The surrogate estimate equals the engine's, labelled as such; no real number shown."""
    page_surrogate = shown_value(root, "lw-surrogate-output")
    assert page_surrogate == pytest.approx(exported_page.surrogate(state), abs=6e-4)
    assert page_surrogate != pytest.approx(
        exported_page.surrogate(exported_page.initial_state()), abs=1e-3
    ), "the edit should move the surrogate estimate"
    assert NO_LIVE_MODEL in root.query_selector("[data-testid=lw-status]").text_content()
    # With no model, no real output can be shown for the edited state.
    real = root.query_selector("[data-testid=lw-real-output]")
    assert real.get_attribute("data-state-id") == "0"
    assert "lw-w-stale" in (real.get_attribute("class") or "") or not numbers_in(
        real.text_content()
    )


def test_static_image_page_renders_and_toggles(
    exported: dict, offline_page: tuple[Any, list[str]]
) -> None:
    page, _ = offline_page
    image_page = exported["image"]
    root = open_page(page, image_page)
    click = image_page.details["click"]
    canvas = root.query_selector("[data-testid=lw-canvas]")
    wait_until_painted(page, canvas)
    pixel_js = (
        "(c, [x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))"
    )
    size = canvas.evaluate("(c) => [c.width, c.height]")
    assert size == [click["width"], click["height"]]
    where = [click["col"], click["row"]]
    pixel_before = canvas.evaluate(pixel_js, where)

    click_pixel(page, canvas, click["row"], click["col"], click["height"], click["width"])
    state = image_page.initial_state()
    state[click["feature"]] = 0.0
    page.wait_for_function(
        "([c, x, y, before]) => { const p = c.getContext('2d').getImageData(x, y, 1, 1).data;"
        " return p[0] !== before[0] || p[1] !== before[1] || p[2] !== before[2]; }",
        arg=[canvas, click["col"], click["row"], pixel_before],
        timeout=10_000,
    )
    # hide_color=0: the hidden superpixel is drawn darker than the photo was.
    assert sum(canvas.evaluate(pixel_js, where)) < sum(pixel_before)
    assert_static_after_edit(root, image_page, state)


def test_static_text_page_renders_and_toggles(
    exported: dict, offline_page: tuple[Any, list[str]]
) -> None:
    page, _ = offline_page
    text_page = exported["text"]
    root = open_page(page, text_page)
    # A class name full of markup is shown as text and runs nothing.
    label_select = root.query_selector("[data-testid=lw-label-select]")
    assert HOSTILE_CLASS_NAME in label_select.text_content()
    assert page.query_selector(".lw-w-root img") is None
    assert page.evaluate("() => window.__lwInjected") is None

    word = _scenarios.TEXT_CLICK_WORD
    tokens = root.query_selector_all("[data-testid=lw-token]")
    occurrences = [token for token in tokens if token.text_content().strip() == word]
    assert len(occurrences) >= 2
    occurrences[1].click()
    page.wait_for_function(
        "(t) => t.getAttribute('aria-pressed') === 'true'", arg=occurrences[0], timeout=5_000
    )
    assert all(token.get_attribute("aria-pressed") == "true" for token in occurrences)
    state = text_page.initial_state()
    state[int(occurrences[0].get_attribute("data-feature"))] = 0.0
    assert_static_after_edit(root, text_page, state)


def test_static_tabular_page_renders_and_edits(
    exported: dict, offline_page: tuple[Any, list[str]]
) -> None:
    page, _ = offline_page
    tabular_page = exported["tabular"]
    root = open_page(page, tabular_page)
    inputs = root.query_selector_all("[data-testid=lw-feature-input]")
    assert len(inputs) == len(_scenarios.TABULAR_FEATURES)
    number = root.query_selector(
        f"[data-testid=lw-feature-input][data-feature='{_scenarios.TABULAR_EDIT_FEATURE}']"
    )
    number.fill(f"{_scenarios.TABULAR_EDIT_VALUE:g}")
    number.press("Tab")
    state = tabular_page.initial_state()
    state[_scenarios.TABULAR_EDIT_FEATURE] = _scenarios.TABULAR_EDIT_VALUE
    expected = tabular_page.surrogate(state)
    page.wait_for_function(
        "([root, expected]) => { const n = root.querySelector("
        "'[data-testid=lw-surrogate-output]'); return Math.abs(parseFloat(n.textContent) -"
        " expected) < 6e-4; }",
        arg=[root, expected],
        timeout=5_000,
    )
    assert_static_after_edit(root, tabular_page, state)


def test_static_page_keeps_error_bars_and_the_reliability_line(
    offline_page: tuple[Any, list[str]], tmp_path: Path
) -> None:
    """The offline page shows the same error bars, uncertain weights and reliability line."""
    import limewidgets.widgets  # noqa: F401  (registers explanation.widget())

    page, _ = offline_page
    scenario = _scenarios.uncertain_text_scenario(tmp_path, "static_")
    widget = scenario["widget"]
    path = Path(widget.save_html(tmp_path / "uncertain.html"))
    page.goto(path.as_uri())
    root = page.wait_for_selector(".lw-w-root[data-kind=text]", state="visible", timeout=20_000)
    entry = widget.explanations[str(widget.label)]
    std = dict((int(f), se) for f, se in entry["weight_std"])
    shown = entry["weights"][: widget.num_features]
    bars = root.query_selector_all("[data-testid=lw-error-bar]")
    assert len(bars) == len(shown)
    for bar, (feature, weight) in zip(bars, shown, strict=True):
        low, high = float(bar.get_attribute("data-low")), float(bar.get_attribute("data-high"))
        assert (low, high) == pytest.approx((weight - 2 * std[feature], weight + 2 * std[feature]))
    uncertain = [f for f, w in shown if abs(w) <= 2 * std[f]]
    assert len(root.query_selector_all(".lw-w-row-uncertain")) == len(uncertain) > 0
    line = root.query_selector("[data-testid=lw-reliability]").text_content()
    assert f"Fidelity {entry['fidelity']:.2f}" in line and "Stability 0.82" in line
    assert f"{widget.num_queries} model queries" in line
    # No kernel: the page never claims an answer came from the cache.
    assert root.query_selector("[data-testid=lw-from-cache]").evaluate("(el) => el.hidden")
