"""Tests of the tabular explainer, its perturbation and its recurrent variant.

Ground truth comes from models whose dependence is known: a logistic model of ``x0 - 2 * x3``
and a regression ``3 * x0 - 2 * x3`` on generated data, so the top-2 features must be 0 and 3
with known signs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.special
from sklearn.linear_model import Ridge

from limewidgets.engine.base import distances_to_first
from limewidgets.engine.discretize import QuartileDiscretizer
from limewidgets.engine.explanation import LabelNotExplainedError
from limewidgets.engine.perturbation import Perturbation
from limewidgets.engine.tabular import (
    LimeTabularExplainer,
    RecurrentTabularExplainer,
    TableDomainMapper,
    TabularExplanation,
    TabularPerturbation,
)

N_FEATURES = 5
NAMES = [f"x{i}" for i in range(N_FEATURES)]


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.RandomState(0).normal(size=(600, N_FEATURES))


@pytest.fixture(scope="module")
def row() -> np.ndarray:
    # x0 and x3 both in their top quartile (and top decile) of the training data.
    return np.array([1.5, 0.1, -0.2, 1.4, 0.3])


def classifier(x: np.ndarray) -> np.ndarray:
    p = scipy.special.expit(2.0 * (x[:, 0] - 2.0 * x[:, 3]))
    return np.column_stack([1 - p, p])


def regressor(x: np.ndarray) -> np.ndarray:
    return 3.0 * x[:, 0] - 2.0 * x[:, 3]


class Recorder:
    """Wrap a model; remember every batch it was called with."""

    def __init__(self, fn):
        self.fn = fn
        self.batches: list = []

    def __call__(self, batch):
        self.batches.append(batch)
        return self.fn(batch)

    @property
    def rows(self) -> np.ndarray:
        return np.vstack([b.toarray() if sp.issparse(b) else b for b in self.batches])


def top_two(explanation: TabularExplanation, label: int = 1) -> dict:
    return dict(explanation.local_exp[label][:2])


# --------------------------------------------------------------------------- ground truth
@pytest.mark.parametrize(
    "discretize, discretizer",
    [(True, "quartile"), (True, "decile"), (True, "entropy"), (False, "quartile")],
)
def test_classification_finds_features_0_and_3(data, row, discretize, discretizer):
    labels = (data[:, 0] - 2 * data[:, 3] > 0).astype(int)
    explainer = LimeTabularExplainer(
        data,
        feature_names=NAMES,
        training_labels=labels,
        discretize_continuous=discretize,
        discretizer=discretizer,
        random_state=0,
    )
    exp = explainer.explain_instance(row, classifier, num_samples=3000)
    top = top_two(exp)
    assert set(top) == {0, 3}
    assert top[0] > 0 and top[3] < 0
    assert isinstance(exp, TabularExplanation) and exp.kind == "tabular"
    np.testing.assert_allclose(exp.predict_proba, classifier(row[None])[0])
    names = [name for name, _ in exp.as_list()[:2]]
    assert any("x0" in n for n in names) and any("x3" in n for n in names)


@pytest.mark.parametrize("discretize", [True, False])
def test_regression_finds_features_0_and_3(data, row, discretize):
    explainer = LimeTabularExplainer(
        data, mode="regression", discretize_continuous=discretize, random_state=1
    )
    exp = explainer.explain_instance(row, regressor, num_samples=3000)
    top = top_two(exp)
    assert set(top) == {0, 3}
    assert top[0] > 0 and top[3] < 0
    # lime's regression layout: true weights under 1, negated under 0.
    assert exp.local_exp[0] == [(f, -w) for f, w in exp.local_exp[1]]
    assert exp.intercept[0] == exp.intercept[1]
    assert exp.score[0] == exp.score[1] and exp.fidelity[0] == exp.fidelity[1]
    # as_list() gives the true weights whatever label is passed.
    assert [w for _, w in exp.as_list()] == [w for _, w in exp.local_exp[1]]
    assert [w for _, w in exp.as_list(label=0)] == [w for _, w in exp.local_exp[1]]
    assert exp.predicted_value == pytest.approx(regressor(row[None])[0])
    assert exp.min_value <= exp.predicted_value <= exp.max_value
    if not discretize:
        # Continuous surrogate on (x - mean) / std: weights are the slopes times the std.
        assert top[0] == pytest.approx(3.0 * explainer.scaler.scale_[0], rel=0.05)
        assert top[3] == pytest.approx(-2.0 * explainer.scaler.scale_[3], rel=0.05)


def test_condition_names_match_quartiles(data, row):
    explainer = LimeTabularExplainer(data, feature_names=NAMES, random_state=0)
    exp = explainer.explain_instance(row, classifier, num_samples=500)
    q = np.percentile(data, [25, 50, 75], axis=0)
    names = dict(exp.as_list())
    assert f"x0 > {q[2, 0]:.2f}" in names
    assert f"x3 > {q[2, 3]:.2f}" in names
    # x1 = 0.1 and x2 = -0.2: middle bins written "a < name <= b".
    lo, hi = np.searchsorted(q[:, 2], -0.2) - 1, np.searchsorted(q[:, 2], -0.2)
    assert f"{q[lo, 2]:.2f} < x2 <= {q[hi, 2]:.2f}" in names


@pytest.mark.parametrize("discretize", [True, False])
def test_categorical_feature_names_and_weights(discretize):
    rng = np.random.RandomState(2)
    x = np.column_stack([rng.normal(size=800), rng.randint(0, 3, 800), rng.normal(size=800)])

    def model(rows):
        p = scipy.special.expit(1.0 * rows[:, 0] + 3.0 * (rows[:, 1] == 2) - 1.5)
        return np.column_stack([1 - p, p])

    explainer = LimeTabularExplainer(
        x,
        feature_names=["size", "colour", "noise"],
        categorical_features=[1],
        categorical_names={1: ["red", "green", "blue"]},
        discretize_continuous=discretize,
        random_state=0,
    )
    exp = explainer.explain_instance(np.array([0.2, 2.0, 0.0]), model, num_samples=2000)
    weights = dict(exp.as_list())
    assert "colour=blue" in weights
    assert exp.as_list()[0][0] == "colour=blue"
    assert weights["colour=blue"] > 0.2
    # The instance table shows the category as True, like lime.
    assert exp.domain_mapper.feature_values[1] == "True"
    np.testing.assert_allclose(explainer.feature_frequencies[1].sum(), 1.0)
    assert explainer.feature_values[1] == [0.0, 1.0, 2.0]


def test_attributes_like_lime():
    training = np.array([[0, 0, 2], [1, 1, 0], [0, 2, 2], [1, 3, 0]], dtype=float)
    explainer = LimeTabularExplainer(training, categorical_features=[0, 1, 2])
    assert explainer.feature_names == ["0", "1", "2"]
    assert set(explainer.feature_values[1]) == {0, 1, 2, 3}
    np.testing.assert_array_equal(explainer.feature_frequencies[0], [0.5, 0.5])
    np.testing.assert_array_equal(explainer.feature_frequencies[2], [0.5, 0.5])
    discretized = LimeTabularExplainer(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert discretized.categorical_features == [0, 1]
    plain = LimeTabularExplainer(
        np.array([[0.0, 1.0], [1.0, 0.0]]), categorical_features=np.array([0]),
        discretize_continuous=False,
    )  # fmt: skip
    assert plain.categorical_features == [0]
    assert LimeTabularExplainer.convert_and_round([1.0, 2.345]) == ["1.00", "2.35"]
    assert explainer.kernel_width == pytest.approx(0.75 * np.sqrt(3))


# --------------------------------------------------------------------------- sparse
def test_sparse_rows_perturb_only_non_zero_columns():
    rng = np.random.RandomState(3)
    dense = rng.uniform(0.5, 2.0, size=(300, 8)) * (rng.uniform(size=(300, 8)) < 0.5)
    training = sp.csr_matrix(dense)
    model = Recorder(
        lambda x: np.asarray(3.0 * x[:, 0].toarray() - 2.0 * x[:, 3].toarray()).ravel()
    )
    explainer = LimeTabularExplainer(training, mode="regression", random_state=0)
    assert explainer.discretizer is None  # like lime: no discretization of sparse data
    instance = sp.csr_matrix(np.array([[1.2, 0, 0, 0.9, 0, 1.5, 0, 0]]))
    exp = explainer.explain_instance(instance, model, num_samples=1500)
    assert all(sp.issparse(b) for b in model.batches)
    top = top_two(exp)
    assert set(top) == {0, 3} and top[0] > 0 and top[3] < 0
    perturbed = model.rows
    assert np.all(perturbed[:, [1, 2, 4, 6, 7]] == 0)  # zero columns stay zero
    assert np.unique(perturbed[:, 5]).size > 100
    np.testing.assert_array_equal(exp.domain_mapper.feature_indexes, [0, 3, 5])
    # The sparse representation is x / std (not centred) and round-trips through the rules.
    pert = exp.perturbation
    z_sparse = pert.to_interpretable(sp.csr_matrix(perturbed))
    assert sp.issparse(z_sparse)
    np.testing.assert_allclose(z_sparse.toarray(), pert.to_interpretable(perturbed))
    # feature_rules() against to_interpretable (what the browser does): js/tests/golden.test.js.
    assert sp.issparse(pert.make_instances(pert.initial_state()))
    html = exp.as_html()
    assert "<td>0</td><td>1.20</td>" in html


def test_sparse_row_with_dense_training_data_is_discretized(data, row):
    model = Recorder(lambda x: classifier(x.toarray()))
    explainer = LimeTabularExplainer(data, random_state=0)
    exp = explainer.explain_instance(sp.csr_matrix(row), model, num_samples=1000, sampler="lime")
    assert all(sp.issparse(b) for b in model.batches)
    assert set(top_two(exp)) == {0, 3}
    assert exp.perturbation.rule_types.tolist() == ["bin"] * N_FEATURES
    dense = LimeTabularExplainer(data, random_state=0).explain_instance(
        row, classifier, num_samples=1000, sampler="lime"
    )
    assert dense.as_map() == exp.as_map()  # same samples, only the container differs
    # A dense explanation's perturbation densifies sparse edits.
    assert isinstance(dense.perturbation.make_instances(sp.csr_matrix(row)), np.ndarray)


# --------------------------------------------------------------------------- recurrent
def test_recurrent_explainer_finds_the_cell():
    rng = np.random.RandomState(4)
    series = rng.normal(size=(400, 4, 3))
    shapes = []

    def model(x):
        shapes.append(x.shape[1:])
        p = scipy.special.expit(3.0 * x[:, 2, 1])
        return np.column_stack([1 - p, p])

    explainer = RecurrentTabularExplainer(series, feature_names=["a", "b", "c"], random_state=0)
    assert explainer.feature_names[6] == "b_t-1"
    assert explainer.feature_names[:4] == ["a_t-3", "a_t-2", "a_t-1", "a_t-0"]
    instance = series[0].copy()
    instance[2, 1] = 2.0
    exp = explainer.explain_instance(instance, model, num_samples=2000)
    assert set(shapes) == {(4, 3)}
    assert exp.local_exp[1][0][0] == 6 and exp.local_exp[1][0][1] > 0
    assert exp.as_list()[0][0].startswith("b_t-1 > ")
    np.testing.assert_array_equal(
        exp.perturbation.make_instances(exp.perturbation.initial_state())[0], instance
    )
    assert exp.classifier_fn is model
    with pytest.raises(ValueError, match="data_row"):
        explainer.explain_instance(instance.T, model)
    wrapped = explainer._make_predict_proba(lambda x: x[:, 2, 1])
    np.testing.assert_array_equal(wrapped(instance.T.reshape(1, -1)), [2.0])


# --------------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("discretize", [True, False])
def test_same_seed_same_explanation(data, row, discretize):
    def explain(seed):
        explainer = LimeTabularExplainer(data, discretize_continuous=discretize, random_state=seed)
        return explainer, explainer.explain_instance(row, classifier, num_samples=800)

    first_explainer, a = explain(7)
    _, b = explain(7)
    _, c = explain(8)
    assert a.as_map() == b.as_map() and a.score == b.score and a.intercept == b.intercept
    assert a.as_map() != c.as_map()
    again = first_explainer.explain_instance(row, classifier, num_samples=800)
    assert again.as_map() != a.as_map()


def test_batch_size_gives_identical_results_and_bounded_calls(data, row):
    def explain(batch_size):
        model = Recorder(classifier)
        explainer = LimeTabularExplainer(data, random_state=5)
        exp = explainer.explain_instance(row, model, num_samples=1000, batch_size=batch_size)
        return exp, model

    whole, one_call = explain(None)
    batched, many_calls = explain(128)
    assert len(one_call.batches) == 1
    assert len(many_calls.batches) == 8
    assert max(len(b) for b in many_calls.batches) <= 128
    assert whole.as_map() == batched.as_map()
    np.testing.assert_array_equal(one_call.rows, many_calls.rows)


def test_progress_bar_reports_each_model_call(data, row, capsys, monkeypatch):
    explainer = LimeTabularExplainer(data, random_state=0)
    explainer.explain_instance(row, classifier, num_samples=300, batch_size=100)
    assert capsys.readouterr().err == ""  # off by default
    explainer.explain_instance(row, classifier, num_samples=300, batch_size=100, progress_bar=True)
    shown = capsys.readouterr().err
    assert "3/3" in shown and "batch" in shown  # tqdm's own bar, on stderr

    # The bar advances once per model call, after the call (a recording stand-in for tqdm).
    import tqdm.auto

    events = []

    class Recorder:
        def __init__(self, iterable, total=None, **kwargs):
            self.iterable, self.total = iterable, total
            events.append(("total", total))

        def __iter__(self):
            for item in self.iterable:
                yield item
                events.append(("step", item))

    def counting(x):
        events.append(("call", len(x)))
        return classifier(x)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    explainer.explain_instance(row, counting, num_samples=250, batch_size=100, progress_bar=True)
    assert events == [
        ("total", 3),
        ("call", 100),
        ("step", 0),
        ("call", 100),
        ("step", 100),
        ("call", 50),
        ("step", 200),
    ]


# --------------------------------------------------------------------------- training_data_stats
def make_stats(data: np.ndarray) -> dict:
    discretizer = QuartileDiscretizer(data, [], NAMES, random_state=0)
    codes = discretizer.discretize(data)
    values, counts = {}, {}
    for f in range(data.shape[1]):
        v, c = np.unique(codes[:, f], return_counts=True)
        values[f], counts[f] = v.tolist(), c.tolist()
    return {
        "means": discretizer.means,
        "stds": discretizer.stds,
        "mins": discretizer.mins,
        "maxs": discretizer.maxs,
        "bins": {f: discretizer.edges[f].tolist() for f in range(data.shape[1])},
        "feature_values": values,
        "feature_frequencies": counts,
    }


def test_training_data_stats_path(data, row):
    stats = make_stats(data)
    placeholder = np.zeros((2, N_FEATURES))
    explainer = LimeTabularExplainer(placeholder, training_data_stats=stats, random_state=0)
    exp = explainer.explain_instance(row, classifier, num_samples=2000)
    top = top_two(exp)
    assert set(top) == {0, 3} and top[0] > 0 and top[3] < 0
    # Stats read back from JSON have string keys: same explanation.
    from_json = json.loads(json.dumps(stats))
    explainer_json = LimeTabularExplainer(
        placeholder, training_data_stats=from_json, random_state=0
    )
    assert (
        explainer_json.explain_instance(row, classifier, num_samples=2000).as_map() == exp.as_map()
    )
    # The editing range comes from the stats, not the placeholder zeros.
    info = exp.perturbation.feature_info()
    assert info[0]["min"] == pytest.approx(data[:, 0].min())
    assert info[0]["max"] == pytest.approx(data[:, 0].max())
    incomplete = {k: v for k, v in stats.items() if k != "stds"}
    with pytest.raises(ValueError, match="training_data_stats.*stds"):
        LimeTabularExplainer(placeholder, training_data_stats=incomplete)
    with pytest.raises(ValueError, match="feature_values"):
        LimeTabularExplainer.validate_training_data_stats({"means": {}})


# --------------------------------------------------------------------------- perturbation
def explainers(data):
    rng = np.random.RandomState(9)
    mixed = data.copy()
    mixed[:, 2] = rng.randint(0, 4, len(mixed))
    labels = (data[:, 0] > 0).astype(int)
    return {
        "quartile": (LimeTabularExplainer(data, random_state=0), data),
        "entropy": (
            LimeTabularExplainer(
                data, training_labels=labels, discretizer="entropy", random_state=0
            ),
            data,
        ),
        "quartile+categorical": (
            LimeTabularExplainer(mixed, categorical_features=[2], random_state=0),
            mixed,
        ),
        "continuous+categorical": (
            LimeTabularExplainer(
                mixed, categorical_features=[2], discretize_continuous=False, random_state=0
            ),
            mixed,
        ),
        "around instance": (
            LimeTabularExplainer(
                data, discretize_continuous=False, sample_around_instance=True, random_state=0
            ),
            data,
        ),
    }


@pytest.mark.parametrize(
    "case",
    ["quartile", "entropy", "quartile+categorical", "continuous+categorical", "around instance"],
)
def test_surrogate_was_fitted_on_to_interpretable(data, case):
    explainer, training = explainers(data)[case]
    explainer.feature_selection = "none"
    instance = training[11]
    model = Recorder(classifier)
    # lime's estimator: a plain weighted ridge on the samples (the efficient one adds a control
    # variate, tests/engine/test_efficient.py)
    exp = explainer.explain_instance(instance, model, num_samples=1500, sampler="lime")
    pert = exp.perturbation
    assert isinstance(pert, Perturbation)
    np.testing.assert_array_equal(pert.initial_state(), instance)
    np.testing.assert_array_equal(pert.make_instances(pert.initial_state()), instance[None])
    # Row 0 of the surrogate's data is the instance: its estimate is local_pred.
    z0 = pert.to_interpretable(pert.initial_state())
    assert exp.surrogate_predict(z0, 1)[0] == pytest.approx(exp.local_pred[1][0], abs=1e-9)
    # Refitting lime's Ridge on to_interpretable(samples the model saw) gives the weights.
    raw = model.rows
    z = pert.to_interpretable(raw)
    weights = explainer.base.kernel_fn(distances_to_first(z, "euclidean"))
    ridge = Ridge(alpha=1.0).fit(z, classifier(raw)[:, 1], sample_weight=weights)
    fitted = dict(exp.local_exp[1])
    np.testing.assert_allclose([fitted[f] for f in range(N_FEATURES)], ridge.coef_, atol=1e-8)
    assert exp.intercept[1] == pytest.approx(ridge.intercept_, abs=1e-8)


@pytest.mark.parametrize(
    "case",
    ["quartile", "entropy", "quartile+categorical", "continuous+categorical", "around instance"],
)
def test_feature_rules_reproduce_to_interpretable(data, case):
    explainer, training = explainers(data)[case]
    instance = training[3]
    exp = explainer.explain_instance(instance, classifier, num_samples=200)
    pert = exp.perturbation
    rules = json.loads(json.dumps(pert.feature_rules()))
    rng = np.random.RandomState(1)
    rows = training[rng.randint(0, len(training), 300)].copy()
    rows[:50] += rng.normal(scale=2.0, size=(50, N_FEATURES))
    rows[50] = instance
    # Values exactly on bin edges, where "lo < x <= hi" matters.
    for j, rule in enumerate(rules):
        if rule["type"] == "bin":
            rows[60, j] = rule["lo"] if rule["lo"] is not None else rows[60, j]
            rows[61, j] = rule["hi"] if rule["hi"] is not None else rows[61, j]
    # The browser's applyRule on these rules is checked against to_interpretable in
    # js/tests/golden.test.js (fixtures from tests/widgets/golden.py, these cases included).
    if explainer.discretizer is not None:
        codes = explainer.discretizer.discretize(rows)
        own = explainer.discretizer.discretize(instance)
        for f in explainer.discretizer.edges:
            np.testing.assert_array_equal(pert.to_interpretable(rows)[:, f], codes[:, f] == own[f])
        assert pert.to_interpretable(rows[60:62]).shape == (2, N_FEATURES)


def test_editing_a_value_across_a_bin_boundary(data, row):
    explainer = LimeTabularExplainer(data, random_state=0)
    exp = explainer.explain_instance(row, classifier, num_samples=1000)
    pert = exp.perturbation
    q25, q75 = np.percentile(data[:, 0], [25, 75])
    same_bin, other_bin = row.copy(), row.copy()
    same_bin[0] = row[0] + 0.3
    other_bin[0] = q25 - 0.1
    z = pert.to_interpretable(np.vstack([row, same_bin, other_bin]))
    np.testing.assert_array_equal(z[:, 0], [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(z[:, 1:], np.ones((3, N_FEATURES - 1)))
    boundary = row.copy()
    boundary[0] = q75  # on the edge: belongs to the bin below ("<= q75")
    assert pert.to_interpretable(boundary)[0, 0] == 0.0
    estimates = exp.surrogate_predict(z, 1)
    weight0 = dict(exp.local_exp[1])[0]
    assert estimates[0] - estimates[2] == pytest.approx(weight0)
    assert pert.rule_types[0] == "bin"
    assert pert.feature_rules()[0] == {"type": "bin", "lo": q75, "hi": None}


def test_feature_info_for_a_what_if_editor():
    rng = np.random.RandomState(6)
    x = np.column_stack([rng.normal(10, 2, 500), rng.randint(0, 3, 500), rng.uniform(0, 1, 500)])
    explainer = LimeTabularExplainer(
        x,
        feature_names=["age", "colour", "share"],
        categorical_features=[1],
        categorical_names={1: ["red", "green", "blue"]},
        random_state=0,
    )
    instance = np.array([11.0, 2.0, 0.25])
    exp = explainer.explain_instance(instance, lambda r: classifier(np.tile(r, 2)), num_samples=200)
    info = exp.perturbation.feature_info()
    json.dumps(info)
    assert [i["name"] for i in info] == ["age", "colour", "share"]
    assert info[1] == {
        "name": "colour",
        "value": 2.0,
        "display": "blue",
        "categorical": True,
        "options": [[0.0, "red"], [1.0, "green"], [2.0, "blue"]],
        "min": 0.0,
        "max": 2.0,
        "step": None,
    }
    age = info[0]
    assert age["categorical"] is False and age["options"] is None
    assert age["value"] == 11.0 and age["display"] == "11.00"
    assert age["min"] == pytest.approx(x[:, 0].min()) and age["max"] == pytest.approx(x[:, 0].max())
    assert 0 < age["step"] <= (age["max"] - age["min"]) / 50
    assert info[2]["min"] >= 0 and info[2]["max"] <= 1
    pert = exp.perturbation
    assert pert.feature_names == ["age", "colour", "share"]
    assert pert.categorical_features == [1]
    assert pert.categorical_names == {1: ["red", "green", "blue"]}
    assert pert.format_value(1, 0.0) == "red"
    # An out-of-range edit widens the range instead of hiding the value.
    wide = TabularPerturbation(
        instance=np.array([100.0]), feature_names=["a"], categorical_features=[],
        categorical_names={}, category_values={}, edges={}, mean=np.zeros(1),
        scale=np.ones(1), feature_min=np.zeros(1), feature_max=np.ones(1),
    )  # fmt: skip
    assert wide.feature_info()[0]["max"] == 100.0


# --------------------------------------------------------------------------- labels and views
def test_top_labels_and_unexplained_label(data, row):
    def three_classes(x):
        logits = np.column_stack([x[:, 0], x[:, 3], -x[:, 0]])
        return scipy.special.softmax(logits, axis=1)

    explainer = LimeTabularExplainer(data, random_state=0)
    exp = explainer.explain_instance(row, three_classes, top_labels=2, num_samples=500)
    expected = list(np.argsort(-three_classes(row[None])[0])[:2])
    assert exp.top_labels == expected == exp.available_labels()
    assert exp.class_names == ["0", "1", "2"]
    assert explainer.class_names is None  # not frozen by the first call
    missing = ({0, 1, 2} - set(expected)).pop()
    with pytest.raises(LabelNotExplainedError):
        exp.as_list(label=missing)
    with pytest.raises(KeyError):
        exp.as_list(label=missing)
    two = explainer.explain_instance(row, classifier, num_samples=200)
    assert two.class_names == ["0", "1"]


def test_html_is_escaped_and_shows_the_table(data, row):
    names = ["<b>x0</b>", "x1", "x2", "x3 & co", "x4"]
    explainer = LimeTabularExplainer(
        data, feature_names=names, class_names=["no", "<i>yes</i>"], random_state=0
    )
    exp = explainer.explain_instance(row, classifier, num_samples=500)
    page = exp.as_html()
    assert "<b>x0" not in page and "&lt;b&gt;x0&lt;/b&gt;" in page
    assert "x3 &amp; co" in page and "&lt;i&gt;yes&lt;/i&gt;" in page
    assert "<script" not in page
    assert exp.as_html(show_table=False).count("lw-instance") == 0
    mapper = exp.domain_mapper
    assert isinstance(mapper, TableDomainMapper)
    assert len(mapper.table_rows(exp.local_exp[1], show_all=True)) == N_FEATURES
    assert mapper.all_categorical


def test_weighted_ridge_matches_sklearn_ridge():
    from limewidgets.engine.base import WeightedRidge

    rng = np.random.RandomState(0)
    x = rng.normal(size=(300, 6))
    y = x @ rng.normal(size=6) + rng.normal(size=300)
    w = rng.uniform(size=300)
    for alpha in (1.0, 0.01):
        ours = WeightedRidge(alpha).fit(x, y, sample_weight=w)
        theirs = Ridge(alpha=alpha).fit(x, y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-10)
        assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-10)
        assert ours.score(x, y, w) == pytest.approx(theirs.score(x, y, sample_weight=w))
        np.testing.assert_allclose(ours.predict(x[:5]), theirs.predict(x[:5]))
    wide = WeightedRidge().fit(x[:4], y[:4])  # more features than samples: sklearn's solver
    np.testing.assert_allclose(wide.coef_, Ridge().fit(x[:4], y[:4]).coef_)
    sparse = WeightedRidge().fit(sp.csr_matrix(x), y, sample_weight=w)
    # sklearn solves sparse problems iteratively (tol 1e-4).
    np.testing.assert_allclose(sparse.coef_, Ridge().fit(x, y, sample_weight=w).coef_, rtol=1e-3)


# --------------------------------------------------------------------------- sampling options
def test_latin_hypercube_sampling_is_stratified(data, row):
    model = Recorder(classifier)
    explainer = LimeTabularExplainer(data, discretize_continuous=False, random_state=0)
    n = 400
    explainer.explain_instance(row, model, num_samples=n, sampling_method="lhs", sampler="lime")
    z = (model.rows[1:] - explainer.scaler.mean_) / explainer.scaler.scale_
    strata = np.floor(scipy.special.ndtr(z) * n).astype(int)
    for j in range(N_FEATURES):
        assert np.unique(strata[:, j]).size == n - 1


def test_sample_around_instance_centres_the_samples(data, row):
    model = Recorder(classifier)
    explainer = LimeTabularExplainer(
        data, discretize_continuous=False, sample_around_instance=True, random_state=0
    )
    explainer.explain_instance(row, model, num_samples=4000)
    np.testing.assert_allclose(model.rows.mean(axis=0), row, atol=0.1)
    np.testing.assert_allclose(model.rows.std(axis=0), explainer.scaler.scale_, rtol=0.1)


def test_discretized_samples_follow_training_bins(data, row):
    model = Recorder(classifier)
    explainer = LimeTabularExplainer(data, random_state=0)
    explainer.explain_instance(row, model, num_samples=4000)
    codes = explainer.discretizer.discretize(model.rows[1:])
    for f in range(N_FEATURES):
        share = np.bincount(codes[:, f].astype(int), minlength=4) / len(codes)
        np.testing.assert_allclose(share, explainer.feature_frequencies[f], atol=0.03)
        assert model.rows[:, f].min() >= data[:, f].min() - 1e-12
        assert model.rows[:, f].max() <= data[:, f].max() + 1e-12


def test_many_categories_are_drawn_with_their_frequencies():
    rng = np.random.RandomState(8)
    frequencies = rng.dirichlet(np.ones(40))
    training = np.column_stack(
        [rng.choice(40, size=4000, p=frequencies), rng.normal(size=4000)]
    ).astype(float)
    model = Recorder(lambda x: scipy.special.expit(x[:, 1]))
    explainer = LimeTabularExplainer(
        training, mode="regression", categorical_features=[0], random_state=0
    )
    explainer.explain_instance(training[0], model, num_samples=20000)
    drawn = np.bincount(model.rows[1:, 0].astype(int), minlength=40) / 19999
    np.testing.assert_allclose(drawn, explainer.feature_frequencies[0], atol=0.01)
    assert set(np.unique(model.rows[1:, 0])) <= set(explainer.feature_values[0])


def test_dataframe_columns_become_feature_names(data, row):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(data, columns=[f"col{i}" for i in range(N_FEATURES)])
    explainer = LimeTabularExplainer(frame, random_state=0)
    assert explainer.feature_names == [f"col{i}" for i in range(N_FEATURES)]
    exp = explainer.explain_instance(
        pd.Series(row, index=frame.columns), classifier, num_samples=300
    )
    assert set(top_two(exp)) == {0, 3}


def test_custom_discretizer_instance(data, row):
    class Halves(QuartileDiscretizer):
        def bins(self, data, labels):
            return [np.array([np.median(data[:, f])]) for f in self.to_discretize]

    explainer = LimeTabularExplainer(data, discretizer=Halves(data, [], NAMES), random_state=0)
    exp = explainer.explain_instance(row, classifier, num_samples=1000)
    assert exp.as_list()[0][0].startswith("x3 > ") or exp.as_list()[0][0].startswith("x0 > ")
    assert all(len(rule) == 3 for rule in exp.perturbation.feature_rules())


# --------------------------------------------------------------------------- stratified sampler
def _stratified_rows(explainer, row, num_samples, **kwargs):
    model = Recorder(classifier)
    exp = explainer.explain_instance(
        row, model, num_samples=num_samples, sampler="stratified", **kwargs
    )
    return exp, model.rows


def test_stratified_sampler_same_seed_identical_different_seed_different(data, row):
    for discretize in (True, False):
        exp_a, rows_a = _stratified_rows(
            LimeTabularExplainer(data, discretize_continuous=discretize, random_state=4), row, 300
        )
        exp_b, rows_b = _stratified_rows(
            LimeTabularExplainer(data, discretize_continuous=discretize, random_state=4), row, 300
        )
        _, rows_c = _stratified_rows(
            LimeTabularExplainer(data, discretize_continuous=discretize, random_state=5), row, 300
        )
        np.testing.assert_array_equal(rows_a, rows_b)
        assert exp_a.as_map() == exp_b.as_map()
        np.testing.assert_array_equal(rows_a[0], row)
        assert not np.array_equal(rows_a[1:], rows_c[1:])
        lime_rule = Recorder(classifier)
        LimeTabularExplainer(
            data, discretize_continuous=discretize, random_state=4
        ).explain_instance(row, lime_rule, num_samples=300, sampler="lime")
        assert not np.array_equal(rows_a[1:], lime_rule.rows[1:])


def test_stratified_bins_come_in_their_exact_proportions(data, row):
    explainer = LimeTabularExplainer(data, random_state=0)
    n = 1025  # 1024 perturbed rows: a whole Sobol' block
    _, rows = _stratified_rows(explainer, row, n)
    codes = explainer.discretizer.discretize(rows[1:])
    for f in range(N_FEATURES):
        counts = np.bincount(codes[:, f].astype(int), minlength=4)
        expected = (n - 1) * explainer.feature_frequencies[f]
        assert np.abs(counts - expected).max() <= 2  # binomial sd would be ~14
        # Values stay in their bins and in the training range.
        assert rows[:, f].min() >= data[:, f].min() - 1e-12
        assert rows[:, f].max() <= data[:, f].max() + 1e-12
    # Pairs of columns: the instance's bins co-occur in close to their expected share.
    inside = explainer.discretizer.discretize(rows[1:]) == explainer.discretizer.discretize(row)
    p = inside.mean(axis=0)
    joint = (inside[:, :, None] & inside[:, None, :]).mean(axis=0)
    off_diagonal = ~np.eye(N_FEATURES, dtype=bool)
    assert np.abs(joint - np.outer(p, p))[off_diagonal].max() < 0.01  # iid: sd ~0.012


def test_stratified_values_are_spread_evenly_inside_every_bin(data, row):
    """One Sobol' coordinate draws a bin and the value in it: each bin's values are stratified."""
    explainer = LimeTabularExplainer(data, random_state=0)
    _, rows = _stratified_rows(explainer, row, 1025)
    codes = explainer.discretizer.discretize(rows[1:]).astype(int)
    for f in range(N_FEATURES):
        table = explainer.discretizer._bin_table([f])
        for b in range(4):
            values = np.sort(rows[1:][codes[:, f] == b, f])
            # The value's position in its bin's truncated normal (its CDF there).
            cdf = scipy.special.ndtr
            low = cdf((table.low[b] - table.loc[b]) / table.scale[b])
            high = cdf((table.high[b] - table.loc[b]) / table.scale[b])
            position = (cdf((values - table.loc[b]) / table.scale[b]) - low) / (high - low)
            n = values.size
            ks = max(
                np.max(np.arange(1, n + 1) / n - position), np.max(position - np.arange(n) / n)
            )
            # One value per 1/n of the bin's mass: KS <= 1/n (independent draws: ~0.9/sqrt(n),
            # 0.055 here; a second coordinate for the values measured 0.024).
            assert ks <= 1.5 / n, (f, b, ks)


def test_small_stratified_budgets_of_wide_tables_come_from_one_orthogonal_array(
    data, row, monkeypatch
):
    """20 binned features (40 columns): 129 to 256 rows are one array, every pair balanced."""
    import limewidgets.engine.tabular_sampling as tabular_sampling

    calls = []
    for name in ("orthogonal_array_uniforms", "stratified_uniforms"):
        original = getattr(tabular_sampling, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(tabular_sampling, name, spy)
    wide = np.random.RandomState(1).normal(size=(600, 20))
    explainer = LimeTabularExplainer(wide, random_state=0)
    _, rows = _stratified_rows(explainer, wide[0], 257)
    assert calls == ["orthogonal_array_uniforms"]
    # Quartile bins: each pair of features shows each of its 16 pairs of bins 16 times (up to
    # the training frequencies' rounding), where independent draws would scatter 8 to 24.
    codes = explainer.discretizer.discretize(rows[1:]).astype(int)
    for j in range(20):
        for k in range(j + 1, 20):
            counts = np.bincount(codes[:, j] * 4 + codes[:, k], minlength=16)
            assert counts.min() >= 14 and counts.max() <= 18
    # More rows than the array, not more than half of it, or a narrow table: the sequence.
    for table, num_samples in ((wide, 258), (wide, 129), (data, 65)):
        calls.clear()
        narrow_or_wide = LimeTabularExplainer(table, random_state=0)
        narrow_or_wide.explain_instance(
            table[0], lambda x: classifier(x[:, :5]), num_samples=num_samples, sampler="stratified"
        )
        assert calls == ["stratified_uniforms"]


def test_stratified_values_follow_lime_s_distribution_pooled_over_seeds(data, row):
    """Pooled over seeds, each row has lime's law: bins by frequency, values in-bin normal."""
    pooled = {"lime": [], "stratified": []}
    for seed in range(40):
        for sampler in pooled:
            explainer = LimeTabularExplainer(data, random_state=seed)
            model = Recorder(classifier)
            explainer.explain_instance(row, model, num_samples=65, sampler=sampler)
            pooled[sampler].append(model.rows[1:])
    lime_rows, rows = np.vstack(pooled["lime"]), np.vstack(pooled["stratified"])
    np.testing.assert_allclose(rows.mean(axis=0), lime_rows.mean(axis=0), atol=0.08)
    np.testing.assert_allclose(rows.std(axis=0), lime_rows.std(axis=0), rtol=0.06)
    # Empirical CDFs at a few points (the in-bin normals leave troughs at the bin edges, so
    # quantiles there would be ill-conditioned): binomial sd ~0.01 for lime's pool.
    points = np.array([-1.5, -0.8, -0.2, 0.2, 0.8, 1.5])
    cdf = (rows[:, :, None] <= points).mean(axis=0)
    lime_cdf = (lime_rows[:, :, None] <= points).mean(axis=0)
    np.testing.assert_allclose(cdf, lime_cdf, atol=0.04)


