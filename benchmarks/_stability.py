"""Seed-to-seed stability statistics for the side-by-side benchmarks.

Two numbers describe how much an explanation moves when only the random seed changes:

- the mean pairwise Jaccard similarity of the top-k feature sets, with its standard error. The
  pairs share seeds, so they are not independent: the error is the jackknife over seeds of this
  U-statistic (leave one seed out, recompute the mean over the remaining pairs);
- the relative spread of the weights: for a fixed set of features, the standard deviation over
  seeds of each feature's weight divided by its mean absolute value, averaged over the features.
  It still separates samplers when the top-k set never changes (the Jaccard is then 1.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

try:  # run as a script (benchmarks/ on sys.path) or imported from the repository root
    from _timing import jaccard
except ImportError:  # pragma: no cover
    from benchmarks._timing import jaccard


def jaccard_with_se(top_sets: Sequence[Iterable[Any]]) -> tuple[float, float]:
    """Mean pairwise Jaccard similarity of ``top_sets`` and its jackknife standard error.

    Parameters
    ----------
    top_sets : sequence of iterables
        One top-k feature collection per seed.

    Returns
    -------
    mean, standard_error : float
        ``nan`` when there are fewer than 2 (mean) or 3 (error) seeds.
    """
    n = len(top_sets)
    if n < 2:
        return float("nan"), float("nan")
    similarity = np.eye(n)
    for i, j in combinations(range(n), 2):
        similarity[i, j] = similarity[j, i] = jaccard(top_sets[i], top_sets[j])
    n_pairs = n * (n - 1) / 2
    total = (similarity.sum() - n) / 2
    mean = total / n_pairs
    if n < 3:
        return float(mean), float("nan")
    # Mean over the pairs that do not involve seed i, for every i.
    without = (total - (similarity.sum(axis=1) - 1)) / ((n - 1) * (n - 2) / 2)
    se = np.sqrt((n - 1) / n * np.sum((without - without.mean()) ** 2))
    return float(mean), float(se)


def largest_features(weight_maps: Sequence[Mapping[Any, float]], k: int = 10) -> list:
    """The ``k`` features with the largest mean absolute weight among those in every map."""
    common = set.intersection(*(set(m) for m in weight_maps)) if weight_maps else set()
    mean_abs = {f: abs(float(np.mean([m[f] for m in weight_maps]))) for f in common}
    return sorted(common, key=lambda f: (-mean_abs[f], str(f)))[:k]


def relative_weight_sd(weight_maps: Sequence[Mapping[Any, float]], features: Sequence) -> float:
    """Mean over ``features`` of (sd over seeds of the weight) / |mean weight|.

    Parameters
    ----------
    weight_maps : sequence of mappings
        ``{feature: weight}`` per seed (features missing from a map count as weight 0).
    features : sequence
        The features to average over (for example :func:`largest_features` of a reference).
    """
    if len(weight_maps) < 2 or not features:
        return float("nan")
    weights = np.array([[float(m.get(f, 0.0)) for f in features] for m in weight_maps])
    spread = weights.std(axis=0, ddof=1) / np.maximum(np.abs(weights.mean(axis=0)), 1e-300)
    return float(spread.mean())
