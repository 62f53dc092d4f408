"""SP-LIME: pick a few explanations that together cover the most important features.

Following Ribeiro et al. (2016), explanations are computed for many instances; the matrix ``W``
of their weights (one row per explanation, one column per feature name) gives each feature a
global importance ``sqrt(sum_i |W_ij|)``, and a greedy pass picks the explanations whose
non-zero features cover the largest total importance.

Differences from lime 0.2.0.1: instances are sampled with a seeded generator of the pick's own
(lime shuffled with the global ``numpy.random`` state, so picks were not reproducible and user
code's random stream was disturbed); the coverage of every candidate is computed in one
matrix-vector product per pick; bad arguments raise clear errors.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import (
    RandomStateLike,
    check_choice,
    check_positive_int,
    check_random_state,
    describe,
)
from .global_explanation import GlobalExplanation
from .many import explain_many

__all__ = ["SubmodularPick"]

METHODS = ("sample", "full")


class SubmodularPick:
    """Explain many instances and keep a representative, non-redundant few.

    Parameters
    ----------
    explainer : LimeTabularExplainer, LimeTextExplainer or any explainer
        Anything with ``explain_instance(instance, predict_fn, num_features=..., top_labels=...,
        **kwargs)``.
    data : sequence or array of shape (n_instances, ...)
        Candidate instances, one per row (``data[i]`` is passed to ``explain_instance``).
    predict_fn : callable
        The model function passed to ``explain_instance``.
    method : {'sample', 'full'}, default='sample'
        Explain a random sample of ``sample_size`` instances, or every instance.
    sample_size : int, default=1000
        Number of instances explained with ``method='sample'`` (all of them if larger than the
        data, with a warning).
    num_exps_desired : int, default=5
        Number of explanations to pick (all of them if larger than the number explained, with a
        warning).
    num_features : int, default=10
        Maximum number of features per explanation.
    random_state : int, RandomState or None, optional (keyword-only)
        Seeds the choice of instances. By default a seed is drawn from the explainer's own
        ``random_state`` (so a seeded explainer gives reproducible picks); the global
        ``numpy.random`` state is never used.
    n_jobs : int or None, default=None (keyword-only)
        ``None``: the instances are explained in this process one after the other from the
        explainer's random stream, exactly as lime's loop (and earlier versions) did, their
        samples sharing model calls. An integer: they are explained with
        :meth:`explain_many` on ``n_jobs`` joblib workers (or the backend of a
        ``joblib.parallel_config`` context), each instance with its own seed drawn from the
        pick's random state, so the picks are the same for every ``n_jobs`` and backend (but
        not the same draws as with ``None``).
    **kwargs
        Passed to ``explain_instance`` (``top_labels`` defaults to 1; ``progress_bar`` shows
        one bar over the instances).

    Attributes
    ----------
    explanations : list
        Every candidate explanation.
    sp_explanations : list
        The picked explanations, in pick order.
    V : list of int
        Indices (into ``explanations``) of the picked explanations.
    features : list
        Feature names, the columns of ``W``.
    W : numpy.ndarray of shape (len(explanations), len(features))
        Explanation weights, summed over each explanation's labels.
    importance : numpy.ndarray of shape (len(features),)
        Global importance of each feature.
    """

    def __init__(
        self,
        explainer: Any,
        data: Any,
        predict_fn: Callable[[Any], Any],
        method: str = "sample",
        sample_size: int = 1000,
        num_exps_desired: int = 5,
        num_features: int = 10,
        *,
        random_state: RandomStateLike = None,
        n_jobs: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(getattr(explainer, "explain_instance", None)):
            raise TypeError(
                f"explainer must have an explain_instance method; got {describe(explainer)}"
            )
        if not callable(predict_fn):
            raise TypeError(f"predict_fn must be callable; got {describe(predict_fn)}")
        check_choice("method", method, METHODS)
        num_features = check_positive_int("num_features", num_features)
        num_exps_desired = _as_count("num_exps_desired", num_exps_desired)
        n_instances = _length(data)
        top_labels = kwargs.pop("top_labels", 1)
        progress_bar = bool(kwargs.pop("progress_bar", False))
        rng = None

        if method == "sample":
            sample_size = check_positive_int("sample_size", sample_size)
            if sample_size > n_instances:
                warnings.warn(
                    f"Requested sample size ({sample_size}) larger than size of input data "
                    f"({n_instances}). Using all data",
                    UserWarning,
                    stacklevel=2,
                )
                sample_size = n_instances
            rng = _pick_rng(random_state, explainer)
            sample_indices = rng.permutation(n_instances)[:sample_size]
        else:
            sample_indices = np.arange(n_instances)

        if n_jobs is None:
            row_random_state: Any = "sequential"
        else:
            rng = rng if rng is not None else _pick_rng(random_state, explainer)
            row_random_state = int(rng.randint(0, 2**31 - 1))
        self.explanations = explain_many(
            explainer,
            [data[int(i)] for i in sample_indices],
            predict_fn,
            n_jobs=n_jobs,
            random_state=row_random_state,
            progress_bar=progress_bar,
            num_features=num_features,
            top_labels=top_labels,
            **kwargs,
        )
        if num_exps_desired > len(self.explanations):
            warnings.warn(
                f"Requested number of explanations ({num_exps_desired}) larger than total number "
                f"of explanations ({len(self.explanations)}), returning all explanations instead.",
                UserWarning,
                stacklevel=2,
            )
        num_exps_desired = min(num_exps_desired, len(self.explanations))

        self.features, self.W = importance_matrix(self.explanations)
        self.importance = np.sqrt(np.abs(self.W).sum(axis=0))
        self.V = greedy_pick(self.W != 0, self.importance, num_exps_desired)
        self.sp_explanations = [self.explanations[i] for i in self.V]

    # ------------------------------------------------------------------ views
    def global_explanation(self) -> GlobalExplanation:
        """Every candidate explanation aggregated, the picked ones highlighted."""
        return GlobalExplanation(self.explanations, picked=self.V)

    def as_html(self, **kwargs: Any) -> str:
        """The aggregate and the picked explanations side by side (standalone, script-free)."""
        return self.global_explanation().as_html(**kwargs)

    def _repr_html_(self) -> str:
        return self.global_explanation()._repr_html_()

    def widget(self, **kwargs: Any) -> Any:
        """The interactive global view, the picked explanations side by side."""
        return self.global_explanation().widget(**kwargs)

    def show_in_notebook(self, **kwargs: Any) -> None:
        """Display :meth:`widget` (or the static HTML without the widget layer)."""
        self.global_explanation().show_in_notebook(**kwargs)


def importance_matrix(explanations: list) -> tuple[list, np.ndarray]:
    """The explanation-by-feature weight matrix ``W`` (weights summed over labels).

    Parameters
    ----------
    explanations : list of Explanation

    Returns
    -------
    features : list
        Feature names in order of first appearance (the columns).
    W : numpy.ndarray of shape (len(explanations), len(features))
    """
    column: dict = {}
    rows, cols, values = [], [], []
    for i, exp in enumerate(explanations):
        labels = exp.available_labels() if exp.mode == "classification" else [1]
        for label in labels:
            for feature, weight in exp.as_list(label=label):
                rows.append(i)
                cols.append(column.setdefault(feature, len(column)))
                values.append(weight)
    matrix = np.zeros((len(explanations), len(column)))
    np.add.at(matrix, (np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)), values)
    return list(column), matrix


def greedy_pick(used: np.ndarray, importance: np.ndarray, k: int) -> list[int]:
    """Greedily pick ``k`` rows of ``used`` maximising the importance of the covered columns.

    Parameters
    ----------
    used : numpy.ndarray of bool, shape (n_rows, n_features)
        Which features each candidate uses.
    importance : numpy.ndarray of shape (n_features,)
    k : int

    Returns
    -------
    list of int
        Picked rows in order. Ties go to the highest row index, as in lime.
    """
    used = np.asarray(used, dtype=bool)
    n_rows = used.shape[0]
    covered = np.zeros(used.shape[1], dtype=bool)
    available = np.ones(n_rows, dtype=bool)
    picked: list[int] = []
    for _ in range(min(k, n_rows)):
        coverage = (used | covered) @ importance
        coverage[~available] = -np.inf
        best = n_rows - 1 - int(np.argmax(coverage[::-1]))
        picked.append(best)
        available[best] = False
        covered |= used[best]
    return picked


def _pick_rng(random_state: Any, explainer: Any) -> np.random.RandomState:
    if random_state is not None:
        return check_random_state(random_state)
    source = getattr(explainer, "random_state", None)
    if isinstance(source, np.random.RandomState) and source is not np.random.mtrand._rand:
        return np.random.RandomState(source.randint(0, 2**32 - 1, dtype=np.int64))
    if isinstance(source, numbers.Integral) and not isinstance(source, bool):
        return np.random.RandomState(int(source))
    # An unseeded explainer: fresh OS entropy rather than the global numpy state.
    return np.random.RandomState()


def _as_count(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got {describe(value)}")
    try:
        count = int(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an integer; got {describe(value)}") from err
    if count != value and not isinstance(value, str):
        raise ValueError(f"{name} must be a whole number; got {value!r}")
    if count < 0:
        raise ValueError(f"{name} must be >= 0; got {count}")
    return count


def _length(data: Any) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) >= 1:
        n = int(shape[0])
    else:
        try:
            n = len(data)
        except TypeError as err:
            raise TypeError(
                f"data must be a sequence or array of instances; got {describe(data)}"
            ) from err
    if n == 0:
        raise ValueError("data must contain at least one instance")
    return n
