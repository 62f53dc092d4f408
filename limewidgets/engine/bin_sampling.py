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
        self._rejection_table = np.stack([self.loc, self.scale, self.low, self.high])

    def sample(self, entry: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        """Draw one value for each table entry index in ``entry`` (any shape)."""
        flat = entry.ravel()
        # One gather of the four per-entry constants instead of four (the hot path).
        loc, scale, low, high = self._rejection_table.take(flat, axis=1)
        values = generator.standard_normal(flat.size)
        values *= scale
        values += loc
        rejected = np.flatnonzero((values < low) | (values > high))
        if rejected.size:
            left = flat[rejected]
            values[rejected] = self._inverse_cdf(left, generator.random(rejected.size))
        return values.reshape(entry.shape)

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
