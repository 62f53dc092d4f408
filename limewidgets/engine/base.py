"""The domain-independent core of LIME: kernels, distances and the weighted local surrogate.

This is limewidgets' counterpart of lime's ``LimeBase``: given perturbed samples in the
interpretable representation, the model's outputs for them and their distances to the
original instance, it selects features and fits a sample-weighted linear model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import Ridge, lars_path
from sklearn.metrics import pairwise_distances

from ._threads import with_single_threaded_blas
from ._validation import (
    FEATURE_SELECTION_METHODS,
    RandomStateLike,
    check_choice,
    check_random_state,
)


def exponential_kernel(distances: np.ndarray, kernel_width: float) -> np.ndarray:
    """LIME's proximity kernel ``sqrt(exp(-d**2 / width**2))``.

    Parameters
    ----------
    distances : numpy.ndarray
        Distances of the samples to the explained instance.
    kernel_width : float
        Width of the kernel; larger widths weigh far samples more.

    Returns
    -------
    numpy.ndarray
        One weight in ``(0, 1]`` per distance.
    """
    d = np.asarray(distances, dtype=float)
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


class BoundKernel:
    """A kernel ``kernel(d, kernel_width)`` bound to its width: ``weights = bound(d)``.

    A class rather than a closure so that explainers pickle with the standard :mod:`pickle`
    (a closure cannot be pickled, which is what stopped lime's explainers from being sent to
    worker processes).

    Parameters
    ----------
    kernel : callable
        ``kernel(distances, kernel_width) -> weights``.
    kernel_width : float
    """

    def __init__(self, kernel: Callable[[np.ndarray, float], np.ndarray], kernel_width: float):
        self.kernel = kernel
        self.kernel_width = kernel_width

    def __call__(self, d: np.ndarray) -> np.ndarray:
        return np.asarray(self.kernel(d, self.kernel_width), dtype=float)

    def __repr__(self) -> str:
        name = getattr(self.kernel, "__name__", type(self.kernel).__name__)
        return f"BoundKernel({name}, kernel_width={self.kernel_width!r})"


def make_kernel_fn(
    kernel: Callable[[np.ndarray, float], np.ndarray] | None, kernel_width: float
) -> Callable[[np.ndarray], np.ndarray]:
    """Bind a kernel ``kernel(d, kernel_width)`` (default: exponential) to ``kernel_width``."""
    base = exponential_kernel if kernel is None else kernel
    if not callable(base):
        raise TypeError(f"kernel must be callable kernel(d, kernel_width) or None; got {base!r}")
    return BoundKernel(base, kernel_width)


@with_single_threaded_blas
def distances_to_first(data: Any, metric: str = "cosine") -> np.ndarray:
    """Distance of every row of ``data`` to its first row.

    Binary-mask distances (the text and image case) are computed in closed form, without the
    ``(n, n)`` or dense intermediate that a generic pairwise routine would build.

    Parameters
    ----------
    data : numpy.ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    metric : str
        Any metric understood by :func:`sklearn.metrics.pairwise_distances`.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
    """
    if not isinstance(metric, str) and not callable(metric):
        raise TypeError(f"distance_metric must be a metric name or callable; got {metric!r}")
    if sp.issparse(data):
        data = data.tocsr()
        first = data[0]
    else:
        data = np.asarray(data)
        if metric in ("cosine", "euclidean"):
            # Row blocks: boolean masks are converted a block at a time, never whole.
            ref = np.asarray(data[0], dtype=float)
            out = np.empty(data.shape[0])
            for start, block in _row_blocks(data):
                stop = start + block.shape[0]
                if metric == "cosine":
                    dots = block @ ref
                    norms = np.sqrt(np.einsum("ij,ij->i", block, block)) * np.sqrt(ref @ ref)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        sim = np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)
                    out[start:stop] = np.clip(1.0 - sim, 0.0, 2.0)
                else:
                    diff = block - ref
                    out[start:stop] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            return out
        data = np.asarray(data, dtype=float)
        first = data[0:1]
    return pairwise_distances(data, first, metric=metric).ravel()


def weighted_r2(y: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
    """Sample-weighted coefficient of determination (as ``Ridge.score`` computes it)."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return float("nan")
    mean = (w * y).sum() / total
    ss_tot = (w * (y - mean) ** 2).sum()
    ss_res = (w * (y - y_pred) ** 2).sum()
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return float(1.0 - ss_res / ss_tot)


