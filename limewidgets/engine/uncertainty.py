"""How sure an explanation is: standard errors of its weights and the stability of its top-k.

Everything here is computed from the samples an explainer already drew and the model outputs it
already has: no extra model query.

**Independent units.** A sampler hands over an integer array ``groups`` with one entry per
sample row: rows with the same id form one *independent unit* (lime's iid draws: every row is its
own unit; antithetic pairs: a pair is one unit; randomised quasi-Monte Carlo: one scramble is one
unit). A negative id marks a row that is the same in every run (row 0, the explained instance)
and is never resampled. Units must be independent and identically distributed; rows inside a
unit may depend on each other in any way.

**Weight standard errors** (:attr:`UncertaintyResult.weight_std`) are the sandwich (CLT)
estimate for the weighted ridge fit on the explanation's own selected features: with
``H = Xc' W Xc + alpha I`` and unit scores ``s_u = sum over rows i of unit u of
w_i r_i xc_i`` (``r`` the surrogate's residuals, ``xc`` the weighted-centred design),
``cov = U / (U - 1) H^-1 (sum_u s_u s_u') H^-1``. It accounts for the randomness of the design
as well as of the model outputs (both change in a rerun).

**Stability** (:attr:`UncertaintyResult.stability`) is the expected top-k Jaccard similarity of
two independent runs at the same budget. It is estimated by a multiplier (Bayesian) bootstrap
over the units: every replicate reweights the units by independent Exponential(1) draws and
reruns the *whole* pipeline on the reweighted samples -- feature selection (forward selection
and its greedy choices, or the ranking of ``highest_weights``) and the final ridge fit -- then
the top-k sets of pairs of replicates are compared. The replicates are cheap because all of it
only needs weighted moments of the samples: forward selection and small final fits are rerun
exactly from per-replicate Gram columns; a fit on many features (an image explained with every
superpixel, the ``highest_weights`` ranking) is linearised around the full fit (its first-order
change is ``H^-1 sum_u (m_u - 1) s_u`` for multipliers ``m``), which is exact to first order.
``lasso_path`` selection is rerun as ``highest_weights`` (an approximation).

**Memory.** Only the centred samples (samples x features) are kept; Gram matrices are built on
the columns in use (the explanation's features, the bootstrap's candidates), never on all
features, and the ranking that picks the candidates among more features than samples is solved
in the dual (samples x samples, the same weights). A document of 100k distinct words would
otherwise need an 80 GB features x features matrix.

**Other estimators.** A sampler whose estimate is not the plain weighted ridge (a control
variate, say) passes a re-runnable ``refit(index, multiplier, generator) -> {label: local_exp}``
instead (:func:`bootstrap_refit`): every replicate reweights whole units by independent
Exponential(1) draws (the multiplier bootstrap again) and reruns the estimator (a control
variate reweights its free rows the same way: their projection of the cheap model differs
between runs as well); standard errors are the spread of the replicates' weights and stability
is the replicates' mean pairwise top-k Jaccard (without the bias correction above). A design
with too few independent units to resample (one orthogonal block of image masks) names the rows
that belong together (a mask and its complement), which are then treated as independent.

**Samplers.** ``'lime'`` rows are independent: exact. ``'stratified'`` draws every row from one
scrambled sequence, which has no independent unit; its rows are treated as independent, which
overstates its spread (its standard errors come out 1.5-3.5 times too large on the tabular
benchmark cases, its stability up to 0.25 too low: conservative, see
``benchmarks/bench_stability.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ._threads import with_single_threaded_blas
from .efficient import PackedBits, small_ints
from .sample_uncertainty import (
    DEFAULT_REPLICATES,
    SampleUncertainty,
    UncertaintyResult,
    iid_groups,
    mean_pairwise_jaccard,
)

__all__ = [
    "DEFAULT_REPLICATES",
    "ExplanationUncertainty",
    "bootstrap_refit",
    "UncertaintyResult",
    "SampleUncertainty",
    "check_stability_k",
    "iid_groups",
    "mean_pairwise_jaccard",
    "surrogate_alpha",
]


def check_stability_k(stability_k: Any) -> int | None:
    """Validate the ``stability_k`` argument of ``explain_instance`` (None or an int >= 1)."""
    if stability_k is None:
        return None
    if isinstance(stability_k, (bool, np.bool_)) or not isinstance(stability_k, (int, np.integer)):
        raise TypeError(f"stability_k must be None or a positive integer; got {stability_k!r}")
    if stability_k < 1:
        raise ValueError(f"stability_k must be None or a positive integer; got {stability_k!r}")
    return int(stability_k)


def surrogate_alpha(model_regressor: Any) -> float:
    """The L2 penalty the uncertainty estimates assume for ``model_regressor``.

    The default surrogate is ``Ridge(alpha=1)``; a user's regressor is treated as a weighted
    ridge fit with its ``alpha`` (0 when it has none, e.g. ``LinearRegression``).
    """
    if model_regressor is None:
        return 1.0
    alpha = getattr(model_regressor, "alpha", 0.0)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        return 0.0
    return alpha if np.isfinite(alpha) and alpha >= 0 else 0.0


class ExplanationUncertainty:
    """Computes an explanation's ``weight_std`` and ``stability`` from its samples, on demand.

    The explainers attach one to every explanation
    (:meth:`~limewidgets.engine.explanation.Explanation.set_uncertainty_source`); it runs the
    first time either attribute is read, so that explaining costs no more than before.

    Parameters
    ----------
    data : array or sparse matrix of shape (n_samples, n_features)
        The interpretable samples the surrogate was fitted on.
    outputs : numpy.ndarray of shape (n_samples, n_labels) or (n_samples,)
        The model's outputs for them (only the columns of ``labels`` are kept).
    weights : numpy.ndarray of shape (n_samples,)
        Kernel weights.
    groups : numpy.ndarray of shape (n_samples,) or None
        Independent unit of every row (see the module docstring); None: iid rows after row 0.
    labels : sequence of int
        The labels that were fitted (columns of a 2-D ``outputs``).
    num_features : int
    feature_selection : str
    model_regressor : regressor or None
        Only its ``alpha`` is used (see :func:`surrogate_alpha`).
    stability_k : int or None
        ``k`` of the top-k stability; None: ``min(5, num_features)``.
    mirror : dict, optional
        ``{label: source_label}``: labels whose results are copies of another's (a regression
        explanation stores its weights under label 1 and their negations under label 0).
    refit : callable, optional
        ``refit(index, multiplier, generator) -> {label: local_exp}`` for an estimator that
        is not the plain weighted ridge (then :func:`bootstrap_refit` is used).
    feature_ids : numpy.ndarray, optional
        The feature id of each column of ``data`` when it is not the column number (images:
        the sorted segment ids); ``weight_std`` is keyed by these ids.
    """

    # 0/1 samples (masks, bins) are kept as packed bits: an explanation holds them until its
    # uncertainty is read, and explain_many ships them back from worker processes.
    data = PackedBits()

    def __init__(
        self,
        data: Any,
        outputs: np.ndarray,
        weights: np.ndarray,
        groups: np.ndarray | None,
        labels: Any,
        num_features: int,
        feature_selection: str,
        model_regressor: Any = None,
        stability_k: int | None = None,
        mirror: dict | None = None,
        refit: Any = None,
        feature_ids: np.ndarray | None = None,
    ) -> None:
        self.refit = refit
        self.feature_ids = None if feature_ids is None else np.asarray(feature_ids)
        self.labels = [int(label) for label in labels]
        weights = np.asarray(weights, dtype=float)
        self.n_rows = int(weights.shape[0])
        self.outputs: np.ndarray | None
        self.weights: np.ndarray | None
        # Kept only what results() reads: explain_many ships every explanation back from its
        # worker, and a user keeps thousands of them. A refit holds its own design and outputs;
        # the plain fit needs the fitted labels' columns only.
        if refit is None:
            self.data = data
            outputs = np.asarray(outputs)
            self.outputs = outputs if outputs.ndim == 1 else outputs[:, self.labels]
            self.weights = weights
        else:
            self.data, self.outputs, self.weights = None, None, None
        lime_rows = groups is not None and np.array_equal(groups, iid_groups(self.n_rows))
        self.groups = None if groups is None or lime_rows else small_ints(groups)
        self.num_features = int(num_features)
        self.feature_selection = feature_selection
        self.alpha = surrogate_alpha(model_regressor)
        self.stability_k = stability_k
        self.mirror = dict(mirror or {})

    def __setstate__(self, state: dict) -> None:
        if "n_rows" not in state:  # pickled by an earlier version: every column, every weight
            outputs = np.asarray(state["outputs"])
            state["n_rows"] = int(outputs.shape[0])
            if outputs.ndim == 2 and state.get("refit") is None:
                state["outputs"] = outputs[:, [int(label) for label in state["labels"]]]
        self.__dict__.update(state)

    def k_for(self, n_explained: int) -> int:
        """The top-k size used for a label with ``n_explained`` features."""
        k = min(5, self.num_features) if self.stability_k is None else self.stability_k
        return max(1, min(k, max(n_explained, 1)))

    def results(self, local_exp: dict) -> dict:
        """``{label: UncertaintyResult}`` for the fitted labels of ``local_exp``."""
        if self.refit is not None:
            groups = self.groups if self.groups is not None else iid_groups(self.n_rows)
            return bootstrap_refit(self.refit, groups, local_exp, self.labels, self.k_for)
        data = self.data
        data = data if sp.issparse(data) else np.asarray(data, dtype=float)
        out = {}
        outputs, weights = self.outputs, self.weights
        assert outputs is not None and weights is not None  # kept whenever refit is None
        prepared = SampleUncertainty(data, weights, self.groups)
        for position, label in enumerate(self.labels):
            y = outputs[:, position] if outputs.ndim == 2 else outputs
            exp = local_exp[label]
            ids = self.feature_ids
            if ids is not None:  # feature ids -> columns of data, and back for weight_std
                column = {int(f): j for j, f in enumerate(ids.tolist())}
                exp = [(column[int(f)], w) for f, w in exp]
            result = prepared.label(
                y, exp, self.num_features, self.feature_selection, self.alpha, self.k_for(len(exp))
            )
            if ids is not None:
                result.weight_std = {int(ids[j]): s for j, s in result.weight_std.items()}
            out[label] = result
        return out

    @with_single_threaded_blas
    def __call__(self, explanation: Any) -> tuple[dict, dict]:
        """``(weight_std, stability)`` dicts for ``explanation`` (fitted on these samples)."""
        results = self.results(explanation.local_exp)
        weight_std = {label: r.weight_std for label, r in results.items()}
        stability = {label: r.stability for label, r in results.items()}
        for label, source in self.mirror.items():
            weight_std[label] = dict(weight_std[source])
            stability[label] = stability[source]
        return weight_std, stability


def _inflated_top(replicate: dict, own: dict, inflate: float, k: int) -> frozenset:
    """Top-``k`` features of a replicate whose departure from ``own`` is scaled by ``inflate``."""
    spread = {f: own.get(f, 0.0) + inflate * (w - own.get(f, 0.0)) for f, w in replicate.items()}
    return frozenset(int(f) for f in sorted(spread, key=lambda f: -abs(spread[f]))[:k])


def bootstrap_refit(
    refit: Any,
    groups: np.ndarray,
    local_exp: dict,
    labels: Any,
    k_for: Any,
    n_replicates: int = 32,
    seed: int | None = None,
) -> dict:
    """Uncertainty of an estimator that is rerun on resampled units (see the module docstring).

    Parameters
    ----------
    refit : callable
        ``refit(index, multiplier, generator) -> {label: [(feature_id, weight), ...]}``: the
        estimate on the rows ``index`` with their sample weights multiplied by ``multiplier``
        (``generator``: for the estimator's own draws, such as its free rows' weights). It
        must not query the model.
    groups : numpy.ndarray of shape (n_samples,)
        Independent unit of every row (negative: in every resample).
    local_exp : dict
        The explanation's own ``{label: [(feature_id, weight), ...]}``.
    labels : sequence of int
    k_for : callable
        ``k_for(n_weights) -> k`` of the top-k.
    n_replicates : int, default=32
    seed : int, optional

    Returns
    -------
    dict
        ``{label: UncertaintyResult}``.
    """
    groups = np.asarray(groups)
    unit_ids, unit_of_row = np.unique(groups[groups >= 0], return_inverse=True)
    moving = np.flatnonzero(groups >= 0)
    n_units = int(unit_ids.size)
    rng = np.random.default_rng(7919 * len(groups) + n_units if seed is None else seed)
    replicates = []
    if n_units >= 2:
        every_row = np.arange(len(groups))
        for _ in range(n_replicates):
            # Every unit stays in, reweighted: a resample with repeats would keep about 63 % of
            # the distinct rows, and an estimator with a hundred coefficients (a cheap model and
            # a surrogate over every superpixel) refitted on 160 distinct rows of 250 varies
            # far more than it does on the 250 (standard errors up to 8x too large).
            multiplier = np.ones(len(groups))
            multiplier[moving] = rng.exponential(1.0, n_units)[unit_of_row]
            replicates.append(refit(every_row, multiplier, rng))
    out = {}
    for label in labels:
        exp = local_exp[label]
        features = [int(f) for f, _ in exp]
        k = k_for(len(features))
        if not replicates:
            out[label] = UncertaintyResult({f: float("nan") for f in features}, float("nan"), k)
            continue
        maps = [dict(r[label]) for r in replicates]
        weights = np.array([[m.get(f, 0.0) for f in features] for m in maps])
        # The replicates reweight residuals the fit has already shrunk: the surrogate's
        # coefficients take their degrees of freedom from the rows (HC1's correction), which
        # matters where an image is explained with all of its superpixels at a few hundred rows.
        n_rows = int(moving.size)
        inflate = float(np.sqrt(n_rows / max(n_rows - len(features) - 1, n_rows / 2)))
        std = weights.std(axis=0, ddof=1) * np.sqrt(n_units / (n_units - 1)) * inflate
        own = dict(exp)
        sets = [_inflated_top(m, own, inflate, k) for m in maps]
        out[label] = UncertaintyResult(
            {f: float(v) for f, v in zip(features, std, strict=True)},
            mean_pairwise_jaccard(sets),
            k,
            mean_pairwise_jaccard(sets),
            sets,
        )
    return out
