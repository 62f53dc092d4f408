"""Sampling values inside bins: vectorised truncated normals for the discretizers.

:func:`truncated_normal` inverts a truncated normal's CDF in log space; :class:`_BinTable` holds
the per-(feature, bin) constants of a discretizer's bins so that
:meth:`~limewidgets.engine.discretize.BaseDiscretizer.undiscretize` costs a few gathers per
sample.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.special

if TYPE_CHECKING:  # discretize imports this module
    from .discretize import BaseDiscretizer

__all__ = ["truncated_normal"]

# Values per block of :meth:`_BinTable.sample` (16 K doubles: 128 KiB a temporary).
_BLOCK_VALUES = 1 << 14


def truncated_normal(
    mean: np.ndarray, std: np.ndarray, lower: np.ndarray, upper: np.ndarray, uniform: np.ndarray
) -> np.ndarray:
    """Inverse-CDF samples of normals truncated to ``[lower, upper]``, elementwise.

    The CDF is inverted in log space (``log_ndtr`` / ``ndtri_exp``) on the side of the mean where
    the interval lies, so intervals far in a tail are sampled accurately. Degenerate entries
    (``std <= 0`` or ``upper <= lower``) return ``mean`` clipped to the interval.

    Parameters
    ----------
    mean, std, lower, upper : numpy.ndarray
        Parameters of the distributions, all of the same shape.
    uniform : numpy.ndarray
        Uniform draws in ``[0, 1)`` of the same shape (the only source of randomness).

    Returns
    -------
    numpy.ndarray
        Samples, each within its ``[lower, upper]``.
    """
    mean, std, lower, upper, uniform = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (mean, std, lower, upper, uniform))
    )
    out = np.clip(mean, lower, upper)
    ok = (std > 0) & (upper > lower) & np.isfinite(mean)
    if not ok.any():
        return out
    m, s, lo, hi, u = mean[ok], std[ok], lower[ok], upper[ok], uniform[ok]
    a = (lo - m) / s
    b = (hi - m) / s
    # Mirror intervals that lie above the mean so that the lower end is always at or below 0,
    # where log_ndtr keeps full precision.
    flip = a > 0
    a_low = np.where(flip, -b, a)
    b_low = np.where(flip, -a, b)
    with np.errstate(divide="ignore"):
        log_cdf = np.logaddexp(
            np.log1p(-u) + scipy.special.log_ndtr(a_low), np.log(u) + scipy.special.log_ndtr(b_low)
        )
    z = scipy.special.ndtri_exp(log_cdf)
    z = np.where(flip, -z, z)
    out[ok] = np.clip(m + s * z, lo, hi)
    return out


class _BinTable:
    """Per-(feature, bin) constants of the truncated normals, flattened to 1-D arrays.

    Entry ``offsets[j] + k`` describes bin ``k`` of ``features[j]``. Its values follow the bin's
    normal truncated to ``[low, high]``: the part of the bin's ``[min, max]`` that lies inside
    the bin (lower edge exclusive, upper edge inclusive). One round of rejection sampling keeps
    the ~90 % of plain normal draws that land inside (the bins' intervals usually hold that much
    of their normal's mass); the rest are redrawn by inverse CDF,
    ``loc + spread * ndtri(p_low + u * mass)``, with intervals above the mean mirrored
    (``spread < 0``) so that ``p_low`` is a lower-tail probability that ``ndtr`` computes to full
    relative precision. Intervals so far in the tail that this underflows (``extreme``) are
    sampled in log space.
    """

    def __init__(self, discretizer: BaseDiscretizer, features: list) -> None:
        sizes = [discretizer.edges[f].size + 1 for f in features]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        mean = np.concatenate([np.asarray(discretizer.means[f], float) for f in features])
        std = np.concatenate([np.asarray(discretizer.stds[f], float) for f in features])
        minimum = np.concatenate([np.asarray(discretizer.mins[f], float) for f in features])
        maximum = np.concatenate([np.asarray(discretizer.maxs[f], float) for f in features])
        above_lower_edge = np.nextafter(
            np.concatenate([np.concatenate([[-np.inf], discretizer.edges[f]]) for f in features]),
            np.inf,
        )
        upper_edge = np.concatenate(
            [np.concatenate([discretizer.edges[f], [np.inf]]) for f in features]
        )
        low = np.maximum(minimum, above_lower_edge)
        high = np.minimum(maximum, upper_edge)
        # A bin whose [min, max] misses the bin itself (possible with hand-written stats) gets
        # the point of the bin closest to its min.
        empty = ~(low <= high)
        point = np.clip(minimum, above_lower_edge, upper_edge)
        self.low, self.high = np.where(empty, point, low), np.where(empty, point, high)
        self.mean, self.std = mean, std

        # Degenerate bins (one value, zero spread) yield their centre, clipped to the bin.
        ok = (std > 0) & (self.high > self.low) & np.isfinite(mean)
        safe_std = np.where(ok, std, 1.0)
        self.centre = np.clip(np.where(np.isfinite(mean), mean, self.low), self.low, self.high)
        # The normal is centred on the bin's mean even when hand-written stats put the mean
        # outside the bin's interval (then the centre, clipped to the interval, would shift
        # every value); degenerate entries are their centre.
        self.loc = np.where(ok, mean, self.centre)
        self.scale = np.where(ok, std, 0.0)
        a = np.where(ok, (self.low - mean) / safe_std, 0.0)
        b = np.where(ok, (self.high - mean) / safe_std, 0.0)
        flip = a > 0
        a_low, b_low = np.where(flip, -b, a), np.where(flip, -a, b)
        self.p_low = np.where(ok, scipy.special.ndtr(a_low), 0.5)
        self.mass = np.where(ok, scipy.special.ndtr(b_low) - self.p_low, 0.0)
        self.spread = np.where(flip, -self.scale, self.scale)
        self.extreme = ok & (scipy.special.log_ndtr(b_low) < -650.0)

    def sample(
        self, bins: np.ndarray, generator: np.random.Generator, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Draw one value in bin ``bins[i, j]`` of the table's ``j``-th feature, for every entry.

        Parameters
        ----------
        bins : numpy.ndarray of shape (n, n_features)
            Valid bin indices (any numeric dtype).
        generator : numpy.random.Generator
        out : numpy.ndarray, optional
            C-contiguous float64 array shaped like ``bins`` that receives the values; it may be
            ``bins`` itself (each block of bins is read before its values are written).

        Returns
        -------
        numpy.ndarray of shape (n, n_features)
        """
        n_features = self.offsets.size
        flat_bins = bins.reshape(-1)
        values = np.empty(flat_bins.size) if out is None else out.reshape(-1)
        # Blocks of whole rows small enough for their temporaries to stay in cache: one pass
        # over the whole arrays per operation, each allocating fresh memory, costs about
        # twice as much. Drawing the normals block by block gives the same stream as at once.
        step = max(1, _BLOCK_VALUES // max(n_features, 1)) * n_features
        block_offsets = np.tile(self.offsets, step // n_features)
        rejected_at, rejected_entries = [], []
        for start in range(0, flat_bins.size, step):
            stop = min(start + step, flat_bins.size)
            entry = flat_bins[start:stop].astype(np.intp)
            entry += block_offsets[: stop - start]
            block = values[start:stop]
            generator.standard_normal(out=block)
            block *= self.scale.take(entry)
            block += self.loc.take(entry)
            outside = block < self.low.take(entry)
            outside |= block > self.high.take(entry)
            rejected = np.flatnonzero(outside)
            if rejected.size:
                rejected_at.append(rejected + start)
                rejected_entries.append(entry[rejected])
        if rejected_at:
            # Redrawn after all the normals, in row order (as one pass would).
            at = np.concatenate(rejected_at)
            left = np.concatenate(rejected_entries)
            values[at] = self._inverse_cdf(left, generator.random(at.size))
        return values.reshape(bins.shape) if out is None else out

    def quantile(self, entry: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """The quantiles at ``uniforms`` (in ``(0, 1)``, shaped like ``entry``), increasing."""
        flat = entry.ravel()
        uniform = np.asarray(uniforms, dtype=float).ravel()
        # Mirrored intervals map u to the (1 - u) quantile; undo that so values grow with u.
        uniform = np.where(self.spread.take(flat) < 0, 1.0 - uniform, uniform)
        return self._inverse_cdf(flat, uniform).reshape(entry.shape)

    def _inverse_cdf(self, flat: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        z = scipy.special.ndtri(self.p_low.take(flat) + uniform * self.mass.take(flat))
        values = self.loc.take(flat) + self.spread.take(flat) * z
        if self.extreme.any():
            extreme = self.extreme.take(flat)
            e = flat[extreme]
            values[extreme] = truncated_normal(
                self.mean[e], self.std[e], self.low[e], self.high[e], uniform[extreme]
            )
        return np.minimum(np.maximum(values, self.low.take(flat)), self.high.take(flat))


# Most distinct feature tuples one discretizer keeps tables for (undiscretize uses one;
# get_undiscretize_values one per feature).
_MAX_CACHED_TABLES = 64


class _BinTableCache:
    """The :class:`_BinTable` of each feature tuple of one discretizer, rebuilt when stale.

    A table depends only on the discretizer's ``edges``, ``means``, ``stds``, ``mins`` and
    ``maxs`` of its features; building it costs more than a few hundred samples, and it was
    built on every call. Those attributes are public and mutable (a user may edit a bin's
    mean), so each table is stored with a snapshot of the values it was built from and
    rebuilt when they differ: comparing the snapshot costs a small fraction of a rebuild.

    Pickles (and deep-copies) as an empty cache: explainers sent to worker processes stay
    small, and rebuild their tables on first use. A shallow copy of the discretizer (a
    reseeded explainer's) shares the cache, which the snapshots keep correct.
    """

    def __init__(self) -> None:
        self._tables: dict[tuple, tuple[tuple, _BinTable]] = {}

    def __reduce__(self) -> tuple:
        return (_BinTableCache, ())

    def __len__(self) -> int:
        return len(self._tables)

    def table(self, discretizer: BaseDiscretizer, features: list) -> _BinTable:
        """The table of ``features`` for ``discretizer``'s current statistics."""
        key = tuple(features)
        state = _table_state(discretizer, key)
        cached = self._tables.get(key)
        if cached is not None and cached[0] == state:
            return cached[1]
        table = _BinTable(discretizer, list(key))
        if key not in self._tables and len(self._tables) >= _MAX_CACHED_TABLES:
            self._tables.pop(next(iter(self._tables)))  # the oldest
        self._tables[key] = (state, table)
        return table


def _table_state(discretizer: BaseDiscretizer, features: tuple) -> tuple:
    """A snapshot (copies, not references) of everything a :class:`_BinTable` is built from."""
    edges, means, stds = discretizer.edges, discretizer.means, discretizer.stds
    mins, maxs = discretizer.mins, discretizer.maxs
    return tuple(
        (
            np.asarray(edges[f], dtype=float).tobytes(),
            tuple(means[f]),
            tuple(stds[f]),
            tuple(mins[f]),
            tuple(maxs[f]),
        )
        for f in features
    )
