"""How the tabular explainer draws its raw samples (lime's rules and the stratified sampler).

:class:`TabularSampling` is a mixin of :class:`~limewidgets.engine.tabular.LimeTabularExplainer`:
its methods read the statistics the explainer's constructor computed (``random_state``,
``discretizer``, ``categorical_features``, ``sample_around_instance``, ``scaler`` and the
per-column category tables ``_category_cdf`` / ``_category_cache``). There are two entry
points, :meth:`TabularSampling._sample_dense` and :meth:`TabularSampling._sample_sparse`, each
with the ``sampler`` / ``sampling_method`` paths documented in
:meth:`LimeTabularExplainer.explain_instance`; a new sampler is one more branch in each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
import scipy.special
from sklearn.preprocessing import StandardScaler

from .discretize import BaseDiscretizer, stats_lookup
from .sampling import (
    inside_unit_interval,
    orthogonal_array_size,
    orthogonal_array_uniforms,
    spawn_generator,
    stratified_uniforms,
)

__all__ = ["TabularSampling"]

SAMPLING_METHODS = ("gaussian", "lhs")


# Fewest binned or categorical columns for which small budgets use an orthogonal array. Measured
# on breast cancer with gradient boosting at 250 queries (40 seeds, weight correlation with lime's
# converged answer, array / Sobol'): 13 columns 0.976 / 0.979, 16: 0.964 / 0.966, 17: 0.955 /
# 0.963, 20: 0.956 / 0.940, 24: 0.964 / 0.945, 30: 0.944 / 0.884; wine's 13: 0.796 / 0.824 (the
# sequence's first dimensions already balance a few columns' pairs well). The rows must also fill
# more than half of the array: at 80 or 130 queries (of 256) the array and the sequence were equal
# within the errors, and at 500 (two arrays) the sequence was better (0.878 against 0.866).
_ARRAY_MIN_CODES = 20

# Why the Sobol' path draws a bin and the value inside it from one coordinate (a bin's interval of
# the CDF, rescaled) rather than from two: for one row the pair (bin, position in the bin) of a
# uniform is a bin with its training frequency and an independent uniform, which is lime's law;
# across the rows, the values inside every bin are as evenly spread as the coordinate, and the
# sequence has half the dimensions. Measured against two coordinates (breast cancer, weight
# correlation with lime's converged answer, efficient sampler, 300 seeds at 500 queries, 100 at
# 1000 / 2000): gradient boosting 0.880 -> 0.889 (500), 0.938 -> 0.943, 0.965 -> 0.969; random
# forest 0.943 -> 0.952, 0.968 -> 0.976, 0.983 -> 0.986. With the orthogonal array (250 queries)
# it did not help (boosting 0.795 -> 0.797, forest 0.904 -> 0.892): there the values keep columns
# of their own.


class TabularSampling:
    """Raw-sample drawing of :class:`~limewidgets.engine.tabular.LimeTabularExplainer`.

    See the module docstring for the attributes it reads; it stores nothing but the
    per-tuple category tables in ``_category_cache``.
    """

    random_state: np.random.RandomState
    discretizer: BaseDiscretizer | None
    categorical_features: list[int]
    sample_around_instance: bool
    scaler: StandardScaler
    _category_cdf: dict
    _category_cache: dict

    def _sample_dense(
        self, row: np.ndarray, num_samples: int, sampling_method: str, sampler: str = "lime"
    ) -> np.ndarray:
        """Raw samples around ``row``; row 0 is ``row`` itself."""
        n_features = row.size
        samples = np.empty((num_samples, n_features))
        if sampler == "stratified" and num_samples == 1:
            pass  # the instance alone: no sequence to draw
        elif sampler == "stratified":
            if self.discretizer is None:
                continuous = np.setdiff1d(np.arange(n_features), self.categorical_features)
                self._stratified_continuous_and_categories(
                    samples[1:], row, continuous, self.categorical_features
                )
            else:
                samples[1:] = self._stratified_binned(num_samples - 1)
        elif self.discretizer is None:
            continuous = np.setdiff1d(np.arange(n_features), self.categorical_features)
            if continuous.size:
                noise = self._standard_normal(num_samples, continuous.size, sampling_method)
                centre = row if self.sample_around_instance else self.scaler.mean_
                samples[:, continuous] = noise * self.scaler.scale_[continuous] + centre[continuous]
            categorical = self.categorical_features
            samples[:, categorical] = self._draw_categories(num_samples, categorical)
        else:
            # Draw a bin (or category) per column, then a value inside each drawn bin.
            codes = self._draw_categories(num_samples, self.categorical_features)
            samples[1:] = self.discretizer.undiscretize(codes[1:])
        samples[0] = row
        return samples

    def _stratified_binned(self, n_rows: int) -> np.ndarray:
        """``n_rows`` raw samples of the discretized path from one stratified sequence.

        Features are assigned to the sequence's coordinates in a random order; a coordinate's
        uniform chooses the bin (or category) by inverse CDF of the training frequencies, and
        the uniform's position inside its bin's interval of the CDF chooses the value inside
        the bin. Each coordinate of a scrambled Sobol' sequence is evenly spread on its own, so
        every bin's values are spread evenly over the bin too, and the sequence needs one
        coordinate per column instead of two. With at least :data:`_ARRAY_MIN_CODES` binned or
        categorical columns, rows that fill more than half of one orthogonal array
        (:func:`~limewidgets.engine.sampling.orthogonal_array_uniforms`, 129 to 256 rows for 22
        to 85 columns) take their uniforms from it instead: at such small budgets it balances
        every pair of features better (see :mod:`limewidgets.engine.sampling`); the values
        inside the bins then come from columns of their own (a bin's level of the array says
        nothing about where in the bin its uniform lies). Either way, every row alone is one
        of lime's samples in law.
        """
        features = self.categorical_features
        discretizer = self.discretizer
        assert discretizer is not None  # only called on the discretized path
        # A custom discretizer that overrides undiscretize keeps its own value sampling.
        own_values = type(discretizer).undiscretize is BaseDiscretizer.undiscretize
        value_features = discretizer.undiscretized_features() if own_values else []
        generator = spawn_generator(self.random_state)
        n_draws = len(features)
        array_rows = orthogonal_array_size(n_draws + len(value_features))
        # Only where measured to help (see _ARRAY_MIN_CODES): many binned columns, rows that fill
        # most of one array.
        use_array = n_draws >= _ARRAY_MIN_CODES and array_rows // 2 < n_rows <= array_rows
        draw_column = {feature: j for j, feature in enumerate(features)}
        coupled = not use_array and all(f in draw_column for f in value_features)
        n_columns = n_draws if coupled else n_draws + len(value_features)
        if use_array:
            uniforms = orthogonal_array_uniforms(generator, n_rows, n_columns)
        else:
            uniforms = stratified_uniforms(generator, n_rows, n_columns)
        draw_uniforms = uniforms[:, :n_draws][:, generator.permutation(n_draws)]
        if not own_values:
            return discretizer.undiscretize(
                self._draw_categories(n_rows, features, uniforms=draw_uniforms)
            )
        if coupled:
            codes, positions = self._draw_with_positions(features, draw_uniforms)
            value_uniforms = positions[:, [draw_column[f] for f in value_features]]
        else:
            codes = self._draw_categories(n_rows, features, uniforms=draw_uniforms)
            value_uniforms = uniforms[:, n_draws:][:, generator.permutation(len(value_features))]
        return discretizer.undiscretize(codes, uniforms=value_uniforms)

    def _draw_with_positions(
        self, features: Sequence[int], uniforms: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_draw_categories` of ``uniforms``, and where each uniform lies in its value's share.

        ``uniforms[:, j]`` draws value ``k`` of ``features[j]`` when it falls in the interval
        ``[F(k - 1), F(k))`` of the column's cumulative frequencies; its position there,
        ``(u - F(k - 1)) / p_k``, is a uniform independent of the value drawn (returned strictly
        inside ``(0, 1)``, where the bins' inverse CDFs are finite).
        """
        levels = self._draw_categories(
            uniforms.shape[0], features, uniforms=uniforms, as_levels=True
        ).astype(np.intp)
        values, cdf, width, codes_are_values = self._category_tables(tuple(features))
        entry = levels + np.arange(len(features)) * width
        codes = levels.astype(float) if codes_are_values else values.take(entry)
        lower = np.concatenate([np.zeros((cdf.shape[0], 1)), cdf], axis=1)
        upper = np.concatenate([cdf, np.ones((cdf.shape[0], 1))], axis=1)
        share = np.maximum(upper - lower, np.finfo(float).tiny)
        position = uniforms - lower.ravel().take(entry)
        position /= share.ravel().take(entry)
        return codes, inside_unit_interval(position)

    def _codes_cover_every_column(self, n_features: int) -> bool:
        """Whether the discretized path's codes (bins and categories) are one per column."""
        return sorted(self.categorical_features) == list(range(n_features))

    def _n_levels(self) -> np.ndarray:
        """Number of values of each column on the discretized path (its *levels*), by column."""
        return np.array([self._category_cdf[f][0].size for f in sorted(self.categorical_features)])

    def _stratified_levels(self, n_rows: int) -> np.ndarray:
        """``n_rows`` rows of levels from one stratified sequence (columns covering the row).

        Level ``k`` of column ``j`` is its ``k``-th value (bin or category) as the sampler
        tabulates them: :meth:`_level_values` turns levels into codes. These are the codes of
        :meth:`_stratified_binned`'s rows, without drawing values inside the bins (the
        efficient design's free rows need only the levels).
        """
        features = self.categorical_features
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, n_rows, len(features), continuous=False)
        uniforms = uniforms[:, generator.permutation(len(features))]
        levels = self._draw_categories(n_rows, features, uniforms=uniforms, as_levels=True)
        out = np.empty_like(levels)
        out[:, np.asarray(features, dtype=int)] = levels
        return out

    def _level_values(self, levels: np.ndarray) -> np.ndarray:
        """The codes (bin indices, category values) of rows of levels."""
        features = tuple(sorted(self.categorical_features))
        values, _, width, _ = self._category_tables(features)
        table = values.reshape(len(features), width)
        return table[np.arange(len(features)), np.asarray(levels, dtype=np.intp)]

    def _levels_of(self, codes: np.ndarray) -> np.ndarray:
        """The level of every code of rows ``codes`` (columns covering the row); -1 if unseen."""
        codes = np.atleast_2d(np.asarray(codes, dtype=float))
        features = sorted(self.categorical_features)
        values, _, width, codes_are_values = self._category_tables(tuple(features))
        n_levels = self._n_levels()
        if codes_are_values:
            levels = codes.astype(np.intp)
            known = (levels == codes) & (levels >= 0) & (levels < n_levels)
        else:
            table = values.reshape(len(features), width)
            levels = np.empty(codes.shape, dtype=np.intp)
            known = np.empty(codes.shape, dtype=bool)
            for j in range(len(features)):
                column = table[j, : n_levels[j]]
                order = np.argsort(column, kind="stable")
                position = np.searchsorted(column[order], codes[:, j]).clip(0, n_levels[j] - 1)
                levels[:, j] = order[position]
                known[:, j] = column[levels[:, j]] == codes[:, j]
        levels = np.where(known, levels, -1)
        return levels.astype(np.min_scalar_type(-max(int(n_levels.max()), 1)))

    def _stratified_continuous_and_categories(
        self,
        out: np.ndarray,
        row: np.ndarray,
        continuous: np.ndarray,
        categorical: Sequence[int],
        columns: np.ndarray | None = None,
    ) -> None:
        """Fill ``out`` with stratified normal draws and category draws (no discretizer).

        ``continuous`` and ``categorical`` are feature ids; ``columns`` maps a feature id to its
        column of ``out`` (default: the id itself).
        """
        n_rows = out.shape[0]
        categorical_ids = np.asarray(categorical, dtype=int)
        if columns is None:
            continuous_columns, categorical_columns = continuous, categorical_ids
        else:
            continuous_columns = np.searchsorted(columns, continuous)
            categorical_columns = np.searchsorted(columns, categorical_ids)
        n_normals, n_draws = continuous.size, categorical_ids.size
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, n_rows, n_normals + n_draws)
        uniforms = uniforms[:, generator.permutation(n_normals + n_draws)]
        if n_normals:
            centre = row if self.sample_around_instance else self.scaler.mean_
            noise = scipy.special.ndtri(uniforms[:, :n_normals])
            out[:, continuous_columns] = noise * self.scaler.scale_[continuous] + centre[continuous]
        if n_draws:
            out[:, categorical_columns] = self._draw_categories(
                n_rows, categorical_ids.tolist(), uniforms=uniforms[:, n_normals:]
            )

    def _sample_sparse(
        self,
        row: np.ndarray,
        sparse_row: sp.csr_matrix,
        num_samples: int,
        sampling_method: str,
        sampler: str = "lime",
    ) -> sp.csr_matrix:
        """Like lime: perturb only the row's non-zero columns (plus categorical columns)."""
        categorical = np.asarray(self.categorical_features, dtype=int)
        nonzero = np.unique(sparse_row.indices)
        continuous = np.setdiff1d(nonzero, categorical)
        columns = np.union1d(continuous, categorical).astype(int)
        block = np.empty((num_samples, columns.size))
        if sampler == "stratified":
            self._stratified_continuous_and_categories(
                block[1:], row, continuous, categorical.tolist(), columns=columns
            )
        else:
            where = np.searchsorted(columns, continuous)
            if continuous.size:
                noise = self._standard_normal(num_samples, continuous.size, sampling_method)
                centre = row if self.sample_around_instance else self.scaler.mean_
                block[:, where] = noise * self.scaler.scale_[continuous] + centre[continuous]
            if categorical.size:
                drawn = self._draw_categories(num_samples, categorical.tolist())
                block[:, np.searchsorted(columns, categorical)] = drawn
        block[0] = row[columns]
        indptr = np.arange(num_samples + 1) * columns.size
        indices = np.tile(columns, num_samples)
        return sp.csr_matrix((block.ravel(), indices, indptr), shape=(num_samples, row.size))

    def _standard_normal(self, n_rows: int, n_cols: int, sampling_method: str) -> np.ndarray:
        generator = spawn_generator(self.random_state)
        if sampling_method == "lhs":
            # One stratum per row in every column, strata shuffled independently per column.
            strata = np.argsort(generator.random((n_rows, n_cols)), axis=0)
            uniform = (strata + generator.random((n_rows, n_cols))) / n_rows
            return scipy.special.ndtri(uniform)
        return generator.standard_normal((n_rows, n_cols))

    def _draw_categories(
        self,
        n_rows: int,
        features: Sequence[int],
        uniforms: np.ndarray | None = None,
        as_levels: bool = False,
    ) -> np.ndarray:
        """``n_rows`` values per column of ``features``, drawn with their training frequencies.

        Inverse-CDF sampling for all columns at once: the drawn index is the number of
        cumulative frequencies a uniform reaches. With few values per column (bins, small
        categoricals) that count is a handful of whole-matrix comparisons; with many it is one
        ``searchsorted`` over every column's CDF shifted by the column number. The uniforms are
        drawn from ``random_state`` unless given (shape ``(n_rows, len(features))``).
        ``as_levels``: return each drawn value's position in its column's table (small
        unsigned integers) instead of the value.

        Returns
        -------
        numpy.ndarray of shape (n_rows, len(features))
        """
        features = tuple(features)
        if not features:
            return np.empty((n_rows, 0))
        values, cdf, width, codes_are_values = self._category_tables(features)
        if uniforms is None:
            uniform = spawn_generator(self.random_state).random((n_rows, len(features)))
        else:
            uniform = uniforms
        columns = np.arange(len(features))
        if width <= 32:
            index = np.zeros(uniform.shape, dtype=np.int8)  # small: cheap passes
            for k in range(width - 1):
                index += uniform >= cdf[:, k]
        else:
            shifted = (cdf + columns[:, None]).ravel()
            position = np.searchsorted(shifted, uniform + columns, side="right")
            index = position - columns * (width - 1)
        if as_levels:
            return index.astype(np.min_scalar_type(max(width - 1, 0)))
        if codes_are_values:
            return index.astype(float)
        return values.take(columns * width + index)

    def _category_tables(self, features: tuple) -> tuple:
        """Padded ``(values, cdf, width, codes_are_values)`` of ``features``, cached per tuple.

        ``cdf[j]`` holds column ``j``'s cumulative frequencies without the final 1, padded with
        1.0 (never reached by a uniform in ``[0, 1)``), so an index never passes the column's
        last value.
        """
        cached = self._category_cache.get(features)
        if cached is None:
            width = max(self._category_cdf[f][0].size for f in features)
            values = np.zeros((len(features), width))
            cdf = np.ones((len(features), max(width - 1, 0)))
            for j, f in enumerate(features):
                column_values, column_cdf = self._category_cdf[f]
                values[j, : column_values.size] = column_values
                cdf[j, : column_values.size - 1] = column_cdf[:-1]
            # Bin indices 0..k-1 with every bin seen: the drawn index is the value itself.
            codes_are_values = bool(np.all(values == np.arange(width)))
            cached = (values.ravel(), cdf, width, codes_are_values)
            self._category_cache[features] = cached
        return cached


