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
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "ControlVariate",
    "Levels",
    "PackedBits",
    "SampleDesign",
    "compact",
    "estimate",
    "join_designs",
    "lime_design",
    "small_ints",
    "without_instance",
]


class Levels:
    """Indicator covariates given by the positions of their ones: one per code column.

    The tabular control variate's covariates are one indicator column per value of every code
    column (one-hot codes): each row has exactly one 1 per code column. Stored as each row's
    level in every code column, packed at 1, 2, 4 or 8 bits a level (quartile bins take 2), the
    free rows take a few bits per code instead of one per indicator column, and the cheap
    model is evaluated on them with a few lookups per row instead of a product with a wide 0/1
    matrix.

    Parameters
    ----------
    levels : numpy.ndarray of shape (n, d), non-negative int
        ``levels[i, j]``: the level of row ``i`` in code column ``j``.
    start : numpy.ndarray of shape (d,), int
        The indicator column of level 0 of each code column: level ``k`` of code column ``j``
        is indicator column ``start[j] + k``. Code columns own disjoint ranges of columns.
    width : int
        Number of indicator columns.
    """

    def __init__(self, levels: Any, start: Any, width: int) -> None:
        levels = np.asarray(levels)
        if levels.ndim != 2:
            raise ValueError(f"levels must be a 2-D array; got {levels.ndim} dimensions")
        self.start = np.asarray(start, dtype=np.intp)
        self.width = int(width)
        self.n_rows, self.n_codes = levels.shape
        top = int(levels.max()) if levels.size else 0
        self._bits = next((b for b in (1, 2, 4, 8) if top < 1 << b), 0)
        if self._bits:
            per_byte = 8 // self._bits
            n_bytes = -(-self.n_codes // per_byte)
            padded = np.zeros((self.n_rows, n_bytes * per_byte), dtype=np.uint8)
            padded[:, : self.n_codes] = levels
            packed = padded[:, 0::per_byte].copy()
            for k in range(1, per_byte):
                packed |= padded[:, k::per_byte] << np.uint8(k * self._bits)
            self._packed = packed
        else:
            self._packed = levels.astype(np.min_scalar_type(top))

    @classmethod
    def from_columns(cls, columns: Any, width: int) -> Levels:
        """Levels from the indicator column of every entry (``columns[i, j]`` in ``[0, width)``)."""
        columns = np.asarray(columns, dtype=np.intp)
        start = columns.min(axis=0) if columns.size else np.zeros(columns.shape[1], np.intp)
        return cls(columns - start, start, width)

    def _with_packed(self, packed: np.ndarray) -> Levels:
        other = copy.copy(self)
        other._packed = packed
        other.n_rows = packed.shape[0]
        return other

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, width)``: the shape of the indicator matrix."""
        return (self.n_rows, self.width)

    @property
    def levels(self) -> np.ndarray:
        """The ``(n, d)`` levels."""
        if not self._bits:
            return self._packed
        per_byte = 8 // self._bits
        mask = np.uint8((1 << self._bits) - 1)
        out = np.empty((self.n_rows, self._packed.shape[1] * per_byte), dtype=np.uint8)
        for k in range(per_byte):
            out[:, k::per_byte] = (self._packed >> np.uint8(k * self._bits)) & mask
        return out[:, : self.n_codes]

    @property
    def columns(self) -> np.ndarray:
        """The ``(n, d)`` positions of the ones."""
        return self.levels + self.start

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, rows: Any) -> Levels:
        return self._with_packed(self._packed[rows])

    def dense(self, rows: Any = None, dtype: Any = bool) -> np.ndarray:
        """The indicator matrix (of rows ``rows``, repeats allowed; default: all rows)."""
        columns = (self if rows is None else self[rows]).columns
        out = np.zeros((columns.shape[0], self.width), dtype=dtype)
        # One flat index per entry: several times faster than a 2-D fancy assignment.
        columns += self.width * np.arange(columns.shape[0])[:, None]
        out.reshape(-1)[columns.ravel()] = 1
        return out

    def dot(self, coef: np.ndarray) -> np.ndarray:
        """``dense() @ coef`` for a vector ``coef`` of length ``width``."""
        coef = np.asarray(coef, dtype=float)
        if not self.n_codes:
            return np.zeros(self.n_rows)
        if not self._bits:
            return coef.take(self.columns).sum(axis=1)
        # Each byte of a row holds the levels of a few code columns: tabulate the sum of their
        # coefficients for every byte value, then add one looked-up value per byte.
        per_byte = 8 // self._bits
        n_bytes = self._packed.shape[1]
        values = np.arange(256, dtype=np.intp)
        shifts = np.arange(per_byte) * self._bits
        digits = (values[:, None] >> shifts) & ((1 << self._bits) - 1)  # (256, per_byte)
        code = np.arange(n_bytes * per_byte).reshape(n_bytes, per_byte)
        valid = code < self.n_codes
        start = np.where(valid, self.start[np.minimum(code, self.n_codes - 1)], 0)
        position = np.minimum(start[:, None, :] + digits[None, :, :], self.width - 1)
        table = np.where(valid[:, None, :], coef.take(position), 0.0).sum(axis=2)
        return table[np.arange(n_bytes), self._packed].sum(axis=1)

    @staticmethod
    def concatenate(parts: list[Levels]) -> Levels:
        """The rows of ``parts`` (all of the same ``start`` and ``width``) one after the other."""
        first = parts[0]
        if all(
            p._bits == first._bits and p._packed.shape[1] == first._packed.shape[1] for p in parts
        ):
            return first._with_packed(np.vstack([p._packed for p in parts]))
        return Levels(np.vstack([p.levels for p in parts]), first.start, first.width)


def _stack_rows(parts: list[Any]) -> Any:
    """The rows of ``parts``: arrays or :class:`Levels`."""
    if isinstance(parts[0], Levels):
        return Levels.concatenate(parts)
    return np.vstack([np.asarray(part) for part in parts])


def _dense_rows(values: Any, rows: np.ndarray | None = None) -> np.ndarray:
    """``values`` (an array or :class:`Levels`), rows ``rows``, as a float array."""
    if isinstance(values, Levels):
        return values.dense(rows, dtype=float)
    array = np.asarray(values, dtype=float)
    return array if rows is None else array[rows]


class PackedBits:
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
        if value is None or isinstance(value, Levels):  # nothing to pack / packed already
            instance.__dict__[self.slot] = value
            return
        value = compact(value)
        if isinstance(value, np.ndarray) and value.dtype == bool:
            value = (value.shape, np.packbits(value, axis=None))
        instance.__dict__[self.slot] = value


class ControlVariate:
    """A cheap model of the outputs whose surrogate is computed on free rows.

    Parameters
    ----------
    features : (n, p) array or Levels
        Covariates of the queried rows the cheap model is fitted on (the interpretable rows
        for text and images, one-hot codes for tables).
    pool_features : (m, p) array or Levels
        The same covariates for ``m`` free rows drawn from the queried rows' distribution.
    pool_interpretable : (m, d) array
        The interpretable representation of the free rows.
    pool_weight : (m,) array
        Their sample weights (as ``SampleDesign.sample_weight``).
    link : {'auto', 'logit', 'identity'}
        The cheap model is a function of the index ``eta = features @ coef + intercept``,
        fitted by weighted ridge on ``link(outputs)``: the least-squares combination of
        ``inverse_link(eta)`` and a cubic in ``eta`` (see ``_flexible_link``). ``'auto'``:
        logit when the outputs are in [0, 1] (probabilities), else identity.
    pool_units : (m,) int array, optional
        Free rows that belong together in their design (a mask and its complement), reweighted
        together by the uncertainty's bootstrap; ``None``: the bootstrap keeps the free rows.
    """

    features = PackedBits()
    pool_features = PackedBits()
    pool_interpretable = PackedBits()

    def __init__(
        self,
        features: Any,
        pool_features: Any,
        pool_interpretable: Any,
        pool_weight: np.ndarray,
        link: str = "auto",
        _gram: np.ndarray | None = None,
        pool_units: np.ndarray | None = None,
    ) -> None:
        self.features = features
        self.pool_features = pool_features
        self.pool_interpretable = pool_interpretable
        # Single precision: the free rows' measure only has to be the same one in the Gram
        # matrix and the cross products (half the memory of the largest array kept).
        self.pool_weight = np.asarray(pool_weight, dtype=np.float32)
        self.link = link
        self._gram = _gram
        self.pool_units = None if pool_units is None else small_ints(pool_units)

    def with_features(self, features: Any) -> ControlVariate:
        """The same free rows (and Gram matrix) with other queried rows' ``features``."""
        other = copy.copy(self)  # shares the packed free rows: no unpacking
        other.features = features
        other._gram = self.pool_gram()
        return other

    def pool_multiplier(self, generator: np.random.Generator) -> np.ndarray | None:
        """Exponential(1) factors on the free rows' weights, one per unit (a replicate's).

        ``None`` (the free rows kept as they are) when the free rows name no units: the
        stratified free rows of text and tables, many times the queried ones, carry little of
        the spread, and reweighting them one by one overstated it (text's standard errors by
        about 20 %).
        """
        units = getattr(self, "pool_units", None)
        if units is None:
            return None
        return np.asarray(generator.exponential(1.0, int(units.max()) + 1))[units]

    def pool_gram(
        self, pool_x: np.ndarray | None = None, pool_weight: np.ndarray | None = None
    ) -> np.ndarray:
        """Weighted Gram matrix of ``[1, pool_interpretable]`` (computed once).

        ``pool_x``: ``pool_interpretable`` as floats, when the caller has it already.
        ``pool_weight``: other weights of the free rows (a bootstrap replicate's); that Gram
        matrix is computed afresh and not kept.
        """
        if self._gram is not None and pool_weight is None:
            return self._gram
        x = _dense_rows(self.pool_interpretable) if pool_x is None else pool_x
        weight32 = self.pool_weight if pool_weight is None else pool_weight.astype(np.float32)
        weight = weight32.astype(float)
        gram = np.empty((x.shape[1] + 1, x.shape[1] + 1))
        gram[0, 0] = weight.sum()
        gram[0, 1:] = gram[1:, 0] = weight @ x
        # Single precision for the (m, d) product (the free rows outnumber the queried
        # ones several times), accumulated over blocks of rows in double precision.
        x32 = x.astype(np.float32)
        weighted = x32 * weight32[:, None]
        inner = np.zeros((x.shape[1], x.shape[1]))
        for top in range(0, x.shape[0], 4096):
            inner += weighted[top : top + 4096].T @ x32[top : top + 4096]
        gram[1:, 1:] = inner
        if pool_weight is None:
            self._gram = gram
        return gram


