"""Tests of the discretizers and their vectorised truncated-normal sampling."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.stats
from sklearn.datasets import load_iris

from limewidgets.engine.discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
    truncated_normal,
)

IRIS = load_iris()
X, Y, NAMES = IRIS.data, IRIS.target, IRIS.feature_names


def test_quartile_names_are_lime_s():
    discretizer = QuartileDiscretizer(X, [], NAMES, Y, random_state=10)
    assert discretizer.names[3] == [
        "petal width (cm) <= 0.30",
        "0.30 < petal width (cm) <= 1.30",
        "1.30 < petal width (cm) <= 1.80",
        "petal width (cm) > 1.80",
    ]
    assert discretizer.names[0][0] == "sepal length (cm) <= 5.10"
    assert discretizer.to_discretize == [0, 1, 2, 3]


def test_decile_and_entropy_bins():
    decile = DecileDiscretizer(X, [], NAMES, Y, random_state=10)
    np.testing.assert_array_equal(
        decile.edges[0], np.unique(np.percentile(X[:, 0], np.arange(10, 100, 10)))
    )
    assert decile.names[3][1] == "0.20 < petal width (cm) <= 0.40"
    entropy = EntropyDiscretizer(X, [], NAMES, Y, random_state=10)
    # Petal width separates setosa at 0.8 (the classic first split).
    assert entropy.names[3][0] == "petal width (cm) <= 0.80"
    assert all(len(v) <= 8 for v in entropy.names.values())


def test_statistics_per_bin():
    discretizer = QuartileDiscretizer(X, [1], NAMES, random_state=0)
    assert discretizer.to_discretize == [0, 2, 3]
    assert 1 not in discretizer.names
    codes = discretizer.discretize(X)
    for f in discretizer.to_discretize:
        for b in range(len(discretizer.names[f])):
            values = X[codes[:, f] == b, f]
            assert discretizer.means[f][b] == pytest.approx(values.mean())
            assert discretizer.stds[f][b] == pytest.approx(values.std() + 1e-11)
        assert discretizer.mins[f][0] == X[:, f].min()
        assert discretizer.maxs[f][-1] == X[:, f].max()
        assert discretizer.mins[f][1:] == discretizer.maxs[f][:-1] == discretizer.edges[f].tolist()


def test_statistics_with_many_bins():
    class Fine(BaseDiscretizer):
        def bins(self, data, labels):
            return [np.percentile(data[:, f], np.linspace(2, 98, 40)) for f in self.to_discretize]

    discretizer = Fine(X, [], NAMES, random_state=0)
    codes = discretizer.discretize(X)
    for f in range(4):
        assert len(discretizer.means[f]) == discretizer.edges[f].size + 1 > 20
        for b in np.unique(codes[:, f]).astype(int):
            assert discretizer.means[f][b] == pytest.approx(X[codes[:, f] == b, f].mean())


def test_discretize_one_row_and_many():
    discretizer = QuartileDiscretizer(X, [1], NAMES, random_state=0)
    codes = discretizer.discretize(X)
    np.testing.assert_array_equal(codes[:, 1], X[:, 1])  # not discretized
    np.testing.assert_array_equal(codes[:, 3], np.searchsorted(discretizer.edges[3], X[:, 3]))
    np.testing.assert_array_equal(discretizer.discretize(X[17]), codes[17])
    lam = discretizer.lambdas[3]
    np.testing.assert_array_equal(lam(X[:, 3]), codes[:, 3])
    with pytest.raises(ValueError, match="data"):
        discretizer.discretize(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("cls", [QuartileDiscretizer, DecileDiscretizer, EntropyDiscretizer])
def test_undiscretize_stays_in_the_bins(cls):
    discretizer = cls(X, [], NAMES, Y, random_state=1)
    rng = np.random.RandomState(0)
    codes = np.column_stack([rng.randint(0, len(discretizer.names[f]), 3000) for f in range(4)])
    values = discretizer.undiscretize(codes.astype(float))
    np.testing.assert_array_equal(discretizer.discretize(values), codes)
    for f in range(4):
        low = np.asarray(discretizer.mins[f])[codes[:, f]]
        high = np.asarray(discretizer.maxs[f])[codes[:, f]]
        assert np.all(values[:, f] >= low) and np.all(values[:, f] <= high)
    one = discretizer.undiscretize(codes[0].astype(float))
    assert one.shape == (4,)
    np.testing.assert_array_equal(discretizer.discretize(one), codes[0])


def test_undiscretize_follows_the_truncated_normal():
    discretizer = QuartileDiscretizer(X, [], NAMES, random_state=3)
    f, b = 2, 1
    values = discretizer.get_undiscretize_values(f, np.full(20000, b))
    mean, std = discretizer.means[f][b], discretizer.stds[f][b]
    low, high = discretizer.mins[f][b], discretizer.maxs[f][b]
    reference = scipy.stats.truncnorm((low - mean) / std, (high - mean) / std, mean, std)
    assert scipy.stats.kstest(values, reference.cdf).pvalue > 1e-3
    assert values.mean() == pytest.approx(reference.mean(), abs=0.01)


def test_undiscretize_with_uniforms_is_the_inverse_cdf():
    discretizer = QuartileDiscretizer(X, [1], NAMES, random_state=3)
    assert discretizer.undiscretized_features() == [0, 2, 3]
    codes = np.column_stack([np.full(999, b) for b in (1, 0, 2, 3)]).astype(float)
    uniforms = np.column_stack([np.linspace(0.0005, 0.9995, 999)] * 3)
    values = discretizer.undiscretize(codes, uniforms=uniforms)
    np.testing.assert_array_equal(values[:, 1], 0.0)  # the categorical column is copied
    np.testing.assert_array_equal(discretizer.discretize(values), codes)
    for column, (f, b) in enumerate([(0, 1), (2, 2), (3, 3)]):
        v = values[:, [0, 2, 3][column]]
        assert np.all(np.diff(v) >= 0)  # monotone in the uniform
        mean, std = discretizer.means[f][b], discretizer.stds[f][b]
        low, high = discretizer.mins[f][b], discretizer.maxs[f][b]
        reference = scipy.stats.truncnorm((low - mean) / std, (high - mean) / std, mean, std)
        np.testing.assert_allclose(v, reference.ppf(uniforms[:, 0]), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="uniforms must have shape"):
        discretizer.undiscretize(codes, uniforms=uniforms[:, :2])


def test_bin_whose_given_mean_lies_outside_it_is_still_centred_on_the_mean():
    """Hand-written stats may put a bin's mean outside its [min, max] (lime handles it)."""
    data = np.random.RandomState(0).normal(size=(100, 1))
    stats = {
        "bins": {0: [0.0]},
        "means": {0: [-1.0, -0.5]},
        "stds": {0: [1.0, 1.0]},
        "mins": {0: [-3.0, 0.0]},
        "maxs": {0: [0.0, 3.0]},
    }
    discretizer = StatsDiscretizer(data, [], ["x"], data_stats=stats, random_state=0)
    values = discretizer.undiscretize(np.ones((40000, 1)))[:, 0]
    reference = scipy.stats.truncnorm(0.5, 3.5, loc=-0.5, scale=1.0)
    assert values.min() > 0.0 and values.max() <= 3.0
    assert values.mean() == pytest.approx(reference.mean(), abs=0.01)  # was 0.96, not 0.64
    assert scipy.stats.kstest(values, reference.cdf).pvalue > 1e-3
    quantiles = discretizer.undiscretize(np.ones((3, 1)), uniforms=[[0.1], [0.5], [0.9]])[:, 0]
    np.testing.assert_allclose(quantiles, reference.ppf([0.1, 0.5, 0.9]), rtol=1e-9)


