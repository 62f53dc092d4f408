"""Tabular counterfactuals: ground-truth models whose smallest flip is known, ranges, categories,
regression thresholds, budgets and batching."""

from __future__ import annotations

import numpy as np
import pytest

from limewidgets import LimeTabularExplainer
from limewidgets.engine.counterfactual import find_counterfactual
from limewidgets.engine.tabular_counterfactual import find_tabular_counterfactual

RNG = np.random.RandomState(0)
TRAIN = RNG.uniform(0, 10, size=(400, 4))
TRAIN[:, 3] = RNG.randint(0, 3, size=400)  # a categorical column with codes 0, 1, 2
NAMES = ["a", "b", "c", "colour"]
COLOURS = ["red", "green", "blue"]


class Recorder:
    def __init__(self, fn):
        self.fn = fn
        self.batches = []

    def __call__(self, batch):
        self.batches.append(np.asarray(batch).copy())
        return self.fn(np.asarray(batch))

    @property
    def rows(self):
        return sum(len(b) for b in self.batches)


def two_classes(p1):
    return np.column_stack([1 - p1, p1])


def c_above_6(x):
    """Class 1 exactly when c > 6: from c = 7.3 the smallest flip is c -> 6."""
    return two_classes(np.where(x[:, 2] > 6, 0.9, 0.1))


def explain(model, row, mode="classification", **kwargs):
    explainer = LimeTabularExplainer(
        TRAIN,
        mode=mode,
        feature_names=NAMES,
        categorical_features=[3],
        categorical_names={3: COLOURS},
        random_state=0,
        **kwargs,
    )
    extra = {} if mode == "regression" else {"top_labels": 1}
    return explainer.explain_instance(np.asarray(row, float), model, num_samples=400, **extra)


def info_ranges(explanation):
    info = explanation.perturbation.feature_info()
    return np.array([f["min"] for f in info]), np.array([f["max"] for f in info])


def test_threshold_on_one_feature_gives_the_smallest_flip():
    model = Recorder(c_above_6)
    explanation = explain(model, [5, 5, 7.3, 1])
    model.batches.clear()
    result = find_counterfactual(explanation)
    assert result.found and result.searched == "change"
    assert result.features == [2]
    (change,) = result.changes
    assert change["name"] == "c" and change["from"] == 7.3
    # The smallest change is c -> 6 (c > 6 is class 1); found to within one editing step.
    step = explanation.perturbation.feature_info()[2]["step"]
    assert 6 - step - 1e-9 <= change["to"] <= 6
    assert result.state == [5.0, 5.0, change["to"], 1.0]
    assert (result.label_before, result.label_after) == (1, 0)
    assert result.output_after == pytest.approx([0.9, 0.1])
    # Every row counted; the last model call verified the reported row.
    assert result.queries == model.rows <= 200
    np.testing.assert_array_equal(model.batches[-1], [result.state])
    assert f"c from 7.3 to {change['to_display']}" in result.message
    assert "changes the prediction from '1' to '0'" in result.message
    assert isinstance(find_tabular_counterfactual(explanation).to_dict()["changes"], list)


def test_categories_are_real_ones_and_values_stay_in_the_training_range():
    # Only "blue" (code 2) or a (way outside the training range, > 20) flips the decision.
    def model(x):
        return two_classes(np.where((x[:, 3] == 2) | (x[:, 0] > 20), 0.1, 0.9))

    recorder = Recorder(model)
    explanation = explain(recorder, [8, 8, 7.3, 1])
    recorder.batches.clear()
    result = find_counterfactual(explanation)
    assert result.found and result.features == [3]
    assert result.changes[0]["from_display"] == "green"
    assert result.changes[0]["to_display"] == "blue"
    low, high = info_ranges(explanation)
    queried = np.vstack(recorder.batches)
    assert np.all((queried >= low - 1e-12) & (queried <= high + 1e-12))
    assert set(np.unique(queried[:, 3])) <= {0.0, 1.0, 2.0}


def test_no_flip_inside_the_range_is_reported_as_not_found():
    model = Recorder(lambda x: two_classes(np.where(x[:, 0] > 20, 0.1, 0.9)))
    explanation = explain(model, [8, 8, 7.3, 1])
    model.batches.clear()
    result = find_counterfactual(explanation, max_queries=50)
    assert not result.found and result.features == [] and result.changes == []
    assert result.state == [8.0, 8.0, 7.3, 1.0]
    assert result.label_after == result.label_before == 1
    assert result.queries == model.rows <= 50
    assert result.message.startswith("no counterfactual")


def test_two_features_needed_together():
    # Class 1 unless both a and b are <= 3 (no single feature can flip it).
    def model(x):
        return two_classes(np.where((x[:, 0] > 3) | (x[:, 1] > 3), 0.9, 0.1))

    explanation = explain(model, [8, 8, 7.3, 1])
    result = find_counterfactual(explanation)
    assert result.found and result.features == [0, 1]
    for change in result.changes:
        assert 2.5 <= change["to"] <= 3
    assert result.state[2:] == [7.3, 1.0]


def test_regression_threshold():
    def value(x):
        return 3.0 * x[:, 1]

    explanation = explain(value, [5, 7, 7.3, 1], mode="regression")
    result = find_counterfactual(explanation, threshold=15.0)
    # value >= 15 is "above": from b = 7 the smallest move below is b just under 5.
    assert result.found and result.features == [1]
    assert 4.9 <= result.changes[0]["to"] < 5
    assert (result.label_before, result.label_after) == (1, 0)
    assert result.output_after[0] < 15
    assert "threshold 15" in result.message
    below = find_counterfactual(explanation, threshold=25.0)
    assert below.found and below.label_before == 0 and below.output_after[0] >= 25
    assert 25 / 3 <= below.changes[0]["to"] <= 25 / 3 + 0.11
    with pytest.raises(ValueError, match="threshold is required for regression"):
        find_counterfactual(explanation)


def test_other_label_target_three_classes():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(x, y)
    explainer = LimeTabularExplainer(x, random_state=0)
    explanation = explainer.explain_instance(
        x[0], model.predict_proba, num_samples=300, labels=(0, 2)
    )
    assert model.predict(x[:1])[0] == 0
    result = find_counterfactual(explanation, label=2)
    assert result.found and result.label_after == 2 and result.label == 2
    assert model.predict(np.array([result.state]))[0] == 2


@pytest.mark.parametrize("max_queries", [2, 3, 5, 9, 17, 40])
def test_budget_is_never_exceeded(max_queries):
    model = Recorder(c_above_6)
    explanation = explain(model, [5, 5, 7.3, 1])
    model.batches.clear()
    result = find_counterfactual(explanation, max_queries=max_queries)
    assert result.queries == model.rows <= max_queries
    if result.found:
        assert result.features == [2]
        np.testing.assert_array_equal(model.batches[-1], [result.state])


def test_batch_size_caps_rows_per_call():
    model = Recorder(c_above_6)
    explanation = explain(model, [5, 5, 7.3, 1])
    model.batches.clear()
    result = find_counterfactual(explanation, batch_size=3)
    assert result.found and max(len(b) for b in model.batches) <= 3


def test_unreproducible_model_is_not_reported_as_found():
    calls = {"n": 0}

    def flaky(x):
        calls["n"] += 1
        # Class 1 always, except on the second call (the probes), which flips everything.
        return two_classes(np.full(len(x), 0.1 if calls["n"] == 2 else 0.9))

    explanation = explain(flaky, [5, 5, 7.3, 1])
    calls["n"] = 1
    result = find_counterfactual(explanation)
    assert not result.found and "not reproducible" in result.message
