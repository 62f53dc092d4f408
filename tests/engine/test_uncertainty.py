"""weight_std, stability, num_queries and num_samples='auto' (issue 7, items 2 and 3)."""

from __future__ import annotations

import numpy as np
import pytest

from limewidgets.engine.adaptive import block_targets, check_sample_budget
from limewidgets.engine.tabular import LimeTabularExplainer
from limewidgets.engine.text import LimeTextExplainer
from limewidgets.engine.uncertainty import (
    SampleUncertainty,
    check_stability_k,
    mean_pairwise_jaccard,
)

WORDS = [f"w{i}" for i in range(16)]
DOCUMENT = " ".join(WORDS)


class WordModel:
    """P(class 1) from which words a document keeps; counts the documents it is asked about."""

    def __init__(self, coef, pairs=(), noise=0.0):
        self.coef = np.asarray(coef, dtype=float)
        self.pairs = list(pairs)
        self.noise = noise
        self.queries = 0
        self.rng = np.random.RandomState(0)

    def __call__(self, docs):
        self.queries += len(docs)
        present = np.array([[w in set(d.split()) for w in WORDS] for d in docs], dtype=float)
        z = present @ self.coef
        for i, j, c in self.pairs:
            z = z + c * present[:, i] * present[:, j]
        z = z + self.noise * self.rng.standard_normal(len(docs))
        p = 1.0 / (1.0 + np.exp(-z))
        return np.stack([1 - p, p], axis=1)


# Non-additive: pairs of words interact, so the surrogate's residuals are not zero.
INTERACTING = (
    np.array([1.6, -1.4, 1.2, 1.0, -0.9, 0.8, 0.7, -0.6, 0.5, 0.4, 0.3, -0.3, 0.2, 0.2, 0.1, 0.1]),
    [(0, 1, 1.5), (2, 5, -1.2), (3, 8, 1.0), (9, 10, -1.0)],
)


def _explain(model, seed, **kwargs):
    explainer = LimeTextExplainer(random_state=seed)
    return explainer.explain_instance(DOCUMENT, model, **kwargs)


def test_weight_std_matches_the_spread_of_weights_over_seeds():
    model = WordModel(*INTERACTING)
    weights, stds = [], []
    for seed in range(40):
        exp = _explain(model, seed, num_samples=300, num_features=16)
        assert set(exp.weight_std[1]) == {f for f, _ in exp.local_exp[1]}
        local = dict(exp.local_exp[1])
        weights.append([local[f] for f in range(16)])
        stds.append([exp.weight_std[1][f] for f in range(16)])
    empirical = np.std(weights, axis=0, ddof=1)
    predicted = np.sqrt(np.mean(np.square(stds), axis=0))
    ratio = predicted / empirical
    # 40 seeds: an empirical sd is itself uncertain by about 11 %.
    assert 0.85 < np.median(ratio) < 1.15
    assert np.all((ratio > 0.6) & (ratio < 1.6))


def test_predicted_stability_is_close_to_the_measured_one():
    model = WordModel(*INTERACTING)
    tops, predicted = [], []
    for seed in range(30):
        exp = _explain(model, seed, num_samples=150, num_features=10)
        tops.append(frozenset(f for f, _ in exp.local_exp[1][:5]))
        predicted.append(exp.stability[1])
        assert 0.0 <= exp.stability[1] <= 1.0
    measured = mean_pairwise_jaccard(tops)
    assert 0.3 < measured < 0.9  # a case where the top-5 does move between runs
    assert abs(np.mean(predicted) - measured) < 0.12


def test_stability_reruns_forward_selection():
    """num_features <= 6 selects greedily; the prediction reruns that selection."""
    model = WordModel(*INTERACTING)
    tops, predicted = [], []
    for seed in range(30):
        exp = _explain(model, seed, num_samples=150, num_features=4)
        assert exp.stability_k == 4
        tops.append(frozenset(f for f, _ in exp.local_exp[1]))
        predicted.append(exp.stability[1])
    measured = mean_pairwise_jaccard(tops)
    assert abs(np.mean(predicted) - measured) < 0.15


def test_stability_k_and_its_validation():
    model = WordModel(*INTERACTING)
    exp = _explain(model, 0, num_samples=200, num_features=10, stability_k=2)
    assert exp.stability_k == 2 and 0.0 <= exp.stability[1] <= 1.0
    for bad in (0, -1):
        with pytest.raises(ValueError, match="stability_k must be None or a positive integer"):
            _explain(model, 0, num_samples=50, stability_k=bad)
    for bad in ("3", 2.5, True):
        with pytest.raises(TypeError, match="stability_k must be None or a positive integer"):
            check_stability_k(bad)


def test_uncertainty_costs_no_model_query_and_is_computed_once():
    model = WordModel(*INTERACTING)
    exp = _explain(model, 0, num_samples=300)
    assert model.queries == 300 and exp.num_queries == 300
    first = exp.stability[1]
    assert exp.weight_std[1] and model.queries == 300
    assert exp.stability[1] == first and exp.stability is exp.stability


