"""The query-efficient sampler (``sampler='efficient'``) and the sample-set contract.

Contract for every sampler (read by the uncertainty estimator)
---------------------------------------------------------------
Every explainer's sampling step produces, besides the edit-space rows it sends to the model, a
:class:`SampleDesign` that it passes to the finishing step (``finish_explanation(...,
design=...)``):

``interpretable`` : (n, d) array
    The surrogate's representation of the rows (row 0 is the explained instance).
``sample_weight`` : (n,) array
    The weight of each row in the weighted ridge. For ``'lime'`` and ``'stratified'`` it is
    lime's kernel weight; for ``'efficient'`` it is the kernel weight divided by the row's
    sampling density relative to lime's (text rows are drawn from the kernel-weighted
    distribution, so their weights are constant).
``groups`` : (n,) int array
    Independent units. Rows with the same id were drawn jointly (one scrambled Sobol' block,
    one randomised orthogonal block); rows with different ids ``>= 0`` are independent draws
    of the same scheme, so resampling whole groups resamples the estimator's noise. Row 0 (the
    instance itself, always queried) has id ``-1``: it is not random and belongs in every
    resample. ``'lime'``: every row is its own group; ``'stratified'``: one group (a single
    scramble); ``'efficient'``: several independently randomised blocks.
``control`` : :class:`ControlVariate` or None
    ``None`` for ``'lime'`` and ``'stratified'``: the estimate is lime's (feature selection and
    ``Ridge(alpha=1)`` on the rows). For ``'efficient'`` the estimate adds a control variate:
    a cheap model of the outputs is fitted on the queried rows and its surrogate is computed on
    a large set of free rows drawn from the same distribution (no model query), so only the
    part of the outputs that cheap model misses is estimated from the queried rows.

The estimate on any subset ``index`` of rows (e.g. a resample of whole groups, always with
row 0) is :func:`estimate` ``(base, design, outputs, labels, num_features, feature_selection,
model_regressor, index=index) -> {label: SurrogateFit}``; the explanation itself is
:func:`estimate` on all rows. It costs no model query, so it can be re-run on resamples. All
samplers estimate the same quantity: the kernel-weighted least-squares surrogate of lime's
sampling distribution (lime's converged answer).

The designs themselves (which rows ``sampler='efficient'`` draws for text, images and tables) are
in :mod:`limewidgets.engine.efficient_designs`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "ControlVariate",
    "SampleDesign",
    "compact",
    "estimate",
    "join_designs",
    "lime_design",
    "without_instance",
]


class _BitArray:
    """A descriptor storing a 0/1 array as packed bits; reading it gives a boolean array.

    An explanation holds its design until its uncertainty is read (and ``explain_many`` keeps
    thousands of explanations): the free rows outnumber the queried ones, and as bits they take
    an eighth of booleans. Arrays that are not 0/1 are stored as they are.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.slot]
        if isinstance(value, tuple):
            shape, bits = value
            return np.unpackbits(bits, count=int(np.prod(shape))).astype(bool).reshape(shape)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        value = compact(value)
        if isinstance(value, np.ndarray) and value.dtype == bool:
            value = (value.shape, np.packbits(value, axis=None))
        instance.__dict__[self.slot] = value


class ControlVariate:
    """A cheap model of the outputs whose surrogate is computed on free rows.

    Parameters
    ----------
    features : (n, p) array
        Covariates of the queried rows the cheap model is fitted on (the interpretable rows
        for text and images).
    pool_features : (m, p) array
        The same covariates for ``m`` free rows drawn from the queried rows' distribution.
    pool_interpretable : (m, d) array
        The interpretable representation of the free rows.
    pool_weight : (m,) array
        Their sample weights (as ``SampleDesign.sample_weight``).
    link : {'auto', 'logit', 'identity'}
        The cheap model is ``inverse_link(features @ coef + intercept)``, fitted by weighted
        ridge on ``link(outputs)``. ``'auto'``: logit when the outputs are in [0, 1]
        (probabilities), else identity.
    """

    features = _BitArray()
    pool_features = _BitArray()
    pool_interpretable = _BitArray()

    def __init__(
        self,
        features: Any,
        pool_features: Any,
        pool_interpretable: Any,
        pool_weight: np.ndarray,
        link: str = "auto",
        _gram: np.ndarray | None = None,
    ) -> None:
        self.features = features
        self.pool_features = pool_features
        self.pool_interpretable = pool_interpretable
        self.pool_weight = np.asarray(pool_weight, dtype=float)
        self.link = link
        self._gram = _gram

    def with_features(self, features: Any) -> ControlVariate:
        """The same free rows (and Gram matrix) with other queried rows' ``features``."""
        other = copy.copy(self)  # shares the packed free rows: no unpacking
        other.features = features
        other._gram = self.pool_gram()
        return other

    def pool_gram(self) -> np.ndarray:
        """Weighted Gram matrix of ``[1, pool_interpretable]`` (computed once)."""
        if self._gram is None:
            ones = np.ones((self.pool_interpretable.shape[0], 1))
            x = np.hstack([ones, np.asarray(self.pool_interpretable, dtype=float)])
            self._gram = (x * self.pool_weight[:, None]).T @ x
        return self._gram


