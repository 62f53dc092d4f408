"""The counterfactual search: ground truth, pruning, exact query accounting, budgets, errors."""

from __future__ import annotations

import numpy as np
import pytest

from limewidgets.engine.counterfactual import CounterfactualResult, find_counterfactual
from limewidgets.engine.explanation import DomainMapper, Explanation, LabelNotExplainedError


class MaskPerturbation:
    """Model inputs are the keep-masks themselves."""

    def __init__(self, n_features):
        self.n_features = n_features

    def initial_state(self):
        return np.ones(self.n_features)

    def make_instances(self, rows):
        return np.asarray(rows, dtype=float).copy()

    def to_interpretable(self, rows):
        return np.atleast_2d(np.asarray(rows, dtype=float))


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


def make_explanation(weights, model, n_features, mode="classification", labels=None):
    """An explanation with hand-set weights (``{label: {feature: weight}}``)."""
    explanation = Explanation(DomainMapper(), mode=mode, class_names=None)
    explanation.perturbation = MaskPerturbation(n_features)
    explanation.classifier_fn = model
    for label, by_feature in weights.items():
        pairs = sorted(by_feature.items(), key=lambda fw: -abs(fw[1]))
        explanation.local_exp[label] = pairs
        explanation.intercept[label] = 0.0
    output = np.asarray(model(np.ones((1, n_features))))
    if mode == "classification":
        explanation.predict_proba = output[0]
    else:
        explanation.predicted_value = float(output.ravel()[0])
    return explanation


def keeps_feature_5(masks):
    """Class 1 exactly when feature 5 is kept."""
    p1 = np.where(masks[:, 5] > 0, 0.9, 0.1)
    return np.column_stack([1 - p1, p1])


# Misleading weights: features 0-3 look more important than 5, which alone decides.
MISLEADING = {1: {0: 0.5, 1: 0.4, 2: 0.35, 3: 0.3, 5: 0.2, 6: -0.1}}