def test_a_deterministic_additive_model_is_certain():
    exact = SampleUncertainty(np.c_[np.ones(50), np.random.RandomState(0).rand(50, 3)], np.ones(50))
    y = exact.xc @ np.array([0.0, 1.0, 2.0, 3.0])
    result = exact.label(y, [(3, 3.0), (2, 2.0), (1, 1.0)], 3, "none", 0.0, 2)
    assert max(result.weight_std.values()) < 1e-8 and result.stability == 1.0


def test_regression_explanations_get_both_labels():
    rng = np.random.RandomState(0)
    x = rng.rand(200, 4)
    explainer = LimeTabularExplainer(x, mode="regression", random_state=0)
    exp = explainer.explain_instance(
        x[0], lambda rows: rows @ [3.0, -2.0, 0.5, 0.1], num_samples=400
    )
    assert set(exp.weight_std) == {0, 1} and set(exp.stability) == {0, 1}
    assert exp.weight_std[0] == exp.weight_std[1]
    assert exp.num_queries == 400


# ----------------------------------------------------------------------------- 'auto'


def test_auto_stops_early_on_an_easy_model_and_not_on_a_hard_one():
    easy = WordModel([4.0, -3.5, 3.0, 2.5, -2.0] + [0.0] * 11)
    exp = _explain(easy, 0, num_samples="auto", num_features=5, max_samples=3000)
    assert exp.num_queries == easy.queries == exp.num_samples == 250
    assert exp.stability[1] >= 0.95

    # Many near-equal weights, interactions and noise: the top-5 never settles.
    hard = WordModel(0.5 + 0.02 * np.arange(16), [(i, 15 - i, 0.8) for i in range(8)], noise=1.0)
    exp = _explain(hard, 0, num_samples="auto", num_features=5, max_samples=3000)
    assert exp.num_queries == hard.queries == 3000
    assert exp.stability[1] < 0.95


def test_auto_stops_on_an_exact_tie_once_the_weights_are_precise():
    """Two equal weights at the edge of the top-5 keep the set unstable; auto still stops."""
    from limewidgets.engine.adaptive import relative_weight_error

    tied = WordModel([0.8, -0.7, 0.6, 0.5, 0.4, 0.4] + [0.0] * 10)
    exp = _explain(tied, 0, num_samples="auto", num_features=5, sampler="lime")
    assert exp.num_queries == tied.queries < 5000
    assert exp.stability[1] < 0.95  # the fifth feature: word 4 or word 5, a coin flip
    assert 2 * relative_weight_error(exp) <= 0.05
    assert {0, 1, 2, 3} <= {f for f, _ in exp.local_exp[1]}
    # A tighter tolerance asks for more precision, so more queries.
    strict = WordModel([0.8, -0.7, 0.6, 0.5, 0.4, 0.4] + [0.0] * 10)
    _explain(strict, 0, num_samples="auto", num_features=5, sampler="lime", stability_tol=0.02)
    assert strict.queries > tied.queries


def test_auto_respects_max_samples_and_counts_real_queries():
    hard = WordModel(0.5 + 0.02 * np.arange(16), noise=1.0)
    exp = _explain(hard, 1, num_samples="auto", max_samples=600, batch_size=64)
    assert exp.num_queries == hard.queries == 600
    assert block_targets(600) == [250, 375, 562, 600]
    assert block_targets(100) == [100]


def test_auto_works_with_the_stratified_sampler():
    easy = WordModel([4.0, -3.5, 3.0, 2.5, -2.0] + [0.0] * 11)
    exp = _explain(easy, 0, num_samples="auto", num_features=5, sampler="stratified")
    assert exp.num_queries == easy.queries <= 1000
    assert {f for f, _ in exp.local_exp[1]} == {0, 1, 2, 3, 4}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_samples": "many"}, ValueError, "num_samples must be an integer >= 1 or 'auto'"),
        ({"num_samples": 0}, ValueError, "num_samples must be an integer >= 1 or 'auto'"),
        ({"num_samples": 2.5}, TypeError, "num_samples must be an integer >= 1 or 'auto'"),
        ({"num_samples": "auto", "max_samples": 1}, ValueError, "max_samples must be"),
        ({"num_samples": "auto", "max_samples": 10.0}, TypeError, "max_samples must be"),
        ({"num_samples": "auto", "stability_tol": 0}, ValueError, "stability_tol must be"),
        ({"num_samples": "auto", "stability_tol": 1.5}, ValueError, "stability_tol must be"),
        ({"num_samples": "auto", "stability_tol": "0.1"}, TypeError, "stability_tol must be"),
    ],
)
def test_bad_budgets_are_rejected(kwargs, error, match):
    model = WordModel(*INTERACTING)
    with pytest.raises(error, match=match):
        _explain(model, 0, **kwargs)
    assert model.queries == 0


def test_check_sample_budget_normalises():
    assert check_sample_budget(np.int64(7), 5000, 0.05) == (7, 5000, 0.05)
    assert check_sample_budget("auto", np.int32(300), 1e-3) == ("auto", 300, 1e-3)