def compact(values: Any) -> Any:
    """``values`` as a boolean array when every entry is 0 or 1 (else unchanged; sparse kept)."""
    if sp.issparse(values):
        return values
    array = np.asarray(values)
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iuf" and array.size and np.all((array == 0) | (array == 1)):
        return array.astype(bool)
    return array


@dataclass
class SampleDesign:
    """How a set of perturbed rows was drawn, for the surrogate and its uncertainty.

    See the module docstring for the meaning of every field.
    """

    interpretable: Any
    sample_weight: np.ndarray
    groups: np.ndarray
    control: ControlVariate | None = None
    sampler: str = "lime"

    def __post_init__(self) -> None:
        # Held by the explanation until its uncertainty is read (and pickled with it).
        self.interpretable = compact(self.interpretable)

    @property
    def n_rows(self) -> int:
        """Number of rows (model queries)."""
        return int(self.sample_weight.shape[0])

    @property
    def n_units(self) -> int:
        """Number of independent units (distinct non-negative group ids)."""
        return int(np.unique(self.groups[self.groups >= 0]).size)


def lime_design(
    interpretable: Any, sample_weight: np.ndarray, sampler: str = "lime"
) -> SampleDesign:
    """The design of ``'lime'`` (independent rows) or ``'stratified'`` (one scramble)."""
    weight = np.asarray(sample_weight, dtype=float)
    groups = np.arange(-1, weight.shape[0] - 1)
    if sampler == "stratified":
        groups = np.where(groups < 0, -1, 0)
    return SampleDesign(interpretable, weight, groups, sampler=sampler)


def without_instance(design: SampleDesign) -> SampleDesign:
    """``design`` without its row 0 (a later block of ``num_samples='auto'``)."""
    control = design.control
    if control is not None:
        control = control.with_features(control.features[1:])
    return SampleDesign(
        design.interpretable[1:],
        design.sample_weight[1:],
        design.groups[1:],
        control=control,
        sampler=design.sampler,
    )


def join_designs(designs: list[SampleDesign], groups: np.ndarray) -> SampleDesign:
    """The blocks ``designs`` (the first with the instance as row 0) as one design.

    Parameters
    ----------
    designs : list of SampleDesign
        Blocks drawn independently with the same scheme, in row order.
    groups : numpy.ndarray
        The joined rows' independent units (each block's units renumbered apart).

    Returns
    -------
    SampleDesign
        The rows of all blocks; its control variate is fitted on all of them and projected on
        the first block's free rows (every block's free rows follow the same distribution).
    """
    first = designs[0]
    control = first.control
    if control is not None:
        control = control.with_features(
            np.vstack([d.control.features for d in designs if d.control is not None])
        )
    joined = SampleDesign(
        np.vstack([np.asarray(d.interpretable) for d in designs]),
        np.concatenate([d.sample_weight for d in designs]),
        np.asarray(groups),
        control=control,
        sampler=first.sampler,
    )
    if control is not None and control.features.shape[0] != joined.n_rows:
        raise ValueError("every block of a joined efficient design needs its control variate")
    return joined


def estimate(
    base: Any,
    design: SampleDesign,
    outputs: np.ndarray,
    labels: Any,
    num_features: int,
    feature_selection: str = "auto",
    model_regressor: Any = None,
    index: np.ndarray | None = None,
) -> dict:
    """The surrogates fitted on the rows ``index`` (default: all) of a design.

    Parameters
    ----------
    base : LimeBase
        Selects features and fits the surrogate.
    design : SampleDesign
    outputs : numpy.ndarray of shape (n,) or (n, n_labels)
        Model outputs of all the design's rows.
    labels : iterable of int
    num_features : int
    feature_selection, model_regressor
        As in ``explain_instance``.
    index : numpy.ndarray of int, optional
        Rows to use (repeats allowed, e.g. a bootstrap resample of groups).

    Returns
    -------
    dict
        ``{label: SurrogateFit}`` in the order of ``labels``.
    """
    if index is None:
        rows = np.arange(design.n_rows)
        x, y, w = design.interpretable, np.asarray(outputs), design.sample_weight
    else:
        rows = np.asarray(index, dtype=np.intp)
        x = design.interpretable[rows]
        y = np.asarray(outputs)[rows]
        w = design.sample_weight[rows]
    if not sp.issparse(x):
        x = np.asarray(x, dtype=float)  # masks are stored as booleans
    if design.control is None:
        return base.fit_labels(
            x,
            y,
            None,
            labels,
            num_features,
            feature_selection=feature_selection,
            model_regressor=model_regressor,
            weights=w,
        )
    return {
        label: _fit_with_control(
            base,
            design.control,
            rows,
            x,
            y[:, label] if y.ndim == 2 else y,
            w,
            num_features,
            feature_selection,
            model_regressor,
            # lime's verbose report, for the explanation itself (not for every resample)
            verbose=index is None and bool(getattr(base, "verbose", False)),
        )
        for label in labels
    }