def test_degenerate_bin_gives_its_value():
    # 40 % of the column is exactly 5: the first quartile bin holds only that value.
    column = np.concatenate([np.full(40, 5.0), np.linspace(6, 10, 60)])
    data = np.column_stack([column, np.linspace(0, 1, 100)])
    discretizer = QuartileDiscretizer(data, [], ["a", "b"], random_state=0)
    assert discretizer.names[0][0] == "a <= 5.00"
    values = discretizer.get_undiscretize_values(0, np.zeros(50, dtype=int))
    np.testing.assert_array_equal(values, 5.0)  # lime returned the z-score 0.0 here


def test_random_state():
    codes = QuartileDiscretizer(X, [], NAMES).discretize(X)
    first = QuartileDiscretizer(X, [], NAMES, random_state=10).undiscretize(codes)
    again = QuartileDiscretizer(X, [], NAMES, random_state=10).undiscretize(codes)
    other = QuartileDiscretizer(X, [], NAMES, random_state=20).undiscretize(codes)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking the global state
    QuartileDiscretizer(X, [], NAMES, random_state=np.random.RandomState(5)).undiscretize(codes)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    "mean, std, low, high",
    [
        (0.0, 1.0, -1.0, 2.0),
        (0.0, 1.0, 3.0, 4.0),  # upper tail
        (0.0, 1.0, -50.0, -49.0),  # far lower tail
        (0.0, 1.0, 40.0, 41.0),  # far upper tail
        (0.0, 1.0, -np.inf, 0.5),
    ],
)
def test_truncated_normal_matches_scipy(mean, std, low, high):
    u = np.random.RandomState(0).random_sample(5000)
    n = u.size
    values = truncated_normal(
        np.full(n, mean), np.full(n, std), np.full(n, low), np.full(n, high), u
    )
    assert np.all((values >= low) & (values <= high))
    reference = scipy.stats.truncnorm((low - mean) / std, (high - mean) / std, mean, std)
    assert scipy.stats.kstest(values, reference.cdf).pvalue > 1e-3


