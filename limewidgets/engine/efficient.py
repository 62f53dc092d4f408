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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .sampling import stratified_uniforms

__all__ = [
    "CONTROL_MAX_FEATURES",
    "TILT_MAX_FEATURES",
    "ControlVariate",
    "SampleDesign",
    "count_weights",
    "efficient_count_masks",
    "estimate",
    "folded_hadamard_masks",
    "image_design",
    "join_designs",
    "lime_design",
    "tabular_design",
    "text_design",
    "without_instance",
]


@dataclass
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

    features: np.ndarray
    pool_features: np.ndarray
    pool_interpretable: np.ndarray
    pool_weight: np.ndarray
    link: str = "auto"
    _gram: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Masks and one-hot codes are kept as booleans: an explanation holds its design until
        # its uncertainty is read (and when pickled), and the free rows outnumber the queried
        # ones. Users of these arrays convert them to float.
        self.features = _compact(self.features)
        self.pool_features = _compact(self.pool_features)
        self.pool_interpretable = _compact(self.pool_interpretable)

    def pool_gram(self) -> np.ndarray:
        """Weighted Gram matrix of ``[1, pool_interpretable]`` (computed once)."""
        if self._gram is None:
            ones = np.ones((self.pool_interpretable.shape[0], 1))
            x = np.hstack([ones, np.asarray(self.pool_interpretable, dtype=float)])
            self._gram = (x * self.pool_weight[:, None]).T @ x
        return self._gram


