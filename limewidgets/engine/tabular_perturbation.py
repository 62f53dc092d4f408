"""The perturbation of tabular explanations: raw rows to model inputs and surrogate rows.

Every sample is first a *raw* row (what the model takes); :class:`TabularPerturbation` maps raw
rows to model inputs and to the surrogate's representation. The explainer builds its own samples'
interpretable rows with the same :meth:`TabularPerturbation.to_interpretable` a what-if widget
uses, so the surrogate's estimate for an edited row is the one the explanation implies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._validation import describe

__all__ = ["TabularPerturbation"]


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
