"""LIME for tables: explain a model of feature vectors by perturbing values around a row.

How samples are built (lime 0.2.0.1's semantics):

* ``discretize_continuous=True`` (the default, dense training data): every continuous feature is
  cut into bins (quartiles, deciles, entropy splits or a custom :class:`BaseDiscretizer`). A
  sample draws, for every feature, a bin (or a category) with its training frequency, then a
  value inside the bin. The surrogate sees one binary feature per column: "is the sample in the
  instance's bin / category".
* ``discretize_continuous=False``: continuous features are drawn from a normal with the training
  mean and standard deviation (centred on the instance with ``sample_around_instance=True``) and
  the surrogate sees ``(x - mean) / std``; categorical features are drawn with their training
  frequencies and seen as "equal to the instance's value".
* Sparse ``data_row`` (``scipy.sparse``) without a discretizer: only the row's non-zero columns
  (and categorical columns) are perturbed and the surrogate sees ``x / std``.

Every sample is first a *raw* row (what the model takes); :class:`TabularPerturbation` maps raw
rows to model inputs and to the surrogate's representation. The explainer builds its own samples'
interpretable rows with the same :meth:`TabularPerturbation.to_interpretable` a what-if widget
uses, so the surrogate's estimate for an edited row is the one the explanation implies.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.special
from sklearn.preprocessing import StandardScaler

from . import html as html_view
from ._validation import (
    FEATURE_SELECTION_METHODS,
    MODES,
    check_callable,
    check_choice,
    check_column_indices,
    check_labels_argument,
    check_positive_float,
    check_positive_int,
    check_random_state,
    class_names_for,
    describe,
)
from .base import LimeBase, distances_to_first, make_kernel_fn
from .batching import predict_in_batches
from .discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
    stats_lookup,
)
from .explanation import DomainMapper, Explanation
from .sampling import check_sampler, spawn_generator, stratified_uniforms

__all__ = [
    "LimeTabularExplainer",
    "RecurrentTabularExplainer",
    "TableDomainMapper",
    "TabularExplanation",
    "TabularPerturbation",
]

DISCRETIZERS = {
    "quartile": QuartileDiscretizer,
    "decile": DecileDiscretizer,
    "entropy": EntropyDiscretizer,
}
SAMPLING_METHODS = ("gaussian", "lhs")
TRAINING_DATA_STATS_KEYS = (
    "means",
    "mins",
    "maxs",
    "stds",
    "feature_values",
    "feature_frequencies",
)


# --------------------------------------------------------------------------- domain mapper
class TableDomainMapper(DomainMapper):
    """Maps feature ids to names (or bin conditions) and renders the explained row as a table.

    Parameters
    ----------
    feature_names : list of str
        Names in column order; categorical features read ``name=value``.
    feature_values : list of str
        The row's values as display strings (only the non-zero ones in the sparse case).
    scaled_row : numpy.ndarray or scipy.sparse matrix
        The row in the surrogate's representation.
    categorical_features : sequence of int
        Columns the surrogate sees as binary.
    discretized_feature_names : list of str, optional
        Names of the instance's bins (``'0.30 < petal width (cm) <= 1.30'``), used by
        :meth:`map_exp_ids` when given.
    feature_indexes : sequence of int, optional
        Columns of the non-zero values (sparse rows).
    """

    def __init__(
        self,
        feature_names: Sequence[str],
        feature_values: Sequence[str],
        scaled_row: Any,
        categorical_features: Sequence[int],
        discretized_feature_names: Sequence[str] | None = None,
        feature_indexes: Sequence[int] | None = None,
    ) -> None:
        self.exp_feature_names = feature_names
        self.discretized_feature_names = discretized_feature_names
        self.feature_names = feature_names
        self.feature_values = feature_values
        self.feature_indexes = feature_indexes
        self.scaled_row = scaled_row
        if sp.issparse(scaled_row):
            self.all_categorical = False
        else:
            self.all_categorical = len(categorical_features) == len(scaled_row)
        self.categorical_features = categorical_features

    def map_exp_ids(self, exp: list) -> list:
        """Map ``[(feature_id, weight), ...]`` to ``[(name, weight), ...]``.

        Discretized explanations use the instance's bin conditions as names.
        """
        names = self.exp_feature_names
        if self.discretized_feature_names is not None:
            names = self.discretized_feature_names
        return [(names[x[0]], x[1]) for x in exp]

    def table_rows(self, exp: list, show_all: bool = False) -> list:
        """``[(name, value string, weight), ...]`` as the instance table shows them.

        Parameters
        ----------
        exp : list of (int, float)
            The explanation for one label.
        show_all : bool, default=False
            Show every feature (every non-zero one for sparse rows), not only those in ``exp``.
        """
        weights = dict((int(f), float(w)) for f, w in exp)
        if self.feature_indexes is not None:
            value_of = dict(
                zip((int(i) for i in self.feature_indexes), self.feature_values, strict=True)
            )
            ids = [int(i) for i in self.feature_indexes] if show_all else [int(f) for f, _ in exp]
            return [
                (self.exp_feature_names[i], value_of.get(i, "0.00"), weights.get(i, 0.0))
                for i in ids
            ]
        ids = range(len(self.exp_feature_names)) if show_all else [int(f) for f, _ in exp]
        return [
            (self.exp_feature_names[i], self.feature_values[i], weights.get(i, 0.0)) for i in ids
        ]

    def visualize_instance_html(
        self,
        exp: list,
        label: int,
        div_name: str,
        exp_object_name: str,
        show_table: bool = True,
        show_all: bool = False,
    ) -> str:
        """The explained row as a static HTML table, each row coloured by its feature's weight.

        Parameters
        ----------
        exp : list of (int, float)
            The explanation for ``label``.
        label : int
            The explained label.
        div_name, exp_object_name : str
            Accepted for compatibility with lime and ignored (no script is produced).
        show_table : bool, default=True
            If False, return ``''``.
        show_all : bool, default=False
            Show features with zero weight too.

        Returns
        -------
        str
            An HTML fragment; every name and value is escaped.
        """
        if not show_table:
            return ""
        rows = self.table_rows(exp, show_all=show_all)
        max_abs = max((abs(w) for _, _, w in rows), default=0.0)
        body = []
        for name, value, weight in rows:
            style = (
                f' style="background:{html_view.weight_color(weight, max_abs)}"' if weight else ""
            )
            body.append(
                f'<tr{style} title="weight {html_view.fmt(weight)}">'
                f"<td>{html_view.esc(name)}</td><td>{html_view.esc(value)}</td></tr>"
            )
        return (
            '<div class="lw-panel lw-instance"><div class="lw-title">Feature values</div>'
            '<table class="lw-table"><thead><tr><th>Feature</th><th>Value</th></tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )


class TabularExplanation(Explanation):
    """The explanation of one table row (see :class:`~limewidgets.engine.explanation.Explanation`).

    In regression mode, like lime, ``local_exp[1]`` holds the surrogate's weights and
    ``local_exp[0]`` their negations (``intercept``, ``score``, ``local_pred`` and ``fidelity``
    are stored under both keys); ``as_list()`` returns the true weights.
    """

    kind = "tabular"


# --------------------------------------------------------------------------- perturbation
class TabularPerturbation:
    """Maps raw feature rows to model inputs and to the surrogate's representation.

    This is the :class:`~limewidgets.engine.perturbation.Perturbation` of tabular explanations.
    Edit-space rows are raw feature rows (for the recurrent explainer, flattened feature-major
    like its feature names ``name_t-k``). Each feature follows one rule (see
    :meth:`feature_rules`): ``'bin'`` (1 if the value is in the instance's bin), ``'equal'``
    (1 if it equals the instance's category) or ``'scale'`` (``(x - mean) / scale``).

    Parameters
    ----------
    instance : numpy.ndarray of shape (n_features,)
        The explained row (raw values).
    feature_names : list of str
        Plain column names.
    categorical_features : list of int
        Columns the user declared categorical.
    categorical_names : dict
        ``{feature: names}`` with ``names[int(value)]`` the name of a category.
    category_values : dict
        ``{feature: list of raw values}`` seen in training, for the columns compared by equality.
    edges : dict
        ``{feature: sorted inner bin boundaries}`` of the discretized columns.
    mean, scale : numpy.ndarray of shape (n_features,)
        Centring and scaling of the ``'scale'`` columns.
    feature_min, feature_max : numpy.ndarray of shape (n_features,)
        A sensible editing range per column.
    input_shape : tuple of int, optional
        ``(n_timesteps, n_features_per_step)`` when the model takes 3-D input (recurrent).
    sparse_input : bool, default=False
        Give the model ``scipy.sparse`` CSR matrices.

    Attributes
    ----------
    n_features : int
    rule_types : numpy.ndarray of str
        ``'bin'``, ``'equal'`` or ``'scale'`` per feature.
    """

    def __init__(
        self,
        instance: np.ndarray,
        feature_names: Sequence[str],
        categorical_features: Sequence[int],
        categorical_names: Mapping,
        category_values: Mapping,
        edges: Mapping,
        mean: np.ndarray,
        scale: np.ndarray,
        feature_min: np.ndarray,
        feature_max: np.ndarray,
        input_shape: tuple[int, int] | None = None,
        sparse_input: bool = False,
    ) -> None:
        self.instance = np.asarray(instance, dtype=float).copy()
        self.n_features = self.instance.size
        self.feature_names = [str(n) for n in feature_names]
        self.categorical_features = [int(f) for f in categorical_features]
        self.categorical_names = categorical_names
        self.category_values = category_values
        self.edges = edges
        self.mean = np.asarray(mean, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        self.feature_min = np.asarray(feature_min, dtype=float)
        self.feature_max = np.asarray(feature_max, dtype=float)
        self.input_shape = input_shape
        self.sparse_input = sparse_input

        # Compile the rules into three column groups so that to_interpretable is three
        # vectorised expressions whatever the number of rows.
        types = np.full(self.n_features, "scale", dtype=object)
        types[list(category_values)] = "equal"
        types[list(edges)] = "bin"
        self.rule_types = types
        self._bin_cols = np.flatnonzero(types == "bin")
        self._equal_cols = np.flatnonzero(types == "equal")
        self._scale_cols = np.flatnonzero(types == "scale")
        lows, highs = [], []
        for f in self._bin_cols:
            qts = np.asarray(edges[f], dtype=float)
            k = int(np.searchsorted(qts, self.instance[f]))
            lows.append(qts[k - 1] if k > 0 else -np.inf)
            highs.append(qts[k] if k < qts.size else np.inf)
        self._bin_low = np.array(lows, dtype=float)
        self._bin_high = np.array(highs, dtype=float)
        self._equal_values = self.instance[self._equal_cols]

    # ------------------------------------------------------------------ protocol
    def initial_state(self) -> np.ndarray:
        """The explained row's raw values, shape ``(n_features,)``."""
        return self.instance.copy()

    def make_instances(self, rows: Any) -> Any:
        """Model inputs for raw rows of shape ``(n, n_features)``.

        Returns the rows themselves (float array), reshaped to ``(n, n_timesteps, n_features)``
        for a recurrent model, or as a CSR matrix when the explained row was sparse.
        """
        if sp.issparse(rows):
            if self.sparse_input and self.input_shape is None:
                return self._check_sparse_width(rows.tocsr())
            rows = rows.toarray()
        arr = self._as_rows(rows)
        if self.input_shape is not None:
            n_steps, n_per_step = self.input_shape
            return np.transpose(arr.reshape(arr.shape[0], n_per_step, n_steps), (0, 2, 1))
        if self.sparse_input:
            return sp.csr_matrix(arr)
        return arr

    def to_interpretable(self, rows: Any) -> Any:
        """The surrogate's representation of raw rows.

        Parameters
        ----------
        rows : array-like of shape (n, n_features) or (n_features,), or a sparse matrix

        Returns
        -------
        numpy.ndarray of shape (n, n_features)
            (CSR matrix for sparse input): ``'bin'`` columns are 1.0 where the value falls in the
            instance's bin, ``'equal'`` columns 1.0 where it equals the instance's value,
            ``'scale'`` columns ``(x - mean) / scale``.
        """
        if sp.issparse(rows):
            return self._to_interpretable_sparse(rows.tocsr())
        x = self._as_rows(rows)
        out = np.empty_like(x)
        if self._bin_cols.size:
            cols = self._columns(self._bin_cols)
            values = x[:, cols]
            out[:, cols] = (values > self._bin_low) & (values <= self._bin_high)
        if self._equal_cols.size:
            cols = self._columns(self._equal_cols)
            out[:, cols] = x[:, cols] == self._equal_values
        if self._scale_cols.size:
            cols = self._columns(self._scale_cols)
            out[:, cols] = (x[:, cols] - self.mean[cols]) / self.scale[cols]
        return out

    def _columns(self, cols: np.ndarray) -> slice | np.ndarray:
        # A group that is every column is indexed with a slice: a view, not a copy.
        return slice(None) if cols.size == self.n_features else cols

    def _check_sparse_width(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        if rows.shape[1] != self.n_features:
            raise ValueError(
                f"rows must have {self.n_features} columns (one per feature); got shape "
                f"{rows.shape}"
            )
        return rows

    def _to_interpretable_sparse(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        self._check_sparse_width(rows)
        if self._bin_cols.size or np.any(self.mean[self._scale_cols] != 0):
            # Centring or binning makes the result dense anyway.
            return sp.csr_matrix(self.to_interpretable(rows.toarray()))
        factor = np.zeros(self.n_features)
        factor[self._scale_cols] = 1.0 / self.scale[self._scale_cols]
        out = sp.csr_matrix(rows.multiply(factor[None, :]))
        if self._equal_cols.size:
            equal = rows[:, self._equal_cols].toarray() == self._equal_values
            r, c = np.nonzero(equal)
            out = out + sp.csr_matrix((np.ones(r.size), (r, self._equal_cols[c])), shape=rows.shape)
        return out.tocsr()

    def _as_rows(self, rows: Any) -> np.ndarray:
        try:
            x = np.asarray(rows, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(f"rows must be a numeric array; got {describe(rows)}") from err
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"rows must have shape (n, {self.n_features}) (one raw value per feature); "
                f"got {describe(x)}"
            )
        return x

    # ------------------------------------------------------------------ for widgets
    def feature_rules(self) -> list[dict]:
        """One JSON-able rule per feature that reproduces :meth:`to_interpretable`.

        Returns
        -------
        list of dict
            ``{"type": "bin", "lo": float|None, "hi": float|None}`` (1 if ``lo < x <= hi``,
            ``None`` unbounded), ``{"type": "equal", "value": float}`` (1 if ``x == value``) or
            ``{"type": "scale", "mean": float, "scale": float}`` (``(x - mean) / scale``).
        """
        rules: list[dict] = [{} for _ in range(self.n_features)]
        for f, lo, hi in zip(self._bin_cols, self._bin_low, self._bin_high, strict=True):
            rules[f] = {
                "type": "bin",
                "lo": float(lo) if np.isfinite(lo) else None,
                "hi": float(hi) if np.isfinite(hi) else None,
            }
        for f, value in zip(self._equal_cols, self._equal_values, strict=True):
            rules[f] = {"type": "equal", "value": float(value)}
        for f in self._scale_cols:
            rules[f] = {"type": "scale", "mean": float(self.mean[f]), "scale": float(self.scale[f])}
        return rules

    def format_value(self, feature: int, value: float) -> str:
        """A display string for ``value`` of ``feature`` (category name or ``'%.2f'``)."""
        if self.rule_types[feature] == "equal":
            return _category_name(self.categorical_names, feature, value)
        return f"{float(value):.2f}"

    def feature_info(self) -> list[dict]:
        """What a what-if editor needs per feature (JSON-able).

        Returns
        -------
        list of dict
            ``{"name", "value", "display", "categorical", "options", "min", "max", "step"}``:
            ``value`` is the instance's raw value; ``categorical`` is True for columns compared
            by equality, whose ``options`` are ``[[raw value, name], ...]`` (else ``None``);
            ``min``/``max``/``step`` give a slider range (training range, widened to include
            the value).
        """
        info = []
        for f in range(self.n_features):
            value = float(self.instance[f])
            categorical = self.rule_types[f] == "equal"
            options = None
            lo, hi = float(self.feature_min[f]), float(self.feature_max[f])
            if categorical:
                raw = [float(v) for v in self.category_values.get(f, [])]
                if value not in raw:
                    raw.append(value)
                raw.sort()
                options = [[v, _category_name(self.categorical_names, f, v)] for v in raw]
                lo, hi = raw[0], raw[-1]
                step = None
            else:
                lo, hi = min(lo, value), max(hi, value)
                if not hi > lo:
                    lo, hi = value - 1.0, value + 1.0
                step = _nice_step(hi - lo)
            info.append(
                {
                    "name": self.feature_names[f],
                    "value": value,
                    "display": self.format_value(f, value),
                    "categorical": bool(categorical),
                    "options": options,
                    "min": lo,
                    "max": hi,
                    "step": step,
                }
            )
        return info


# --------------------------------------------------------------------------- explainer
class LimeTabularExplainer:
    """Explains predictions on tabular data (lime 0.2.0.1-compatible).

    Continuous features are perturbed by sampling bins (``discretize_continuous=True``) or
    normals with the training mean and standard deviation; categorical features by sampling
    their training distribution. A weighted linear surrogate is then fitted on the
    interpretable representation (see the module docstring).

    Parameters
    ----------
    training_data : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        Training data, used for statistics (means, standard deviations, bins, frequencies).
    mode : {'classification', 'regression'}, default='classification'
    training_labels : array-like of shape (n_samples,), optional
        Needed by ``discretizer='entropy'``.
    feature_names : list of str, optional
        Column names (default ``'0'``, ``'1'``, ...; a DataFrame's columns when given one).
    categorical_features : list of int, optional
        Categorical columns (their values must be integers for ``categorical_names``).
    categorical_names : dict, optional
        ``{feature: names}``: ``names[v]`` is the name of value ``v`` of a categorical column.
    kernel_width : float, optional
        Width of the exponential kernel; default ``0.75 * sqrt(n_features)``.
    kernel : callable, optional
        ``kernel(distances, kernel_width) -> weights``; default exponential.
    verbose : bool, default=False
        Print the surrogate's intercept and local prediction.
    class_names : list of str, optional
        Class names (default ``'0'``, ``'1'``, ...).
    feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
    discretize_continuous : bool, default=True
        Discretize continuous features (ignored for sparse ``training_data``).
    discretizer : {'quartile', 'decile', 'entropy'} or BaseDiscretizer, default='quartile'
    sample_around_instance : bool, default=False
        Centre the continuous samples on the instance instead of the training mean (only
        without discretization).
    random_state : int, RandomState or None, optional
        Seeds all sampling; two explainers with the same seed give identical explanations.
    training_data_stats : dict, optional
        Precomputed statistics (keys ``means``, ``mins``, ``maxs``, ``stds``,
        ``feature_values``, ``feature_frequencies`` and, to discretize, ``bins``) used instead
        of ``training_data``'s.

    Attributes
    ----------
    discretizer : BaseDiscretizer or None
    categorical_features : list of int
        All columns when discretizing (every column is then binary for the surrogate).
    feature_values, feature_frequencies : dict
        Values (bin indices for discretized columns) and their training frequencies.
    scaler : sklearn.preprocessing.StandardScaler
        Training means and scales (0 and 1 for categorical columns).
    base : LimeBase

    Notes
    -----
    Differences from lime 0.2.0.1, all bug fixes or clearer failures:

    * sparse rows: the surrogate sees ``x / std``; lime multiplied by the std;
    * a sparse row with dense training data is discretized like a dense one (lime crashed);
    * ``class_names`` is not frozen by the first call (a later model with more classes works);
    * ``score``, ``local_pred`` and ``fidelity`` are kept per label;
    * a degenerate bin (one training value) is sampled as that value, not as ``0.0``;
    * a classifier returning 1-D output, rows of the wrong length, NaN and missing
      ``training_data_stats`` keys raise ``ValueError`` naming the argument;
    * ``training_data_stats`` read back from JSON (string keys) works.
    """

    def __init__(
        self,
        training_data: Any,
        mode: str = "classification",
        training_labels: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        categorical_names: Mapping | None = None,
        kernel_width: float | None = None,
        kernel: Callable | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        discretize_continuous: bool = True,
        discretizer: str | BaseDiscretizer = "quartile",
        sample_around_instance: bool = False,
        random_state: Any = None,
        training_data_stats: Mapping | None = None,
    ) -> None:
        self.random_state = check_random_state(random_state)
        self.mode = check_choice("mode", mode, MODES)
        self.categorical_names = categorical_names or {}
        if not isinstance(self.categorical_names, Mapping):
            raise TypeError(
                "categorical_names must be a dict {feature index: list of names}; got "
                f"{describe(categorical_names)}"
            )
        self.sample_around_instance = sample_around_instance
        self.training_data_stats = training_data_stats
        if training_data_stats:
            self.validate_training_data_stats(training_data_stats)

        if feature_names is None and hasattr(training_data, "columns"):
            feature_names = [str(c) for c in training_data.columns]
        training = _check_training_data(training_data)
        n_features = training.shape[1]
        if feature_names is None:
            feature_names = [str(i) for i in range(n_features)]
        feature_names = list(feature_names)
        if len(feature_names) != n_features:
            raise ValueError(
                f"feature_names must have one name per column of training_data ({n_features}); "
                f"got {len(feature_names)} names"
            )
        self.feature_names = feature_names
        self.categorical_features = check_column_indices(
            "categorical_features", categorical_features, n_features
        )
        # The user's categorical columns; categorical_features becomes every column once
        # continuous ones are discretized (as in lime).
        self._declared_categorical = list(self.categorical_features)
        self.feature_selection = check_choice(
            "feature_selection", feature_selection, FEATURE_SELECTION_METHODS
        )

        self.discretizer = None
        discretized_training = None
        if discretize_continuous and not sp.issparse(training):
            if training_data_stats:
                discretizer = StatsDiscretizer(
                    training,
                    self.categorical_features,
                    self.feature_names,
                    labels=training_labels,
                    data_stats=training_data_stats,
                    random_state=self.random_state,
                )
            if isinstance(discretizer, BaseDiscretizer):
                self.discretizer = discretizer
            elif isinstance(discretizer, str) and discretizer in DISCRETIZERS:
                self.discretizer = DISCRETIZERS[discretizer](
                    training,
                    self.categorical_features,
                    self.feature_names,
                    labels=training_labels,
                    random_state=self.random_state,
                )
            else:
                raise ValueError(
                    "discretizer must be 'quartile', 'decile', 'entropy' or a BaseDiscretizer "
                    f"instance; got {describe(discretizer)}"
                )
            edges = getattr(self.discretizer, "edges", {})
            if any(not 0 <= f < n_features for f in edges):
                raise ValueError(
                    f"discretizer bins columns {sorted(edges)} but training_data has "
                    f"{n_features} columns"
                )
            self.categorical_features = list(range(n_features))
            if training_data_stats is None:
                discretized_training = self.discretizer.discretize(training)

        if kernel_width is None:
            kernel_width = np.sqrt(n_features) * 0.75
        self.kernel_width = check_positive_float("kernel_width", kernel_width)
        if kernel is not None:
            check_callable("kernel", kernel)
        self.base = LimeBase(
            make_kernel_fn(kernel, self.kernel_width), verbose, random_state=self.random_state
        )
        self.class_names = class_names

        self.scaler = StandardScaler(with_mean=False)
        self.scaler.fit(training)
        self.feature_values: dict = {}
        self.feature_frequencies: dict = {}
        self._category_cdf: dict = {}
        self._category_cache: dict = {}
        discretized_edges = getattr(self.discretizer, "edges", {}) if self.discretizer else {}
        for feature in self.categorical_features:
            if training_data_stats is None:
                if discretized_training is not None:
                    column = discretized_training[:, feature]
                elif sp.issparse(training):
                    column = training[:, feature].toarray().ravel()
                else:
                    column = training[:, feature]
                values, counts = _value_counts(column, binned=feature in discretized_edges)
            else:
                values, counts = _stats_categories(training_data_stats, feature)
            frequencies = np.asarray(counts, dtype=float) / float(np.sum(counts))
            self.feature_values[feature] = values.tolist()
            self.feature_frequencies[feature] = frequencies
            self._category_cdf[feature] = (np.asarray(values, dtype=float), np.cumsum(frequencies))
            self.scaler.mean_[feature] = 0
            self.scaler.scale_[feature] = 1
        self._feature_min, self._feature_max = self._editing_ranges(training)

    # ------------------------------------------------------------------ lime's static helpers
    @staticmethod
    def convert_and_round(values: Iterable[float]) -> list[str]:
        """Format values with two decimals (``'%.2f'``), as lime's tables show them."""
        return [f"{v:.2f}" for v in values]

    @staticmethod
    def validate_training_data_stats(training_data_stats: Mapping) -> None:
        """Check that ``training_data_stats`` has every key lime needs.

        Raises
        ------
        ValueError
            Naming the missing keys (lime raised a bare ``Exception``; ``ValueError`` is one).
        """
        if not isinstance(training_data_stats, Mapping):
            raise TypeError(
                "training_data_stats must be a dict with keys "
                f"{list(TRAINING_DATA_STATS_KEYS)}; got {describe(training_data_stats)}"
            )
        missing = [k for k in TRAINING_DATA_STATS_KEYS if k not in training_data_stats]
        if missing:
            raise ValueError(f"Missing keys in training_data_stats. Details: {missing}")

    # ------------------------------------------------------------------ explaining
    def explain_instance(
        self,
        data_row: Any,
        predict_fn: Callable[[Any], Any],
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int = 5000,
        distance_metric: str = "euclidean",
        model_regressor: Any = None,
        *,
        batch_size: int | None = None,
        progress_bar: bool = False,
        sampling_method: str = "gaussian",
        sampler: str = "lime",
    ) -> TabularExplanation:
        """Explain the model's prediction for one row.

        Parameters
        ----------
        data_row : array-like of shape (n_features,) or scipy.sparse matrix of shape (1, n_features)
            The row to explain.
        predict_fn : callable
            Classification: ``predict_fn(X) -> (n, n_classes)`` probabilities (e.g.
            ``predict_proba``). Regression: ``predict_fn(X) -> (n,)`` values.
        labels : iterable of int, default=(1,)
            Class indices to explain (classification; ignored when ``top_labels`` is given).
        top_labels : int, optional
            Explain the ``top_labels`` most probable classes instead.
        num_features : int, default=10
            Maximum number of features per label.
        num_samples : int, default=5000
            Neighbourhood size, the row itself included.
        distance_metric : str or callable, default='euclidean'
            Metric on the interpretable representation.
        model_regressor : regressor, optional
            Surrogate (default ``Ridge(alpha=1)``).
        batch_size : int or None, default=None
            Rows per ``predict_fn`` call; ``None`` sends all samples at once (lime's behaviour).
        progress_bar : bool, default=False
            Show a progress bar over the model calls.
        sampling_method : {'gaussian', 'lhs'}, default='gaussian'
            How continuous features are drawn without discretization when ``sampler='lime'``:
            independent normals, or a Latin hypercube mapped through the normal quantile
            function (lower variance). Ignored with ``sampler='stratified'``, which stratifies
            these columns too.
        sampler : {'lime', 'stratified'}, default='lime'
            ``'lime'`` draws every sample independently (lime's rule). ``'stratified'`` gives
            every sample exactly the same distribution (each bin or category with its training
            frequency, values within bins and continuous values from the same normals) but
            draws all samples jointly from a scrambled Sobol' sequence, so that every column's
            bins come out in close to their exact proportions and so do pairs of columns: the
            explanation is the same in expectation and varies less from seed to seed (see
            :mod:`limewidgets.engine.sampling`).

        Returns
        -------
        TabularExplanation
        """
        return self._explain(
            data_row,
            predict_fn,
            labels=labels,
            top_labels=top_labels,
            num_features=num_features,
            num_samples=num_samples,
            distance_metric=distance_metric,
            model_regressor=model_regressor,
            batch_size=batch_size,
            progress_bar=progress_bar,
            sampling_method=sampling_method,
            sampler=sampler,
            input_shape=None,
            fn_name="predict_fn",
        )

    def _explain(
        self,
        data_row: Any,
        predict_fn: Callable[[Any], Any],
        labels: Iterable[int],
        top_labels: int | None,
        num_features: int,
        num_samples: int,
        distance_metric: Any,
        model_regressor: Any,
        batch_size: int | None,
        progress_bar: bool,
        sampling_method: str,
        sampler: str,
        input_shape: tuple[int, int] | None,
        fn_name: str,
    ) -> TabularExplanation:
        row, sparse_row = self._check_data_row(data_row)
        check_callable(fn_name, predict_fn)
        labels = check_labels_argument("labels", labels)
        if top_labels is not None and top_labels != 0:
            top_labels = check_positive_int("top_labels", top_labels)
        num_features = check_positive_int("num_features", num_features)
        num_samples = check_positive_int("num_samples", num_samples)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        check_choice("sampling_method", sampling_method, SAMPLING_METHODS)
        check_sampler(sampler)
        if not isinstance(distance_metric, str) and not callable(distance_metric):
            raise TypeError(
                f"distance_metric must be a metric name or a callable; got "
                f"{describe(distance_metric)}"
            )

        sparse_sampling = sparse_row is not None and self.discretizer is None
        perturbation = self._perturbation(row, sparse_row is not None, sparse_sampling, input_shape)
        if sparse_sampling:
            raw = self._sample_sparse(row, sparse_row, num_samples, sampling_method, sampler)
        else:
            raw = self._sample_dense(row, num_samples, sampling_method, sampler)
        interpretable = perturbation.to_interpretable(raw)
        distances = distances_to_first(interpretable, distance_metric)
        outputs = predict_in_batches(
            predict_fn,
            lambda start, stop: perturbation.make_instances(raw[start:stop]),
            num_samples,
            batch_size,
            mode=self.mode,
            progress_bar=progress_bar,
            name=fn_name,
        )

        explanation = TabularExplanation(
            self._domain_mapper(row, sparse_row, interpretable),
            mode=self.mode,
            class_names=None,
            random_state=self.random_state,
        )
        if self.mode == "classification":
            n_classes = outputs.shape[1]
            explanation.class_names = class_names_for(self.class_names, n_classes, "predict_fn")
            explanation.predict_proba = outputs[0]
            if top_labels:
                ranked = np.argsort(outputs[0], kind="stable")[::-1][:top_labels]
                labels = tuple(int(label) for label in ranked)
                explanation.top_labels = list(labels)
            for label in labels:
                if not 0 <= label < n_classes:
                    raise ValueError(
                        f"labels must be class indices in [0, {n_classes}) since {fn_name} "
                        f"returned {n_classes} columns; got {label}"
                    )
        else:
            explanation.predicted_value = float(outputs[0])
            explanation.min_value = float(outputs.min())
            explanation.max_value = float(outputs.max())
            labels = (0,)
        explanation.classifier_fn = predict_fn
        explanation.perturbation = perturbation
        explanation.num_samples = num_samples
        explanation.store_samples(raw, outputs, binary=False)

        weights = self.base.kernel_fn(distances)
        fits = self.base.fit_labels(
            interpretable,
            outputs,
            distances,
            labels,
            num_features,
            feature_selection=self.feature_selection,
            model_regressor=model_regressor,
            weights=weights,
        )
        for label, fit in fits.items():
            explanation.store_fit(label, fit)
        if self.mode == "regression":
            # lime's layout: the weights under label 1, their negations under label 0.
            for attribute in ("intercept", "score", "local_pred", "fidelity"):
                store = getattr(explanation, attribute)
                store[1] = store[0]
            explanation.local_exp[1] = list(explanation.local_exp[0])
            explanation.local_exp[0] = [(i, -w) for i, w in explanation.local_exp[1]]
        return explanation

    # ------------------------------------------------------------------ sampling
    def _sample_dense(
        self, row: np.ndarray, num_samples: int, sampling_method: str, sampler: str = "lime"
    ) -> np.ndarray:
        """Raw samples around ``row``; row 0 is ``row`` itself."""
        n_features = row.size
        samples = np.empty((num_samples, n_features))
        if sampler == "stratified":
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

        The sequence's first coordinates (the most evenly spread) choose the bins and
        categories, which are what the surrogate sees; the next ones the values inside the
        bins. Features are assigned to coordinates in a random order.
        """
        features = self.categorical_features
        discretizer = self.discretizer
        # A custom discretizer that overrides undiscretize keeps its own value sampling.
        own_values = type(discretizer).undiscretize is BaseDiscretizer.undiscretize
        value_features = discretizer.undiscretized_features() if own_values else []
        generator = spawn_generator(self.random_state)
        n_draws = len(features)
        uniforms = stratified_uniforms(generator, n_rows, n_draws + len(value_features))
        draw_uniforms = uniforms[:, :n_draws][:, generator.permutation(n_draws)]
        codes = self._draw_categories(n_rows, features, uniforms=draw_uniforms)
        if not own_values:
            return discretizer.undiscretize(codes)
        value_uniforms = uniforms[:, n_draws:][:, generator.permutation(len(value_features))]
        return discretizer.undiscretize(codes, uniforms=value_uniforms)

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
        categorical = np.asarray(categorical, dtype=int)
        if columns is None:
            continuous_columns, categorical_columns = continuous, categorical
        else:
            continuous_columns = np.searchsorted(columns, continuous)
            categorical_columns = np.searchsorted(columns, categorical)
        n_normals, n_draws = continuous.size, categorical.size
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, n_rows, n_normals + n_draws)
        uniforms = uniforms[:, generator.permutation(n_normals + n_draws)]
        if n_normals:
            centre = row if self.sample_around_instance else self.scaler.mean_
            noise = scipy.special.ndtri(uniforms[:, :n_normals])
            out[:, continuous_columns] = noise * self.scaler.scale_[continuous] + centre[continuous]
        if n_draws:
            out[:, categorical_columns] = self._draw_categories(
                n_rows, categorical.tolist(), uniforms=uniforms[:, n_normals:]
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
        self, n_rows: int, features: Sequence[int], uniforms: np.ndarray | None = None
    ) -> np.ndarray:
        """``n_rows`` values per column of ``features``, drawn with their training frequencies.

        Inverse-CDF sampling for all columns at once: the drawn index is the number of
        cumulative frequencies a uniform reaches. With few values per column (bins, small
        categoricals) that count is a handful of whole-matrix comparisons; with many it is one
        ``searchsorted`` over every column's CDF shifted by the column number. The uniforms are
        drawn from ``random_state`` unless given (shape ``(n_rows, len(features))``).

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

    # ------------------------------------------------------------------ pieces
    def _perturbation(
        self,
        row: np.ndarray,
        sparse_input: bool,
        sparse_sampling: bool,
        input_shape: tuple[int, int] | None,
    ) -> TabularPerturbation:
        edges = dict(getattr(self.discretizer, "edges", {})) if self.discretizer else {}
        # Columns compared by equality; discretize() leaves them raw, so their feature_values
        # are raw values (only binned columns hold bin indices).
        equal = {
            f: list(self.feature_values.get(f, []))
            for f in self.categorical_features
            if f not in edges
        }
        mean = np.zeros(row.size) if sparse_sampling else np.asarray(self.scaler.mean_, float)
        return TabularPerturbation(
            instance=row,
            feature_names=self.feature_names,
            categorical_features=self._declared_categorical,
            categorical_names=self.categorical_names,
            category_values=equal,
            edges=edges,
            mean=mean,
            scale=np.asarray(self.scaler.scale_, dtype=float),
            feature_min=self._feature_min,
            feature_max=self._feature_max,
            input_shape=input_shape,
            sparse_input=sparse_input,
        )

    def _domain_mapper(
        self, row: np.ndarray, sparse_row: sp.csr_matrix | None, interpretable: Any
    ) -> TableDomainMapper:
        feature_names = [str(n) for n in copy.deepcopy(self.feature_names)]
        if sparse_row is not None:
            feature_indexes = np.sort(np.unique(sparse_row.indices))
            values = self.convert_and_round(row[feature_indexes])
            position = {int(f): i for i, f in enumerate(feature_indexes)}
        else:
            feature_indexes = None
            values = self.convert_and_round(row)
            position = {i: i for i in range(row.size)}
        lambdas = getattr(self.discretizer, "lambdas", {}) if self.discretizer else {}
        for i in self.categorical_features:
            if i in lambdas:
                continue
            name = _category_name(self.categorical_names, i, row[i])
            feature_names[i] = f"{feature_names[i]}={name}"
            if i in position:
                values[position[i]] = "True"
        discretized_feature_names = None
        categorical_features: Sequence[int] = self.categorical_features
        if self.discretizer is not None:
            categorical_features = range(row.size)
            bins = self.discretizer.discretize(row)
            discretized_feature_names = list(feature_names)
            for f, names in self.discretizer.names.items():
                discretized_feature_names[f] = names[int(bins[f])]
        return TableDomainMapper(
            feature_names,
            values,
            interpretable[0],
            categorical_features=categorical_features,
            discretized_feature_names=discretized_feature_names,
            feature_indexes=feature_indexes,
        )

    def _check_data_row(self, data_row: Any) -> tuple[np.ndarray, sp.csr_matrix | None]:
        n_features = len(self.feature_names)
        if sp.issparse(data_row):
            sparse_row = sp.csr_matrix(data_row)
            if sparse_row.shape != (1, n_features):
                raise ValueError(
                    f"data_row must have shape (1, {n_features}) when sparse; got "
                    f"{sparse_row.shape}"
                )
            row = sparse_row.toarray().ravel().astype(float)
        else:
            sparse_row = None
            try:
                row = np.asarray(data_row, dtype=float)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"data_row must be a 1-D numeric array; got {describe(data_row)}"
                ) from err
            if row.ndim != 1 or row.size != n_features:
                raise ValueError(
                    f"data_row must be a 1-D array of {n_features} values (one per training "
                    f"column); got {describe(row)}"
                )
        bad = np.flatnonzero(~np.isfinite(row))
        if bad.size:
            raise ValueError(
                f"data_row contains NaN or infinite values at positions {bad[:10].tolist()}"
            )
        return row, sparse_row

    def _editing_ranges(self, training: Any) -> tuple[np.ndarray, np.ndarray]:
        """Training min/max per column (from the stats when given), mean ± 3 std if degenerate."""
        if sp.issparse(training):
            low = np.asarray(training.min(axis=0).toarray()).ravel().astype(float)
            high = np.asarray(training.max(axis=0).toarray()).ravel().astype(float)
        else:
            low, high = training.min(axis=0).astype(float), training.max(axis=0).astype(float)
        if self.discretizer is not None:
            for f in getattr(self.discretizer, "edges", {}):
                mins, maxs = self.discretizer.mins.get(f), self.discretizer.maxs.get(f)
                if mins and maxs:
                    low[f], high[f] = float(mins[0]), float(maxs[-1])
        stats = self.training_data_stats or {}
        degenerate = ~(high > low)
        if degenerate.any() and stats:
            for f in np.flatnonzero(degenerate):
                try:
                    mean = float(np.mean(stats_lookup(stats["means"], int(f), "means")))
                    std = float(np.max(stats_lookup(stats["stds"], int(f), "stds")))
                except (TypeError, ValueError, KeyError):
                    continue
                if std > 0:
                    low[f], high[f] = mean - 3 * std, mean + 3 * std
        return low, high


class RecurrentTabularExplainer(LimeTabularExplainer):
    """Explains recurrent (keras-style) models whose input is ``(n, n_timesteps, n_features)``.

    Training data and rows are flattened feature-major, so column ``f * n_timesteps + t`` is
    feature ``f`` at step ``t``, named ``'{name}_t-{n_timesteps - 1 - t}'``; the perturbation
    reshapes samples back to 3-D before calling the model.

    Parameters
    ----------
    training_data : numpy.ndarray of shape (n_samples, n_timesteps, n_features)
    feature_names : list of str, optional
        One name per feature (default ``'0'``, ``'1'``, ...).
    mode, training_labels, categorical_features, categorical_names, kernel_width, kernel, \
verbose, class_names, feature_selection, discretize_continuous, discretizer, random_state
        As in :class:`LimeTabularExplainer` (column indices refer to flattened columns).

    Attributes
    ----------
    n_timesteps : int
    n_features : int
        Features per time step.
    """

    def __init__(
        self,
        training_data: Any,
        mode: str = "classification",
        training_labels: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        categorical_names: Mapping | None = None,
        kernel_width: float | None = None,
        kernel: Callable | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        discretize_continuous: bool = True,
        discretizer: str | BaseDiscretizer = "quartile",
        random_state: Any = None,
    ) -> None:
        try:
            data = np.asarray(training_data, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"training_data must be a numeric array of shape (n_samples, n_timesteps, "
                f"n_features); got {describe(training_data)}"
            ) from err
        if data.ndim != 3:
            raise ValueError(
                "training_data must have shape (n_samples, n_timesteps, n_features); got "
                f"{describe(data)}"
            )
        n_samples, n_timesteps, n_features = data.shape
        flat = np.transpose(data, (0, 2, 1)).reshape(n_samples, n_timesteps * n_features)
        self.n_timesteps = n_timesteps
        self.n_features = n_features
        if feature_names is None:
            feature_names = [str(i) for i in range(n_features)]
        if len(feature_names) != n_features:
            raise ValueError(
                f"feature_names must have one name per feature ({n_features}); got "
                f"{describe(feature_names)}"
            )
        flat_names = [
            f"{name}_t-{n_timesteps - (i + 1)}"
            for name in feature_names
            for i in range(n_timesteps)
        ]
        super().__init__(
            flat,
            mode=mode,
            training_labels=training_labels,
            feature_names=flat_names,
            categorical_features=categorical_features,
            categorical_names=categorical_names,
            kernel_width=kernel_width,
            kernel=kernel,
            verbose=verbose,
            class_names=class_names,
            feature_selection=feature_selection,
            discretize_continuous=discretize_continuous,
            discretizer=discretizer,
            random_state=random_state,
        )

    def _make_predict_proba(self, func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap ``func`` (which takes 3-D input) to accept flattened 2-D rows (lime's helper)."""

        def predict_proba(rows: np.ndarray) -> Any:
            shaped = rows.reshape(rows.shape[0], self.n_features, self.n_timesteps)
            return func(np.transpose(shaped, (0, 2, 1)))

        return predict_proba

    def explain_instance(
        self,
        data_row: Any,
        classifier_fn: Callable[[Any], Any],
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int = 5000,
        distance_metric: str = "euclidean",
        model_regressor: Any = None,
        *,
        batch_size: int | None = None,
        progress_bar: bool = False,
        sampling_method: str = "gaussian",
        sampler: str = "lime",
    ) -> TabularExplanation:
        """Explain the model's prediction for one sequence.

        Parameters
        ----------
        data_row : numpy.ndarray of shape (n_timesteps, n_features)
            The sequence to explain.
        classifier_fn : callable
            Takes ``(n, n_timesteps, n_features)`` arrays; returns probabilities (or values in
            regression mode).
        labels, top_labels, num_features, num_samples, distance_metric, model_regressor, \
batch_size, progress_bar, sampling_method, sampler
            As in :meth:`LimeTabularExplainer.explain_instance`.

        Returns
        -------
        TabularExplanation
            Its ``classifier_fn`` is ``classifier_fn`` and its perturbation builds 3-D inputs.
        """
        try:
            sequence = np.asarray(data_row, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"data_row must be a numeric array of shape ({self.n_timesteps}, "
                f"{self.n_features}); got {describe(data_row)}"
            ) from err
        if sequence.shape != (self.n_timesteps, self.n_features):
            raise ValueError(
                f"data_row must have shape ({self.n_timesteps}, {self.n_features}) "
                f"(n_timesteps, n_features); got {describe(sequence)}"
            )
        return self._explain(
            sequence.T.reshape(self.n_timesteps * self.n_features),
            classifier_fn,
            labels=labels,
            top_labels=top_labels,
            num_features=num_features,
            num_samples=num_samples,
            distance_metric=distance_metric,
            model_regressor=model_regressor,
            batch_size=batch_size,
            progress_bar=progress_bar,
            sampling_method=sampling_method,
            sampler=sampler,
            input_shape=(self.n_timesteps, self.n_features),
            fn_name="classifier_fn",
        )


# --------------------------------------------------------------------------- helpers
def _check_training_data(training_data: Any) -> Any:
    if sp.issparse(training_data):
        data = sp.csr_matrix(training_data, dtype=float)
        if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError(f"training_data must be a non-empty 2-D matrix; got {data.shape}")
        if not np.all(np.isfinite(data.data)):
            raise ValueError("training_data contains NaN or infinite values")
        return data
    try:
        data = np.asarray(training_data, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"training_data must be a 2-D numeric array; got {describe(training_data)}"
        ) from err
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(
            f"training_data must be a non-empty 2-D array (n_samples, n_features); got "
            f"{describe(data)}"
        )
    if not np.all(np.isfinite(data)):
        raise ValueError("training_data contains NaN or infinite values")
    return data


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


def _category_name(categorical_names: Mapping, feature: int, value: float) -> str:
    names = categorical_names.get(feature, categorical_names.get(str(feature)))
    value = float(value)
    index = int(value) if value.is_integer() else None
    if names is not None and index is not None:
        try:
            return str(names[index])
        except (IndexError, KeyError, TypeError):
            pass
    return str(index) if index is not None else f"{value:.2f}"


def _nice_step(span: float) -> float:
    """A round slider step giving about 100 steps over ``span``."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    return float(10.0 ** math.floor(math.log10(span / 100.0)))