def small_ints(values: Any) -> np.ndarray:
    """Integer ``values`` as 32-bit integers when they fit (group ids: one per row, kept)."""
    array = np.asarray(values)
    info = np.iinfo(np.int32)
    if array.dtype.kind not in "iu" or not array.size or array.dtype.itemsize <= 4:
        return array
    if info.min <= int(array.min()) and int(array.max()) <= info.max:
        return array.astype(np.int32)
    return array


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


class SampleDesign:
    """How a set of perturbed rows was drawn, for the surrogate and its uncertainty.

    See the module docstring for the meaning of every field. 0/1 ``interpretable`` rows are
    kept as packed bits (the explanation holds its design until its uncertainty is read, and
    ``explain_many`` holds thousands of explanations); reading the attribute unpacks them.

    Parameters
    ----------
    interpretable : (n, d) array or sparse matrix
    sample_weight : (n,) array
    groups : (n,) int array
    control : ControlVariate, optional
    sampler : str, default='lime'
    fallback_units : (n,) int array, optional
        Units the uncertainty resamples when ``groups`` has too few independent units to
        resample (one orthogonal block): rows that belong together in the design (a mask and
        its complement), treated as independent. ``None``: every row on its own.
    """

    interpretable = PackedBits()

    def __init__(
        self,
        interpretable: Any,
        sample_weight: np.ndarray,
        groups: np.ndarray,
        control: ControlVariate | None = None,
        sampler: str = "lime",
        fallback_units: np.ndarray | None = None,
    ) -> None:
        self.interpretable = interpretable
        self.sample_weight = sample_weight
        self.groups = small_ints(groups)
        self.control = control
        self.sampler = sampler
        self.fallback_units = None if fallback_units is None else small_ints(fallback_units)

    def __repr__(self) -> str:
        return (
            f"SampleDesign(n_rows={self.n_rows}, n_units={self.n_units}, "
            f"sampler={self.sampler!r}, control={self.control is not None})"
        )

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
    fallback = design.fallback_units
    return SampleDesign(
        design.interpretable[1:],
        design.sample_weight[1:],
        design.groups[1:],
        control=control,
        sampler=design.sampler,
        fallback_units=None if fallback is None else fallback[1:],
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
            _stack_rows([d.control.features for d in designs if d.control is not None])
        )
    joined = SampleDesign(
        np.vstack([np.asarray(d.interpretable) for d in designs]),
        np.concatenate([d.sample_weight for d in designs]),
        np.asarray(groups),
        control=control,
        sampler=first.sampler,
        fallback_units=_joined_units([d.fallback_units for d in designs]),
    )
    if control is not None and control.features.shape[0] != joined.n_rows:
        raise ValueError("every block of a joined efficient design needs its control variate")
    return joined


