"""The global view widget: traits from a GlobalExplanation, rows opening their own widget."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import scipy.special

from limewidgets.engine.global_explanation import GlobalExplanation
from limewidgets.engine.submodular_pick import SubmodularPick
from limewidgets.engine.tabular import LimeTabularExplainer
from limewidgets.widgets import GlobalExplanationWidget, TabularExplanationWidget

NAMES = ["<img src=x onerror=alert(1)>", "beta", "gamma", "delta"]
TABLE = np.random.RandomState(0).normal(size=(150, 4))


def model(x):
    p = scipy.special.expit(3 * x[:, 0] - 2 * x[:, 2])
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def explanations():
    explainer = LimeTabularExplainer(TABLE, feature_names=NAMES, random_state=0)
    return explainer.explain_many(
        TABLE[:8], model, num_samples=300, num_features=3, labels=(0, 1), progress_bar=False
    )


def test_traits_carry_the_aggregate(explanations):
    g = GlobalExplanation(explanations)
    widget = g.widget()
    try:
        assert isinstance(widget, GlobalExplanationWidget)
        chart = widget.chart
        assert [entry["id"] for entry in chart.labels] == [0, 1]
        entries = chart.aggregates["1"]
        assert [e["name"] for e in entries] == g.features[1][: len(entries)]
        first = entries[0]
        assert first["mean_abs"] == pytest.approx(g.mean_abs[1][0])
        assert first["rows"] == [[p, w] for p, _, w in g.top_rows(0, 1, k=10)]
        assert chart.row_names == [str(i) for i in range(8)]
    finally:
        widget.close()


def test_selecting_a_row_opens_its_live_widget(explanations):
    widget = GlobalExplanation(explanations).widget()
    try:
        widget.chart.selected_row = 3  # what a click in the browser does
        row = widget.row_widget
        assert isinstance(row, TabularExplanationWidget)
        assert row.explanation is explanations[3]
        assert widget.detail.children == (row,)
        assert row.classifier_fn is model  # live re-query as usual
        widget.open_row(5)
        assert widget.row_widget.explanation is explanations[5]
        assert row.comm is None  # the previous row's widget was closed
        widget.open_row(-1)
        assert widget.row_widget is None and widget.detail.children == ()
    finally:
        widget.close()


def test_browser_values_are_checked(explanations):
    widget = GlobalExplanation(explanations).widget()
    chart = widget.chart
    sent = []
    chart.send_state = lambda key=None: sent.append(key)
    try:
        before = chart.label
        chart.set_state({"label": 7})
        assert chart.label == before and sent[-1] == ["label"]
        chart.set_state({"selected_row": 99})
        assert chart.selected_row == -1 and widget.row_widget is None
        chart.set_state({"aggregates": {}})  # Python-owned
        assert chart.aggregates and sent[-1] == ["aggregates"]
        chart.set_state({"label": 1, "selected_feature": "beta"})
        assert chart.label == 1 and chart.selected_feature == "beta"
    finally:
        widget.close()


def test_save_html_is_a_standalone_page(explanations, tmp_path):
    pick = SubmodularPick(
        LimeTabularExplainer(TABLE, feature_names=NAMES, random_state=0), TABLE, model,
        sample_size=5, num_exps_desired=2, num_features=3, num_samples=200,
    )  # fmt: skip
    widget = pick.widget()
    try:
        path = widget.save_html(tmp_path / "global.html")
        page = path.read_text(encoding="utf8")
        state = json.loads(
            re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', page).group(1)
        )
        assert state["static"] is True and len(state["picked"]) == 2
        assert "<img src=x" not in page.replace("\\u003cimg", "")  # names only as escaped JSON
        assert widget.chart.static is False
    finally:
        widget.close()


def test_rejects_other_objects():
    with pytest.raises(TypeError, match="GlobalExplanation"):
        GlobalExplanationWidget(object())
