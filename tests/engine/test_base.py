"""The surrogate core: kernels, distances, feature selection and the weighted fit."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso, Ridge
from sklearn.metrics import pairwise_distances

from limewidgets.engine.base import (
    LimeBase,
    distances_to_first,
    exponential_kernel,
    make_kernel_fn,
    weighted_r2,
)


@pytest.fixture
def neighbourhood():
    rng = np.random.RandomState(0)
    x = rng.randint(0, 2, (600, 12)).astype(float)
    x[0] = 1
    y = 0.5 * x[:, 3] - 0.3 * x[:, 7] + 0.1 * x[:, 1] + 0.02 * rng.randn(600)
    labels = np.c_[1 - y, y]
    d = distances_to_first(x, "cosine") * 100
    return x, labels, d


def test_kernel_is_lime_kernel():
    d = np.array([0.0, 1.0, 2.5])
    np.testing.assert_allclose(exponential_kernel(d, 2.0), np.sqrt(np.exp(-(d**2) / 4.0)))
    assert make_kernel_fn(None, 2.0)(np.array([0.0]))[0] == 1.0
    custom = make_kernel_fn(lambda d, w: 1.0 / (1 + d / w), 2.0)
    np.testing.assert_allclose(custom(np.array([2.0])), [0.5])
    with pytest.raises(TypeError, match="kernel"):
        make_kernel_fn(3, 1.0)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "manhattan"])
def test_distances_match_sklearn(metric):
    rng = np.random.RandomState(1)
    x = rng.rand(50, 7)
    x[3] = 0  # an all-zero row must not produce NaN with cosine
    expected = pairwise_distances(x, x[0:1], metric=metric).ravel()
    np.testing.assert_allclose(distances_to_first(x, metric), expected, atol=1e-12)
    np.testing.assert_allclose(distances_to_first(sp.csr_matrix(x), metric), expected, atol=1e-12)


@pytest.mark.parametrize("method", ["forward_selection", "highest_weights", "lasso_path", "auto"])
def test_feature_selection_finds_true_features(neighbourhood, method):
    x, labels, d = neighbourhood
    base = LimeBase(make_kernel_fn(None, 25), random_state=0)
    intercept, exp, score, local_pred = base.explain_instance_with_data(
        x, labels, d, 1, 3, feature_selection=method
    )
    assert [f for f, _ in exp] == [3, 7, 1]
    weights = dict(exp)
    assert weights[3] > 0.4 and weights[7] < -0.2 and weights[1] > 0.05
    assert score > 0.95
    assert local_pred.shape == (1,)
    np.testing.assert_allclose(local_pred[0], intercept + sum(weights.values()), rtol=1e-6)


def test_forward_selection_matches_per_candidate_ols(neighbourhood):
    x, labels, d = neighbourhood
    w = exponential_kernel(d, 25)
    y = labels[:, 1]
    used = []
    for _ in range(4):  # the brute-force definition lime uses
        best = max(
            (j for j in range(x.shape[1]) if j not in used),
            key=lambda j: (
                Ridge(alpha=0)
                .fit(x[:, used + [j]], y, sample_weight=w)
                .score(x[:, used + [j]], y, sample_weight=w)
            ),
        )
        used.append(best)
    fast = LimeBase(make_kernel_fn(None, 25)).forward_selection(x, y, w, 4)
    assert list(fast) == used


def test_none_uses_all_features_and_exp_is_sorted(neighbourhood):
    x, labels, d = neighbourhood
    fit = LimeBase(make_kernel_fn(None, 25), random_state=0).fit_label(x, labels, d, 1, 2, "none")
    assert sorted(f for f, _ in fit.exp) == list(range(12))
    mags = [abs(w) for _, w in fit.exp]
    assert mags == sorted(mags, reverse=True)
    assert 0.9 < fit.fidelity <= 1.0


def test_custom_regressor_is_used_and_fidelity_measured(neighbourhood):
    x, labels, d = neighbourhood
    lasso = Lasso(alpha=1e-4)
    fit = LimeBase(make_kernel_fn(None, 25)).fit_label(x, labels, d, 1, 3, "auto", lasso)
    assert hasattr(lasso, "coef_")  # fitted in place, like lime
    assert np.isfinite(fit.fidelity)
    with pytest.raises(TypeError, match="model_regressor"):
        LimeBase(make_kernel_fn(None, 25)).fit_label(x, labels, d, 1, 3, "auto", object())


def test_unknown_feature_selection_is_rejected(neighbourhood):
    x, labels, d = neighbourhood
    with pytest.raises(ValueError, match="feature_selection.*'bogus'"):
        LimeBase(make_kernel_fn(None, 25)).explain_instance_with_data(
            x, labels, d, 1, 3, feature_selection="bogus"
        )


def test_fidelity_does_not_touch_explainer_random_state(neighbourhood):
    x, labels, d = neighbourhood
    base = LimeBase(make_kernel_fn(None, 25), random_state=5)
    before = base.random_state.get_state()[1].copy()
    base.fit_label(x, labels, d, 1, 3)
    np.testing.assert_array_equal(base.random_state.get_state()[1], before)


def test_weighted_r2_matches_ridge_score():
    rng = np.random.RandomState(3)
    x = rng.rand(100, 3)
    y = x @ [1.0, -2.0, 0.5] + 0.1 * rng.randn(100)
    w = rng.rand(100)
    model = Ridge(alpha=1).fit(x, y, sample_weight=w)
    assert weighted_r2(y, model.predict(x), w) == pytest.approx(model.score(x, y, sample_weight=w))


def test_fit_labels_fits_each_label_with_shared_weights(neighbourhood):
    from limewidgets.engine.explanation import DomainMapper, Explanation

    x, labels, d = neighbourhood
    base = LimeBase(make_kernel_fn(None, 25), random_state=0)
    fits = base.fit_labels(x, labels, d, [1, 0], 3)
    assert list(fits) == [1, 0]
    single = base.fit_label(x, labels, d, 0, 3)
    assert fits[0].exp == single.exp and fits[0].intercept == single.intercept
    # the two columns sum to 1, so their surrogates mirror each other
    np.testing.assert_allclose([w for _, w in fits[0].exp], [-w for _, w in fits[1].exp])
    exp = Explanation(DomainMapper())
    exp.store_fit(1, fits[1])
    assert exp.local_exp[1] == fits[1].exp and exp.fidelity[1] == fits[1].fidelity


@pytest.mark.parametrize(
    "method", ["auto", "highest_weights", "forward_selection", "lasso_path", "none"]
)
@pytest.mark.parametrize("num_features", [3, 8])
def test_shared_gram_fits_match_separate_fits(neighbourhood, method, num_features):
    # The default regressor's fits are solved from one centred Gram; passing the same
    # regressor explicitly takes the general path (one WeightedRidge fit per step).
    from limewidgets.engine.base import WeightedRidge

    x, labels, d = neighbourhood
    base = LimeBase(make_kernel_fn(None, 25.0), random_state=0)
    fast = base.fit_label(x, labels, d, 1, num_features, feature_selection=method)
    slow = base.fit_label(
        x, labels, d, 1, num_features, feature_selection=method, model_regressor=WeightedRidge()
    )
    assert [f for f, _ in fast.exp] == [f for f, _ in slow.exp]
    np.testing.assert_allclose([w for _, w in fast.exp], [w for _, w in slow.exp], rtol=1e-12)
    for name in ("intercept", "score", "local_pred", "fidelity"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-12)


def test_fit_labels_shared_gram_matches_single_label_fits(neighbourhood):
    x, labels, d = neighbourhood
    base = LimeBase(make_kernel_fn(None, 25.0))
    together = base.fit_labels(x, labels, d, [0, 1], 8)
    for label, fit in together.items():
        alone = base.fit_label(x, labels, d, label, 8)
        assert fit.exp == alone.exp
        assert (fit.intercept, fit.score, fit.fidelity) == (
            alone.intercept,
            alone.score,
            alone.fidelity,
        )


def test_closed_form_falls_back_with_more_columns_than_rows():
    rng = np.random.RandomState(1)
    x = rng.randint(0, 2, (30, 40)).astype(float)
    y = x[:, 2] + 0.01 * rng.randn(30)
    base = LimeBase(make_kernel_fn(None, 25.0))
    fit = base.fit_label(x, y, np.zeros(30), 0, 5, feature_selection="none")
    ridge = Ridge(alpha=1.0).fit(x, y)
    np.testing.assert_allclose(sorted(w for _, w in fit.exp), sorted(ridge.coef_), atol=1e-10)


def test_held_out_rows_are_cached_read_only_and_skip_row_0():
    from limewidgets.engine.base import _holdout_rows

    rows = _holdout_rows(500, 7)
    assert rows is _holdout_rows(500, 7)
    assert not rows.flags.writeable
    assert rows.size == 99 and rows.min() >= 1 and np.all(np.diff(rows) > 0)
    rng = np.random.RandomState(500 * 7919 + 7)
    expected = np.sort(1 + rng.permutation(499)[:99])
    np.testing.assert_array_equal(rows, expected)


def test_solve_ridge_is_scipy_s_positive_definite_solve():
    import scipy.linalg

    from limewidgets.engine.base import _solve_ridge

    rng = np.random.RandomState(3)
    for d in (1, 4, 30):
        a = rng.randn(200, d)
        gram, cross = a.T @ a, rng.randn(d)
        before = gram.copy()
        system = gram + 0.5 * np.eye(d)
        expected = scipy.linalg.solve(system, cross, assume_a="pos")
        np.testing.assert_array_equal(_solve_ridge(gram, cross, 0.5), expected)
        np.testing.assert_array_equal(gram, before)  # left untouched
    # No penalty on a singular Gram: least squares, as before.
    singular = np.ones((3, 3))
    np.testing.assert_allclose(
        _solve_ridge(singular, np.ones(3), 0.0), np.linalg.lstsq(singular, np.ones(3))[0]
    )