def _fit_with_control(
    base: Any,
    control: ControlVariate,
    rows: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    num_features: int,
    feature_selection: str,
    model_regressor: Any,
    verbose: bool = False,
) -> Any:
    """One label's surrogate with the control variate (see :class:`ControlVariate`).

    With ``h`` the cheap model fitted on the queried rows and ``L_S h`` the kernel-weighted
    least-squares projection of ``h`` on the features ``S`` computed on the free rows, the
    surrogate on ``S`` is lime's fit of ``y - h + L_S h``: linear in ``y``, it estimates the same
    projection of the model as lime's fit of ``y`` (exactly so for a fixed ``h``), with the
    noise of ``y - h`` instead of ``y``'s. Features are selected with ``S`` = all features.
    """
    from .base import SurrogateFit, weighted_r2

    feats = np.asarray(control.features, dtype=float)[rows]
    fitted, pool_fitted = _cheap_model(feats, y, w, control)
    pool_x = np.asarray(control.pool_interpretable, dtype=float)
    gram = control.pool_gram()
    pool_ones = np.hstack([np.ones((pool_x.shape[0], 1)), pool_x])
    cross = pool_ones.T @ (control.pool_weight * pool_fitted)
    x_ones = np.hstack([np.ones((x.shape[0], 1)), np.asarray(x, dtype=float)])

    def projected(columns: np.ndarray) -> np.ndarray:
        # Projection of the cheap model on [1, x[:, columns]] under the free rows' measure.
        keep = np.concatenate([[0], np.asarray(columns, dtype=np.intp) + 1])
        sub = gram[np.ix_(keep, keep)]
        sub = sub + 1e-10 * np.trace(sub) / sub.shape[0] * np.eye(sub.shape[0])
        coef = np.linalg.solve(sub, cross[keep])
        return x_ones[:, keep] @ coef

    n_features = x.shape[1]
    adjusted_all = y - fitted + projected(np.arange(n_features))
    used = np.asarray(
        base.feature_selection(x, adjusted_all, w, num_features, feature_selection), dtype=int
    )
    target = y - fitted + projected(used)
    x_used = x[:, used]
    regressor = base._make_regressor(model_regressor)
    regressor.fit(x_used, target, sample_weight=w)
    prediction = np.asarray(regressor.predict(x_used)).ravel()
    # lime's score: how well the surrogate matches the model's own outputs on the samples.
    score = weighted_r2(y, prediction, w)
    local_pred = np.asarray(regressor.predict(x_used[0:1])).ravel()
    coef = np.asarray(regressor.coef_).ravel()
    intercept = float(np.asarray(regressor.intercept_).ravel()[0])
    fidelity = base._held_out_fidelity(model_regressor, x_used, y, w)
    if verbose:
        base.report_fit(intercept, local_pred, y[0])
    order = np.argsort(-np.abs(coef), kind="stable")
    exp = [(int(used[i]), float(coef[i])) for i in order]
    return SurrogateFit(intercept, exp, score, local_pred, fidelity)


_LOGIT_CLIP = 1e-3


def _cheap_model(
    feats: np.ndarray, y: np.ndarray, w: np.ndarray, control: ControlVariate
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the cheap model on the queried rows; return its values there and on the free rows."""
    from .base import WeightedRidge

    logit = control.link == "logit" or (
        control.link == "auto" and bool(np.all((y >= 0.0) & (y <= 1.0)))
    )
    if logit:
        clipped = np.clip(y, _LOGIT_CLIP, 1.0 - _LOGIT_CLIP)
        target = np.log(clipped) - np.log1p(-clipped)
    else:
        target = y
    model = WeightedRidge(alpha=1.0).fit(feats, target, sample_weight=w)
    eta = model.predict(feats)
    pool_eta = model.predict(np.asarray(control.pool_features, dtype=float))
    if logit:
        return _expit(eta), _expit(pool_eta)
    return eta, pool_eta


def _expit(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))
