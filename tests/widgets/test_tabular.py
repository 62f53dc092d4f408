"""The tabular widget: what-if editing of continuous and categorical values, regression."""

from __future__ import annotations

import numpy as np
import pytest

from limewidgets import TabularExplanationWidget

from .conftest import RecordingModel, js_update


def test_features_payload(tabular_explanation):
    widget = TabularExplanationWidget(tabular_explanation, threaded=False)
    names = [f["name"] for f in widget.features]
    assert names == ["x0", "colour", "x2"]
    colour = widget.features[1]
    assert colour["categorical"] is True
    assert colour["options"] == [[0.0, "red"], [1.0, "green"], [2.0, "blue"]]
    assert colour["rule"] == {"type": "equal", "value": 1.0}
    assert colour["condition"] == "colour=green"
    assert widget.features[0]["categorical"] is False
    assert widget.features[0]["rule"]["type"] == "bin"
    assert widget.feature_names == [f["condition"] for f in widget.features]
    assert widget.initial_state == [0.2, 1.0, 5.0]


def test_set_value_continuous_and_categorical(tabular_explanation, tabular_model):
    recorder = RecordingModel(tabular_model)
    widget = TabularExplanationWidget(tabular_explanation, recorder, threaded=False)
    widget.set_value("x0", 1.7)
    np.testing.assert_array_equal(recorder.calls[-1], [[1.7, 1.0, 5.0]])
    widget.set_value(1, "blue")  # by index and category name
    np.testing.assert_array_equal(recorder.calls[-1], [[1.7, 2.0, 5.0]])
    widget.set_value("colour", 0)  # by raw code
    row = np.array([1.7, 0.0, 5.0])
    np.testing.assert_array_equal(recorder.calls[-1], [row])
    assert widget.values == {"x0": 1.7, "colour": 0.0, "x2": 5.0}
    assert widget.real_state_id == widget.state_id == 3
    assert widget.real_output == pytest.approx(list(tabular_model(row[None, :])[0]))
    assert widget.surrogate_output == pytest.approx(
        tabular_explanation.surrogate_predict(
            tabular_explanation.perturbation.to_interpretable(row[None, :]), widget.label
        )[0]
    )
    # The browser's estimate from the rules is checked against Python in js/tests/golden.test.js.


def test_set_value_rejects_bad_values(tabular_explanation, tabular_model):
    recorder = RecordingModel(tabular_model)
    widget = TabularExplanationWidget(tabular_explanation, recorder, threaded=False)
    with pytest.raises(ValueError, match=r"colour must be one of \['blue', 'green', 'red'\]"):
        widget.set_value("colour", "purple")
    with pytest.raises(ValueError, match="colour must be one of the categories"):
        widget.set_value("colour", 7)
    with pytest.raises(ValueError, match="feature must be one of"):
        widget.set_value("x9", 1.0)
    with pytest.raises(ValueError, match=r"feature index must be in \[0, 2\]"):
        widget.set_value(3, 1.0)
    with pytest.raises(ValueError, match="must be finite"):
        widget.set_value("x0", float("nan"))
    with pytest.raises(TypeError, match="x0 must be a number"):
        widget.set_value("x0", "big")
    assert recorder.calls == [] and widget.state_id == 0
    # The same checks guard states coming from the browser.
    widget.set_state({"state": [0.0, 5.0, 1.0], "state_id": 1})
    assert "categories" in widget.error and recorder.calls == []


def test_regression_widget(regression_explanation, regression_model):
    recorder = RecordingModel(regression_model)
    widget = TabularExplanationWidget(regression_explanation, recorder, threaded=False)
    assert widget.mode == "regression"
    assert widget.labels == [1] and widget.label == 1
    assert widget.original_output == pytest.approx([regression_explanation.predicted_value])
    assert widget.min_value == pytest.approx(regression_explanation.min_value)
    assert widget.max_value == pytest.approx(regression_explanation.max_value)
    assert widget.min_value < widget.original_output[0] < widget.max_value
    widget.set_value("x2", 7.0)
    row = np.array([[0.5, 0.0, 7.0]])
    assert widget.real_output == pytest.approx([regression_model(row)[0]])
    # y = 3 x0 - 2 x2: raising x2 by 3 lowers the value by 6.
    assert widget.real_output[0] - widget.original_output[0] == pytest.approx(-6.0, abs=1e-6)
    assert widget.surrogate_output == pytest.approx(
        regression_explanation.surrogate_predict(
            regression_explanation.perturbation.to_interpretable(row), 1
        )[0]
    )


