"""The shared random streams and the stratified (scrambled Sobol') uniforms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from limewidgets.engine import sampling
from limewidgets.engine.sampling import (
    SAMPLERS,
    check_sampler,
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


def test_each_row_alone_is_independent_uniforms():
    """Over many scramblings, a fixed row's coordinates are i.i.d. uniform (lime's law)."""
    rows = np.array(
        [stratified_uniforms(np.random.default_rng(seed), 8, 3)[5] for seed in range(3000)]
    )
    for j in range(3):
        assert scipy.stats.kstest(rows[:, j], "uniform").pvalue > 1e-3
    corr = np.corrcoef(rows.T)[np.triu_indices(3, 1)]
    assert np.abs(corr).max() < 0.07  # sd of a null correlation here: ~0.018


def test_wide_draws_are_split_into_blocks(monkeypatch):
    monkeypatch.setattr(sampling, "_BLOCK_COLUMNS", 4)
    u = stratified_uniforms(np.random.default_rng(2), 256, 10)
    assert u.shape == (256, 10)
    for j in range(10):
        assert np.unique(np.floor(u[:, j] * 256)).size == 256
