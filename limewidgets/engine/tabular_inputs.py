"""Input checks of :class:`~limewidgets.engine.tabular_explainer.LimeTabularExplainer`.

The training data, the ``training_data_stats`` lime accepts in their place, one row to explain,
and the editing range of each column (what the counterfactual sliders may reach).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._validation import describe
from .discretize import (
    BaseDiscretizer,
    DecileDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
    stats_lookup,
)
from .tabular_sampling import _stats_categories, _value_counts

__all__ = [
    "TRAINING_DATA_STATS_KEYS",
    "category_frequencies",
    "check_data_row",
    "check_training_data",
    "check_training_data_stats",
    "editing_ranges",
    "make_discretizer",
]

DISCRETIZERS = {
    "quartile": QuartileDiscretizer,
    "decile": DecileDiscretizer,
    "entropy": EntropyDiscretizer,
}
TRAINING_DATA_STATS_KEYS = (
    "means",
    "mins",
    "maxs",
    "stds",
    "feature_values",
    "feature_frequencies",
)


def check_training_data(training_data: Any) -> Any:
    """``training_data`` as a finite, non-empty 2-D float array (CSR if sparse)."""
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


def check_training_data_stats(training_data_stats: Any) -> None:
    """Check that ``training_data_stats`` is a mapping holding every key lime needs."""
    if not isinstance(training_data_stats, Mapping):
        raise TypeError(
            "training_data_stats must be a dict with keys "
            f"{list(TRAINING_DATA_STATS_KEYS)}; got {describe(training_data_stats)}"
        )
    missing = [k for k in TRAINING_DATA_STATS_KEYS if k not in training_data_stats]
    if missing:
        raise ValueError(f"Missing keys in training_data_stats. Details: {missing}")


def check_data_row(data_row: Any, n_features: int) -> tuple[np.ndarray, sp.csr_matrix | None]:
    """``data_row`` as a finite float vector of ``n_features`` values (and CSR if sparse)."""
    if sp.issparse(data_row):
        sparse_row = sp.csr_matrix(data_row)
        if sparse_row.shape != (1, n_features):
            raise ValueError(
                f"data_row must have shape (1, {n_features}) when sparse; got {sparse_row.shape}"
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


def editing_ranges(
    training: Any, discretizer: Any, training_data_stats: Mapping | None
) -> tuple[np.ndarray, np.ndarray]:
    """Training min/max per column (from the stats when given), mean ± 3 std if degenerate."""
    if sp.issparse(training):
        low = np.asarray(training.min(axis=0).toarray()).ravel().astype(float)
        high = np.asarray(training.max(axis=0).toarray()).ravel().astype(float)
    else:
        low, high = training.min(axis=0).astype(float), training.max(axis=0).astype(float)
    if discretizer is not None:
        for f in getattr(discretizer, "edges", {}):
            mins, maxs = discretizer.mins.get(f), discretizer.maxs.get(f)
            if mins and maxs:
                low[f], high[f] = float(mins[0]), float(maxs[-1])
    stats = training_data_stats or {}
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


def category_frequencies(
    training: Any,
    discretized_training: np.ndarray | None,
    training_data_stats: Mapping | None,
    feature: int,
    binned: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The values of categorical (or binned) column ``feature`` and their training frequencies.

    From ``training_data_stats`` when given, else counted in the (discretized) training data.
    """
    if training_data_stats is None:
        if discretized_training is not None:
            column = discretized_training[:, feature]
        elif sp.issparse(training):
            column = training[:, feature].toarray().ravel()
        else:
            column = training[:, feature]
        values, counts = _value_counts(column, binned=binned)
    else:
        values, counts = _stats_categories(training_data_stats, feature)
    return values, np.asarray(counts, dtype=float) / float(np.sum(counts))


def make_discretizer(
    discretizer: Any,
    training: np.ndarray,
    categorical_features: Any,
    feature_names: Any,
    training_labels: Any,
    training_data_stats: Mapping | None,
    random_state: Any,
) -> BaseDiscretizer:
    """The explainer's discretizer: from the stats when given, a name, or the user's instance."""
    if training_data_stats:
        discretizer = StatsDiscretizer(
            training,
            categorical_features,
            feature_names,
            labels=training_labels,
            data_stats=training_data_stats,
            random_state=random_state,
        )
    if isinstance(discretizer, BaseDiscretizer):
        chosen = discretizer
    elif isinstance(discretizer, str) and discretizer in DISCRETIZERS:
        chosen = DISCRETIZERS[discretizer](
            training,
            categorical_features,
            feature_names,
            labels=training_labels,
            random_state=random_state,
        )
    else:
        raise ValueError(
            "discretizer must be 'quartile', 'decile', 'entropy' or a BaseDiscretizer "
            f"instance; got {describe(discretizer)}"
        )
    edges = getattr(chosen, "edges", {})
    if any(not 0 <= f < training.shape[1] for f in edges):
        raise ValueError(
            f"discretizer bins columns {sorted(edges)} but training_data has "
            f"{training.shape[1]} columns"
        )
    return chosen