def test_stratified_continuous_and_categorical_columns(data, row):
    explainer = LimeTabularExplainer(data, discretize_continuous=False, random_state=0)
    n = 513
    _, rows = _stratified_rows(explainer, row, n)
    z = (rows[1:] - explainer.scaler.mean_) / explainer.scaler.scale_
    strata = np.floor(scipy.special.ndtr(z) * (n - 1)).astype(int)
    for j in range(N_FEATURES):
        assert np.unique(strata[:, j]).size == n - 1  # one sample per stratum, like 'lhs'
    training = np.column_stack([np.repeat([0.0, 1.0, 2.0], [300, 180, 120]), data[:, 0]])
    mixed = LimeTabularExplainer(
        training, categorical_features=[0], discretize_continuous=False, random_state=0
    )
    model = Recorder(lambda x: classifier(np.tile(x, 2)))
    mixed.explain_instance(training[0], model, num_samples=1001, sampler="stratified")
    counts = np.bincount(model.rows[1:, 0].astype(int), minlength=3)
    assert np.abs(counts - [500, 300, 200]).max() <= 2  # binomial sd would be ~15


def test_stratified_sparse_rows_and_recurrent_explainer():
    rng = np.random.RandomState(3)
    dense = rng.uniform(0.5, 2.0, size=(300, 8)) * (rng.uniform(size=(300, 8)) < 0.5)
    model = Recorder(
        lambda x: np.asarray(3.0 * x[:, 0].toarray() - 2.0 * x[:, 3].toarray()).ravel()
    )
    explainer = LimeTabularExplainer(sp.csr_matrix(dense), mode="regression", random_state=0)
    instance = sp.csr_matrix(np.array([[1.2, 0, 0, 0.9, 0, 1.5, 0, 0]]))
    exp = explainer.explain_instance(instance, model, num_samples=1025, sampler="stratified")
    top = top_two(exp)
    assert set(top) == {0, 3} and top[0] > 0 and top[3] < 0
    assert np.all(model.rows[:, [1, 2, 4, 6, 7]] == 0)
    columns = [0, 3, 5]
    z = (model.rows[1:, columns] - explainer.scaler.mean_[columns]) / explainer.scaler.scale_[
        columns
    ]
    strata = np.floor(scipy.special.ndtr(z) * 1024).astype(int)
    assert all(np.unique(strata[:, j]).size == 1024 for j in range(3))

    series = rng.normal(size=(400, 4, 3))

    def cell_model(x):
        p = scipy.special.expit(3.0 * x[:, 2, 1])
        return np.column_stack([1 - p, p])

    recurrent = RecurrentTabularExplainer(series, feature_names=["a", "b", "c"], random_state=0)
    instance = series[0].copy()
    instance[2, 1] = 2.0
    exp = recurrent.explain_instance(instance, cell_model, num_samples=1000, sampler="stratified")
    assert exp.local_exp[1][0][0] == 6 and exp.local_exp[1][0][1] > 0