def _joined_units(units: list[np.ndarray | None]) -> np.ndarray | None:
    """Blocks' ``fallback_units`` as one array, each block's ids numbered apart (or None)."""
    if any(u is None for u in units):
        return None
    parts, offset = [], 0
    for block in units:
        block = np.asarray(block, dtype=np.int64)
        parts.append(np.where(block >= 0, block + offset, -1))
        offset += int(block.max(initial=-1)) + 1
    return np.concatenate(parts)


def estimate(
    base: Any,
    design: SampleDesign,
    outputs: np.ndarray,
    labels: Any,
    num_features: int,
    feature_selection: str = "auto",
    model_regressor: Any = None,
    index: np.ndarray | None = None,
    multiplier: np.ndarray | None = None,
    pool_multiplier: np.ndarray | None = None,
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
    multiplier : numpy.ndarray of shape (len(index),), optional
        Factors on the rows' sample weights (a multiplier bootstrap).
    pool_multiplier : numpy.ndarray, optional
        Factors on the control variate's free rows' weights (the bootstrap's draw of the free
        rows, whose projection of the cheap model varies between runs too).

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
    if multiplier is not None:
        w = w * np.asarray(multiplier, dtype=float)
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
    control = design.control
    pool_x = _dense_rows(control.pool_interpretable)
    pool_weight = control.pool_weight
    if pool_multiplier is not None:
        pool_weight = pool_weight * np.asarray(pool_multiplier, dtype=np.float32)
    pool = (
        pool_x,
        pool_weight,
        control.pool_gram(pool_x, None if pool_multiplier is None else pool_weight),
    )
    return {
        label: _fit_with_control(
            base,
            control,
            rows,
            x,
            y[:, label] if y.ndim == 2 else y,
            w,
            num_features,
            feature_selection,
            model_regressor,
            pool,
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
    pool: tuple[np.ndarray, np.ndarray, np.ndarray],
    verbose: bool = False,
) -> Any:
    """One label's surrogate with the control variate (see :class:`ControlVariate`).

    With ``h`` the cheap model fitted on the queried rows and ``L_S h`` the kernel-weighted
    least-squares projection of ``h`` on the features ``S`` computed on the free rows, the
    surrogate on ``S`` is lime's fit of ``y - h + L_S h``: linear in ``y``, it estimates the same
    projection of the model as lime's fit of ``y`` (exactly so for a fixed ``h``), with the
    noise of ``y - h`` instead of ``y``'s. Features are selected with ``S`` = all features.
    ``pool``: the free rows as floats, their weights and their weighted Gram matrix.
    """
    from .base import SurrogateFit, weighted_r2

    feats = _dense_rows(control.features, rows)
    fitted, pool_fitted = _cheap_model(feats, y, w, control)
    pool_x, pool_weight, gram = pool
    weighted_fit = pool_weight * pool_fitted
    cross = np.concatenate([[weighted_fit.sum()], weighted_fit @ pool_x])
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
    """Fit the cheap model on the queried rows; return its values there and on the free rows.

    A single-index model: the index ``eta`` is a weighted ridge fit of ``link(y)`` on the
    covariates, and the cheap model is a least-squares combination of ``inverse_link(eta)``
    and a cubic polynomial of ``eta`` (:func:`_flexible_link`). Models whose output is a
    non-logistic function of a nearly additive score (a saturating count, an AND of regions)
    are captured where the logistic alone leaves their curvature in the noise.
    """
    logit = control.link == "logit" or (
        control.link == "auto" and bool(np.all((y >= 0.0) & (y <= 1.0)))
    )
    if logit:
        clipped = np.clip(y, _LOGIT_CLIP, 1.0 - _LOGIT_CLIP)
        target = np.log(clipped) - np.log1p(-clipped)
    else:
        target = y
    coef, intercept = _ridge(feats, target, w)
    eta = feats @ coef + intercept
    pool = control.pool_features
    if isinstance(pool, Levels):
        pool_eta = pool.dot(coef) + intercept
    else:
        pool_eta = np.asarray(pool, dtype=float) @ coef + intercept
    inverse = _expit if logit else None
    return _flexible_link(eta, pool_eta, y, w, inverse)


#: Fewest queried rows per coefficient of the flexible link (below: the plain inverse link).
_ROWS_PER_LINK_COEF = 8


def _flexible_link(
    eta: np.ndarray,
    pool_eta: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    inverse: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The cheap model ``phi(eta)`` on the queried and on the free rows.

    ``phi`` is the weighted least-squares fit of ``y`` on ``[1, t, t**2, t**3, inverse(eta)]``
    (``t`` the standardised index; no ``inverse`` term for the identity link), applied to the
    index clipped to its queried range, so that the cubic is never extrapolated and ``phi`` is
    one function on both sets of rows (what keeps the control variate's target).
    """
    total = w.sum()
    centre = (w @ eta) / total
    spread = float(np.sqrt((w @ (eta - centre) ** 2) / total))

    def plain() -> tuple[np.ndarray, np.ndarray]:
        return (eta, pool_eta) if inverse is None else (inverse(eta), inverse(pool_eta))

    columns = 4 if inverse is None else 5
    if not spread > 1e-12 or eta.size < _ROWS_PER_LINK_COEF * columns:
        return plain()
    clipped = np.clip(pool_eta, eta.min(), eta.max())

    def basis(index: np.ndarray) -> np.ndarray:
        t = (index - centre) / spread
        powers = [np.ones_like(t), t, t**2, t**3]
        return np.column_stack(powers if inverse is None else [*powers, inverse(index)])

    design = basis(eta)
    root_w = np.sqrt(w)
    scaled = design * root_w[:, None]
    norms = np.linalg.norm(scaled, axis=0)
    norms[norms == 0] = 1.0
    # A relative cutoff: near-collinear columns (the logistic of a narrow index is nearly a
    # cubic) get no large cancelling coefficients.
    gamma, *_ = np.linalg.lstsq(scaled / norms, y * root_w, rcond=1e-8)
    gamma = gamma / norms
    if not np.all(np.isfinite(gamma)):
        return plain()
    return design @ gamma, basis(clipped) @ gamma


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float = 1.0) -> tuple:
    """Weighted ridge with an intercept: ``(coef, intercept)``.

    The normal equations are formed in single precision: the cheap model only has to be the
    same function on the queried and the free rows (any such function keeps the estimator's
    target), and halving the width of its ``(n, p)`` one-hot matrix halves the cost of its
    Gram matrix, the largest product of the estimate.
    """
    from .base import _solve_ridge

    total = w.sum()
    x_offset = (w @ x) / total
    y_offset = (w @ y) / total
    root_w = np.sqrt(w)
    xc = ((x - x_offset) * root_w[:, None]).astype(np.float32)
    gram = (xc.T @ xc).astype(float)
    rhs = (xc.T @ ((y - y_offset) * root_w).astype(np.float32)).astype(float)
    coef = _solve_ridge(gram, rhs, alpha)
    return coef, float(y_offset - x_offset @ coef)


def _expit(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))
