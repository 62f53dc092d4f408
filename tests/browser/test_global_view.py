"""The global view and the SP-LIME view, live in JupyterLab 4, driven by headless Chromium.

A notebook explains 12 table rows with ``explain_many``, shows their ``GlobalExplanation`` and a
``SubmodularPick``. The test does what a user does: click a feature's bar, read the rows listed,
click a row, and checks that the row's own live widget opens below (the kernel agrees on which
row), then clicks a picked explanation of the SP-LIME view. A saved standalone page is rendered
offline too.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._harness import NotebookPage, write_notebook

pytestmark = pytest.mark.browser

SETUP = """
import numpy as np, scipy.special
from limewidgets import LimeTabularExplainer, GlobalExplanation, SubmodularPick

rng = np.random.RandomState(0)
table = rng.normal(size=(200, 4))
names = ["<b>alpha</b>", "beta", "gamma", "delta"]

def model(x):
    p = scipy.special.expit(3 * x[:, 0] - 2 * x[:, 2])
    return np.column_stack([1 - p, p])

explainer = LimeTabularExplainer(table, feature_names=names, random_state=0)
exps = explainer.explain_many(table[:12], model, num_samples=300, num_features=3,
                              progress_bar=False)
g = GlobalExplanation(exps)
view = g.widget()
view
"""

PICK = """
pick = SubmodularPick(explainer, table, model, sample_size=8, num_exps_desired=3,
                      num_features=3, num_samples=300)
pick_view = pick.widget()
pick_view
"""


def roots(page: Any, kind: str) -> list:
    return [r for r in page.query_selector_all(f".lw-w-root[data-kind={kind}]")
            if r.query_selector("*") is not None]  # fmt: skip


def wait_roots(page: Any, kind: str, count: int, notebook: NotebookPage) -> list:
    try:
        page.wait_for_function(
            "([kind, count]) => Array.from(document.querySelectorAll(`.lw-w-root[data-kind=${kind}]`))"
            ".filter((el) => el.childElementCount > 0).length >= count",
            arg=[kind, count],
            timeout=30_000,
        )
    except Exception as error:
        raise AssertionError(
            f"{count} {kind} widget(s) did not render; browser errors: {notebook.console_errors}"
        ) from error
    return roots(page, kind)


def test_global_and_pick_views_in_jupyterlab(jupyter_server: Any, chromium: Any, tmp_path) -> None:
    name = "global_view.ipynb"
    ready = jupyter_server.root / "global_ready.json"
    write_notebook(
        jupyter_server.root / name,
        [SETUP, PICK, f"import pathlib; pathlib.Path({str(ready)!r}).write_text('{{}}')"],
    )
    context = chromium.new_context(viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    notebook = NotebookPage(page, jupyter_server, "lab", name)
    try:
        notebook.open()
        notebook.run_all(ready)
        chart = wait_roots(page, "global", 2, notebook)[0]

        # The bars are the aggregate the kernel computed, names shown as text.
        expected = notebook.kernel_json("[f for f in g.features[view.chart.label]]")
        bars = chart.query_selector_all("[data-testid='lw-g-feature']")
        assert [b.get_attribute("data-name") for b in bars] == expected[: len(bars)]
        assert chart.query_selector("b") is None and "<b>alpha</b>" in chart.inner_text()

        # Clicking a feature lists the rows where it matters most.
        bars[0].click()
        page.wait_for_selector("[data-testid='lw-g-row']", timeout=10_000)
        top = notebook.kernel_json("[[p, w] for p, _, w in g.top_rows(0, view.chart.label, k=10)]")
        rows = chart.query_selector_all("[data-testid='lw-g-row']")
        assert [int(r.get_attribute("data-position")) for r in rows] == [p for p, _ in top]

        # Clicking a row opens that row's live explanation widget below the chart.
        rows[0].click()
        page.wait_for_function(
            "() => document.querySelectorAll('.lw-w-root[data-kind=tabular]').length >= 1",
            timeout=30_000,
        )
        state = notebook.kernel_json(
            "{'row': view.chart.selected_row, "
            "'same': view.row_widget.explanation is exps[view.chart.selected_row], "
            "'static': view.row_widget.static, "
            "'live_model': view.row_widget.classifier_fn is model}"
        )
        assert state == {"row": top[0][0], "same": True, "static": False, "live_model": True}

        # The SP-LIME view: the picked explanations side by side; clicking one opens it.
        pick_chart = roots(page, "global")[1]
        cards = pick_chart.query_selector_all("[data-testid='lw-g-picked']")
        picked = notebook.kernel_json("pick.V")
        assert [int(c.get_attribute("data-position")) for c in cards] == picked
        boxes = [c.bounding_box() for c in cards]
        assert len({round(b["y"]) for b in boxes}) == 1  # side by side, one row
        cards[1].click()
        page.wait_for_function(
            "() => document.querySelectorAll('.lw-w-root[data-kind=tabular]').length >= 2",
            timeout=30_000,
        )
        assert notebook.kernel_json("pick_view.chart.selected_row") == picked[1]
        assert not notebook.console_errors, notebook.console_errors

        # save_html: the same chart renders from a file, offline, with no kernel.
        path = tmp_path / "global.html"
        notebook.kernel_exec(f"view.chart.selected_feature = ''\nview.save_html({str(path)!r})")
        offline = context.new_page()
        offline.route("http*://**", lambda route: route.abort())
        offline.goto(path.as_uri())
        offline.wait_for_selector("[data-testid='lw-g-feature']", timeout=20_000)
        shown = offline.query_selector_all("[data-testid='lw-g-feature']")
        assert [b.get_attribute("data-name") for b in shown] == expected[: len(shown)]
        offline.click("[data-testid='lw-g-feature']")
        assert offline.query_selector("[data-testid='lw-g-row']").is_disabled()
    finally:
        context.close()