def test_stratified_sampler_finds_the_ground_truth(data, row):
    for discretize in (True, False):
        explainer = LimeTabularExplainer(data, discretize_continuous=discretize, random_state=0)
        exp = explainer.explain_instance(row, classifier, num_samples=1000, sampler="stratified")
        top = top_two(exp)
        assert set(top) == {0, 3}
        assert top[0] * top[3] < 0
    regression = LimeTabularExplainer(data, mode="regression", random_state=0)
    exp = regression.explain_instance(row, regressor, num_samples=1000, sampler="stratified")
    top = top_two(exp)
    assert set(top) == {0, 3} and top[0] > 0 > top[3]


def test_stratified_sampler_has_lime_s_expectation_and_less_spread(data, row):
    def interacting(x):
        p = scipy.special.expit(x[:, 0] - 2.0 * x[:, 3] + 1.5 * x[:, 1] * x[:, 2] + x[:, 4] ** 2)
        return np.column_stack([1 - p, p])

    weights = {}
    for sampler in ("lime", "stratified"):
        rows = []
        for seed in range(20):
            explainer = LimeTabularExplainer(data, feature_selection="none", random_state=seed)
            exp = explainer.explain_instance(row, interacting, num_samples=300, sampler=sampler)
            rows.append([w for _, w in sorted(exp.local_exp[1])])
        weights[sampler] = np.array(rows)
    lime_sd = weights["lime"].std(axis=0, ddof=1)
    strat_sd = weights["stratified"].std(axis=0, ddof=1)
    difference = np.abs(weights["lime"].mean(axis=0) - weights["stratified"].mean(axis=0))
    assert np.all(difference < 3 * np.hypot(lime_sd, strat_sd) / np.sqrt(20))
    assert strat_sd.mean() < 0.85 * lime_sd.mean()