def test_prefix_search_then_pruning_with_exact_query_count():
    model = Recorder(keeps_feature_5)
    explanation = make_explanation(MISLEADING, model, n_features=8)
    model.batches.clear()  # the call that made predict_proba
    result = find_counterfactual(explanation)
    assert isinstance(result, CounterfactualResult)
    assert result.found and result.features == [5]
    assert (result.label_before, result.label_after, result.label) == (1, 0, 1)
    assert result.output_after == pytest.approx([0.9, 0.1])
    # Prefix calls of 1, 2 and 4 rows (k = 1; 2-3; 4-7: hit at k = 5), 4 pruning trials
    # (features 3, 2, 1, 0; feature 5 itself is never put back) and 1 verification.
    assert [len(b) for b in model.batches] == [1, 2, 4, 1, 1, 1, 1, 1]
    assert result.queries == model.rows == 12
    np.testing.assert_array_equal(model.batches[-1], [[1, 1, 1, 1, 1, 0, 1, 1]])
    assert result.mask == [1, 1, 1, 1, 1, 0, 1, 1]
    # Prefixes follow the weights: top-1 removes feature 0, top-2 features 0 and 1...
    np.testing.assert_array_equal(model.batches[0], [[0, 1, 1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(model.batches[1][1], [0, 0, 0, 1, 1, 1, 1, 1])
    assert "changes the prediction from '1' to '0'" in result.message
    assert result.to_dict()["features"] == [5] and "mask" not in result.to_dict()


@pytest.mark.parametrize("max_queries", range(2, 14))
def test_budget_is_never_exceeded(max_queries):
    model = Recorder(keeps_feature_5)
    explanation = make_explanation(MISLEADING, model, n_features=8)
    model.batches.clear()
    result = find_counterfactual(explanation, max_queries=max_queries)
    assert result.queries == model.rows <= max_queries
    if result.found:
        assert 5 in result.features
        # The reported set was verified by the last model call.
        mask = np.ones(8)
        mask[result.features] = 0
        np.testing.assert_array_equal(model.batches[-1], [mask])
    else:
        assert result.features == [] and result.label_after == result.label_before == 1
        assert f"max_queries={max_queries}" in result.message
    # Prefix batches shrink to the budget left: 5 prefix rows reach k = 5, plus the verification.
    assert result.found == (max_queries >= 6)


def test_batch_size_caps_rows_per_call():
    model = Recorder(keeps_feature_5)
    explanation = make_explanation(MISLEADING, model, n_features=8)
    model.batches.clear()
    result = find_counterfactual(explanation, batch_size=2)
    assert result.features == [5]
    assert max(len(b) for b in model.batches) == 2


def test_other_label_asks_what_makes_the_model_predict_it():
    """Three classes; class 2 wins only when features 1 and 3 (evidence against it) are gone."""

    def model(masks):
        score2 = 1.0 - masks[:, 1] - masks[:, 3]
        logits = np.column_stack([np.full(len(masks), 0.5), np.zeros(len(masks)), score2])
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    weights = {0: {0: 0.3, 2: 0.1}, 2: {1: -0.4, 3: -0.3, 0: -0.2, 2: 0.1}}
    explanation = make_explanation(weights, model, n_features=4)
    assert int(np.argmax(explanation.predict_proba)) == 0
    result = find_counterfactual(explanation, label=2)
    assert result.found and sorted(result.features) == [1, 3]
    assert (result.label_before, result.label_after, result.label) == (0, 2, 2)
    with pytest.raises(LabelNotExplainedError, match="label 1 .* was not explained"):
        find_counterfactual(explanation, label=1)
    with pytest.raises(ValueError, match=r"label must be in \[0, 2\]"):
        find_counterfactual(explanation, label=5)
    with pytest.raises(TypeError, match="label must be an integer"):
        find_counterfactual(explanation, label="2")


def test_no_counterfactual_when_nothing_changes_the_label():
    model = Recorder(lambda masks: np.tile([0.2, 0.8], (len(masks), 1)))
    explanation = make_explanation({1: {0: 0.1, 1: 0.05}}, model, n_features=3)
    model.batches.clear()
    result = find_counterfactual(explanation)
    assert not result.found and result.queries == model.rows == 3
    assert "removing all 3 features does not change" in result.message
    assert result.output_after == pytest.approx([0.2, 0.8])


def test_unreproducible_model_is_not_reported_as_found():
    calls = {"n": 0}

    def flaky(masks):
        calls["n"] += 1
        # Flips only on its second call (the first prefix batch after the original).
        p1 = 0.1 if calls["n"] == 2 else 0.9
        return np.tile([1 - p1, p1], (len(masks), 1))

    explanation = make_explanation({1: {0: 0.5}}, flaky, n_features=2)
    result = find_counterfactual(explanation)
    assert not result.found and "not reproducible" in result.message


def test_uses_given_model_and_queries_the_original():
    explanation = make_explanation(MISLEADING, keeps_feature_5, n_features=8)
    other = Recorder(keeps_feature_5)
    result = find_counterfactual(explanation, other)
    assert result.features == [5]
    np.testing.assert_array_equal(other.batches[0], [np.ones(8)])  # original re-queried
    assert result.queries == other.rows == 13


def test_regression_threshold():
    def value(masks):
        return masks[:, 0] * 2.0 + masks[:, 1] * 1.0 + masks[:, 2] * 0.5

    explanation = make_explanation(
        {1: {0: 2.0, 1: 1.0, 2: 0.5}}, value, n_features=3, mode="regression"
    )
    result = find_counterfactual(explanation, threshold=2.0)
    assert result.found and result.features == [0]
    assert (result.label_before, result.label_after) == (1, 0)
    assert result.output_after == pytest.approx([1.5])
    assert "threshold 2" in result.message
    # Below the threshold the search removes what lowers the value: nothing here can raise it.
    below = find_counterfactual(explanation, threshold=5.0)
    assert not below.found and below.label_before == 0
    with pytest.raises(ValueError, match="threshold is required for regression"):
        find_counterfactual(explanation)
    with pytest.raises(TypeError, match="threshold must be a number"):
        find_counterfactual(explanation, threshold="2")


def test_bad_inputs():
    explanation = make_explanation(MISLEADING, keeps_feature_5, n_features=8)
    with pytest.raises(ValueError, match="threshold only applies to regression"):
        find_counterfactual(explanation, threshold=0.5)
    with pytest.raises(ValueError, match="max_queries must be an integer >= 2; got 1"):
        find_counterfactual(explanation, max_queries=1)
    with pytest.raises(TypeError, match="classifier_fn must be callable"):
        find_counterfactual(explanation, "model")
    explanation.classifier_fn = None
    with pytest.raises(ValueError, match="classifier_fn is required"):
        find_counterfactual(explanation)
    explanation.perturbation = None
    with pytest.raises(ValueError, match="explanation.perturbation"):
        find_counterfactual(explanation, keeps_feature_5)


def test_tabular_explanations_get_a_value_change_not_a_removal():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from limewidgets import LimeTabularExplainer

    x, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    explanation = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], model.predict_proba, num_samples=100, top_labels=1
    )
    result = find_counterfactual(explanation)
    assert result.found and result.searched == "change"
    assert model.predict(np.array([result.state]))[0] != model.predict(x[:1])[0]
    assert "changes" in result.to_dict() and "state" in result.to_dict()


def test_masks_already_answered_are_not_sent_again():
    from limewidgets.engine.query_cache import QueryCache

    model = Recorder(keeps_feature_5)
    explanation = make_explanation(MISLEADING, model, n_features=8)
    # The explanation's own samples: the top-1 and top-2 prefixes are among them.
    samples = np.array([[1] * 8, [0, 1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1, 1]])
    explanation.query_cache = QueryCache(8)
    explanation.query_cache.add(samples, keeps_feature_5(samples))
    model.batches.clear()
    result = find_counterfactual(explanation)
    assert result.found and result.features == [5]
    assert result.reused == 2
    assert result.queries == model.rows == 12 - 2
    sent = np.vstack(model.batches)
    assert not any((sent == row).all(axis=1).any() for row in samples[1:])
    assert "2 answers reused" in result.message and result.to_dict()["reused"] == 2
    # A second search re-asks only the verification (a deliberate fresh model call).
    model.batches.clear()
    again = find_counterfactual(explanation)
    assert again.features == [5] and again.queries == model.rows == 1
    assert again.reused == 11
    # cache=False queries every row; a model other than the explanation's gets its own cache.
    model.batches.clear()
    assert find_counterfactual(explanation, cache=False).queries == model.rows == 12
    other = Recorder(keeps_feature_5)
    assert find_counterfactual(explanation, other).reused == 0 and other.rows == 13


def test_cache_argument_is_checked():
    from limewidgets.engine.query_cache import QueryCache

    model = Recorder(keeps_feature_5)
    explanation = make_explanation(MISLEADING, model, n_features=8)
    with pytest.raises(TypeError, match="cache must be a QueryCache"):
        find_counterfactual(explanation, cache="yes")
    with pytest.raises(ValueError, match="cache must hold binary masks of 8 features"):
        find_counterfactual(explanation, cache=QueryCache(3))
