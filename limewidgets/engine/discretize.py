"""Discretizers: turn continuous columns into bins, and sample values back from bins.

The tabular explainer, when ``discretize_continuous=True``, replaces every continuous feature by
the bin it falls in ("petal width (cm) <= 0.80"); its perturbed samples draw a bin per feature and
then a value inside that bin. These classes keep lime 0.2.0.1's names, attributes and methods
(``names``, ``lambdas``, ``means``, ``stds``, ``mins``, ``maxs``, ``bins``, ``discretize``,
``get_undiscretize_values``, ``undiscretize``), with three differences:

* sampling a value inside a bin is vectorised over all features and rows at once (inverse-CDF
  sampling of a truncated normal in log space, instead of one ``scipy.stats.truncnorm.rvs`` call
  per feature);
* a degenerate bin (its minimum equals its maximum, or its standard deviation is zero) yields
  its minimum; lime returned the bin's z-score (0.0) instead of a value in the bin;
* every sampled value is kept inside its bin's boundaries (lower bound exclusive, upper bound
  inclusive), so discretizing what :meth:`BaseDiscretizer.undiscretize` returned always gives the
  bins back. The explainer relies on this to rebuild its interpretable rows from raw values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from ._validation import RandomStateLike, check_column_indices, check_random_state, describe
from .bin_sampling import _BinTable, _BinTableCache, truncated_normal
from .sampling import spawn_generator

# lime adds this to every per-bin standard deviation (so a one-value bin still has std > 0); we
# keep it so that the ``stds`` attribute matches lime's numbers.
_STD_EPSILON = 1e-11

__all__ = [
    "BaseDiscretizer",
    "DecileDiscretizer",
    "EntropyDiscretizer",
    "QuartileDiscretizer",
    "StatsDiscretizer",
    "stats_lookup",
    "truncated_normal",
]


def stats_lookup(stats: Any, feature: int, name: str) -> Any:
    """Return ``stats[feature]``, accepting string keys (``"3"``) as JSON would produce them.

    Parameters
    ----------
    stats : mapping
        A per-feature mapping such as ``data_stats["means"]``.
    feature : int
        Column index.
    name : str
        What ``stats`` is, for the error message.

    Returns
    -------
    object
        The entry for ``feature``.
    """
    if not isinstance(stats, Mapping):
        raise TypeError(f"{name} must be a dict keyed by feature index; got {describe(stats)}")
    if feature in stats:
        return stats[feature]
    if str(feature) in stats:
        return stats[str(feature)]
    raise ValueError(f"{name} has no entry for feature {feature}")


class BaseDiscretizer:
    """Base class of the discretizers: subclasses define the bin boundaries in :meth:`bins`.

    Parameters
    ----------
    data : numpy.ndarray of shape (n_samples, n_features)
        Training data.
    categorical_features : list of int
        Columns that are not discretized.
    feature_names : list of str
        Column names, used in the bin names.
    labels : array-like of shape (n_samples,), optional
        Training labels (used by :class:`EntropyDiscretizer`).
    random_state : int, RandomState or None, optional
        Seeds :meth:`undiscretize`.
    data_stats : dict, optional
        Precomputed ``'means'``, ``'stds'``, ``'mins'``, ``'maxs'`` per feature and bin, used
        instead of statistics computed from ``data``.

    Attributes
    ----------
    to_discretize : list of int
        The discretized columns.
    names : dict
        ``{feature: [bin name, ...]}`` such as ``'0.30 < petal width (cm) <= 1.30'``.
    lambdas : dict
        ``{feature: callable}`` mapping values to bin indices.
    edges : dict
        ``{feature: numpy.ndarray}`` sorted, unique inner bin boundaries; bin ``k`` holds the
        values ``x`` with ``edges[k-1] < x <= edges[k]``.
    means, stds, mins, maxs : dict
        ``{feature: list}`` per-bin mean, standard deviation, minimum and maximum of the training
        values, used to sample values back from bins.
    random_state : numpy.random.RandomState
    """

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[Any],
        labels: Any = None,
        random_state: RandomStateLike = None,
        data_stats: Mapping | None = None,
    ) -> None:
        data = _as_2d_float("data", data)
        n_features = data.shape[1]
        categorical = check_column_indices("categorical_features", categorical_features, n_features)
        if feature_names is None or len(feature_names) != n_features:
            raise ValueError(
                f"feature_names must have one name per column ({n_features}); got "
                f"{describe(feature_names)}"
            )
        self.to_discretize = [x for x in range(n_features) if x not in set(categorical)]
        self.data_stats = data_stats
        self.names: dict = {}
        self.lambdas: dict = {}
        self.edges: dict = {}
        self.means: dict = {}
        self.stds: dict = {}
        self.mins: dict = {}
        self.maxs: dict = {}
        self.random_state = check_random_state(random_state)
        # Sampling tables built from the stats below, per feature tuple (see _sample_in_bins).
        self._bin_tables = _BinTableCache()

        # Subclasses override bins(); it may shrink to_discretize (StatsDiscretizer does).
        bins = [np.unique(np.asarray(x, dtype=float)) for x in self.bins(data, labels)]
        if len(bins) != len(self.to_discretize):
            raise ValueError(
                f"{type(self).__name__}.bins() returned {len(bins)} boundary arrays for "
                f"{len(self.to_discretize)} features to discretize"
            )

        for feature, qts in zip(self.to_discretize, bins, strict=True):
            name = feature_names[feature]
            if qts.size == 0 or not np.all(np.isfinite(qts)):
                raise ValueError(
                    f"the bin boundaries of feature {feature} ({name}) must be a non-empty "
                    f"array of finite numbers; got {qts!r}"
                )
            self.edges[feature] = qts
            self.names[feature] = _bin_names(name, qts)
            self.lambdas[feature] = partial(np.searchsorted, qts)
            if data_stats:
                for key, target in (
                    ("means", self.means),
                    ("stds", self.stds),
                    ("mins", self.mins),
                    ("maxs", self.maxs),
                ):
                    values = stats_lookup(data_stats.get(key), feature, f"data_stats[{key!r}]")
                    target[feature] = [float(v) for v in values]
                    if len(target[feature]) != qts.size + 1:
                        raise ValueError(
                            f"data_stats[{key!r}][{feature}] must have one entry per bin "
                            f"({qts.size + 1}); got {len(target[feature])}"
                        )

        if not data_stats and self.to_discretize:
            self._bin_statistics(data)

    def _bin_statistics(self, data: np.ndarray) -> None:
        """Per-bin mean, std, min and max of the training values, all features at once."""
        features = self.to_discretize
        values = data[:, features]
        n_edges = np.array([self.edges[f].size for f in features])
        width = int(n_edges.max()) + 1
        edges = np.full((len(features), width - 1), np.inf)
        for j, f in enumerate(features):
            edges[j, : n_edges[j]] = self.edges[f]
        # Bin index = number of edges below the value (np.searchsorted's 'left' rule).
        if width <= 33:
            codes = np.zeros(values.shape, dtype=np.intp)
            for k in range(width - 1):
                codes += values > edges[:, k]
        else:
            codes = np.column_stack(
                [np.searchsorted(self.edges[f], values[:, j]) for j, f in enumerate(features)]
            )
        flat = (codes + np.arange(len(features)) * width).ravel()
        size = len(features) * width
        counts = np.bincount(flat, minlength=size)
        safe = np.maximum(counts, 1)
        means = np.bincount(flat, weights=values.ravel(), minlength=size) / safe
        deviations = (values.ravel() - means[flat]) ** 2
        stds = np.sqrt(np.bincount(flat, weights=deviations, minlength=size) / safe)
        means[counts == 0] = 0.0
        stds[counts == 0] = 0.0
        means, stds = means.reshape(-1, width), stds.reshape(-1, width) + _STD_EPSILON
        lows, highs = values.min(axis=0), values.max(axis=0)
        for j, f in enumerate(features):
            n_bins = n_edges[j] + 1
            qts = self.edges[f].tolist()
            self.means[f] = means[j, :n_bins].tolist()
            self.stds[f] = stds[j, :n_bins].tolist()
            self.mins[f] = [float(lows[j])] + qts
            self.maxs[f] = qts + [float(highs[j])]

    def bins(self, data: np.ndarray, labels: Any) -> list:
        """Return, for each feature in ``to_discretize``, its inner bin boundaries.

        Override this in a subclass to implement a custom discretization.

        Parameters
        ----------
        data : numpy.ndarray of shape (n_samples, n_features)
        labels : array-like or None

        Returns
        -------
        list of numpy.ndarray
        """
        raise NotImplementedError("Must override bins() method")

    def discretize(self, data: Any) -> np.ndarray:
        """Replace the value of every discretized feature by its bin index.

        Parameters
        ----------
        data : numpy.ndarray of shape (n_features,) or (n_samples, n_features)

        Returns
        -------
        numpy.ndarray
            A copy of ``data`` (same shape and dtype) with bin indices in the discretized columns.
        """
        arr = np.asarray(data)
        ret = arr.copy()
        if arr.ndim == 1:
            for feature, qts in self.edges.items():
                ret[feature] = int(np.searchsorted(qts, arr[feature]))
        elif arr.ndim == 2:
            for feature, qts in self.edges.items():
                ret[:, feature] = np.searchsorted(qts, arr[:, feature])
        else:
            raise ValueError(f"data must be a 1-D or 2-D array; got {describe(arr)}")
        return ret

    def undiscretized_features(self) -> list:
        """The features :meth:`undiscretize` samples values for, in column order of its input."""
        return [f for f in self.means if f in self.edges]

    def get_undiscretize_values(self, feature: int, values: Any) -> np.ndarray:
        """Sample one value inside each bin of ``values`` for ``feature``.

        Parameters
        ----------
        feature : int
            A discretized feature.
        values : array-like of int
            Bin indices.

        Returns
        -------
        numpy.ndarray of float, same shape as ``values``
        """
        if feature not in self.means:
            raise ValueError(f"feature must be a discretized feature; got {describe(feature)}")
        bins = np.asarray(values).astype(int)
        flat = bins.reshape(-1, 1)
        return self._sample_in_bins([feature], flat).reshape(bins.shape)

    def undiscretize(self, data: Any, *, uniforms: Any = None) -> np.ndarray:
        """Replace bin indices by values sampled inside the bins.

        Each value follows the training values' normal distribution within its bin, truncated
        to the bin's ``[min, max]``, and always discretizes back to the same bin.

        Parameters
        ----------
        data : numpy.ndarray of shape (n_features,) or (n_samples, n_features)
            Bin indices in the discretized columns; other columns are copied unchanged.
        uniforms : numpy.ndarray of shape (n_samples, n_values), optional
            Uniforms in ``(0, 1)``, one per row and per feature of
            :meth:`undiscretized_features` (in that order), turned into values by the inverse
            CDF of the truncated normals instead of drawing from ``random_state`` (the tabular
            explainer's stratified sampler passes stratified uniforms here).

        Returns
        -------
        numpy.ndarray of float
        """
        arr = np.array(data, dtype=float, copy=True)
        if arr.ndim not in (1, 2):
            raise ValueError(f"data must be a 1-D or 2-D array; got {describe(arr)}")
        rows = arr[None, :] if arr.ndim == 1 else arr
        features = self.undiscretized_features()
        if uniforms is not None:
            uniforms = np.asarray(uniforms, dtype=float).reshape(rows.shape[0], -1)
            if uniforms.shape[1] != len(features):
                raise ValueError(
                    f"uniforms must have shape ({rows.shape[0]}, {len(features)}) (one column "
                    f"per undiscretized feature); got {uniforms.shape}"
                )
        if not features or not rows.shape[0]:
            return arr
        if features == list(range(rows.shape[1])):
            # Every column binned: the values are drawn straight into the copy of the bins.
            self._sample_in_bins(features, rows, uniforms, out=rows)
        else:
            columns = np.asarray(features)
            rows[:, columns] = self._sample_in_bins(features, rows[:, columns], uniforms)
        return arr

    def _sample_in_bins(
        self,
        features: list,
        bins: np.ndarray,
        uniforms: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Values sampled in bins ``bins[:, j]`` of feature ``features[j]`` (vectorised).

        Everything that depends only on the (feature, bin) pair is computed once on a small
        table (see :class:`_BinTable`, cached per feature tuple); each sample then costs a few
        gathers and a clip. Given ``uniforms`` (same shape as ``bins``), values are their
        inverse-CDF images instead. ``out`` (C-contiguous float64, shaped like ``bins``, and
        possibly ``bins`` itself) receives the values.
        """
        n_bins = np.array([self.edges[f].size + 1 for f in features])
        # Written so that NaN bin indices fail too; one pass of comparisons, not min and max.
        valid = bins >= 0
        valid &= bins < n_bins
        if not valid.all():
            lowest, highest = bins.min(axis=0), bins.max(axis=0)
            j = int(np.flatnonzero(~((lowest >= 0) & (highest < n_bins)))[0])
            raise ValueError(
                f"bin indices of feature {features[j]} must be integers in [0, {n_bins[j] - 1}]; "
                f"got values from {lowest[j]} to {highest[j]}"
            )
        table = self._bin_table(features)
        if uniforms is not None:
            values = table.quantile(bins.astype(np.intp) + table.offsets, uniforms)
        else:
            use_out = out is not None and out.flags.c_contiguous and out.dtype == np.float64
            values = table.sample(
                bins, spawn_generator(self.random_state), out=out if use_out else None
            )
            if values is out:
                return out
        if out is not None:
            out[...] = values
            return out
        return values

    def _bin_table(self, features: list) -> _BinTable:
        """The cached :class:`_BinTable` of ``features`` (see :class:`_BinTableCache`)."""
        cache = self.__dict__.get("_bin_tables")
        if cache is None:  # also a subclass that did not call BaseDiscretizer.__init__
            cache = self._bin_tables = _BinTableCache()
        return cache.table(self, features)


class StatsDiscretizer(BaseDiscretizer):
    """A discretizer whose bins and statistics are given in ``data_stats``.

    ``data_stats`` needs ``'bins'`` (``{feature: boundaries}``), and ``'means'``, ``'stds'``,
    ``'mins'``, ``'maxs'`` (``{feature: one value per bin}``). Continuous features that have no
    entry in ``data_stats['bins']`` are not discretized. Keys may be ints or strings.
    """

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[Any],
        labels: Any = None,
        random_state: RandomStateLike = None,
        data_stats: Mapping | None = None,
    ) -> None:
        if not isinstance(data_stats, Mapping):
            raise TypeError(
                "data_stats must be a dict with 'bins', 'means', 'stds', 'mins' and 'maxs'; "
                f"got {describe(data_stats)}"
            )
        missing = [k for k in ("bins", "means", "stds", "mins", "maxs") if k not in data_stats]
        if missing:
            raise ValueError(f"data_stats is missing the keys {missing}")
        BaseDiscretizer.__init__(
            self,
            data,
            categorical_features,
            feature_names,
            labels=labels,
            random_state=random_state,
            data_stats=data_stats,
        )

    def bins(self, data: np.ndarray, labels: Any) -> list:
        """The boundaries from ``data_stats['bins']``; features without an entry are skipped."""
        given = self.data_stats.get("bins") if self.data_stats else None
        if not isinstance(given, Mapping):
            raise TypeError(
                f"data_stats['bins'] must be a dict keyed by feature index; got {describe(given)}"
            )
        kept, out = [], []
        for feature in self.to_discretize:
            try:
                boundaries = stats_lookup(given, feature, "data_stats['bins']")
            except ValueError:
                continue
            if boundaries is None:
                continue
            kept.append(feature)
            out.append(np.asarray(boundaries, dtype=float))
        self.to_discretize = kept
        return out