def test_truncated_normal_degenerate_entries():
    values = truncated_normal(
        np.array([1.0, 5.0, 2.0]),
        np.array([0.0, 1.0, 1.0]),
        np.array([0.0, 3.0, 2.0]),
        np.array([2.0, 4.0, 2.0]),
        np.array([0.3, 0.3, 0.3]),
    )
    assert values[0] == 1.0  # zero std: the mean
    assert 3.0 <= values[1] <= 4.0  # a real draw, above the mean's side of the interval
    assert values[2] == 2.0  # min == max


def stats_of(discretizer: BaseDiscretizer) -> dict:
    return {
        "means": discretizer.means,
        "stds": discretizer.stds,
        "mins": discretizer.mins,
        "maxs": discretizer.maxs,
        "bins": {f: e.tolist() for f, e in discretizer.edges.items()},
    }


def test_stats_discretizer_reproduces_the_original():
    original = QuartileDiscretizer(X, [], NAMES, random_state=0)
    stats = json.loads(json.dumps(stats_of(original)))  # string keys, as from a JSON file
    copy = StatsDiscretizer(np.zeros((2, 4)), [], NAMES, data_stats=stats, random_state=0)
    assert copy.names == original.names
    assert copy.means == original.means and copy.maxs == original.maxs
    np.testing.assert_array_equal(copy.discretize(X), original.discretize(X))
    partial = stats_of(original)
    del partial["bins"][2]
    skipping = StatsDiscretizer(np.zeros((2, 4)), [], NAMES, data_stats=partial)
    assert skipping.to_discretize == [0, 1, 3]
    with pytest.raises(ValueError, match="bins"):
        StatsDiscretizer(X, [], NAMES, data_stats={"means": {}})
    with pytest.raises(TypeError, match="data_stats"):
        StatsDiscretizer(X, [], NAMES)
    wrong = stats_of(original)
    wrong["means"] = {f: [0.0] for f in range(4)}
    with pytest.raises(ValueError, match=r"data_stats\['means'\]"):
        StatsDiscretizer(X, [], NAMES, data_stats=wrong)


def test_custom_discretizer_only_defines_bins():
    class Thirds(BaseDiscretizer):
        def bins(self, data, labels):
            return [np.percentile(data[:, f], [33, 66]) for f in self.to_discretize]

    discretizer = Thirds(X, [0], NAMES, random_state=0)
    assert list(discretizer.names) == [1, 2, 3]
    assert len(discretizer.names[1]) == 3
    with pytest.raises(NotImplementedError):
        BaseDiscretizer(X, [], NAMES)


def test_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        EntropyDiscretizer(X, [], NAMES)
    with pytest.raises(ValueError, match="labels"):
        EntropyDiscretizer(X, [], NAMES, labels=Y[:10])
    with pytest.raises(ValueError, match="feature_names"):
        QuartileDiscretizer(X, [], NAMES[:2])
    with pytest.raises(ValueError, match="categorical_features"):
        QuartileDiscretizer(X, [7], NAMES)
    with pytest.raises(ValueError, match="data"):
        QuartileDiscretizer(X[:, 0], [], NAMES)
    discretizer = QuartileDiscretizer(X, [], NAMES)
    with pytest.raises(ValueError, match="bin indices of feature 0"):
        discretizer.undiscretize(np.full((2, 4), 9.0))
    with pytest.raises(ValueError, match="bin indices"):
        discretizer.undiscretize(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="feature"):
        QuartileDiscretizer(X, [0], NAMES).get_undiscretize_values(0, [1])


def _one_pass_values(discretizer, codes):
    """The values of undiscretize computed in one pass over all entries (the unblocked rule)."""
    from limewidgets.engine.bin_sampling import _BinTable
    from limewidgets.engine.sampling import spawn_generator

    features = discretizer.undiscretized_features()
    table = _BinTable(discretizer, features)
    flat = (codes[:, features].astype(np.intp) + table.offsets).ravel()
    generator = spawn_generator(discretizer.random_state)
    values = generator.standard_normal(flat.size) * table.scale[flat] + table.loc[flat]
    rejected = np.flatnonzero((values < table.low[flat]) | (values > table.high[flat]))
    values[rejected] = table._inverse_cdf(flat[rejected], generator.random(rejected.size))
    out = codes.astype(float)
    out[:, features] = values.reshape(codes.shape[0], len(features))
    return out


