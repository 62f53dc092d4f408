"""Issue 9 UX in JupyterLab 4 and Notebook 7: a tabular counterfactual found and applied, Enter
commits number fields, the keyboard focus stays on a chart row, image hover and click.

A notebook of its own (tabular and image widgets from ``_scenarios``), so these tests can run
without the rest of the browser suite. After each action the test checks the *Python* state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from . import _scenarios
from ._harness import NotebookPage, measure_round_trip, read_calls, write_notebook
from .test_jupyter_widgets import FIND_WIDGET

pytestmark = pytest.mark.browser

APPS = ("lab", "notebook")
TESTS_DIR = Path(__file__).resolve().parent


def ux_cells(prefix: str) -> list[str]:
    return [
        "import pathlib, sys\n"
        f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
        "import _scenarios\n"
        "LOG_DIR = pathlib.Path.cwd()\n"
        f"PREFIX = {prefix!r}\n" + FIND_WIDGET,
        "tabular = _scenarios.tabular_scenario(LOG_DIR, PREFIX)\n"
        'tabular["explanation"].show_in_notebook()',
        "image = _scenarios.image_scenario(LOG_DIR, PREFIX)\n"
        'image["explanation"].show_in_notebook()',
        '(LOG_DIR / f"{PREFIX}ready.json").write_text("{}")',
    ]


class UxNotebook:
    def __init__(self, notebook: NotebookPage, log_dir: Path, prefix: str) -> None:
        self.notebook = notebook
        self.page = notebook.page
        self.log_dir = log_dir
        self.prefix = prefix

    def root(self, kind: str) -> Any:
        selector = f".lw-w-root[data-kind={kind}]"
        self.page.wait_for_function(
            "(s) => { const r = document.querySelector(s); return r && r.childElementCount > 0; }",
            arg=selector,
            timeout=30_000,
        )
        return self.page.query_selector(selector)

    def calls(self, kind: str) -> list[dict]:
        return read_calls(self.log_dir / f"{self.prefix}{kind}_calls.jsonl")

    def state(self, kind: str, *traits: str) -> dict:
        widget = f'_lw_widget({kind}["recorder"])'
        return self.notebook.kernel_json(f"{{t: getattr({widget}, t) for t in {list(traits)!r}}}")

    def wait_for_python(self, kind: str, condition: str, timeout: float = 30.0) -> dict:
        """Poll the kernel until ``condition`` (Python, on ``w``) holds for the widget."""
        deadline = self.page.evaluate("() => performance.now()") + timeout * 1000
        widget = f'_lw_widget({kind}["recorder"])'
        while True:
            held = self.notebook.kernel_json(f"(lambda w: bool({condition}))({widget})")
            if held:
                return held
            if self.page.evaluate("() => performance.now()") > deadline:
                raise AssertionError(f"Python never saw {condition!r} for the {kind} widget")
            self.page.wait_for_timeout(100)


@pytest.fixture(scope="module", params=APPS)
def ux(request: Any, jupyter_server: Any, chromium: Any) -> Any:
    app = request.param
    prefix = f"ux_{app}_"
    name = f"ux_{app}.ipynb"
    write_notebook(jupyter_server.root / name, ux_cells(prefix))
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    notebook = NotebookPage(page, jupyter_server, app, name)
    try:
        notebook.open()
        notebook.run_all(jupyter_server.root / f"{prefix}ready.json")
        live = UxNotebook(notebook, jupyter_server.root, prefix)
        live.root("tabular")
        live.root("image")
        yield live
    finally:
        context.close()


def assert_answered(ux: UxNotebook, kind: str, n_before: int, expected_input: list) -> None:
    """The model got exactly ``expected_input``, or the query cache answered it (asked before)."""
    calls = ux.calls(kind)[n_before:]
    if calls:
        assert calls[0]["inputs"] == [expected_input]
    else:
        assert ux.state(kind, "real_from_cache")["real_from_cache"] is True


def test_tabular_counterfactual_is_found_and_applied(ux: UxNotebook) -> None:
    """'Find counterfactual' runs a verified search with real queries; 'Apply' makes it the edit."""
    root = ux.root("tabular")
    n_before = len(ux.calls("tabular"))
    root.query_selector("[data-testid=lw-counterfactual]").click()
    ux.page.wait_for_function(
        "(root) => root.querySelector('[data-testid=lw-counterfactual-result]')"
        ".textContent.startsWith('Changing')",
        arg=root,
        timeout=60_000,
    )
    result = ux.state("tabular", "counterfactual")["counterfactual"]
    assert result["found"] is True and result["request"] == 1
    assert result["searched"] == "change" and result["changes"]
    assert result["label_after"] != result["label_before"]
    # Every row the search sent is in the recorder, within the budget; the last call verified
    # exactly the proposed row.
    calls = ux.calls("tabular")[n_before:]
    assert sum(call["n_rows"] for call in calls) == result["queries"] <= 200
    assert calls[-1]["inputs"] == [result["state"]]
    assert int(np.argmax(calls[-1]["output"][0])) == result["label_after"]
    # New values are inside the training range; the plan is a real category.
    data, _, row = _scenarios.churn_data()
    proposed = np.array(result["state"])
    assert np.all(proposed >= data.min(axis=0)) and np.all(proposed <= data.max(axis=0))
    assert proposed[3] in (0.0, 1.0, 2.0)
    shown = root.query_selector("[data-testid=lw-counterfactual-changes]").text_content()
    for change in result["changes"]:
        assert f"{change['name']}: {change['from_display']} \u2192 {change['to_display']}" in shown

    # Apply: one what-if edit, re-queried with the proposed row; Python's state is that row.
    apply = root.query_selector("[data-testid=lw-counterfactual-apply]")
    assert apply.text_content() == "Apply"
    n_before = len(ux.calls("tabular"))
    measure_round_trip(ux.page, root, apply.click)
    state = ux.state("tabular", "state", "state_id", "real_state_id", "real_output")
    assert state["state"] == result["state"]
    assert state["real_state_id"] == state["state_id"]
    assert int(np.argmax(state["real_output"])) == result["label_after"]
    assert_answered(ux, "tabular", n_before, result["state"])
    for change in result["changes"]:
        field = root.query_selector(
            f"[data-testid=lw-feature-input][data-feature='{change['feature']}']"
        )
        assert float(field.input_value()) == change["to"]
    # Back to the original for the next tests.
    measure_round_trip(ux.page, root, root.query_selector("[data-testid=lw-reset]").click)


def test_enter_commits_number_fields(ux: UxNotebook) -> None:
    """Enter (no Tab, no blur) commits a value and 'Features shown'; focus stays in the field."""
    root = ux.root("tabular")
    feature = _scenarios.TABULAR_EDIT_FEATURE
    field = root.query_selector(f"[data-testid=lw-feature-input][data-feature='{feature}']")
    n_before = len(ux.calls("tabular"))

    def type_and_enter() -> None:
        field.fill("7")
        field.press("Enter")

    measure_round_trip(ux.page, root, type_and_enter, events=("keydown",))
    assert field.evaluate("(el) => document.activeElement === el")
    expected = list(_scenarios.churn_data()[2])
    expected[feature] = 7.0
    assert_answered(ux, "tabular", n_before, expected)
    assert ux.state("tabular", "state")["state"] == expected

    count = root.query_selector("[data-testid=lw-num-features]")
    count.fill("2")
    count.press("Enter")
    ux.wait_for_python("tabular", "w.num_features == 2")
    ux.page.wait_for_function(
        "(root) => root.querySelectorAll('.lw-w-chart .lw-w-row').length === 2", arg=root
    )
    count.fill("10")
    count.press("Enter")
    ux.wait_for_python("tabular", "w.num_features == 10")
    # Only 4 conditions exist: the field says so instead of "10".
    assert count.input_value() == "4"
    measure_round_trip(ux.page, root, root.query_selector("[data-testid=lw-reset]").click)


def test_keyboard_focus_stays_on_a_chart_row(ux: UxNotebook) -> None:
    """Enter, then Space, on a focused chart row toggles its superpixel; focus stays on the row."""
    root = ux.root("image")
    row = root.query_selector(".lw-w-chart button[data-feature]")
    feature = int(row.get_attribute("data-feature"))
    row.focus()
    for key, removed in (("Enter", True), (" ", False)):
        measure_round_trip(
            ux.page, root, lambda key=key: ux.page.keyboard.press(key), events=("keydown",)
        )
        state = ux.state("image", "state")["state"]
        assert state[feature] == (0 if removed else 1)
        focused = ux.page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.dataset.feature,"
            " document.activeElement.getAttribute('aria-pressed')]"
        )
        assert focused == ["BUTTON", str(feature), "true" if removed else "false"]


def test_image_hover_highlights_both_ways_and_click_hides(ux: UxNotebook) -> None:
    """Hovering a chart row outlines its superpixel; hovering the image marks its row."""
    click = json.loads((ux.log_dir / f"{ux.prefix}image_click.json").read_text())
    root = ux.root("image")
    canvas = root.query_selector("[data-testid=lw-canvas]")
    assert canvas.get_attribute("role") == "img" and canvas.get_attribute("aria-label")
    assert "Click a superpixel to hide it from the model" in (
        root.query_selector("[data-testid=lw-image-instruction]").text_content()
    )
    legend = root.query_selector("[data-testid=lw-image-legend]").text_content()
    assert "magenta outline" in legend and "yellow lines" in legend

    row = root.query_selector(f".lw-w-chart button[data-feature='{click['feature']}']")
    row.hover()
    ux.page.wait_for_function(
        "([c, f]) => c.dataset.hovered === String(f)", arg=[canvas, click["feature"]]
    )
    # The cyan outline is on the canvas around that superpixel.
    cyan = canvas.evaluate(
        "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 0; i < d.length; i += 4)"
        " if (d[i] === 0 && d[i + 1] === 220 && d[i + 2] === 255) n += 1; return n; }"
    )
    assert cyan > 0

    box = canvas.bounding_box()
    x = box["x"] + (click["col"] + 0.5) / click["width"] * box["width"]
    y = box["y"] + (click["row"] + 0.5) / click["height"] * box["height"]
    ux.page.mouse.move(x, y)
    ux.page.wait_for_function(
        "(row) => row.isConnected && row.classList.contains('lw-w-hover')",
        arg=root.query_selector(f".lw-w-chart button[data-feature='{click['feature']}']"),
    )
    n_before = len(ux.calls("image"))
    measure_round_trip(ux.page, root, lambda: ux.page.mouse.click(x, y))
    assert ux.state("image", "state")["state"][click["feature"]] == 0
    # One model call, unless an earlier test already asked for this very image.
    new_calls = len(ux.calls("image")) - n_before
    assert new_calls == 1 or (
        new_calls == 0 and ux.state("image", "real_from_cache")["real_from_cache"] is True
    )
    measure_round_trip(ux.page, root, root.query_selector("[data-testid=lw-reset]").click)
