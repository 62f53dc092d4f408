"""The shared random streams, the stratified (scrambled Sobol') uniforms, the orthogonal arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from limewidgets.engine import sampling
from limewidgets.engine.sampling import (
    SAMPLERS,
    check_sampler,
    orthogonal_array_size,
    orthogonal_array_uniforms,
    spawn_generator,
    stratified_uniforms,
)


def test_check_sampler_names_the_argument():
    assert SAMPLERS == ("lime", "stratified", "efficient")
    for name in SAMPLERS:
        assert check_sampler(name) == name
    for bad in ("sobol", "", None, 1, "LIME"):
        with pytest.raises(
            ValueError, match=r"sampler must be one of \['lime', 'stratified', 'efficient'\]"
        ):
            check_sampler(bad)


def test_spawn_generator_is_seeded_by_the_random_state():
    a = spawn_generator(np.random.RandomState(3)).random(5)
    b = spawn_generator(np.random.RandomState(3)).random(5)
    c = spawn_generator(np.random.RandomState(4)).random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    state = np.random.RandomState(3)
    assert not np.array_equal(spawn_generator(state).random(5), spawn_generator(state).random(5))


def test_shape_range_and_determinism():
    u = stratified_uniforms(np.random.default_rng(0), 300, 7)
    assert u.shape == (300, 7) and u.dtype == float
    assert u.min() > 0.0 and u.max() < 1.0
    np.testing.assert_array_equal(u, stratified_uniforms(np.random.default_rng(0), 300, 7))
    assert not np.array_equal(u, stratified_uniforms(np.random.default_rng(1), 300, 7))
    assert stratified_uniforms(np.random.default_rng(0), 0, 4).shape == (0, 4)
    assert stratified_uniforms(np.random.default_rng(0), 5, 0).shape == (5, 0)
    assert stratified_uniforms(np.random.default_rng(0), 1, 3).shape == (1, 3)


def test_every_column_and_pair_of_columns_is_stratified():
    n, d = 1024, 12
    u = stratified_uniforms(np.random.default_rng(5), n, d)
    # Each column: exactly one point in each of the 1024 equal intervals.
    for j in range(d):
        assert np.unique(np.floor(u[:, j] * n)).size == n
    # Each pair of columns: exactly n / 16 points in each of the 4 x 4 cells.
    cells = np.floor(u * 4).astype(int)
    for j in range(d):
        for k in range(j + 1, d):
            counts = np.bincount(cells[:, j] * 4 + cells[:, k], minlength=16)
            assert np.all(counts == n // 16)
    # Independent uniforms would miss that by several points per cell.
    iid = np.floor(np.random.default_rng(5).random((n, 2)) * 4).astype(int)
    assert np.bincount(iid[:, 0] * 4 + iid[:, 1], minlength=16).std() > 3


def _assert_iid_uniform(rows: np.ndarray) -> None:
    """The rows (one per randomisation) look like i.i.d. uniform coordinates (lime's law)."""
    for j in range(rows.shape[1]):
        assert scipy.stats.kstest(rows[:, j], "uniform").pvalue > 1e-3
    corr = np.corrcoef(rows.T)[np.triu_indices(rows.shape[1], 1)]
    assert np.abs(corr).max() < 0.07  # sd of a null correlation here: ~0.018
    # The quarters of two coordinates: all 16 pairs equally likely.
    cells = np.floor(rows[:, :2] * 4).astype(int)
    counts = np.bincount(cells[:, 0] * 4 + cells[:, 1], minlength=16)
    assert scipy.stats.chisquare(counts).pvalue > 1e-3


def test_each_row_alone_is_independent_uniforms():
    """Over many scramblings, a fixed row's coordinates are i.i.d. uniform (lime's law)."""
    rng = np.random.default_rng
    _assert_iid_uniform(np.array([stratified_uniforms(rng(s), 8, 3)[5] for s in range(3000)]))


def test_wide_draws_are_split_into_blocks(monkeypatch):
    monkeypatch.setattr(sampling, "_BLOCK_COLUMNS", 4)
    u = stratified_uniforms(np.random.default_rng(2), 256, 10)
    assert u.shape == (256, 10)
    for j in range(10):
        assert np.unique(np.floor(u[:, j] * 256)).size == 256


# ------------------------------------------------------------------ orthogonal arrays
def test_orthogonal_array_sizes():
    sizes = {c: orthogonal_array_size(c) for c in (0, 1, 5, 6, 21, 22, 60, 85, 86, 341, 342)}
    assert sizes == {
        0: 4, 1: 4, 5: 16, 6: 64, 21: 64, 22: 256, 60: 256, 85: 256, 86: 1024, 341: 1024, 342: 0
    }  # fmt: skip
    with pytest.raises(ValueError, match="n_rows must be at most 256 for 60 columns"):
        orthogonal_array_uniforms(np.random.default_rng(0), 257, 60)
    assert orthogonal_array_uniforms(np.random.default_rng(0), 0, 3).shape == (0, 3)
    assert orthogonal_array_uniforms(np.random.default_rng(0), 4, 0).shape == (4, 0)


def test_orthogonal_array_balances_every_column_and_pair_of_columns():
    for n_columns in (5, 21, 60, 300):
        n = orthogonal_array_size(n_columns)
        u = orthogonal_array_uniforms(np.random.default_rng(n_columns), n, n_columns)
        assert u.shape == (n, n_columns) and u.min() > 0.0 and u.max() < 1.0
        quarters = np.floor(u * 4).astype(int)
        for j in range(n_columns):
            assert np.all(np.bincount(quarters[:, j], minlength=4) == n // 4)
        pairs = quarters[:, :, None] * 4 + quarters[:, None, :]
        for j in range(min(n_columns, 25)):
            for k in range(j + 1, min(n_columns, 25)):
                assert np.all(np.bincount(pairs[:, j, k], minlength=16) == n // 16)


def _dependent_triples(levels: np.ndarray) -> int:
    """Triples of columns whose joint values take 16 of their 64 combinations (one is a
    function of the other two), counted by brute force."""
    n_columns = levels.shape[1]
    count = 0
    for i in range(n_columns):
        for j in range(i + 1, n_columns):
            pair = levels[:, i] * 4 + levels[:, j]
            for k in range(j + 1, n_columns):
                count += np.unique(pair * 4 + levels[:, k]).size < 64
    return count


def test_orthogonal_array_columns_come_in_an_order_of_few_aliased_triples():
    """The first columns of the 256-row array alias far fewer interactions than random ones."""
    array = sampling._rao_hamming_array(4).astype(int)
    order = sampling._low_aberration_order(4)
    assert sorted(order.tolist()) == list(range(85))
    rng = np.random.default_rng(0)
    for k in (20, 30):
        ours = _dependent_triples(array[:, order[:k]])
        drawn = [_dependent_triples(array[:, rng.choice(85, k, replace=False)]) for _ in range(8)]
        # 20 columns: 18 against 44 on average; 30: 96 against 148 (min 132 over 200 draws).
        assert ours <= 0.7 * min(drawn), (k, ours, drawn)
    # The uniforms use that order: their quarters are the array's columns, relabelled.
    u = orthogonal_array_uniforms(np.random.default_rng(1), 256, 30)
    quarters = np.floor(u * 4).astype(int)
    assert _dependent_triples(quarters) == _dependent_triples(array[:, order[:30]])
    # Power 5 (1024 rows, 341 columns): a permutation of the columns as well.
    assert sorted(sampling._low_aberration_order(5).tolist()) == list(range(341))


def test_orthogonal_array_rows_alone_are_independent_uniforms():
    """Over many randomisations, a fixed row's coordinates are i.i.d. uniform (lime's law)."""
    rng = np.random.default_rng
    _assert_iid_uniform(
        np.array([orthogonal_array_uniforms(rng(s), 16, 5)[3] for s in range(3000)])
    )
