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