def test_stratified_sampler_with_a_discretizer_that_samples_its_own_values(data, row):
    class OwnValues(QuartileDiscretizer):
        def undiscretize(self, data):
            return super().undiscretize(data)  # no 'uniforms' keyword

    explainer = LimeTabularExplainer(
        data, discretizer=OwnValues(data, [], NAMES, random_state=0), random_state=0
    )
    exp = explainer.explain_instance(row, classifier, num_samples=500, sampler="stratified")
    assert set(top_two(exp)) == {0, 3}


# --------------------------------------------------------------------------- bad input
def test_bad_rows_and_models_raise_clear_errors(data, row):
    explainer = LimeTabularExplainer(data, random_state=0)
    with pytest.raises(ValueError, match="data_row.*5 values"):
        explainer.explain_instance(row[:3], classifier)
    bad = row.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="data_row.*NaN"):
        explainer.explain_instance(bad, classifier)
    with pytest.raises(ValueError, match="data_row"):
        explainer.explain_instance(sp.csr_matrix(np.ones((1, 4))), classifier)
    with pytest.raises(ValueError, match="predict_fn.*shape"):
        explainer.explain_instance(row, lambda x: classifier(x)[:, 1], num_samples=100)
    with pytest.raises(ValueError, match="predict_fn.*probabilities"):
        explainer.explain_instance(row, lambda x: 5 * classifier(x), num_samples=100)
    with pytest.raises(TypeError, match="predict_fn"):
        explainer.explain_instance(row, "not a model")
    with pytest.raises(ValueError, match="labels"):
        explainer.explain_instance(row, classifier, labels=(2,), num_samples=100)
    with pytest.raises(ValueError, match="batch_size"):
        explainer.explain_instance(row, classifier, batch_size=0)
    with pytest.raises(ValueError, match="sampling_method"):
        explainer.explain_instance(row, classifier, sampling_method="sobol")
    for bad_sampler in ("sobol", "", "Lime"):
        with pytest.raises(ValueError, match="sampler"):
            explainer.explain_instance(row, classifier, sampler=bad_sampler)
    with pytest.raises(ValueError, match="num_samples"):
        explainer.explain_instance(row, classifier, num_samples=0)
    regression = LimeTabularExplainer(data, mode="regression")
    with pytest.raises(ValueError, match="predict_fn.*regression"):
        regression.explain_instance(row, classifier, num_samples=100)