class WeightedRidge(RegressorMixin, BaseEstimator):
    """``sklearn.linear_model.Ridge(alpha)`` with an intercept, solved in closed form.

    Gives the same coefficients as scikit-learn's Cholesky solver (to rounding) for dense data
    with more samples than features, without its per-call validation overhead (several
    milliseconds per fit, which dominated tabular explanations). Sparse data, or more features
    than samples, is delegated to :class:`~sklearn.linear_model.Ridge`.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 penalty.

    Attributes
    ----------
    coef_ : numpy.ndarray of shape (n_features,)
    intercept_ : float
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> WeightedRidge:
        """Fit on ``X`` (n, d) and 1-D ``y`` with optional sample weights."""
        y = np.asarray(y, dtype=float)
        x = X if sp.issparse(X) else np.asarray(X, dtype=float)
        if sp.issparse(x) or x.ndim != 2 or x.shape[1] >= x.shape[0] or y.ndim != 1:
            fitted = Ridge(alpha=self.alpha).fit(X, y, sample_weight=sample_weight)
            self.coef_, self.intercept_ = fitted.coef_, fitted.intercept_
            return self
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        samples = _CentredSamples(x, w)
        y_offset, _, cross = samples.label(y)
        coef = _solve_ridge(samples.gram, cross, self.alpha)
        self.coef_ = coef
        self.intercept_ = float(y_offset - samples.offset @ coef)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """``X @ coef_ + intercept_``."""
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Sample-weighted R² (as ``Ridge.score``)."""
        y = np.asarray(y, dtype=float)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        return weighted_r2(y, self.predict(X), w)