def test_bootstrap_refit_agrees_with_the_closed_form_for_a_ridge_estimator():
    from limewidgets.engine.base import LimeBase, exponential_kernel
    from limewidgets.engine.uncertainty import bootstrap_refit, iid_groups

    rng = np.random.RandomState(0)
    x = rng.randint(0, 2, (600, 8)).astype(float)
    x[0] = 1
    y = x @ [1.0, -0.8, 0.6, 0.5, 0.3, 0.2, 0.1, 0.0] + 0.8 * x[:, 0] * x[:, 1]
    y = y + 0.3 * rng.standard_normal(600)
    distances = 1 - x.sum(axis=1) / 8
    weights = exponential_kernel(distances, 0.5)
    base = LimeBase(lambda d: exponential_kernel(d, 0.5))
    fit = base.fit_label(x, y, distances, 0, 8, "none", weights=weights)

    def refit(index, multiplier, generator):
        one = base.fit_label(
            x[index],
            y[index],
            distances[index],
            0,
            8,
            "none",
            weights=weights[index] * multiplier,
        )
        return {0: one.exp}

    boot = bootstrap_refit(refit, iid_groups(600), {0: fit.exp}, [0], lambda n: 3, n_replicates=64)
    closed = SampleUncertainty(x, weights).label(y, fit.exp, 8, "none", 1.0, 3)
    ratio = np.array([boot[0].weight_std[f] / closed.weight_std[f] for f in range(8)])
    assert np.all((ratio > 0.6) & (ratio < 1.5)) and 0.8 < np.median(ratio) < 1.25
    assert abs(boot[0].stability - closed.stability) < 0.2


def test_explain_many_with_auto_and_pickled_uncertainty():
    import pickle

    rng = np.random.RandomState(0)
    x = rng.rand(200, 4)
    explainer = LimeTabularExplainer(x, random_state=0)
    got = explainer.explain_many(
        x[:2], _table_model, num_samples="auto", max_samples=800, progress_bar=False
    )
    assert all(250 <= e.num_queries <= 800 for e in got)
    again = pickle.loads(pickle.dumps(got[0]))
    assert again.stability == got[0].stability and again.weight_std == got[0].weight_std


def _table_model(rows):
    p = 1.0 / (1.0 + np.exp(-(rows @ [3.0, -2.0, 0.5, 0.1])))
    return np.c_[1 - p, p]


def test_auto_with_the_efficient_sampler_grows_the_efficient_design():
    model = WordModel(*INTERACTING)
    exp = _explain(model, 2, num_samples="auto", num_features=5, sampler="efficient")
    assert exp.num_queries == model.queries > 250  # this model needs more than one block
    design = exp._uncertainty.refit.design
    # Every block's rows are in the design, fitted with the control variate, and each block
    # is an independent unit of the bootstrap.
    assert design.n_rows == exp.num_queries and design.sampler == "efficient"
    assert design.control is not None and design.control.features.shape[0] == design.n_rows
    assert design.n_units == len(block_targets(exp.num_queries))
    assert {f for f, _ in exp.local_exp[1]} >= {0, 1}

    easy = WordModel([4.0, -3.5, 3.0, 2.5, -2.0] + [0.0] * 11)
    exp = _explain(easy, 0, num_samples="auto", num_features=5, sampler="efficient")
    assert exp.num_queries == easy.queries == 250
    assert {f for f, _ in exp.local_exp[1]} == {0, 1, 2, 3, 4}


def _three_class_model(rows):
    z = rows @ np.array([[3.0, -2.0, 0.5, 0.1], [0.0, 1.0, -1.0, 2.0], [1.0, 1.0, 1.0, 0.0]]).T
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def test_uncertainty_keeps_only_what_it_reads_and_reads_old_pickles():
    import pickle

    rng = np.random.RandomState(0)
    x = rng.rand(200, 4)
    explainer = LimeTabularExplainer(x, random_state=0)
    exp = explainer.explain_instance(
        x[0], _three_class_model, labels=(2,), num_samples=600, sampler="lime"
    )
    source = exp._uncertainty
    # One fitted label of three: one column; lime's independent rows: no group ids.
    assert source.outputs.shape == (600, 1) and source.groups is None
    expected = (dict(exp.weight_std), dict(exp.stability))
    assert expected[0][2] and set(expected[1]) == {2}

    # An explanation pickled by an earlier version held every column and the group ids.
    old_state = dict(source.__dict__)
    del old_state["n_rows"]
    old_state["outputs"] = _three_class_model(explainer._sample_dense(x[0], 600, "gaussian"))
    old_state["outputs"][:, 2] = source.outputs[:, 0]
    old = type(source).__new__(type(source))
    old.__setstate__(old_state)
    assert old.n_rows == 600 and old.outputs.shape == (600, 1)
    np.testing.assert_array_equal(old.outputs[:, 0], source.outputs[:, 0])
    assert old(exp) == expected
    again = pickle.loads(pickle.dumps(exp))
    assert (again.weight_std, again.stability) == expected
