"""Random streams shared by the explainers, and the stratified (randomised QMC) sampler.

Every explainer takes ``sampler='lime'`` (lime 0.2.0.1's independent draws),
``sampler='stratified'`` or ``sampler='efficient'`` (:mod:`limewidgets.engine.efficient`, the
default of the top-level explainers; :mod:`limewidgets.lime` keeps ``'lime'``). The stratified sampler draws the uniforms that decide each perturbed
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
spurious weights than with lime's draws (up to about 1.8 times the spread in our tests).

Small budgets on wide discretized tables. The tabular sampler can take its uniforms from a
randomised strength-2 orthogonal array with four levels instead (:func:`orthogonal_array_uniforms`:
256 rows for 22 to 85 columns): every pair of columns then sees each of its 16 pairs of quarters
equally often, which a Sobol' sequence this short in this many dimensions does not achieve. On
breast cancer at 250 queries (40 seeds) the efficient design's weight correlation with lime's
converged answer rose from 0.744 to 0.803 (gradient boosting) and from 0.858 to 0.910 (random
forest). Where it does so, and why not elsewhere, is measured in
:mod:`limewidgets.engine.tabular_sampling` (``_ARRAY_MIN_CODES``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._validation import check_choice

__all__ = [
    "SAMPLERS",
    "check_sampler",
    "inside_unit_interval",
    "orthogonal_array_size",
    "orthogonal_array_uniforms",
    "resolve_sampler",
    "sample_groups",
    "spawn_generator",
    "stratified_uniforms",
]

SAMPLERS = ("lime", "stratified", "efficient")

# Sobol' sequences of scipy have at most 21201 dimensions; wider draws are split into
# independently scrambled blocks (which also bounds the scrambling matrices' memory).
_BLOCK_COLUMNS = 4096
# Digits of the scrambled sequence: enough to tell every row's cell apart; below them each point
# moves uniformly within its cell. scipy's scrambling costs grow with the square of the digits
# (30 digits took 3 ms per call for 30 columns, 20 digits 0.9 ms), and the finer digits would
# be random anyway.
_MIN_SOBOL_BITS = 20


def _sobol_bits(n_rows: int) -> int:
    return max(_MIN_SOBOL_BITS, int(n_rows).bit_length())


def check_sampler(sampler: Any) -> str:
    """Check the ``sampler`` argument of an ``explain_instance`` method; return it."""
    return check_choice("sampler", sampler, SAMPLERS)


def resolve_sampler(sampler: Any, explainer: Any) -> str:
    """The ``sampler`` of an ``explain_instance`` call: ``None`` is the explainer's default.

    The explainers of the top-level API default to ``'efficient'``; the classes of
    :mod:`limewidgets.lime` set ``default_sampler = 'lime'`` so that lime notebooks keep
    lime's numbers.
    """
    return check_sampler(type(explainer).default_sampler if sampler is None else sampler)


def spawn_generator(random_state: np.random.RandomState) -> np.random.Generator:
    """A ``numpy.random.Generator`` seeded from ``random_state`` (advancing it by one draw).

    Bulk draws go through the faster Generator while the object users seed stays lime's
    ``RandomState``: the same seed still gives the same samples, and each call new ones.
    """
    return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))


def sample_groups(sampler: str, n_rows: int, with_instance: bool = True) -> np.ndarray:
    """The independent units of ``n_rows`` samples drawn by ``sampler``.

    This is the contract with :mod:`limewidgets.engine.uncertainty`: rows with the same id are
    one independent unit, a negative id is a row that every run shares (the explained instance,
    row 0 when ``with_instance``).

    ``'lime'`` draws every row independently. ``'stratified'`` draws all rows from one
    scrambled sequence, so its rows are *not* independent and there is no unit to resample
    without giving up the stratification (splitting the rows into 8-32 independent scrambles
    was tried: it lost most of the variance reduction and made the aliasing worse). Its rows
    are treated as independent, which overstates the spread of its weights (the standard errors
    and the stability it reports are conservative for that sampler).

    Parameters
    ----------
    sampler : str
        A name from :data:`SAMPLERS`.
    n_rows : int
        Rows drawn, the instance included when ``with_instance``.
    with_instance : bool, default=True
        Row 0 is the instance (a sampler's first draw; later blocks of ``num_samples='auto'``
        have no instance row).

    Returns
    -------
    numpy.ndarray of shape (n_rows,)
    """
    check_sampler(sampler)
    skip = 1 if with_instance and n_rows > 0 else 0
    rest = np.arange(n_rows - skip, dtype=np.int64)
    return np.concatenate([np.full(skip, -1, dtype=np.int64), rest])


def _sobol_engine(n_columns: int, generator: np.random.Generator, bits: int) -> Any:
    from scipy.stats import qmc

    try:  # scipy >= 1.15 names the seed 'rng'
        return qmc.Sobol(n_columns, scramble=True, bits=bits, rng=generator)
    except TypeError:  # pragma: no cover - older scipy
        return qmc.Sobol(n_columns, scramble=True, bits=bits, seed=generator)


def stratified_uniforms(
    generator: np.random.Generator, n_rows: int, n_columns: int, *, continuous: bool = True
) -> np.ndarray:
    """Uniforms in ``(0, 1)``, each row independent uniforms, the rows jointly stratified.

    The rows are the first ``n_rows`` points of a Sobol' sequence scrambled with a random linear
    matrix scramble and digital shift (``scipy.stats.qmc.Sobol``) on ``max(20, log2(n_rows) + 1)``
    binary digits, each moved uniformly within its cell of that grid so that the values are
    continuous. Column ``j`` is the sequence's dimension ``j``: earlier columns are the more
    evenly spread, so callers put the most important draws first and assign features to the
    others in a random order.

    Parameters
    ----------
    generator : numpy.random.Generator
        Source of the scrambling.
    n_rows, n_columns : int
        Shape of the result.
    continuous : bool, default=True
        ``False``: the scrambled points themselves, multiples of ``2**-bits`` in ``[0, 1)``,
        not moved within their cells (enough to draw discrete values by comparing with
        cumulative frequencies, and half the work).

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_columns)
    """
    out = np.empty((n_rows, n_columns))
    if n_rows == 0 or n_columns == 0:
        return out
    bits = _sobol_bits(n_rows)
    for start in range(0, n_columns, _BLOCK_COLUMNS):
        stop = min(start + _BLOCK_COLUMNS, n_columns)
        block = out[:, start:stop]
        engine = _sobol_engine(stop - start, generator, bits)
        # The first point drawn alone, then the rest: the same points as one call, without
        # scipy's warning that a count which is not a power of 2 loses some balance (the
        # prefix of a Sobol' sequence is still a union of balanced blocks).
        block[:1] = engine.random(1)
        if n_rows > 1:
            block[1:] = engine.random(n_rows - 1)
        if continuous:
            # Points are multiples of 2**-bits: move each uniformly within its cell.
            block *= 2.0**bits
            block += generator.random(block.shape)
            block *= 2.0**-bits
    if not continuous:
        return out
    return inside_unit_interval(out)


def inside_unit_interval(uniforms: np.ndarray) -> np.ndarray:
    """``uniforms`` clipped in place to ``[2**-60, 1 - 2**-53]``, strictly inside ``(0, 1)``.

    Inverse CDFs (``ndtri`` and the bins' truncated normals) are finite there.
    """
    return np.clip(uniforms, 2.0**-60, 1.0 - 2.0**-53, out=uniforms)


# GF(4) = {0, 1, x, x + 1}, coded 0..3 by the bits of the polynomial (modulo x**2 + x + 1):
# addition is bitwise exclusive or, multiplication this table.
_GF4_PRODUCT = np.array([[0, 0, 0, 0], [0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2]], dtype=np.uint8)
# The largest array built: 4**5 = 1024 rows, 341 columns (350 KB).
_MAX_ARRAY_POWER = 5


@functools.lru_cache(maxsize=_MAX_ARRAY_POWER)
def _rao_hamming_array(power: int) -> np.ndarray:
    """The orthogonal array OA(4**power, (4**power - 1) / 3, 4, 2) of Rao and Hamming.

    Its rows are the vectors ``a`` of ``GF(4)**power``, its columns one vector ``c`` per line
    through the origin (the non-zero vectors whose first non-zero coordinate is 1), its entries
    ``a . c``. Two such columns are linearly independent, so as ``a`` runs over the space the
    pair ``(a . c1, a . c2)`` takes each of the 16 values of ``GF(4)**2`` equally often.
    """
    n_rows = 4**power
    digits = (np.arange(n_rows)[:, None] // 4 ** np.arange(power)[::-1]) % 4
    nonzero = digits[1:]
    leading = nonzero[np.arange(n_rows - 1), (nonzero != 0).argmax(axis=1)]
    lines = nonzero[leading == 1].astype(np.uint8)
    array = np.zeros((n_rows, lines.shape[0]), dtype=np.uint8)
    for i in range(power):
        array ^= _GF4_PRODUCT[digits[:, i].astype(np.uint8)[:, None], lines[None, :, i]]
    array.setflags(write=False)
    return array


# Multiplicative inverses in GF(4) (index 0 unused).
_GF4_INVERSE = np.array([0, 1, 3, 2], dtype=np.uint8)


@functools.lru_cache(maxsize=_MAX_ARRAY_POWER)
def _low_aberration_order(power: int) -> np.ndarray:
    """The columns of :func:`_rao_hamming_array` in an order whose prefixes alias little.

    Three columns are *dependent* when their points of the projective space lie on one line
    (one column is a GF(4) combination of the other two): as the rows run over the array, the
    third is then a function of the first two, so the interaction of the factors in two of them
    cannot be told apart from the main effect of the factor in the third. Every two columns are
    independent (strength 2); dependent triples cannot all be avoided (at most 17 of the 85
    columns of the 256-row array are free of them), but their number can be kept low. The order
    is greedy: column 0 first, then always the column that lies on the fewest lines through two
    columns already placed (ties: the lowest index). Its first 30 columns hold 96 dependent
    triples where 30 columns drawn at random hold 148 on average; its first 20, 18 against 44.
    """
    array = _rao_hamming_array(power)
    n_columns = array.shape[1]
    # Row r of the array is the vector whose base-4 digits are r's, so the rows of the unit
    # vectors are these place values; column k (the map a -> a . c_k) there reads c_k itself.
    place_values = 4 ** np.arange(power)[::-1]
    points = array[place_values].T  # (n_columns, power): c_k, first non-zero coordinate 1
    column_of_code = np.full(4**power, -1, dtype=np.intp)
    column_of_code[points.astype(np.intp) @ place_values] = np.arange(n_columns)
    # others[i, j]: the three other columns on the line through columns i and j (i != j).
    others = np.empty((n_columns, n_columns, 3), dtype=np.intp)
    for t, scalar in enumerate((1, 2, 3)):
        combined = points[:, None, :] ^ _GF4_PRODUCT[scalar][points[None, :, :]]
        leading = np.take_along_axis(combined, (combined != 0).argmax(axis=2)[:, :, None], axis=2)
        normalised = _GF4_PRODUCT[_GF4_INVERSE[leading], combined]
        others[:, :, t] = column_of_code[normalised.astype(np.intp) @ place_values]
    order = [0]
    placed = np.zeros(n_columns, dtype=bool)
    placed[0] = True
    closes = np.zeros(n_columns, dtype=np.intp)  # lines through two placed columns, per column
    for _ in range(n_columns - 1):
        candidates = np.flatnonzero(~placed)
        column = int(candidates[np.argmin(closes[candidates])])
        np.add.at(closes, others[order, column].ravel(), 1)
        order.append(column)
        placed[column] = True
    result = np.array(order, dtype=np.intp)
    result.setflags(write=False)
    return result


def _array_power(n_columns: int) -> int | None:
    """The smallest ``k`` whose array has ``n_columns`` columns (``(4**k - 1) / 3``), if built."""
    return next((k for k in range(1, _MAX_ARRAY_POWER + 1) if (4**k - 1) // 3 >= n_columns), None)


def orthogonal_array_size(n_columns: int) -> int:
    """Rows of the orthogonal array :func:`orthogonal_array_uniforms` uses for ``n_columns``.

    The smallest ``4**k`` whose array has at least ``n_columns`` columns (``(4**k - 1) / 3``),
    or 0 when that would take more than 1024 rows (over 341 columns).
    """
    power = _array_power(n_columns)
    return 0 if power is None else 4**power


def orthogonal_array_uniforms(
    generator: np.random.Generator, n_rows: int, n_columns: int
) -> np.ndarray:
    """Uniforms in ``(0, 1)``, each row independent uniforms, the rows a strength-2 array.

    The rows are ``n_rows`` rows of a randomised four-level orthogonal array of strength 2
    (:func:`_rao_hamming_array` with :func:`orthogonal_array_size` rows): its first ``n_columns``
    columns in :func:`_low_aberration_order` (give the factors whose interactions matter most
    the first columns), the four levels of each column relabelled by an independent random
    permutation, the rows shuffled and the first ``n_rows`` kept; level ``l`` becomes a uniform
    in ``[l / 4, (l + 1) / 4)``. Taken alone every row is ``n_columns`` independent uniforms
    (the relabelling makes any fixed row's levels independent and uniform), so a sampler that
    turns a row of uniforms into a sample keeps its distribution exactly; together, with all
    the rows of the array, every pair of columns falls in each of its 16 pairs of quarters
    equally often (cutting the array short keeps this approximately).

    Parameters
    ----------
    generator : numpy.random.Generator
    n_rows : int
        At most ``orthogonal_array_size(n_columns)``.
    n_columns : int

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_columns)
    """
    power = _array_power(n_columns)
    size = 0 if power is None else 4**power
    if n_rows > size:
        raise ValueError(
            f"n_rows must be at most {size} for {n_columns} columns (one orthogonal array); "
            f"got {n_rows}"
        )
    if n_rows == 0 or n_columns == 0:
        return np.empty((n_rows, n_columns))
    assert power is not None  # without an array, size is 0: any n_rows > 0 raised above
    array = _rao_hamming_array(power)
    columns = _low_aberration_order(power)[:n_columns]
    rows = generator.permutation(size)[:n_rows]
    levels = array[np.ix_(rows, columns)]
    relabel = np.argsort(generator.random((n_columns, 4)), axis=1)
    levels = relabel[np.arange(n_columns)[None, :], levels]
    return inside_unit_interval((levels + generator.random((n_rows, n_columns))) / 4.0)