def test_blocked_sampling_and_cached_tables_give_the_one_pass_values():
    rng = np.random.RandomState(0)
    codes = QuartileDiscretizer(X, [], NAMES).discretize(X[rng.randint(0, 150, 9000)])
    discretizer = QuartileDiscretizer(X, [], NAMES, random_state=4)
    reference = QuartileDiscretizer(X, [], NAMES, random_state=4)
    for _ in range(2):  # the second call reuses the cached table
        np.testing.assert_array_equal(
            discretizer.undiscretize(codes), _one_pass_values(reference, codes)
        )
    assert len(discretizer._bin_tables) == 1
    # Some columns binned, others not (values gathered from a column subset).
    partial = QuartileDiscretizer(X, [1], NAMES, random_state=4)
    partial_reference = QuartileDiscretizer(X, [1], NAMES, random_state=4)
    np.testing.assert_array_equal(
        partial.undiscretize(codes), _one_pass_values(partial_reference, codes)
    )


def test_cached_bin_tables_follow_edited_statistics():
    codes = QuartileDiscretizer(X, [], NAMES).discretize(X)
    discretizer = QuartileDiscretizer(X, [], NAMES, random_state=1)
    discretizer.undiscretize(codes)  # builds and caches the table
    edits = [
        lambda d: d.means[2].__setitem__(1, d.means[2][1] + 0.05),  # a list edited in place
        lambda d: d.stds.__setitem__(0, [s * 2 for s in d.stds[0]]),  # a list replaced
        lambda d: setattr(d, "maxs", {f: list(v) for f, v in d.maxs.items()}),  # same values
        lambda d: d.mins[3].__setitem__(0, d.mins[3][0] - 1.0),
    ]
    for edit in edits:
        edit(discretizer)
        fresh = QuartileDiscretizer(X, [], NAMES, random_state=7)
        for name in ("means", "stds", "mins", "maxs"):
            setattr(fresh, name, {f: list(v) for f, v in getattr(discretizer, name).items()})
        discretizer.random_state = np.random.RandomState(7)
        np.testing.assert_array_equal(discretizer.undiscretize(codes), fresh.undiscretize(codes))
    assert len(discretizer._bin_tables) == 1


def test_bin_table_cache_is_not_pickled_or_deep_copied():
    import copy
    import pickle

    codes = QuartileDiscretizer(X, [], NAMES).discretize(X)
    discretizer = QuartileDiscretizer(X, [], NAMES, random_state=2)
    unused = len(pickle.dumps(discretizer))
    discretizer.undiscretize(codes)
    discretizer.get_undiscretize_values(0, np.array([0, 1, 2]))
    assert len(discretizer._bin_tables) == 2
    # Only the generator's state changed (a pickled table alone takes over 2 KB).
    assert len(pickle.dumps(discretizer)) < unused + 100
    restored = pickle.loads(pickle.dumps(discretizer))
    assert len(restored._bin_tables) == 0
    restored.random_state = np.random.RandomState(3)
    discretizer.random_state = np.random.RandomState(3)
    np.testing.assert_array_equal(restored.undiscretize(codes), discretizer.undiscretize(codes))
    assert len(copy.deepcopy(discretizer)._bin_tables) == 0
    # A shallow copy (a reseeded explainer's discretizer) shares the tables.
    assert copy.copy(discretizer)._bin_tables is discretizer._bin_tables


def test_bin_table_cache_is_bounded():
    from limewidgets.engine import bin_sampling

    discretizer = QuartileDiscretizer(X, [], NAMES, random_state=0)
    tables = discretizer._bin_tables
    features = [[0], [1], [2], [3], [0, 1], [1, 2], [2, 3], [0, 3]]
    for chosen in features * 2:
        discretizer._sample_in_bins(chosen, np.zeros((3, len(chosen))))
    assert len(tables) == len(features)
    old = bin_sampling._MAX_CACHED_TABLES
    bin_sampling._MAX_CACHED_TABLES = 3
    try:
        for chosen in features:
            discretizer._sample_in_bins(chosen, np.zeros((3, len(chosen))))
        assert len(tables) <= len(features)
        fresh = QuartileDiscretizer(X, [], NAMES, random_state=0)._bin_tables
        for chosen in features:
            fresh.table(discretizer, chosen)
        assert len(fresh) == 3
    finally:
        bin_sampling._MAX_CACHED_TABLES = old