def test_bad_constructor_arguments_raise_clear_errors(data):
    with pytest.raises(ValueError, match="discretizer"):
        LimeTabularExplainer(data, discretizer="median")
    with pytest.raises(ValueError, match="feature_selection"):
        LimeTabularExplainer(data, feature_selection="best")
    with pytest.raises(ValueError, match="mode"):
        LimeTabularExplainer(data, mode="clustering")
    with pytest.raises(ValueError, match="labels"):
        LimeTabularExplainer(data, discretizer="entropy")
    with pytest.raises(ValueError, match="feature_names"):
        LimeTabularExplainer(data, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="categorical_features"):
        LimeTabularExplainer(data, categorical_features=[9])
    with pytest.raises(TypeError, match="categorical_features"):
        LimeTabularExplainer(data, categorical_features=["a"])
    with pytest.raises(ValueError, match="training_data"):
        LimeTabularExplainer(data[:, 0])
    with pytest.raises(ValueError, match="training_data.*NaN"):
        LimeTabularExplainer(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="kernel_width"):
        LimeTabularExplainer(data, kernel_width=-1.0)
    with pytest.raises(TypeError, match="kernel"):
        LimeTabularExplainer(data, kernel="gaussian")
    with pytest.raises(TypeError, match="training_data_stats"):
        LimeTabularExplainer.validate_training_data_stats(["means"])
    with pytest.raises(ValueError, match="feature_names"):
        RecurrentTabularExplainer(np.zeros((5, 2, 3)), feature_names=["a"])
    with pytest.raises(ValueError, match="training_data"):
        RecurrentTabularExplainer(np.zeros((5, 6)))
    # discretize_continuous=False ignores the discretizer argument, like lime.
    LimeTabularExplainer(data, discretize_continuous=False, discretizer=None)


def test_perturbation_rejects_rows_of_the_wrong_width(data, row):
    exp = LimeTabularExplainer(data, random_state=0).explain_instance(
        row, classifier, num_samples=100
    )
    with pytest.raises(ValueError, match="rows"):
        exp.perturbation.to_interpretable(np.ones((2, 3)))
    with pytest.raises(ValueError, match="rows"):
        exp.perturbation.make_instances(np.ones((2, 7)))