def _compact(values: Any) -> Any:
    """``values`` as a boolean array when every entry is 0 or 1 (else unchanged)."""
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
        control = ControlVariate(
            np.asarray(control.features)[1:],
            control.pool_features,
            control.pool_interpretable,
            control.pool_weight,
            control.link,
            _gram=control._gram,
        )
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
        control = ControlVariate(
            np.vstack([np.asarray(d.control.features) for d in designs if d.control is not None]),
            control.pool_features,
            control.pool_interpretable,
            control.pool_weight,
            control.link,
            _gram=control.pool_gram(),
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
        print("Intercept", intercept)
        print("Prediction_local", local_pred)
        print("Right:", y[0])
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


# ----------------------------------------------------------------------------- mask designs


def count_weights(
    n_features: int,
    weigh: Callable[[np.ndarray], np.ndarray],
    generator: np.random.Generator,
) -> np.ndarray | None:
    """Kernel weight of a keep-mask as a function of its number of kept features.

    ``weigh(masks)`` returns the kernel weight of each mask (row 0 of ``masks`` is the
    instance, all ones). For lime's metrics (cosine, euclidean, ...) the weight depends only
    on how many features a mask keeps; this is checked on two independent sets of masks, and
    ``None`` is returned when it does not hold (a custom metric), in which case the efficient
    design cannot use counts.

    Returns
    -------
    numpy.ndarray of shape (n_features + 1,) or None
        ``weights[c]``: weight of a mask keeping ``c`` features.
    """
    d = n_features
    counts = np.arange(d + 1)
    result = []
    for _ in range(2):
        keys = generator.random((d + 1, d))
        ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
        masks = (ranks < counts[:, None]).astype(float)
        rows = np.vstack([np.ones((1, d)), masks])
        result.append(np.asarray(weigh(rows), dtype=float)[1:])
    first, second = result
    if not np.allclose(first, second, rtol=1e-9, atol=1e-12):
        return None
    return first


def efficient_count_masks(
    generator: np.random.Generator,
    n_rows: int,
    count_prob: np.ndarray,
    count_weight: np.ndarray,
    n_groups: int = 8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep-masks drawn from lime's distribution re-weighted by the kernel.

    lime draws a count ``c`` of kept features with probability ``count_prob[c]``, then a
    uniformly random set of ``c`` features; the kernel weighs the sample by
    ``count_weight[c]``. Here ``c`` is drawn with probability ``q[c]`` proportional to
    ``count_prob[c] * count_weight[c]`` (exact: the distribution is known), so that every row
    gets the same weight ``Z = sum(count_prob * count_weight)``: the weighted least-squares
    target is unchanged and no query is spent on rows the kernel then ignores. The rows are
    jointly stratified: in each of ``n_groups`` independently scrambled Sobol' blocks, the first
    coordinate picks ``c`` by the inverse CDF of ``q`` and the others choose the kept set by
    selection sampling over the features in a random order.

    Returns
    -------
    masks : numpy.ndarray of shape (n_rows, n_features), bool
    sample_weight : numpy.ndarray of shape (n_rows,)
    groups : numpy.ndarray of shape (n_rows,), int
    """
    p = np.asarray(count_prob, dtype=float)
    w = np.asarray(count_weight, dtype=float)
    d = p.size - 1
    q = p * w
    z = q.sum()
    if not z > 0:
        raise ValueError("the kernel gives weight 0 to every perturbed sample")
    cdf = np.cumsum(q / z)
    masks = np.empty((n_rows, d), dtype=bool)
    groups = np.empty(n_rows, dtype=np.intp)
    n_groups = max(1, min(n_groups, n_rows))
    bounds = np.linspace(0, n_rows, n_groups + 1).astype(int)
    for g in range(n_groups):
        start, stop = bounds[g], bounds[g + 1]
        if stop <= start:
            continue
        u = stratified_uniforms(generator, stop - start, d + 1)
        kept = np.minimum(np.searchsorted(cdf, u[:, 0], side="right"), d).astype(float)
        block = masks[start:stop]
        for step, feature in enumerate(generator.permutation(d).tolist()):
            keep = u[:, step + 1] * (d - step) < kept
            block[:, feature] = keep
            kept -= keep
        groups[start:stop] = g
    return masks, np.full(n_rows, z), groups


def folded_hadamard_masks(
    generator: np.random.Generator, n_rows: int, n_features: int
) -> tuple[np.ndarray, np.ndarray]:
    """Masks with each row independent fair coins, the rows jointly an orthogonal design.

    Each block is a randomised two-level orthogonal array folded over: with ``N`` the smallest
    power of two above ``n_features``, the rows of the ``N x N`` Sylvester-Hadamard matrix
    restricted to ``n_features`` distinct non-constant columns chosen at random, every column's
    levels swapped with probability 1/2, the rows shuffled, followed by their complements. Taken
    alone every row is ``n_features`` independent fair coins (a random swap of each column makes
    any fixed row uniform), which is exactly lime's image distribution; together the masks of a
    block show every superpixel in exactly half of the rows, every pair of superpixels in exactly
    a quarter, and the fold-over makes main effects orthogonal to every two-way interaction.
    Blocks are randomised independently (one group each); the last one may be cut short.

    Returns
    -------
    masks : numpy.ndarray of shape (n_rows, n_features), bool
    groups : numpy.ndarray of shape (n_rows,), int
    """
    n_bits = max(1, int(np.ceil(np.log2(n_features + 1))))
    size = 2**n_bits
    index = np.arange(size, dtype=np.int64)
    masks = np.empty((n_rows, n_features), dtype=bool)
    groups = np.empty(n_rows, dtype=np.intp)
    start, group = 0, 0
    while start < n_rows:
        columns = generator.choice(np.arange(1, size), n_features, replace=False)
        both = index[:, None] & columns[None, :]
        parity = np.zeros(both.shape, dtype=np.int64)
        for bit in range(n_bits):
            parity ^= (both >> bit) & 1
        base = (parity ^ generator.integers(0, 2, n_features)[None, :]).astype(bool)
        base = base[generator.permutation(size)]
        block = np.vstack([base, ~base])
        stop = min(n_rows, start + block.shape[0])
        # A cut block keeps pairs together where it can: interleave rows and complements.
        block = block.reshape(2, size, n_features).transpose(1, 0, 2).reshape(-1, n_features)
        masks[start:stop] = block[: stop - start]
        groups[start:stop] = group
        start, group = stop, group + 1
    return masks, groups


#: Widest surrogate (features) that gets the control variate. Its projection solves a system in
#: ``(features + 1)**2`` on every bootstrap replicate; beyond this width (long documents, very
#: fine segmentations, wide tables) the efficient design keeps its rows and lime's estimator.
CONTROL_MAX_FEATURES = 500


#: Most words for which text rows are drawn from the kernel-tilted count law (see
#: :func:`text_design`).
TILT_MAX_FEATURES = 2000


def _pool_size(n_rows: int, n_features: int) -> int:
    # Free rows for the control variate's projection: many more than the queried rows (8x at
    # small budgets, where the design matters most; 4x from 4000 queries, where drawing them
    # would cost more than the queries save with a fast model), within about 32 MB of floats.
    wanted = max(4000, min(8 * n_rows, max(4 * n_rows, 16_000)))
    return int(max(2 * n_rows, min(wanted, 4_000_000 // max(n_features, 1))))


def image_design(
    generator: np.random.Generator,
    num_samples: int,
    n_features: int,
    weigh: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, SampleDesign]:
    """Masks and design of ``sampler='efficient'`` for images (row 0 all ones).

    The rows are lime's (every superpixel shown with probability 1/2, weighted by lime's kernel)
    in folded orthogonal blocks (:func:`folded_hadamard_masks`), and the surrogate is fitted with
    a logistic control variate (:class:`ControlVariate`) projected on free masks of the same
    design (up to :data:`CONTROL_MAX_FEATURES` superpixels).
    """
    masks, groups = folded_hadamard_masks(generator, num_samples - 1, n_features)
    data = np.ones((num_samples, n_features), dtype=np.int_)
    data[1:] = masks
    weight = np.asarray(weigh(data), dtype=float)
    control = None
    if n_features <= CONTROL_MAX_FEATURES:
        pool, _ = folded_hadamard_masks(generator, _pool_size(num_samples, n_features), n_features)
        pool_x = pool.astype(float)
        pool_weight = np.asarray(weigh(np.vstack([np.ones((1, n_features)), pool_x])))[1:]
        control = ControlVariate(data, pool_x, pool_x, pool_weight)
    design = SampleDesign(
        data, weight, np.concatenate([[-1], groups]), control=control, sampler="efficient"
    )
    return data, design


def text_design(
    generator: np.random.Generator,
    num_samples: int,
    n_features: int,
    weigh: Callable[[np.ndarray], np.ndarray],
    n_groups: int = 1,
) -> tuple[np.ndarray, SampleDesign]:
    """Masks and design of ``sampler='efficient'`` for text (row 0 all ones).

    lime removes ``k ~ U{1..d}`` words; here the number of kept words is drawn from that law
    tilted by the kernel (:func:`efficient_count_masks`), so that every row has the same weight,
    in ``n_groups`` stratified blocks, and the surrogate is fitted with a logistic control
    variate projected on free masks of the same design (up to :data:`CONTROL_MAX_FEATURES`
    words). Falls back to lime's count law weighted
    by the kernel when the kernel is not a function of the number of kept words (a custom
    ``distance_metric``) or the document has more than :data:`TILT_MAX_FEATURES` words.
    """
    d = n_features
    count_prob = np.zeros(d + 1)
    count_prob[:d] = 1.0 / d
    # Tabulating the kernel per count costs (d + 1) x d masks: very long documents keep lime's
    # count law with kernel weights (still stratified) instead of the tilted one.
    per_count = count_weights(d, weigh, generator) if d <= TILT_MAX_FEATURES else None
    tilt = per_count is not None
    count_weight: np.ndarray = per_count if per_count is not None else np.ones(d + 1)
    n_perturbed = num_samples - 1
    masks = np.ones((num_samples, d), dtype=bool)
    weight = np.ones(num_samples)
    groups = np.full(num_samples, -1, dtype=np.intp)
    if n_perturbed:
        rows, row_weight, row_groups = efficient_count_masks(
            generator, n_perturbed, count_prob, count_weight, n_groups=n_groups
        )
        masks[1:] = rows
        weight[1:] = row_weight
        groups[1:] = row_groups
    if tilt:
        weight[0] = float(weigh(masks[:1])[0])
    else:
        weight = np.asarray(weigh(masks), dtype=float)
    control = None
    if d <= CONTROL_MAX_FEATURES:
        pool, pool_weight, _ = efficient_count_masks(
            generator, _pool_size(num_samples, d), count_prob, count_weight, n_groups=1
        )
        pool_x = pool.astype(float)
        if not tilt:
            pool_weight = np.asarray(weigh(np.vstack([np.ones((1, d)), pool_x]))[1:], dtype=float)
        control = ControlVariate(masks, pool_x, pool_x, pool_weight)
    design = SampleDesign(masks, weight, groups, control=control, sampler="efficient")
    return masks, design


def tabular_design(
    draw: Callable[[int], np.ndarray],
    to_interpretable: Callable[[np.ndarray], np.ndarray],
    weigh: Callable[[np.ndarray], np.ndarray],
    codes: Callable[[np.ndarray], np.ndarray] | None,
    num_samples: int,
    n_groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, SampleDesign]:
    """Raw rows, their interpretable rows and the design of ``sampler='efficient'`` for tables.

    Parameters
    ----------
    draw : callable
        ``draw(n)`` returns ``n`` raw rows of the stratified sampler, row 0 the instance (one
        independent scramble per call).
    to_interpretable, weigh : callable
        The explanation's representation of raw rows and the kernel weights of interpretable
        rows (row 0 the instance).
    codes : callable or None
        ``codes(raw)``: the bin or category index of every value (discretized explainers), used
        by the control variate; ``None`` without a discretizer.
    num_samples : int
    n_groups : int, default=1
        Independently scrambled blocks of rows (one scramble spreads the rows best: measured).

    Notes
    -----
    The rows are lime's distribution in ``n_groups`` stratified blocks. The control variate is
    an additive model of the outputs in the bins of every column (not only "same bin as the
    instance or not", which is all the surrogate sees): which other bin a value falls in, and so
    much of the output noise of a forest or boosted model, is then explained by a model whose
    surrogate is computed on free rows.
    """
    n_perturbed = num_samples - 1
    n_groups = max(1, min(n_groups, n_perturbed))
    bounds = np.linspace(0, n_perturbed, n_groups + 1).astype(int)
    blocks = [draw(2)[:1]]
    groups = [np.array([-1])]
    for g in range(n_groups):
        size = int(bounds[g + 1] - bounds[g])
        if size:
            blocks.append(draw(size + 1)[1:])
            groups.append(np.full(size, g))
    raw = np.vstack(blocks)
    interpretable = np.asarray(to_interpretable(raw), dtype=float)
    weight = np.asarray(weigh(interpretable), dtype=float)
    if interpretable.shape[1] > CONTROL_MAX_FEATURES:
        return (
            raw,
            interpretable,
            SampleDesign(interpretable, weight, np.concatenate(groups), sampler="efficient"),
        )
    pool_raw = draw(_pool_size(num_samples, raw.shape[1]) + 1)
    pool_x = np.asarray(to_interpretable(pool_raw), dtype=float)
    pool_weight = np.asarray(weigh(pool_x), dtype=float)[1:]
    pool_raw, pool_x = pool_raw[1:], pool_x[1:]
    if codes is None:
        feats, pool_feats = interpretable, pool_x
    else:
        both = np.asarray(codes(np.vstack([raw, pool_raw])), dtype=np.intp)
        levels = [np.unique(both[:, j]) for j in range(both.shape[1])]
        onehot = np.hstack(
            [(both[:, j : j + 1] == lv[None, :]).astype(float) for j, lv in enumerate(levels)]
        )
        feats, pool_feats = onehot[: raw.shape[0]], onehot[raw.shape[0] :]
    control = ControlVariate(feats, pool_feats, pool_x, pool_weight)
    design = SampleDesign(
        interpretable, weight, np.concatenate(groups), control=control, sampler="efficient"
    )
    return raw, interpretable, design