def test_tabular_counterfactual_is_a_what_if_edit(tabular_explanation, tabular_model):
    recorder = RecordingModel(tabular_model)
    widget = TabularExplanationWidget(tabular_explanation, recorder, threaded=False)
    before = int(np.argmax(widget.original_output))
    result = widget.find_counterfactual()
    assert result["found"] and result["searched"] == "change" and result["request"] == 0
    assert widget.counterfactual == result
    # The model's own decision boundary (x0 + 2 [colour = blue] = 0.5 in the training labels):
    # the smallest change moves x0 up to around 0.5, colour and x2 stay.
    (change,) = result["changes"]
    assert change["name"] == "x0" and change["from"] == pytest.approx(0.2)
    assert 0.2 < change["to"] < 1.5
    assert result["state"][1:] == [1.0, 5.0]
    assert int(np.argmax(tabular_model(np.array([result["state"]])))) != before
    # Applying it is one what-if edit: the state becomes the counterfactual row, re-queried.
    state_id = widget.state_id
    widget.apply_counterfactual()
    assert widget.state == result["state"] and widget.state_id == state_id + 1
    assert widget.real_state_id == widget.state_id
    assert int(np.argmax(widget.real_output)) == result["label_after"] != before
    assert widget.values["x0"] == change["to"]


def test_tabular_counterfactual_from_the_browser(tabular_explanation, tabular_model):
    widget = TabularExplanationWidget(tabular_explanation, tabular_model, threaded=False)
    widget.set_state({"counterfactual_request": 1})
    assert widget.counterfactual["found"] is True
    assert widget.counterfactual["request"] == 1
    assert widget.counterfactual["searched"] == "change"
    widget.set_state({"counterfactual_request": 2})
    assert widget.counterfactual["request"] == 2


def test_regression_counterfactual_crosses_the_threshold(regression_explanation, regression_model):
    widget = TabularExplanationWidget(regression_explanation, regression_model, threaded=False)
    middle = (widget.min_value + widget.max_value) / 2
    assert widget.counterfactual_threshold == pytest.approx(middle)
    value = widget.original_output[0]
    threshold = value - 1.0  # just below the instance's value: a small change crosses it
    widget.counterfactual_threshold = threshold
    result = widget.find_counterfactual()
    assert result["found"] and result["label_before"] == 1 and result["label_after"] == 0
    assert result["output_after"][0] < threshold
    assert regression_model(np.array([result["state"]]))[0] < threshold
    assert f"threshold {threshold:g}" in result["message"]
    widget.apply_counterfactual()
    assert widget.real_output[0] == pytest.approx(result["output_after"][0])


def test_browser_sets_the_regression_threshold(regression_explanation, regression_model):
    """The JS threshold field (CONTRACT.md change 1) reaches the search asked for by the browser."""
    widget = TabularExplanationWidget(regression_explanation, regression_model, threaded=False)
    threshold = widget.original_output[0] + 1.0
    js_update(widget, counterfactual_threshold=threshold)
    assert widget.counterfactual_threshold == threshold
    js_update(widget, counterfactual_request=1)
    result = widget.counterfactual
    assert result["request"] == 1 and result["found"] is True
    assert result["label_before"] == 0 and result["output_after"][0] >= threshold
    assert f"threshold {threshold:g}" in result["message"]


def test_apply_counterfactual_needs_a_found_one(tabular_explanation, tabular_model):
    widget = TabularExplanationWidget(tabular_explanation, tabular_model, threaded=False)
    with pytest.raises(ValueError, match="no counterfactual to apply"):
        widget.apply_counterfactual()
    assert widget.state_id == 0
