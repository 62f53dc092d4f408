"""Tests of SP-LIME (SubmodularPick)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special

from limewidgets.engine.submodular_pick import SubmodularPick, greedy_pick, importance_matrix
from limewidgets.engine.tabular import LimeTabularExplainer


def classifier(x: np.ndarray) -> np.ndarray:
    p = scipy.special.expit(2.0 * (x[:, 0] - 2.0 * x[:, 3]))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.RandomState(0).normal(size=(300, 5))


class FixedExplanation:
    """Just what SubmodularPick reads from an explanation."""

    mode = "classification"

    def __init__(self, weights: dict):
        self.weights = weights

    def available_labels(self):
        return [1]

    def as_list(self, label=1):
        return list(self.weights.items())


class FixedExplainer:
    """Returns a given explanation per instance (instances are indices)."""

    def __init__(self, explanations: list):
        self.explanations = explanations
        self.calls: list = []

    def explain_instance(self, instance, predict_fn, num_features=10, top_labels=None, **kwargs):
        self.calls.append((instance, num_features, top_labels, kwargs))
        return self.explanations[int(instance)]


def lime_greedy(weights: np.ndarray, k: int) -> list:
    """lime 0.2.0.1's loop, written out, as the reference for the vectorised pick."""
    importance = np.sum(abs(weights), axis=0) ** 0.5
    remaining, picked = set(range(len(weights))), []
    for _ in range(k):
        best, best_index = 0, None
        for i in remaining:
            current = np.dot((np.sum(abs(weights)[picked + [i]], axis=0) > 0), importance)
            if current >= best:
                best, best_index = current, i
        picked.append(best_index)
        remaining -= {best_index}
    return picked


def test_greedy_pick_covers_the_important_features():
    explanations = [
        FixedExplanation({"a": 1.0, "b": 0.5}),
        FixedExplanation({"a": 0.9}),
        FixedExplanation({"c": -2.0}),
        FixedExplanation({"b": 0.4, "d": 0.1}),
    ]
    explainer = FixedExplainer(explanations)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pick = SubmodularPick(
            explainer, np.arange(4), classifier, method="full", num_exps_desired=2
        )
    # importance: a=sqrt(1.9), b=sqrt(0.9), c=sqrt(2), d=sqrt(0.1); first c (1.41) loses to
    # {a, b} (1.38 + 0.95), then c adds the most.
    assert pick.V == [0, 2]
    assert pick.sp_explanations == [explanations[0], explanations[2]]
    assert pick.explanations == explanations
    assert pick.features == ["a", "b", "c", "d"]
    np.testing.assert_allclose(pick.importance, np.sqrt([1.9, 0.9, 2.0, 0.1]))
    assert pick.V == lime_greedy(pick.W, 2)
    assert [c[2] for c in explainer.calls] == [1, 1, 1, 1]  # top_labels defaults to 1


def test_vectorised_pick_equals_lime_loop_including_ties():
    rng = np.random.RandomState(1)
    for _ in range(20):
        weights = rng.normal(size=(12, 6)) * (rng.uniform(size=(12, 6)) < 0.3)
        weights[3] = weights[7]  # an exact tie: lime keeps the highest index
        assert greedy_pick(weights != 0, np.sqrt(np.abs(weights).sum(0)), 5) == lime_greedy(
            weights, 5
        )