# Training frequencies of the values the sampler draws (computed by the explainer's constructor).
def _stats_categories(stats: Mapping, feature: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(
        stats_lookup(stats["feature_values"], feature, "training_data_stats['feature_values']"),
        dtype=float,
    )
    counts = np.asarray(
        stats_lookup(
            stats["feature_frequencies"], feature, "training_data_stats['feature_frequencies']"
        ),
        dtype=float,
    )
    if values.ndim != 1 or values.shape != counts.shape or values.size == 0:
        raise ValueError(
            f"training_data_stats['feature_values'][{feature}] and ['feature_frequencies']"
            f"[{feature}] must be non-empty lists of the same length; got {values.size} values "
            f"and {counts.size} frequencies"
        )
    if np.any(counts < 0) or not counts.sum() > 0:
        raise ValueError(
            f"training_data_stats['feature_frequencies'][{feature}] must be non-negative with a "
            "positive sum"
        )
    return values, counts


def _value_counts(column: np.ndarray, binned: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of ``column`` and their counts (``np.unique``'s result).

    Bin indices are small non-negative integers, counted with one ``bincount``.
    """
    if binned:
        counts = np.bincount(column.astype(np.intp))
        seen = np.flatnonzero(counts)
        return seen.astype(column.dtype), counts[seen]
    return np.unique(column, return_counts=True)
