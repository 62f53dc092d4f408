"""The rows ``sampler='efficient'`` draws, per domain, and their :class:`SampleDesign`.

Text: the number of kept words from lime's law tilted by the kernel, on scrambled Sobol' blocks
(:func:`efficient_count_masks`). Images: lime's masks in folded orthogonal blocks
(:func:`folded_hadamard_masks`). Tables: the stratified rows. Each design comes with the free rows
its control variate is projected on (:class:`~limewidgets.engine.efficient.ControlVariate`); the
estimator that uses them is :func:`limewidgets.engine.efficient.estimate`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._threads import with_single_threaded_blas
from .efficient import ControlVariate, Levels, SampleDesign
from .sampling import stratified_uniforms

__all__ = [
    "CONTROL_MAX_FEATURES",
    "TILT_MAX_FEATURES",
    "count_weights",
    "efficient_count_masks",
    "folded_hadamard_masks",
    "image_design",
    "one_hot",
    "one_hot_levels",
    "tabular_design",
    "text_design",
]


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


_CODE_POOL_ROWS = 16_000


def _pool_size(n_rows: int, n_features: int) -> int:
    # Free rows for the control variate's projection: many more than the queried rows (8x at
    # small budgets, where the design matters most; 4x from 4000 queries, where drawing them
    # would cost more than the queries save with a fast model), within about 32 MB of floats.
    wanted = max(4000, min(8 * n_rows, max(4 * n_rows, 16_000)))
    return int(max(2 * n_rows, min(wanted, 4_000_000 // max(n_features, 1))))


@with_single_threaded_blas
def image_design(
    generator: np.random.Generator,
    num_samples: int,
    n_features: int,
    weigh: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, SampleDesign]:
    """Masks and design of ``sampler='efficient'`` for images (row 0 all ones).

    The rows are lime's (every superpixel shown with probability 1/2, weighted by lime's kernel)
    in folded orthogonal blocks (:func:`folded_hadamard_masks`), and the surrogate is fitted with
    a control variate (:class:`ControlVariate`, a single-index cheap model) projected on free
    masks of the same design (up to :data:`CONTROL_MAX_FEATURES` superpixels).
    """
    masks, groups = folded_hadamard_masks(generator, num_samples - 1, n_features)
    data = np.ones((num_samples, n_features), dtype=np.int_)
    data[1:] = masks
    weight = np.asarray(weigh(data), dtype=float)
    control = None
    if n_features <= CONTROL_MAX_FEATURES:
        pool, _ = folded_hadamard_masks(generator, _pool_size(num_samples, n_features), n_features)
        pool_weight = np.asarray(weigh(np.vstack([np.ones((1, n_features)), pool])))[1:]
        control = ControlVariate(
            data, pool, pool, pool_weight, pool_units=np.arange(pool.shape[0]) // 2
        )
    # A mask and its complement are one unit for the uncertainty when there are too few
    # blocks to resample: resampling single rows would undo the fold-over's cancellation of
    # the even interactions and overstate the spread many times.
    pairs = np.concatenate([[-1], np.arange(num_samples - 1) // 2])
    design = SampleDesign(
        data,
        weight,
        np.concatenate([[-1], groups]),
        control=control,
        sampler="efficient",
        fallback_units=pairs,
    )
    return data, design


@with_single_threaded_blas
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
    in ``n_groups`` stratified blocks, and the surrogate is fitted with a single-index control
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
        if not tilt:
            pool_weight = np.asarray(weigh(np.vstack([np.ones((1, d)), pool]))[1:], dtype=float)
        control = ControlVariate(masks, pool, pool, pool_weight)
    design = SampleDesign(masks, weight, groups, control=control, sampler="efficient")
    return masks, design


def one_hot(codes: np.ndarray) -> np.ndarray:
    """Indicator columns of integer codes: for each column, one per value it takes (sorted).

    Parameters
    ----------
    codes : numpy.ndarray of shape (n, d), int

    Returns
    -------
    numpy.ndarray of shape (n, n_levels), bool
    """
    codes = np.asarray(codes)
    if codes.shape[0] == 0 or codes.shape[1] == 0:
        return np.zeros(codes.shape[:1] + (0,), dtype=bool)
    return one_hot_levels(codes).dense()


def one_hot_levels(codes: np.ndarray) -> Levels:
    """:func:`one_hot` of ``codes`` as the positions of its ones (:class:`Levels`).

    Parameters
    ----------
    codes : numpy.ndarray of shape (n, d), int, with n >= 1

    Returns
    -------
    Levels
    """
    codes = np.asarray(codes, dtype=np.intp)
    n, d = codes.shape
    low = codes.min(axis=0)
    span = codes.max(axis=0) - low + 1
    if int(span.sum()) > 64 * d + 1024:  # sparse category values: index the values present
        local = np.empty_like(codes)
        span = np.empty(d, dtype=np.intp)
        for j in range(d):
            levels, local[:, j] = np.unique(codes[:, j], return_inverse=True)
            span[j] = levels.size
    else:
        local = codes - low
    offsets = np.concatenate([[0], np.cumsum(span)[:-1]]).astype(np.intp)
    positions = local + offsets
    # Values no row takes get no column: renumber the columns that are used.
    used = np.bincount(positions.ravel(), minlength=int(span.sum())) > 0
    renumber = np.cumsum(used) - 1
    return Levels.from_columns(renumber[positions], int(used.sum()))


@with_single_threaded_blas
def tabular_design(
    draw: Callable[[int], np.ndarray],
    to_interpretable: Callable[[np.ndarray], np.ndarray],
    weigh: Callable[[np.ndarray], np.ndarray],
    num_samples: int,
    codes: Callable[[np.ndarray], np.ndarray] | None = None,
    n_groups: int = 1,
    draw_codes: Callable[[int], np.ndarray] | None = None,
    codes_to_interpretable: Callable[[np.ndarray], np.ndarray] | None = None,
    n_levels: np.ndarray | None = None,
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
    draw_codes, codes_to_interpretable, n_levels : optional
        Given together: ``codes(raw)`` returns the *level* of every value (``0 <= level <
        n_levels[j]`` in column ``j``, small integers), ``draw_codes(n)`` draws ``n`` rows of
        levels (no instance row) from the same distribution as ``codes(draw(n))``, and
        ``codes_to_interpretable(levels)`` equals ``to_interpretable`` of rows with those
        levels. The free rows are then drawn as levels: the surrogate and the control variate
        only see them, so drawing values inside the bins for them would be wasted (it was half
        of the design's time), and their one-hot columns are known without looking at them.

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
    blocks = [draw(1)]  # the instance alone (no stratified sequence drawn for it)
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
    n_pool = _pool_size(num_samples, raw.shape[1])
    feats: np.ndarray | Levels
    pool_feats: np.ndarray | Levels
    if codes is not None and draw_codes is not None and codes_to_interpretable is not None:
        if n_levels is None:
            raise ValueError("tabular_design needs n_levels with draw_codes")
        # Levels are cheap to draw: more free rows, less noise from the projection (measured:
        # at 250 queries 16000 free rows gain about 0.05 top-5 Jaccard over 4000 on boosting).
        n_pool = max(n_pool, min(_CODE_POOL_ROWS, 4_000_000 // max(raw.shape[1], 1)))
        pool_levels = np.asarray(draw_codes(n_pool))
        pool_x = np.asarray(codes_to_interpretable(pool_levels))
        pool_weight = np.asarray(weigh(np.vstack([interpretable[:1], pool_x])), dtype=float)[1:]
        n_levels = np.asarray(n_levels, dtype=np.intp)
        start = np.concatenate([[0], np.cumsum(n_levels)[:-1]])
        feats = Levels(np.asarray(codes(raw)), start, int(n_levels.sum()))
        pool_feats = Levels(pool_levels, start, int(n_levels.sum()))
    else:
        pool_raw = draw(n_pool + 1)
        pool_x = np.asarray(to_interpretable(pool_raw), dtype=float)
        pool_weight = np.asarray(weigh(pool_x), dtype=float)[1:]
        pool_raw, pool_x = pool_raw[1:], pool_x[1:]
        if codes is None:
            feats, pool_feats = interpretable, pool_x
        else:
            onehot = one_hot_levels(np.asarray(codes(np.vstack([raw, pool_raw])), dtype=np.intp))
            feats, pool_feats = onehot[: raw.shape[0]], onehot[raw.shape[0] :]
    control = ControlVariate(feats, pool_feats, pool_x, pool_weight)
    design = SampleDesign(
        interpretable, weight, np.concatenate(groups), control=control, sampler="efficient"
    )
    return raw, interpretable, design