def test_importance_matrix_sums_over_labels():
    class TwoLabels(FixedExplanation):
        def available_labels(self):
            return [0, 1]

        def as_list(self, label=1):
            return [("a", 1.0), ("b", float(label))]

    features, weights = importance_matrix([TwoLabels({}), FixedExplanation({"c": 3.0})])
    assert features == ["a", "b", "c"]
    np.testing.assert_array_equal(weights, [[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])


def test_seeded_pick_is_reproducible_and_leaves_global_rng_alone(data):
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - checking the global state

    def pick(seed, **kwargs):
        explainer = LimeTabularExplainer(data, random_state=seed)
        return SubmodularPick(
            explainer, data, classifier, sample_size=6, num_exps_desired=2, num_features=3,
            num_samples=300, **kwargs,
        )  # fmt: skip

    first, second, other = pick(0), pick(0), pick(1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert first.V == second.V
    assert [e.as_map() for e in first.explanations] == [e.as_map() for e in second.explanations]
    assert [e.as_map() for e in first.explanations] != [e.as_map() for e in other.explanations]
    # An explicit random_state chooses the instances, whatever the explainer's seed.
    a, b = pick(0, random_state=42), pick(5, random_state=42)
    rows_a = [e.perturbation.initial_state().tolist() for e in a.explanations]
    rows_b = [e.perturbation.initial_state().tolist() for e in b.explanations]
    assert rows_a == rows_b
    assert all(r in data.tolist() for r in rows_a) and len({tuple(r) for r in rows_a}) == 6


def test_unseeded_explainer_does_not_use_global_rng():
    explainer = FixedExplainer([FixedExplanation({"a": 1.0})] * 10)
    explainer.random_state = np.random.mtrand._rand  # what check_random_state(None) gives
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    SubmodularPick(explainer, np.arange(10), classifier, sample_size=4, num_exps_desired=1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_too_many_requests_warn_and_clip():
    explainer = FixedExplainer([FixedExplanation({"a": float(i + 1)}) for i in range(3)])
    with pytest.warns(UserWarning, match="sample size"):
        pick = SubmodularPick(
            explainer, np.arange(3), classifier, sample_size=10, num_exps_desired=2, random_state=0
        )
    assert sorted(int(c[0]) for c in explainer.calls) == [0, 1, 2]
    with pytest.warns(UserWarning, match="number of explanations"):
        pick = SubmodularPick(
            explainer, np.arange(3), classifier, method="full", num_exps_desired=9
        )
    assert len(pick.V) == 3 and sorted(pick.V) == [0, 1, 2]


def test_kwargs_reach_explain_instance():
    explainer = FixedExplainer([FixedExplanation({"a": 1.0})] * 2)
    SubmodularPick(
        explainer, np.arange(2), classifier, method="full", num_exps_desired=1, num_features=4,
        top_labels=3, num_samples=50,
    )  # fmt: skip
    assert explainer.calls[0][1:] == (4, 3, {"num_samples": 50})


def test_regression_explanations(data):
    explainer = LimeTabularExplainer(
        data, mode="regression", feature_names=list("abcde"), random_state=0
    )
    pick = SubmodularPick(
        explainer, data[:4], lambda x: x[:, 0] - 2 * x[:, 3], method="full",
        num_exps_desired=1, num_features=2, num_samples=300,
    )  # fmt: skip
    assert len(pick.explanations) == 4 and len(pick.V) == 1
    most_important = pick.features[int(np.argmax(pick.importance))]
    assert " a " in f" {most_important} " or " d " in f" {most_important} "


def test_works_with_the_text_explainer():
    text = pytest.importorskip("limewidgets.engine.text")
    docs = ["good great fine film", "bad awful film", "great acting bad plot", "fine fine film"]

    def sentiment(batch):
        score = np.array([d.count("good") + d.count("great") - d.count("bad") for d in batch])
        p = scipy.special.expit(score.astype(float))
        return np.column_stack([1 - p, p])

    explainer = text.LimeTextExplainer(random_state=0)
    pick = SubmodularPick(
        explainer, docs, sentiment, sample_size=3, num_exps_desired=2, num_features=3,
        num_samples=200,
    )  # fmt: skip
    assert len(pick.explanations) == 3 and len(pick.V) == 2
    assert set(pick.features) <= {"good", "great", "fine", "film", "bad", "awful", "acting", "plot"}


def test_bad_arguments():
    explainer = FixedExplainer([FixedExplanation({"a": 1.0})] * 3)
    with pytest.raises(ValueError, match="method"):
        SubmodularPick(explainer, np.arange(3), classifier, method="random")
    with pytest.raises(TypeError, match="num_exps_desired"):
        SubmodularPick(explainer, np.arange(3), classifier, num_exps_desired=None)
    with pytest.raises(ValueError, match="num_exps_desired"):
        SubmodularPick(explainer, np.arange(3), classifier, num_exps_desired=-1)
    with pytest.raises(ValueError, match="sample_size"):
        SubmodularPick(explainer, np.arange(3), classifier, sample_size=0)
    with pytest.raises(TypeError, match="explainer"):
        SubmodularPick(object(), np.arange(3), classifier)
    with pytest.raises(TypeError, match="predict_fn"):
        SubmodularPick(explainer, np.arange(3), "model")
    with pytest.raises(ValueError, match="data"):
        SubmodularPick(explainer, [], classifier)
