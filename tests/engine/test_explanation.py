"""The generic explanation object and its static HTML view."""

import numpy as np
import pytest

from limewidgets.engine.explanation import (
    DomainMapper,
    Explanation,
    LabelNotExplainedError,
)


class NamedMapper(DomainMapper):
    def __init__(self, names):
        super().__init__()
        self.names = names

    def map_exp_ids(self, exp, **kwargs):
        return [(self.names[i], w) for i, w in exp]


def make_explanation(names=("a", "b", "c"), class_names=("no", "yes")):
    exp = Explanation(NamedMapper(list(names)), class_names=list(class_names))
    exp.local_exp = {1: [(2, 0.5), (0, -0.25)], 0: [(2, -0.5), (0, 0.25)]}
    exp.intercept = {1: 0.1, 0: 0.9}
    exp.score = {1: 0.8, 0: 0.8}
    exp.local_pred = {1: np.array([0.35]), 0: np.array([0.65])}
    exp.predict_proba = np.array([0.3, 0.7])
    return exp


def test_lists_maps_and_labels():
    exp = make_explanation()
    assert exp.as_list(1) == [("c", 0.5), ("a", -0.25)]
    assert exp.as_map()[0] == [(2, -0.5), (0, 0.25)]
    assert sorted(exp.available_labels()) == [0, 1]
    exp.top_labels = [1, 0]
    assert exp.available_labels() == [1, 0]


def test_unexplained_label_is_a_clear_error():
    exp = make_explanation()
    exp.local_exp.pop(0)
    with pytest.raises(LabelNotExplainedError, match=r"label 0 \(no\) was not explained.*\[1\]"):
        exp.as_list(0)
    with pytest.raises(KeyError):  # lime users catch KeyError
        exp.as_list(0)
    with pytest.raises(ValueError):
        exp.as_list(0)
    with pytest.raises(TypeError, match="label must be an integer"):
        exp.as_list("yes")


def test_surrogate_predict():
    exp = make_explanation()
    np.testing.assert_allclose(exp.surrogate_predict([1, 1, 1], 1), [0.35])
    np.testing.assert_allclose(exp.surrogate_predict([[1, 0, 0], [0, 0, 1]], 1), [-0.15, 0.6])
    with pytest.raises(ValueError, match="at least 3 columns"):
        exp.surrogate_predict([[1, 1]], 1)


def test_regression_mode():
    exp = Explanation(DomainMapper(), mode="regression")
    exp.local_exp = {1: [(0, 2.0)], 0: [(0, -2.0)]}
    exp.predicted_value, exp.min_value, exp.max_value = 3.0, 1.0, 5.0
    assert exp.as_list() == [(0, 2.0)]
    with pytest.raises(NotImplementedError):
        exp.available_labels()
    assert "Predicted value" in exp.as_html()
    with pytest.raises(ValueError, match="mode must be one of"):
        Explanation(DomainMapper(), mode="ranking")


def test_html_is_small_static_and_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    exp = make_explanation(names=(evil, "b", 'c"&'), class_names=("<b>no</b>", "yes"))
    page = exp.as_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;no&lt;/b&gt;" in page
    assert len(page) < 20_000
    path = tmp_path / "exp.html"
    exp.save_to_file(path, labels=[1])
    assert path.read_text(encoding="utf8").startswith("<!DOCTYPE html>")
    with pytest.raises(LabelNotExplainedError):
        exp.as_html(labels=[5])


def test_pyplot_figure():
    import matplotlib

    matplotlib.use("Agg")
    fig = make_explanation().as_pyplot_figure(1)
    ax = fig.axes[0]
    assert ax.get_title() == "Local explanation for class yes"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c"]