class _CentredSamples:
    """Samples centred on their weighted mean and scaled by the root weights, and their Gram.

    A closed-form ridge fit is a small linear system in ``gram``; the fits of one explanation
    (the ``highest_weights`` selection on every column, the surrogate on the selected columns,
    the held-out fit on 80 % of the rows, and every label's) all share these samples and
    weights, so they share this object: centring and the Gram are most of what a fit costs.

    Parameters
    ----------
    x : numpy.ndarray of shape (n_samples, n_features), float
    w : numpy.ndarray of shape (n_samples,)
        Sample weights.
    """

    def __init__(self, x: np.ndarray, w: np.ndarray) -> None:
        self.w = w
        self.total = w.sum()
        self.offset = (w @ x) / self.total
        self.root_w = np.sqrt(w)
        centred = x - self.offset
        centred *= self.root_w[:, None]  # in place: the same values as one expression, no copy
        self.centred = centred
        self.gram = centred.T @ centred
        self._column_sums: np.ndarray | None = None

    def label(self, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``(y_offset, centred y, centred x^T centred y)`` of the labels ``y``."""
        y_offset = (self.w @ y) / self.total
        centred_y = (y - y_offset) * self.root_w
        return y_offset, centred_y, self.centred.T @ centred_y

    @property
    def column_sums(self) -> np.ndarray:
        """``sum_i w_i (x_i - offset)`` per column: zero up to rounding, kept exact for downdates."""
        if self._column_sums is None:
            self._column_sums = self.root_w @ self.centred
        return self._column_sums


def _solve_ridge(gram: np.ndarray, cross: np.ndarray, alpha: float) -> np.ndarray:
    """Solve ``(gram + alpha I) coef = cross`` (``gram`` is left untouched).

    With ``alpha > 0`` the system is positive definite and well conditioned; LAPACK's Cholesky
    (``potrf`` / ``potrs``, what ``scipy.linalg.solve(assume_a="pos")`` runs, with the same
    result) is called directly: the wrapper's checks cost several times the solve on these
    small systems. Anything else (no penalty, non-finite values, a failed factorisation) goes
    through ``scipy.linalg.solve`` as before, with its errors and warnings.
    """
    system = np.array(gram, dtype=float, copy=True)
    system.flat[:: system.shape[0] + 1] += alpha
    cross = np.asarray(cross, dtype=float)
    # (scipy divides 1 x 1 systems: those go through it, for the same rounding.)
    if alpha > 0 and system.shape[0] > 1 and np.isfinite(system).all() and np.isfinite(cross).all():
        factor, info = _POTRF(system, lower=False, clean=False)
        if info == 0:
            coef, info = _POTRS(factor, cross, lower=False)
            if info == 0:
                return coef
    try:
        return scipy.linalg.solve(system, cross, assume_a="pos")
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(system, cross, rcond=None)[0]


_POTRF, _POTRS = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


@functools.lru_cache(maxsize=64)
def _holdout_rows(n: int, n_columns: int) -> np.ndarray:
    """Sorted row ids of the held-out fifth of ``n`` samples (never row 0), read-only.

    Drawn from a generator of their own, seeded by the sample shape, so that measuring
    fidelity never shifts the random stream the explainer samples from. Cached: seeding a
    ``RandomState`` costs more than the held-out fit itself, and every explanation of the same
    size holds out the same rows.
    """
    rng = np.random.RandomState(n * 7919 + n_columns)
    holdout = np.zeros(n, dtype=bool)
    holdout[1 + rng.permutation(n - 1)[: max(1, (n - 1) // 5)]] = True
    rows = np.flatnonzero(holdout)
    rows.flags.writeable = False
    return rows


@dataclass
class SurrogateFit:
    """The result of fitting the local surrogate for one label.

    Attributes
    ----------
    intercept : float
        The surrogate's intercept.
    exp : list of (int, float)
        ``(feature_id, weight)`` pairs sorted by decreasing ``|weight|``.
    score : float
        Weighted R² on the samples it was fitted on (lime's ``score``).
    local_pred : numpy.ndarray of shape (1,)
        The surrogate's prediction for the explained instance.
    fidelity : float
        Weighted R² of a surrogate fitted on 80 % of the samples, measured on the other 20 %
        (the held-out fidelity; ``nan`` when there are too few samples to split).
    """

    intercept: float
    exp: list
    score: float
    local_pred: np.ndarray
    fidelity: float


class LimeBase:
    """Learn a locally weighted, sparse linear model from perturbed data.

    Parameters
    ----------
    kernel_fn : callable
        Maps an array of distances to an array of sample weights.
    verbose : bool, default=False
        If True, print the surrogate's intercept and local prediction (like lime).
    random_state : int, RandomState or None, default=None
        Seeds the regressors and the held-out split.
    """

    def __init__(
        self,
        kernel_fn: Callable[[np.ndarray], np.ndarray],
        verbose: bool = False,
        random_state: RandomStateLike = None,
    ) -> None:
        self.kernel_fn = kernel_fn
        self.verbose = verbose
        self.random_state = check_random_state(random_state)

    @staticmethod
    def generate_lars_path(
        weighted_data: np.ndarray, weighted_labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(alphas, coefs)`` of the lasso LARS path for weighted data."""
        alphas, _, coefs = lars_path(weighted_data, weighted_labels, method="lasso", verbose=False)
        return alphas, coefs

    def forward_selection(
        self, data: Any, labels: np.ndarray, weights: np.ndarray, num_features: int
    ) -> np.ndarray:
        """Greedily add the feature that most increases the weighted R² of an OLS fit.

        Selects the same features as lime's loop of ``Ridge(alpha=0)`` fits (one fit per
        candidate and step; ties go to the lowest feature id, as lime's strict ``>``), computed
        for all candidates at once. With ``S`` the features chosen so far and ``Q`` an
        orthonormal basis of their centred, weighted columns, adding candidate ``j`` raises the
        explained sum of squares by ``(r . x_j)**2 / (|x_j|**2 - |Q^T x_j|**2)``, where ``r`` is
        the residual of the labels on ``S``: a step costs one product ``X^T v`` over the data
        and memory stays ``O(num_features * (n_samples + n_features))``. ``data`` is read in
        row blocks, never copied whole and never turned into a features x features matrix
        (lime's ``Gram`` on 100k words would be 75 GiB).
        """
        w = np.asarray(weights, dtype=float)
        y = np.asarray(labels, dtype=float)
        n_samples, n_features = data.shape
        root_w = np.sqrt(w)
        mean = _weighted_column_sums(data, w) / w.sum()

        def weighted_t_dot(v: np.ndarray) -> np.ndarray:
            # Xw^T v for the centred, weighted data Xw = sqrt(w) * (X - mean), without Xw.
            u = root_w * v
            return _t_dot(data, u) - mean * u.sum()

        column_norms = _weighted_column_sums(data, w, squared=True) - w.sum() * mean**2
        column_norms = np.maximum(column_norms, 0.0)
        residual = root_w * (y - (w @ y) / w.sum())
        basis = np.empty((n_samples, 0))
        projections = np.empty((0, n_features))  # Q^T Xw, one row per chosen feature
        # A candidate whose centred column lies (numerically) in span(S) adds nothing.
        tolerance = 1e-10 * max(float(column_norms.max(initial=0.0)), 1e-300)
        used: list[int] = []
        available = np.ones(n_features, dtype=bool)
        for _ in range(min(num_features, n_features)):
            cross = weighted_t_dot(residual)
            left = column_norms - np.einsum("ij,ij->j", projections, projections)
            ok = available & (left > tolerance)
            gain = np.zeros(n_features)
            gain[ok] = cross[ok] ** 2 / left[ok]
            # lime keeps the first feature with the largest score; constant/duplicated columns
            # (gain 0) are still taken, in id order, once nothing adds.
            gain[~available] = -np.inf
            best = int(np.argmax(gain))
            used.append(best)
            available[best] = False
            column = root_w * (_column(data, best) - mean[best])
            for _pass in range(2):  # Gram-Schmidt twice keeps the basis orthonormal
                column = column - basis @ (basis.T @ column)
            norm = float(np.sqrt(column @ column))
            if norm <= np.sqrt(tolerance):
                continue  # nothing new: the basis and residual stay as they are
            q = column / norm
            basis = np.column_stack([basis, q])
            projections = np.vstack([projections, weighted_t_dot(q)])
            residual = residual - q * (q @ residual)
        return np.array(used, dtype=int)

    def feature_selection(
        self, data: Any, labels: np.ndarray, weights: np.ndarray, num_features: int, method: str
    ) -> np.ndarray:
        """Select at most ``num_features`` feature ids with ``method`` (see lime's options)."""
        check_choice("feature_selection", method, FEATURE_SELECTION_METHODS)
        n_features = data.shape[1]
        if method == "none":
            return np.arange(n_features)
        if method == "auto":
            method = "forward_selection" if num_features <= 6 else "highest_weights"
        if method == "forward_selection":
            return self.forward_selection(data, labels, weights, num_features)
        if method == "highest_weights":
            clf = WeightedRidge(alpha=0.01)
            clf.fit(data, labels, sample_weight=weights)
            first = data[0].toarray().ravel() if sp.issparse(data) else np.asarray(data[0])
            contribution = np.abs(clf.coef_ * first)
            # Stable sort: ties (e.g. features absent from the instance) keep index order.
            order = np.argsort(-contribution, kind="stable")
            return order[: min(num_features, n_features)]
        # lasso_path
        x = data.toarray() if sp.issparse(data) else np.asarray(data, dtype=float)
        sqrt_w = np.sqrt(weights)[:, None]
        weighted_data = (x - np.average(x, axis=0, weights=weights)) * sqrt_w
        weighted_labels = (labels - np.average(labels, weights=weights)) * sqrt_w[:, 0]
        _, coefs = self.generate_lars_path(weighted_data, weighted_labels)
        nonzero = np.arange(n_features)
        for i in range(coefs.shape[1] - 1, 0, -1):
            nonzero = coefs[:, i].nonzero()[0]
            if len(nonzero) <= num_features:
                break
        return nonzero

    def fit_label(
        self,
        neighborhood_data: Any,
        neighborhood_labels: np.ndarray,
        distances: np.ndarray,
        label: int,
        num_features: int,
        feature_selection: str = "auto",
        model_regressor: Any = None,
        weights: np.ndarray | None = None,
    ) -> SurrogateFit:
        """Fit the surrogate for one label and measure its held-out fidelity.

        Parameters are those of :meth:`explain_instance_with_data`; ``weights`` may be passed
        to skip recomputing the kernel for every label.

        Returns
        -------
        SurrogateFit
        """
        if weights is None:
            weights = self.kernel_fn(distances)
        return self._fit_label(
            neighborhood_data,
            neighborhood_labels,
            np.asarray(weights, dtype=float),
            label,
            num_features,
            feature_selection,
            model_regressor,
            {},
        )

    def _fit_label(
        self,
        data: Any,
        outputs: np.ndarray,
        weights: np.ndarray,
        label: int,
        num_features: int,
        feature_selection: str,
        model_regressor: Any,
        shared: dict,
    ) -> SurrogateFit:
        """:meth:`fit_label` with its kernel weights; ``shared`` carries the labels' common Gram.

        With the default regressor on dense data, every fit is solved from one
        :class:`_CentredSamples` (see :meth:`_fit_closed_form`); otherwise the regressor is fit
        on the selected columns and on the training rows of the held-out split, as lime does.
        """
        y = np.asarray(outputs)
        y = y[:, label] if y.ndim == 2 else y
        used = None
        if self._closed_form_applies(data, y, model_regressor):
            fit, used = self._fit_closed_form(
                data, y, weights, num_features, feature_selection, shared
            )
            if fit is not None:
                return fit
        if used is None:
            used = self.feature_selection(data, y, weights, num_features, feature_selection)
        used = np.asarray(used, dtype=int)
        x_used = data[:, used]
        if not sp.issparse(x_used):
            x_used = np.asarray(x_used, dtype=float)  # boolean masks: the regressor gets floats
        regressor = self._make_regressor(model_regressor)
        regressor.fit(x_used, y, sample_weight=weights)
        score = float(regressor.score(x_used, y, sample_weight=weights))
        local_pred = np.asarray(regressor.predict(x_used[0:1])).ravel()
        coef = np.asarray(regressor.coef_).ravel()
        intercept = float(np.asarray(regressor.intercept_).ravel()[0])
        fidelity = self._held_out_fidelity(model_regressor, x_used, y, weights)
        return self._surrogate_fit(used, coef, intercept, score, local_pred, fidelity, y)

    def _surrogate_fit(
        self,
        used: np.ndarray,
        coef: np.ndarray,
        intercept: float,
        score: float,
        local_pred: np.ndarray,
        fidelity: float,
        y: np.ndarray,
    ) -> SurrogateFit:
        if self.verbose:
            self.report_fit(intercept, local_pred, y[0])
        order = np.argsort(-np.abs(coef), kind="stable")
        exp = [(int(used[i]), float(coef[i])) for i in order]
        return SurrogateFit(intercept, exp, score, local_pred, fidelity)

    def _closed_form_applies(self, data: Any, y: np.ndarray, model_regressor: Any) -> bool:
        """Whether :meth:`_fit_closed_form` computes what the general path would.

        Only for the default regressor (``WeightedRidge``) on dense float data, and only while
        the methods the general path calls are this class's own (a subclass that overrides
        them gets them called).
        """
        cls = type(self)
        return (
            model_regressor is None
            and isinstance(data, np.ndarray)
            and data.dtype == np.float64
            and data.ndim == 2
            and y.ndim == 1
            and cls.feature_selection is LimeBase.feature_selection
            and cls._held_out_fidelity is LimeBase._held_out_fidelity
            and cls._make_regressor is LimeBase._make_regressor
        )

    def _fit_closed_form(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray,
        num_features: int,
        feature_selection: str,
        shared: dict,
    ) -> tuple[SurrogateFit | None, np.ndarray | None]:
        """The general path's fits with ``WeightedRidge``, solved from one centred Gram.

        The ``highest_weights`` selection (alpha 0.01, every column), the surrogate (alpha 1,
        the selected columns) and the held-out fit (alpha 1, the training rows) all centre
        the same samples with the same weights: one :class:`_CentredSamples` (shared by the
        labels through ``shared``) gives the first two as sub-systems of its Gram, and the
        third by removing the held-out rows' part of the Gram (a downdate, then a shift to the
        training rows' weighted mean). The results equal the separate fits' up to rounding.

        Returns
        -------
        fit : SurrogateFit or None
            None when a fit would not be closed form (no more rows than columns).
        used : numpy.ndarray or None
            The selected features when they were selected (for the general path to reuse).
        """
        n, d = x.shape
        check_choice("feature_selection", feature_selection, FEATURE_SELECTION_METHODS)
        method = feature_selection
        if method == "auto":
            method = "forward_selection" if num_features <= 6 else "highest_weights"
        samples = shared.get("all")
        if method == "highest_weights" and d < n:
            if samples is None:
                samples = shared["all"] = _CentredSamples(x, weights)
            y_offset, centred_y, cross = samples.label(y)
            contribution = np.abs(_solve_ridge(samples.gram, cross, 0.01) * x[0])
            # Stable sort: ties (e.g. features absent from the instance) keep index order.
            used = np.argsort(-contribution, kind="stable")[: min(num_features, d)]
            columns = used
        else:
            used = np.asarray(
                self.feature_selection(x, y, weights, num_features, feature_selection), dtype=int
            )
            if used.size >= n:
                return None, used
            if samples is not None:
                columns = used
            else:
                samples = _CentredSamples(x[:, used], weights)
                columns = np.arange(used.size)
            y_offset, centred_y, cross = samples.label(y)
        gram = samples.gram[np.ix_(columns, columns)]
        cross = cross[columns]
        offset = samples.offset[columns]
        coef = _solve_ridge(gram, cross, 1.0)
        intercept = float(y_offset - offset @ coef)
        x_used = x[:, used]
        score = weighted_r2(y, x_used @ coef + intercept, weights)
        local_pred = np.asarray(x_used[0:1] @ coef).ravel() + intercept
        fidelity = float("nan")
        if n >= 20:
            rows = _holdout_rows(n, used.size)
            held = samples.centred[np.ix_(rows, columns)]  # root-weighted, centred on all rows
            held_y = centred_y[rows]
            held_root_w = samples.root_w[rows]
            train_total = samples.total - weights[rows].sum()
            if used.size >= n - rows.size or not train_total > 0:
                fidelity = self._held_out_fidelity(None, x_used, y, weights)
            else:
                # Weighted sums of (x - offset) and (y - y_offset) over the training rows.
                x_sum = samples.column_sums[columns] - held_root_w @ held
                y_sum = centred_y @ samples.root_w - held_root_w @ held_y
                train_gram = gram - held.T @ held - np.outer(x_sum, x_sum) / train_total
                train_cross = cross - held.T @ held_y - x_sum * (y_sum / train_total)
                train_coef = _solve_ridge(train_gram, train_cross, 1.0)
                train_intercept = float(
                    y_offset + y_sum / train_total - (offset + x_sum / train_total) @ train_coef
                )
                pred = x[np.ix_(rows, used)] @ train_coef + train_intercept
                fidelity = weighted_r2(y[rows], pred, weights[rows])
        fit = self._surrogate_fit(used, coef, intercept, score, local_pred, fidelity, y)
        return fit, used

    def fit_labels(
        self,
        neighborhood_data: Any,
        neighborhood_labels: np.ndarray,
        distances: np.ndarray,
        labels: Any,
        num_features: int,
        feature_selection: str = "auto",
        model_regressor: Any = None,
        weights: np.ndarray | None = None,
    ) -> dict[int, SurrogateFit]:
        """Fit the surrogate for every label in ``labels``, sharing one set of kernel weights.

        Returns
        -------
        dict
            ``{label: SurrogateFit}`` in the order of ``labels``.
        """
        if weights is None:
            weights = self.kernel_fn(distances)
        if type(self).fit_label is not LimeBase.fit_label:  # a subclass's own per-label fit
            return {
                label: self.fit_label(
                    neighborhood_data,
                    neighborhood_labels,
                    distances,
                    label,
                    num_features,
                    feature_selection=feature_selection,
                    model_regressor=model_regressor,
                    weights=weights,
                )
                for label in labels
            }
        weights = np.asarray(weights, dtype=float)
        shared: dict = {}  # the labels' common centred samples (same rows, same weights)
        return {
            label: self._fit_label(
                neighborhood_data,
                neighborhood_labels,
                weights,
                label,
                num_features,
                feature_selection,
                model_regressor,
                shared,
            )
            for label in labels
        }

    def explain_instance_with_data(
        self,
        neighborhood_data: Any,
        neighborhood_labels: np.ndarray,
        distances: np.ndarray,
        label: int,
        num_features: int,
        feature_selection: str = "auto",
        model_regressor: Any = None,
    ) -> tuple[float, list[tuple[int, float]], float, np.ndarray]:
        """Fit the surrogate for ``label``; lime's return value.

        Parameters
        ----------
        neighborhood_data : array of shape (n_samples, n_features)
            Perturbed samples in the interpretable representation; row 0 is the instance.
        neighborhood_labels : array of shape (n_samples, n_labels)
            Model outputs for the samples.
        distances : array of shape (n_samples,)
            Distances of the samples to the instance.
        label : int
            Column of ``neighborhood_labels`` to explain.
        num_features : int
            Maximum number of features in the explanation.
        feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
        model_regressor : regressor, optional
            Any regressor with ``coef_`` and ``fit(X, y, sample_weight=...)``; default
            ``Ridge(alpha=1)``.

        Returns
        -------
        intercept : float
        exp : list of (int, float) sorted by decreasing absolute weight
        score : float
        local_pred : numpy.ndarray of shape (1,)
        """
        fit = self.fit_label(
            neighborhood_data,
            neighborhood_labels,
            distances,
            label,
            num_features,
            feature_selection=feature_selection,
            model_regressor=model_regressor,
        )
        return fit.intercept, fit.exp, fit.score, fit.local_pred

    @staticmethod
    def report_fit(intercept: float, local_pred: np.ndarray, right: Any) -> None:
        """Print a fit as lime's ``verbose=True`` does (intercept, local and model prediction)."""
        print("Intercept", intercept)
        print("Prediction_local", local_pred)
        print("Right:", right)

    def _make_regressor(self, model_regressor: Any) -> Any:
        if model_regressor is None:
            return WeightedRidge(alpha=1.0)
        if not hasattr(model_regressor, "fit"):
            raise TypeError(
                "model_regressor must be a regressor with fit(X, y, sample_weight=...) and "
                f"coef_; got {type(model_regressor).__name__}"
            )
        return model_regressor

    def _held_out_fidelity(
        self, model_regressor: Any, x_used: Any, y: np.ndarray, weights: np.ndarray
    ) -> float:
        n = x_used.shape[0]
        if n < 20:
            return float("nan")
        holdout = np.zeros(n, dtype=bool)
        holdout[_holdout_rows(n, x_used.shape[1])] = True
        if model_regressor is None:
            regressor = self._make_regressor(None)
        else:
            try:  # a fresh copy: the user's regressor holds the explanation's own fit
                regressor = clone(model_regressor)
            except TypeError:
                return float("nan")
        train = ~holdout
        regressor.fit(x_used[train], y[train], sample_weight=weights[train])
        pred = np.asarray(regressor.predict(x_used[holdout])).ravel()
        return weighted_r2(y[holdout], pred, weights[holdout])


# Row blocks of ``data`` are converted to float64 this many values at a time (8 MiB), so that
# boolean masks or integer data are never copied whole.
_BLOCK_VALUES = 1 << 20


def _row_blocks(data: Any) -> Any:
    """``(start, float64 block)`` pairs covering ``data``'s rows (dense input only)."""
    n_samples, n_features = data.shape
    step = max(1, _BLOCK_VALUES // max(n_features, 1))
    for start in range(0, n_samples, step):
        yield start, np.asarray(data[start : start + step], dtype=float)


def _t_dot(data: Any, u: np.ndarray) -> np.ndarray:
    """``data.T @ u`` for dense (any numeric dtype) or sparse ``data``."""
    if sp.issparse(data):
        return np.asarray(data.T @ u).ravel()
    if isinstance(data, np.ndarray) and data.dtype == np.float64:
        return data.T @ u
    out = np.zeros(data.shape[1])
    for start, block in _row_blocks(data):
        out += block.T @ u[start : start + block.shape[0]]
    return out


def _weighted_column_sums(data: Any, w: np.ndarray, squared: bool = False) -> np.ndarray:
    """``sum_i w_i x_ij`` (or ``w_i x_ij**2``) per column, for dense or sparse ``data``."""
    if sp.issparse(data):
        values = data.multiply(data) if squared else data
        return np.asarray(values.T @ w).ravel()
    if squared and isinstance(data, np.ndarray) and data.dtype == bool:
        return _t_dot(data, w)  # x**2 == x for 0/1 masks
    if not squared:
        return _t_dot(data, w)
    out = np.zeros(data.shape[1])
    for start, block in _row_blocks(data):
        out += (block * block).T @ w[start : start + block.shape[0]]
    return out


def _column(data: Any, j: int) -> np.ndarray:
    """Column ``j`` of dense or sparse ``data`` as a float64 vector."""
    if sp.issparse(data):
        return np.asarray(data[:, [j]].toarray(), dtype=float).ravel()
    return np.asarray(data[:, j], dtype=float)