class QuartileDiscretizer(BaseDiscretizer):
    """Discretize continuous features into quartiles of the training data."""

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[Any],
        labels: Any = None,
        random_state: RandomStateLike = None,
    ) -> None:
        BaseDiscretizer.__init__(
            self,
            data,
            categorical_features,
            feature_names,
            labels=labels,
            random_state=random_state,
        )

    def bins(self, data: np.ndarray, labels: Any) -> list:
        """The 25th, 50th and 75th percentiles of each feature."""
        return _percentile_bins(data, self.to_discretize, [25, 50, 75])


class DecileDiscretizer(BaseDiscretizer):
    """Discretize continuous features into deciles of the training data."""

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[Any],
        labels: Any = None,
        random_state: RandomStateLike = None,
    ) -> None:
        BaseDiscretizer.__init__(
            self,
            data,
            categorical_features,
            feature_names,
            labels=labels,
            random_state=random_state,
        )

    def bins(self, data: np.ndarray, labels: Any) -> list:
        """The 10th, 20th, ..., 90th percentiles of each feature."""
        return _percentile_bins(data, self.to_discretize, list(range(10, 100, 10)))


class EntropyDiscretizer(BaseDiscretizer):
    """Discretize each continuous feature with the splits of a depth-3 entropy decision tree.

    Needs ``labels``; gives at most 8 bins per feature (the median when the tree makes no split).
    """

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[Any],
        labels: Any = None,
        random_state: RandomStateLike = None,
    ) -> None:
        if labels is None:
            raise ValueError(
                "labels must not be None when using EntropyDiscretizer (pass training_labels "
                "to the explainer)"
            )
        n_rows = np.shape(data)[0]
        if np.ndim(labels) != 1 or len(labels) != n_rows:
            raise ValueError(
                f"labels must be a 1-D array with one label per row of data ({n_rows}); got "
                f"{describe(labels if isinstance(labels, np.ndarray) else np.asarray(labels))}"
            )
        BaseDiscretizer.__init__(
            self,
            data,
            categorical_features,
            feature_names,
            labels=labels,
            random_state=random_state,
        )

    def bins(self, data: np.ndarray, labels: Any) -> list:
        """The split thresholds of a ``DecisionTreeClassifier(criterion='entropy', max_depth=3)``."""
        out = []
        for feature in self.to_discretize:
            tree = DecisionTreeClassifier(
                criterion="entropy", max_depth=3, random_state=self.random_state
            )
            column = data[:, feature].reshape(-1, 1)
            tree.fit(column, labels)
            thresholds = tree.tree_.threshold[tree.tree_.children_left > -1]
            if thresholds.size == 0:
                thresholds = np.array([np.median(column)])
            out.append(np.sort(thresholds))
        return out


def _percentile_bins(data: np.ndarray, features: list, percentiles: list) -> list:
    if not features:
        return []
    qts = np.percentile(data[:, features], percentiles, axis=0)
    return [qts[:, j] for j in range(len(features))]


def _bin_names(name: Any, qts: np.ndarray) -> list:
    names = [f"{name} <= {qts[0]:.2f}"]
    names += [f"{lo:.2f} < {name} <= {hi:.2f}" for lo, hi in zip(qts[:-1], qts[1:], strict=True)]
    names.append(f"{name} > {qts[-1]:.2f}")
    return names


def _as_2d_float(name: str, data: Any) -> np.ndarray:
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 2-D numeric array; got {describe(data)}") from err
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array; got {describe(arr)}")
    return arr
