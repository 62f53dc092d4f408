"""``num_samples='auto'``: query the model in blocks until the explanation is stable.

The explainers draw a first block of samples, fit the explanation and estimate its stability
(:mod:`limewidgets.engine.uncertainty`: the expected top-k Jaccard similarity with an
independent rerun at the same budget, from the samples already drawn). While that is below
``1 - stability_tol`` for some explained label, they draw another block -- about half as many
samples again as they have -- and refit on everything. They stop as soon as every label is
settled, or at ``max_samples`` model queries; ``explanation.num_queries`` says how many were used.

A label is settled when its top-k set is stable (stability at least ``1 - stability_tol``) or
when its weights are known to within ``stability_tol``: twice the root of the summed squared
standard errors of its weights (a 2-standard-error band) is at most ``stability_tol`` times the
root of their summed squares (:func:`relative_weight_error`). The second rule ends the wait on
near-ties: two features whose weights differ by less than their standard errors keep the top-k
set unstable until the budget is many times larger (even lime at 5000 samples swaps them
between runs), while every weight is already within a few percent of its converged value.

Each block is a complete draw of the explainer's sampler (more independent rows for
``'lime'``, more independent scrambles for ``'stratified'``, more independently randomised
blocks of the efficient design for ``'efficient'``, text and images), so the blocks together are
independent units for the uncertainty estimate, and the final explanation is the ordinary one
for its number of samples. The stopping rule looks at the top-k set (``k`` as for
``stability``, default ``min(5, num_features)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._validation import describe
from .efficient import SampleDesign, join_designs, without_instance
from .sampling import sample_groups

__all__ = [
    "AUTO",
    "DEFAULT_MAX_SAMPLES",
    "DEFAULT_STABILITY_TOL",
    "FIRST_BLOCK",
    "block_targets",
    "check_sample_budget",
    "relative_weight_error",
    "run_blocks",
    "sample_and_explain",
]

AUTO = "auto"
DEFAULT_MAX_SAMPLES = 5000
DEFAULT_STABILITY_TOL = 0.05
FIRST_BLOCK = 250
_GROWTH = 1.5


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_sample_budget(
    num_samples: Any, max_samples: Any, stability_tol: Any
) -> tuple[int | str, int, float]:
    """Validate ``num_samples``, ``max_samples`` and ``stability_tol`` of ``explain_instance``.

    Returns
    -------
    num_samples : int or 'auto'
    max_samples : int
    stability_tol : float
    """
    if isinstance(num_samples, str):
        if num_samples != AUTO:
            raise ValueError(
                f"num_samples must be an integer >= 1 or 'auto'; got {describe(num_samples)}"
            )
    elif not _is_int(num_samples) or num_samples < 1:
        raise (TypeError if not _is_int(num_samples) else ValueError)(
            f"num_samples must be an integer >= 1 or 'auto'; got {describe(num_samples)}"
        )
    if not _is_int(max_samples):
        raise TypeError(f"max_samples must be an integer >= 2; got {describe(max_samples)}")
    if max_samples < 2:
        raise ValueError(f"max_samples must be an integer >= 2; got {describe(max_samples)}")
    if isinstance(stability_tol, (bool, np.bool_)) or not isinstance(
        stability_tol, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"stability_tol must be a number in (0, 1); got {describe(stability_tol)}")
    if not 0.0 < float(stability_tol) < 1.0:
        raise ValueError(f"stability_tol must be a number in (0, 1); got {describe(stability_tol)}")
    if num_samples != AUTO:
        num_samples = int(num_samples)
    return num_samples, int(max_samples), float(stability_tol)


def block_targets(max_samples: int, first: int = FIRST_BLOCK) -> list[int]:
    """Cumulative sample counts after each block: ``first``, then x1.5, capped at the maximum."""
    targets = [min(first, max_samples)]
    while targets[-1] < max_samples:
        targets.append(min(max_samples, max(targets[-1] + 1, int(round(targets[-1] * _GROWTH)))))
    return targets


def _stack(parts: Sequence[Any]) -> Any:
    if sp.issparse(parts[0]):
        return sp.vstack(parts, format="csr")
    return np.concatenate(parts, axis=0)


def relative_weight_error(explanation: Any) -> float:
    """The largest relative standard error of a label's weights (see the module docstring).

    ``sqrt(sum(weight_std ** 2)) / sqrt(sum(weight ** 2))`` over the features a label reports,
    the largest over the explained labels (``inf`` when a label's weights are all zero).
    """
    worst = 0.0
    for label, errors in explanation.weight_std.items():
        pairs = explanation.local_exp.get(label, [])
        size = float(np.sqrt(sum(weight * weight for _, weight in pairs)))
        spread = float(np.sqrt(sum(errors.get(feature, 0.0) ** 2 for feature, _ in pairs)))
        if not size > 0.0:
            return float("inf")
        worst = max(worst, spread / size)
    return worst


def run_blocks(
    draw: Callable[[int, bool], tuple[tuple, np.ndarray]],
    assess: Callable[[tuple, np.ndarray], tuple[Any, float]],
    max_samples: int,
    stability_tol: float,
) -> tuple[Any, int]:
    """Draw blocks until ``assess`` reports a settled explanation (score ``>= 1 - stability_tol``).

    Parameters
    ----------
    draw : callable
        ``draw(n_rows, first) -> (arrays, groups)``: ``n_rows`` new samples (the first block
        includes the instance as row 0), already answered by the model. ``arrays`` is a tuple
        of row-aligned arrays (dense or sparse); ``groups`` their independent units, numbered
        from 0 within the block (negative: fixed rows).
    assess : callable
        ``assess(arrays, groups) -> (explanation, score)`` on all samples so far; the blocks stop
        once ``score >= 1 - stability_tol``.
    max_samples, stability_tol
        See the module docstring.

    Returns
    -------
    explanation : object
        What the last ``assess`` returned.
    num_samples : int
        Samples (model queries) used.
    """
    parts: list[tuple] = []
    group_parts: list[np.ndarray] = []
    next_group = 0
    n = 0
    result: Any = None
    for target in block_targets(max_samples):
        arrays, groups = draw(target - n, n == 0)
        groups = np.asarray(groups, dtype=np.int64)
        moving = groups >= 0
        shifted = groups.copy()
        shifted[moving] += next_group
        if moving.any():
            next_group = int(shifted[moving].max()) + 1
        parts.append(tuple(arrays))
        group_parts.append(shifted)
        n = target
        joined = tuple(_stack([p[i] for p in parts]) for i in range(len(parts[0])))
        result, stability = assess(joined, np.concatenate(group_parts))
        if np.isfinite(stability) and stability >= 1.0 - stability_tol:
            break
    return result, n


def sample_and_explain(
    num_samples: int | str,
    max_samples: int,
    stability_tol: float,
    sampler: str,
    generate: Callable[[int], Any],
    query: Callable[[Any], np.ndarray],
    explain: Callable[..., Any],
    fixed: Callable[[Any, np.ndarray], Any] | None = None,
    design: Callable[[int], tuple[Any, SampleDesign]] | None = None,
) -> Any:
    """The sampling loop every explainer runs: a fixed budget, or blocks for ``'auto'``.

    Parameters
    ----------
    num_samples, max_samples, stability_tol
        Checked by :func:`check_sample_budget`.
    sampler : str
        The sampler ``generate`` draws with (it decides the independent units).
    generate : callable
        ``generate(n) -> rows``: ``n`` samples of the explainer's sample space (masks or raw
        rows), row 0 the instance. Every call is a fresh, complete draw of the sampler.
    query : callable
        ``query(rows) -> outputs``: the model's answers (one query per row).
    explain : callable
        ``explain(rows, outputs, groups) -> explanation`` on all samples so far; the
        explanation's ``stability`` drives the stopping rule.
    fixed : callable, optional
        ``fixed(rows, groups)``: what to return for a fixed budget instead of
        ``explain(rows, query(rows), groups)`` (the explainers return a pending explanation
        there, which ``explain_many`` queries together with other rows).
    design : callable, optional
        ``sampler='efficient'`` with ``num_samples='auto'``: ``design(n) -> (rows, design)``
        draws ``n`` rows of the efficient design (row 0 the instance) and their
        :class:`~limewidgets.engine.efficient.SampleDesign`; every block is such a draw, and
        ``explain(rows, outputs, groups, design)`` receives the blocks' designs joined
        (:func:`~limewidgets.engine.efficient.join_designs`), so the surrogate keeps the
        efficient estimator (control variate included) as the blocks accumulate.

    Returns
    -------
    Explanation
        With ``num_samples`` and ``num_queries`` the samples used (or what ``fixed`` returned).
    """
    if num_samples != AUTO:
        n = int(num_samples)
        rows = generate(n)
        groups = sample_groups(sampler, n)
        if fixed is not None:
            return fixed(rows, groups)
        return explain(rows, query(rows), groups)

    blocks: list[SampleDesign] = []

    def draw(n_new: int, first: bool) -> tuple[tuple, np.ndarray]:
        if design is not None:
            rows, block = design(n_new if first else n_new + 1)
            if not first:
                rows, block = rows[1:], without_instance(block)
            blocks.append(block)
            return (rows, query(rows)), block.groups
        rows = generate(n_new) if first else generate(n_new + 1)[1:]
        return (rows, query(rows)), sample_groups(sampler, n_new, with_instance=first)

    def assess(arrays: tuple, groups: np.ndarray) -> tuple[Any, float]:
        if design is not None:
            explanation = explain(arrays[0], arrays[1], groups, join_designs(blocks, groups))
        else:
            explanation = explain(arrays[0], arrays[1], groups)
        values = [float(v) for v in explanation.stability.values()]
        if not values:
            return explanation, float("nan")
        if min(values) >= 1.0 - stability_tol:
            return explanation, min(values)
        # Not stable, but perhaps settled: weights known within the tolerance (near-ties).
        return explanation, max(min(values), 1.0 - 2.0 * relative_weight_error(explanation))

    explanation, n = run_blocks(draw, assess, max_samples, stability_tol)
    explanation.num_samples = n
    explanation.num_queries = n
    return explanation
