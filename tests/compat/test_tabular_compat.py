"""limewidgets' tabular engine, discretizers and SubmodularPick against lime 0.2.0.1."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import scipy.special
from sklearn.datasets import load_iris

lime_tabular = pytest.importorskip("lime.lime_tabular")
lime_discretize = pytest.importorskip("lime.discretize")
lime_submodular = pytest.importorskip("lime.submodular_pick")

from limewidgets.lime import discretize as our_discretize  # noqa: E402
from limewidgets.lime import lime_tabular as our_tabular  # noqa: E402
from limewidgets.lime import submodular_pick as our_submodular  # noqa: E402
from tests.compat._signatures import comparable_parameters, public_methods  # noqa: E402

TABULAR_CLASSES = ["LimeTabularExplainer", "RecurrentTabularExplainer", "TableDomainMapper"]
DISCRETIZERS = [
    "BaseDiscretizer",
    "QuartileDiscretizer",
    "DecileDiscretizer",
    "EntropyDiscretizer",
    "StatsDiscretizer",
]
IRIS = load_iris()


def _assert_same_api(theirs_cls, ours_cls) -> None:
    assert comparable_parameters(ours_cls.__init__) == comparable_parameters(theirs_cls.__init__)
    for method in public_methods(theirs_cls):
        assert hasattr(ours_cls, method), f"{ours_cls.__name__}.{method} is missing"
        assert comparable_parameters(getattr(ours_cls, method)) == comparable_parameters(
            getattr(theirs_cls, method)
        ), f"{ours_cls.__name__}.{method}"


@pytest.mark.parametrize("name", TABULAR_CLASSES + DISCRETIZERS)
def test_lime_tabular_module_exports(name):
    assert hasattr(our_tabular, name)
    _assert_same_api(getattr(lime_tabular, name), getattr(our_tabular, name))


@pytest.mark.parametrize("name", DISCRETIZERS)
def test_discretize_module_exports(name):
    _assert_same_api(getattr(lime_discretize, name), getattr(our_discretize, name))


def test_submodular_pick_api():
    _assert_same_api(lime_submodular.SubmodularPick, our_submodular.SubmodularPick)
    extra = inspect.signature(our_submodular.SubmodularPick).parameters["random_state"]
    assert extra.kind is inspect.Parameter.KEYWORD_ONLY and extra.default is None


def test_additions_are_keyword_only_with_lime_defaults():
    for cls in (our_tabular.LimeTabularExplainer, our_tabular.RecurrentTabularExplainer):
        parameters = inspect.signature(cls.explain_instance).parameters
        extras = {n: p for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert {n: p.default for n, p in extras.items()} == {
            "batch_size": None,  # one model call, like lime
            "progress_bar": False,
            "sampling_method": "gaussian",
            "sampler": None,  # the class's default_sampler
            # Only used with num_samples='auto'; stability_k only sizes the reported top-k.
            "max_samples": 5000,
            "stability_tol": 0.05,
            "stability_k": None,
        }
        assert cls.default_sampler == "lime"  # lime's independent draws


@pytest.mark.parametrize("name", ["QuartileDiscretizer", "DecileDiscretizer", "EntropyDiscretizer"])
def test_discretizers_compute_lime_s_bins_and_statistics(name):
    x, y, names = IRIS.data, IRIS.target, IRIS.feature_names
    theirs = getattr(lime_discretize, name)(x, [1], names, labels=y, random_state=10)
    ours = getattr(our_discretize, name)(x, [1], names, labels=y, random_state=10)
    assert ours.names == theirs.names
    assert ours.to_discretize == theirs.to_discretize
    for attribute in ("means", "stds", "mins", "maxs"):
        for feature in theirs.means:
            np.testing.assert_allclose(
                getattr(ours, attribute)[feature],
                getattr(theirs, attribute)[feature],
                rtol=1e-12,
                atol=1e-12,
            )
    np.testing.assert_array_equal(ours.discretize(x), theirs.discretize(x))
    np.testing.assert_array_equal(ours.discretize(x[4]), theirs.discretize(x[4]))


def mixed_data():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 4))
    x[:, 2] = rng.randint(0, 3, 400)
    return x


def model(x):
    p = scipy.special.expit(2.0 * (x[:, 0] - 2.0 * x[:, 3]) + (x[:, 2] == 1))
    return np.column_stack([1 - p, p])


@pytest.mark.parametrize("discretize", [True, False])
def test_explainer_state_and_names_match_lime(discretize):
    x = mixed_data()
    kwargs = dict(
        feature_names=["a", "b", "c", "d"],
        categorical_features=[2],
        categorical_names={2: ["low", "mid", "high"]},
        class_names=["no", "yes"],
        discretize_continuous=discretize,
        random_state=0,
    )
    theirs = lime_tabular.LimeTabularExplainer(x, **kwargs)
    ours = our_tabular.LimeTabularExplainer(x, **kwargs)
    assert ours.categorical_features == theirs.categorical_features
    assert ours.feature_names == theirs.feature_names
    assert ours.feature_values.keys() == theirs.feature_values.keys()
    for f in theirs.feature_values:
        assert ours.feature_values[f] == sorted(theirs.feature_values[f])
        np.testing.assert_allclose(ours.feature_frequencies[f], theirs.feature_frequencies[f])
    np.testing.assert_allclose(ours.scaler.mean_, theirs.scaler.mean_)
    np.testing.assert_allclose(ours.scaler.scale_, theirs.scaler.scale_)
    assert ours.base.kernel_fn(np.array([1.0])) == pytest.approx(
        theirs.base.kernel_fn(np.array([1.0]))
    )

    row = np.array([1.3, -0.4, 1.0, 1.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lime_exp = theirs.explain_instance(row, model, num_samples=4000)
    our_exp = ours.explain_instance(row, model, num_samples=4000)
    for attribute in ("exp_feature_names", "discretized_feature_names", "feature_values"):
        assert getattr(our_exp.domain_mapper, attribute) == getattr(
            lime_exp.domain_mapper, attribute
        ), attribute
    assert our_exp.class_names == list(lime_exp.class_names)
    np.testing.assert_allclose(our_exp.predict_proba, lime_exp.predict_proba)
    # Same sampling scheme, different random numbers: the weights agree closely.
    lime_weights, our_weights = dict(lime_exp.local_exp[1]), dict(our_exp.local_exp[1])
    assert set(dict(lime_exp.local_exp[1][:2])) == set(dict(our_exp.local_exp[1][:2])) == {0, 3}
    for feature in (0, 3):
        assert our_weights[feature] == pytest.approx(lime_weights[feature], abs=0.04)
    assert our_exp.score[1] == pytest.approx(lime_exp.score, abs=0.05)


def test_regression_layout_matches_lime():
    x = mixed_data()
    kwargs = dict(mode="regression", random_state=0)
    theirs = lime_tabular.LimeTabularExplainer(x, **kwargs)
    ours = our_tabular.LimeTabularExplainer(x, **kwargs)
    row = x[5]

    def value(rows):
        return 3 * rows[:, 0] - 2 * rows[:, 3]

    lime_exp = theirs.explain_instance(row, value, num_samples=3000)
    our_exp = ours.explain_instance(row, value, num_samples=3000)
    assert set(our_exp.local_exp) == set(lime_exp.local_exp) == {0, 1}
    assert set(our_exp.intercept) == set(lime_exp.intercept) == {0, 1}
    assert our_exp.predicted_value == pytest.approx(lime_exp.predicted_value)
    assert [f for f, _ in our_exp.as_list()][:2] == [f for f, _ in lime_exp.as_list()][:2]
    for ours_pair, lime_pair in zip(
        our_exp.local_exp[0][:2], lime_exp.local_exp[0][:2], strict=True
    ):
        assert ours_pair[0] == lime_pair[0]
        assert ours_pair[1] == pytest.approx(lime_pair[1], rel=0.1)


def test_recurrent_feature_names_match_lime():
    series = np.random.RandomState(0).normal(size=(50, 3, 2))
    theirs = lime_tabular.RecurrentTabularExplainer(series, feature_names=["u", "v"])
    ours = our_tabular.RecurrentTabularExplainer(series, feature_names=["u", "v"])
    assert ours.feature_names == theirs.feature_names
    assert (ours.n_timesteps, ours.n_features) == (theirs.n_timesteps, theirs.n_features)


def test_lime_s_training_data_stats_example_runs():
    """lime's own ``test_lime_explainer_with_data_stats`` recipe, against our explainer."""
    x, names = IRIS.data, IRIS.feature_names
    discretizer = lime_discretize.QuartileDiscretizer(
        x, [], names, IRIS.target_names, random_state=20
    )
    codes = discretizer.discretize(x)
    values, frequencies = {}, {}
    for f in range(x.shape[1]):
        unique, counts = np.unique(codes[:, f], return_counts=True)
        values[f], frequencies[f] = list(unique), list(counts)
    stats = {
        "means": discretizer.means,
        "stds": discretizer.stds,
        "maxs": discretizer.maxs,
        "mins": discretizer.mins,
        "bins": {i: b.tolist() for i, b in enumerate(discretizer.bins(x, None))},
        "feature_values": values,
        "feature_frequencies": frequencies,
    }

    def iris_model(rows):
        p = scipy.special.expit(4 * (rows[:, 3] - 1.0) + 2 * (rows[:, 2] - 3.0))
        return np.column_stack([1 - p, p])

    explainer = our_tabular.LimeTabularExplainer(
        np.zeros((2, 4)), feature_names=names, random_state=10, training_data_stats=stats
    )
    exp = explainer.explain_instance(x[60], iris_model, num_features=2)
    keys = [k for k, _ in exp.as_list()]
    assert sum("petal width" in k for k in keys) == 1
    assert sum("petal length" in k for k in keys) == 1
    with pytest.raises(Exception, match="Missing keys"):
        our_tabular.LimeTabularExplainer(np.zeros((2, 4)), training_data_stats={"means": {}})


def test_submodular_pick_picks_what_lime_picks():
    x = mixed_data()[:12]

    def explainer():
        return our_tabular.LimeTabularExplainer(mixed_data(), random_state=3)

    kwargs = dict(method="full", num_exps_desired=3, num_features=3, num_samples=300)
    theirs = lime_submodular.SubmodularPick(explainer(), x, model, **kwargs)
    ours = our_submodular.SubmodularPick(explainer(), x, model, **kwargs)
    assert [e.as_map() for e in ours.explanations] == [e.as_map() for e in theirs.explanations]
    assert ours.V == theirs.V
