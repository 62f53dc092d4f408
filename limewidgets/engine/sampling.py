"""Random streams shared by the explainers, and the stratified (randomised QMC) sampler.

Every explainer takes ``sampler='lime'`` (the default: lime 0.2.0.1's independent draws) or
``sampler='stratified'``. The stratified sampler draws the uniforms that decide each perturbed
sample from one scrambled Sobol' sequence instead of independently:

* each sample taken alone has **exactly** lime's distribution. A random digital shift makes
  every point of a scrambled Sobol' sequence uniformly distributed on the unit cube, with
  independent coordinates, and every explainer turns a row of independent uniforms into a
  sample with lime's rule (inverse CDF, thresholds, selection sampling);
* the samples together are spread evenly: every coordinate is stratified (each of ``2**k``
  equal intervals gets its share of the points) and so are low-dimensional projections, so that
  pairs of features are perturbed together in close to their expected proportions.

Why this design. The surrogate's seed-to-seed noise comes mostly from the pairwise
proportions (the sampled design's cross-moments): designs that only balance each column
(exact ``k`` counts in text, exactly half of the masks showing each superpixel, bins in exact
training proportions) were measured and do not reduce it. The Sobol' design does: on the
benchmark cases (``benchmarks/bench_*.py``, same budgets as lime) the spread of the weights
over seeds drops by about 20 % (text), 50 % (tabular) and 80 % (image), with the same mean
weights.

Caveat. Thresholding Sobol' coordinates gives a regular fractional design, in which an
interaction between two features is aliased onto a few specific other features rather than
spread thinly over all of them. For a model with strong interactions the features it reads
become much more precise, but some features it ignores can get somewhat larger (zero-mean)
spurious weights than with lime's draws (up to about 1.8 times the spread in our tests). The
default stays ``'lime'``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_choice

__all__ = [
    "SAMPLERS",
    "check_sampler",
    "spawn_generator",
    "stratified_groups",
    "stratified_uniforms",
]

SAMPLERS = ("lime", "stratified")

# Sobol' sequences of scipy have at most 21201 dimensions; wider draws are split into
# independently scrambled blocks (which also bounds the scrambling matrices' memory).
_BLOCK_COLUMNS = 4096
_SOBOL_BITS = 30
# The rows are drawn as several independently scrambled sequences (see stratified_groups).
_MIN_SCRAMBLES = 8
_MAX_SCRAMBLES = 32
_ROWS_PER_SCRAMBLE = 64


def check_sampler(sampler: Any) -> str:
    """Check the ``sampler`` argument of an ``explain_instance`` method; return it."""
    return check_choice("sampler", sampler, SAMPLERS)


def spawn_generator(random_state: np.random.RandomState) -> np.random.Generator:
    """A ``numpy.random.Generator`` seeded from ``random_state`` (advancing it by one draw).

    Bulk draws go through the faster Generator while the object users seed stays lime's
    ``RandomState``: the same seed still gives the same samples, and each call new ones.
    """
    return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))


def _sobol_engine(n_columns: int, generator: np.random.Generator) -> Any:
    from scipy.stats import qmc

    try:  # scipy >= 1.15 names the seed 'rng'
        return qmc.Sobol(n_columns, scramble=True, bits=_SOBOL_BITS, rng=generator)
    except TypeError:  # pragma: no cover - older scipy
        return qmc.Sobol(n_columns, scramble=True, bits=_SOBOL_BITS, seed=generator)


def stratified_groups(n_rows: int) -> np.ndarray:
    """Which independent scramble each of ``n_rows`` rows of :func:`stratified_uniforms` is in.

    The rows are split into consecutive runs, each the start of its own independently
    scrambled Sobol' sequence: between 8 and 32 of them (about one per 64 rows), at least two
    rows each. Scrambles are independent and identically distributed, which is what lets
    :mod:`limewidgets.engine.uncertainty` estimate an explanation's uncertainty from its own
    samples (one scramble of all the rows would leave nothing to compare).

    Returns
    -------
    numpy.ndarray of shape (n_rows,)
        Scramble id of every row, ``0, 0, ..., 1, 1, ...``.
    """
    n_scrambles = min(max(n_rows // _ROWS_PER_SCRAMBLE, _MIN_SCRAMBLES), _MAX_SCRAMBLES)
    n_scrambles = max(1, min(n_scrambles, n_rows // 2))
    sizes = np.full(n_scrambles, n_rows // n_scrambles)
    sizes[: n_rows % n_scrambles] += 1
    return np.repeat(np.arange(n_scrambles), sizes)


def stratified_uniforms(generator: np.random.Generator, n_rows: int, n_columns: int) -> np.ndarray:
    """Uniforms in ``(0, 1)``, each row independent uniforms, the rows jointly stratified.

    The rows are the first points of a few independently scrambled Sobol' sequences (runs of
    consecutive rows, see :func:`stratified_groups`), each sequence with a random linear matrix
    scramble and digital shift (``scipy.stats.qmc.Sobol``) and each point moved uniformly within
    its cell of the ``2**-30`` grid so that the values are continuous. Column ``j`` is the
    sequences' dimension ``j``: earlier columns are the more evenly spread, so callers put the
    most important draws first and assign features to the others in a random order.

    Parameters
    ----------
    generator : numpy.random.Generator
        Source of the scrambling.
    n_rows, n_columns : int
        Shape of the result.

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_columns)
    """
    out = np.empty((n_rows, n_columns))
    if n_rows == 0 or n_columns == 0:
        return out
    bounds = np.flatnonzero(np.diff(stratified_groups(n_rows), prepend=-1, append=-1))
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        _scrambled_into(out[first:last], generator)
    # Points are multiples of 2**-30: move each uniformly within its cell.
    out *= 2.0**_SOBOL_BITS
    out += generator.random(out.shape)
    out *= 2.0**-_SOBOL_BITS
    # Keep strictly inside (0, 1), where inverse CDFs are finite.
    return np.clip(out, 2.0**-60, 1.0 - 2.0**-53, out=out)


def _scrambled_into(out: np.ndarray, generator: np.random.Generator) -> None:
    """Fill ``out`` with the first points of one freshly scrambled Sobol' sequence."""
    n_rows, n_columns = out.shape
    for start in range(0, n_columns, _BLOCK_COLUMNS):
        stop = min(start + _BLOCK_COLUMNS, n_columns)
        engine = _sobol_engine(stop - start, generator)
        # The first point drawn alone, then the rest: the same points as one call, without
        # scipy's warning that a count which is not a power of 2 loses some balance (the
        # prefix of a Sobol' sequence is still a union of balanced blocks).
        out[:1, start:stop] = engine.random(1)
        if n_rows > 1:
            out[1:, start:stop] = engine.random(n_rows - 1)