def test_show_in_notebook_without_widget_displays_html(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    make_explanation().show_in_notebook()
    assert len(shown) == 1 and "Explanation for yes" in shown[0].data


def test_long_explanations_are_capped_in_html():
    exp = make_explanation(names=[f"f{i}" for i in range(60)])
    exp.local_exp[1] = [(i, 1.0 / (i + 1)) for i in range(60)]
    page = exp.as_html(labels=[1])
    assert "f24" in page and ">f25<" not in page
    assert "and 35 more features" in page


def with_uncertainty(exp):
    """Hand-set uncertainty: feature 2 is sure (0.5 +- 0.1), feature 0 is not (-0.25 +- 0.3)."""
    exp.weight_std = {1: {2: 0.05, 0: 0.15}, 0: {2: 0.05, 0: 0.15}}
    exp.stability = {1: 0.82, 0: 0.82}
    exp.fidelity = {1: 0.9125, 0: 0.9125}
    exp.num_queries = 750
    return exp


def test_html_without_uncertainty_has_no_error_bars():
    body = make_explanation().as_html().split("<body>")[1]  # the stylesheet names them all
    assert 'class="lw-err"' not in body and "lw-uncertain" not in body
    assert "lw-reliability" not in body


def test_html_shows_error_bars_uncertain_weights_and_the_reliability_line():
    page = with_uncertainty(make_explanation()).as_html(labels=[1])
    assert "<script" not in page
    # Two error bars (one per weight), +-2 standard errors in the value column.
    assert page.count('<span class="lw-err"') == 2
    assert "&plusmn;0.100" in page and "&plusmn;0.300" in page
    # Feature 0's interval (-0.25 +- 0.3) contains zero: hatched, and its tooltip says why.
    uncertain_rows = [r for r in page.split('<div class="lw-row"') if "lw-bar lw-uncertain" in r]
    assert len(uncertain_rows) == 1 and uncertain_rows[0].startswith(' title="a: weight -0.250')
    assert "even the sign of this weight is uncertain" in uncertain_rows[0]
    assert "hatched: the interval contains zero" in page
    # The error bar of feature 0 spans -0.55..0.05 on a scale of max(|w| + 2 se) = 0.6.
    assert 'class="lw-err" style="left:4.2%;width:50.0%"' in page
    assert "Fidelity 0.91" in page and "Stability 0.82" in page and "750 model queries" in page
    assert (
        'title="Stability 0.82: a rerun with the same budget is expected to share 82 % of the '
        "top-2 features"
    ) in page
    assert 'title="Held-out fidelity 0.91: on perturbed samples kept aside' in page
    assert 'title="750 model queries: the explanation sent 750 perturbed instances' in page


def test_reliability_falls_back_to_num_samples_and_skips_missing_values():
    exp = make_explanation()
    exp.num_samples = 300
    exp.fidelity = {1: float("nan"), 0: float("nan")}
    info = exp.reliability(1)
    assert info == {
        "fidelity": None,
        "stability": None,
        "stability_k": 2,
        "num_queries": 300,
        "weight_std": {},
    }
    page = exp.as_html(labels=[1])
    assert "300 model queries" in page and "Fidelity" not in page and "Stability" not in page


def test_pyplot_figure_has_error_bars_and_hatches_uncertain_weights():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = with_uncertainty(make_explanation()).as_pyplot_figure(label=1)
    ax = fig.axes[0]
    assert ax.get_title() == "Local explanation for class yes"
    assert ax.get_xlabel() == "fidelity 0.91, stability 0.82 (top-2), 750 model queries"
    bars = ax.patches[:2]  # bottom-up: feature 0 (-0.25), then feature 2 (0.5)
    assert [b.get_width() for b in bars] == pytest.approx([-0.25, 0.5])
    assert bars[0].get_hatch() == "//" and not bars[1].get_hatch()
    (errorbar,) = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    segments = errorbar.lines[2][0].get_segments()
    spans = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in segments)
    assert spans == [(-0.55, 0.05), (0.4, 0.6)]
    plt.close(fig)
    plain = make_explanation().as_pyplot_figure(label=1)
    assert not [c for c in plain.axes[0].containers if type(c).__name__ == "ErrorbarContainer"]
    assert plain.axes[0].get_xlabel() == ""
    plt.close(plain)
