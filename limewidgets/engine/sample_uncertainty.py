"""The multiplier bootstrap of a plain weighted ridge surrogate (:class:`SampleUncertainty`).

What :mod:`limewidgets.engine.uncertainty` describes and re-exports: sandwich standard errors of
the weights and the top-k stability, from weighted moments of the samples an explainer drew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

__all__ = [
    "DEFAULT_REPLICATES",
    "SampleUncertainty",
    "UncertaintyResult",
    "iid_groups",
    "mean_pairwise_jaccard",
]

DEFAULT_REPLICATES = 64
# Units are gathered into at most this many iid blocks for the bootstrap.
_MAX_BLOCKS = 128
# The bootstrap reruns the pipeline on at most this many features (the largest ones).
_MAX_BOOTSTRAP_FEATURES = 128
# Replicates sharing one re-centring in the bias correction of the stability.
_GROUP = 4


@dataclass
class UncertaintyResult:
    """Uncertainty of one label's surrogate.

    Attributes
    ----------
    weight_std : dict
        ``{feature_id: standard error}`` for the features of the explanation.
    stability : float
        Expected top-k Jaccard similarity with an independent rerun at the same budget.
    k : int
        The ``k`` of the top-k.
    replicate_sets : list of frozenset
        The top-k feature sets of the bootstrap replicates.
    uncorrected : float
        The mean pairwise Jaccard of ``replicate_sets`` before the bias correction.
    """

    weight_std: dict
    stability: float
    k: int
    uncorrected: float = float("nan")
    replicate_sets: list = field(default_factory=list, repr=False)


def iid_groups(n_rows: int) -> np.ndarray:
    """``groups`` of ``n_rows`` independent rows after the fixed row 0 (lime's sampling)."""
    groups = np.arange(n_rows, dtype=np.int64) - 1
    return groups


class SampleUncertainty:
    """The samples of one explanation, prepared once for the uncertainty of every label.

    Parameters
    ----------
    data : array or sparse matrix of shape (n_samples, n_features)
        The interpretable representation the surrogate was fitted on.
    weights : numpy.ndarray of shape (n_samples,)
        Kernel weights.
    groups : numpy.ndarray of shape (n_samples,), optional
        Independent unit of every row (negative: a fixed row); default :func:`iid_groups`.
    n_replicates : int, default=DEFAULT_REPLICATES
        Bootstrap replicates for the stability.
    seed : int, optional
        Seed of the bootstrap; by default derived from the data's shape, so that the result is
        reproducible and the explainer's own random stream is never touched.
    """

    def __init__(
        self,
        data: Any,
        weights: np.ndarray,
        groups: np.ndarray | None = None,
        n_replicates: int = DEFAULT_REPLICATES,
        seed: int | None = None,
    ) -> None:
        n, d = data.shape
        weights = np.asarray(weights, dtype=float)
        if groups is None:
            groups = iid_groups(n)
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must have one entry per sample ({n}); got {groups.shape}")
        self.n_samples, self.n_features = n, d
        if sp.issparse(data):
            data = data.tocsc()
            # Columns that never vary carry no weight and no uncertainty: work on the others.
            active = np.flatnonzero(np.diff(data.indptr) > 0)
            x = data[:, active].toarray().astype(float, copy=False)
        else:
            x = np.array(data, dtype=float)  # a copy: centred in place below
            active = np.arange(d)
        self.active = active
        self.first = x[0].copy()
        self.w = weights
        self.w_sum = float(weights.sum())
        self.x_mean = (weights @ x) / self.w_sum
        # Only the centred samples are kept (n x d). Gram matrices are built on the columns
        # that are asked for, never on all of them: with 100k distinct words a features x
        # features matrix would be 80 GB.
        x -= self.x_mean
        self.xc = x
        rng = np.random.default_rng(7919 * n + d if seed is None else seed)
        moving = groups >= 0
        self.moving_rows = np.flatnonzero(moving)
        unit_ids, unit_of_row = np.unique(groups[moving], return_inverse=True)
        self.n_units = int(unit_ids.size)
        self._to_units = _summing_matrix(unit_of_row, self.moving_rows, self.n_units, n)
        # The bootstrap reweights blocks of units. Units are iid, so a random partition of
        # them into blocks gives iid blocks with the same total variance; the per-block
        # moments then make every replicate cost O(blocks * d^2) instead of O(n * d).
        n_blocks = min(self.n_units, _MAX_BLOCKS)
        block_of_unit = rng.permutation(self.n_units) % max(n_blocks, 1)
        self.n_blocks = n_blocks
        self._to_blocks = _summing_matrix(block_of_unit[unit_of_row], self.moving_rows, n_blocks, n)
        fixed = np.flatnonzero(~moving)
        self._fixed_rows = fixed
        self.n_replicates = int(n_replicates)
        self._seed = int(rng.integers(0, 2**31))
        self._multipliers: dict = {}
        self._replicated: dict = {}
        self.multipliers = self._draw_multipliers(1.0)

    def _draw_multipliers(self, inflation: float) -> np.ndarray:
        """Bootstrap multipliers: mean 1, variance ``inflation`` (Gamma; Exponential at 1)."""
        key = round(float(inflation), 6)
        if key not in self._multipliers:
            rng = np.random.default_rng(self._seed)
            shape = (self.n_replicates, self.n_blocks)
            self._multipliers[key] = rng.gamma(1.0 / key, key, size=shape)
        return self._multipliers[key]

    def inflation(self, n_weights: int) -> float:
        """Small-sample variance factor ``U / (U - 1 - m)`` for ``m`` fitted weights (HC1).

        The residuals of a fit on ``m`` weights are smaller than the errors by about that
        factor; without it the spread is understated when ``m`` is not small against the
        number of units ``U`` (97 superpixels at 250 samples: by 30 %). Capped at 4.
        """
        spare = self.n_units - 1 - n_weights
        if spare <= 0:
            return 4.0
        return float(min(4.0, self.n_units / spare))

    # ------------------------------------------------------------------ moments
    def _moments(self, cols: np.ndarray, inflation: float = 1.0) -> tuple:
        """Per-replicate weight sums, first moments and centred Gram of features ``cols``."""
        key = (cols.tobytes(), round(float(inflation), 6))
        if key in self._replicated:
            return self._replicated[key]
        xc = self.xc[:, cols]
        xcw = xc * self.w[:, None]
        m = len(cols)
        blocks = self._to_blocks
        s0 = blocks @ self.w
        sx = np.asarray(blocks @ xcw)
        # One Gram per block, from the rows sorted by block.
        grams = np.empty((self.n_blocks, m, m))
        coo = blocks.tocsr()
        for b in range(self.n_blocks):
            rows = coo.indices[coo.indptr[b] : coo.indptr[b + 1]]
            grams[b] = xc[rows].T @ xcw[rows]
        f = self._fixed_rows
        mult = self._draw_multipliers(inflation)
        r_s0 = mult @ s0 + self.w[f].sum()
        r_sx = mult @ sx + xcw[f].sum(axis=0)
        r_gram = (mult @ grams.reshape(self.n_blocks, m * m)).reshape(-1, m, m)
        r_gram += xc[f].T @ xcw[f]
        r_gram -= r_sx[:, :, None] * r_sx[:, None, :] / r_s0[:, None, None]
        result = (r_s0, r_sx, r_gram)
        self._replicated[key] = result
        return result

    def _replicate_cross(
        self, yc: np.ndarray, cols: np.ndarray, inflation: float = 1.0
    ) -> np.ndarray:
        """Per-replicate centred cross-moments of ``cols`` with the response (B, m)."""
        r_s0, r_sx, _ = self._moments(cols, inflation)
        mult = self._draw_multipliers(inflation)
        wy = self.w * yc
        f = self._fixed_rows
        blocks = self._to_blocks
        r_sy = mult @ (blocks @ wy) + wy[f].sum()
        r_c = mult @ np.asarray(blocks @ (self.xc[:, cols] * wy[:, None]))
        r_c += self.xc[f][:, cols].T @ wy[f]
        return r_c - r_sx * (r_sy / r_s0)[:, None]

    # ------------------------------------------------------------------ public
    def weight_std(self, y: np.ndarray, features: np.ndarray, alpha: float) -> np.ndarray:
        """Sandwich standard errors of the ridge weights on ``features`` (feature ids)."""
        idx = self._positions(features)
        keep = idx >= 0
        out = np.zeros(len(idx))
        if self.n_units < 2:
            out[:] = np.nan
            return out
        if not keep.any():
            return out
        idx = idx[keep]
        yc = y - (self.w @ y) / self.w_sum
        xc = self.xc[:, idx]
        xcw = xc * self.w[:, None]
        h = _ridged(xc.T @ xcw, alpha)
        beta = scipy.linalg.solve(h, xcw.T @ yc, assume_a="pos")
        resid = yc - xc @ beta
        scores = np.asarray(self._to_units @ (xcw * resid[:, None]))
        scores -= scores.mean(axis=0)
        half = scipy.linalg.solve(h, scores.T, assume_a="pos")  # (m, U)
        var = np.einsum("ij,ij->i", half, half) * self.inflation(len(idx))
        out[keep] = np.sqrt(np.maximum(var, 0.0))
        return out

    def _positions(self, features: np.ndarray) -> np.ndarray:
        features = np.asarray(features, dtype=int)
        if len(self.active) == self.n_features:
            return features
        lookup = np.full(self.n_features, -1)
        lookup[self.active] = np.arange(len(self.active))
        return lookup[features]

    def label(
        self,
        y: np.ndarray,
        exp: list,
        num_features: int,
        feature_selection: str,
        alpha: float,
        k: int,
    ) -> UncertaintyResult:
        """Uncertainty of one label's explanation.

        Parameters
        ----------
        y : numpy.ndarray of shape (n_samples,)
            The model outputs the surrogate was fitted to.
        exp : list of (int, float)
            The explanation's ``local_exp`` for this label.
        num_features, feature_selection
            As given to the explainer (selection is rerun in every replicate).
        alpha : float
            Penalty of the final surrogate (see :func:`surrogate_alpha`).
        k : int
            Size of the top-k set whose stability is estimated.

        Returns
        -------
        UncertaintyResult
        """
        y = np.asarray(y, dtype=float)
        features = np.array([f for f, _ in exp], dtype=int)
        std = self.weight_std(y, features, alpha)
        weight_std = {int(f): float(s) for f, s in zip(features, std, strict=True)}
        k = max(1, min(int(k), len(features))) if len(features) else 1
        if self.n_units < 2 or len(features) == 0:
            return UncertaintyResult(weight_std, float("nan"), k)
        yc = y - (self.w @ y) / self.w_sum
        cols = self._candidates(yc, num_features)
        inflation = self.inflation(len(features))
        _, _, gram = self._moments(cols, inflation)
        cross = self._replicate_cross(yc, cols, inflation)
        n_select = min(int(num_features), self.n_features)
        sets = self._top_sets(gram, cross, cols, n_select, feature_selection, alpha, k)
        plain = mean_pairwise_jaccard(sets)
        # Bootstrap bias correction. The replicates spread around this explanation's weights,
        # not around the weights a rerun is centred on, and top-k overlap is not linear in the
        # centre: the plain estimate is pulled towards the middle (too high when weights are
        # nearly tied, too low when they are well separated). The same estimate around
        # re-centred weights (shifted by an independent replicate's change of the full fit,
        # one shift per group of replicates) measures that pull; subtract it.
        full = _batched_ridge(gram, cross, alpha)
        xc = self.xc[:, cols]
        xcw = xc * self.w[:, None]
        centre = scipy.linalg.solve(_ridged(xc.T @ xcw, alpha), xcw.T @ yc)
        group = np.arange(self.n_replicates) // _GROUP
        source = (group * _GROUP + _GROUP) % self.n_replicates
        shift = full[source] - centre
        shifted = cross + np.einsum("bij,bj->bi", gram, shift)
        sets2 = self._top_sets(gram, shifted, cols, n_select, feature_selection, alpha, k)
        within = [
            mean_pairwise_jaccard([sets2[i] for i in np.flatnonzero(group == g)])
            for g in np.unique(group)
        ]
        stability = float(np.clip(2.0 * plain - float(np.mean(within)), 0.0, 1.0))
        return UncertaintyResult(weight_std, stability, k, plain, sets)

    def _candidates(self, yc: np.ndarray, num_features: int) -> np.ndarray:
        """Positions of the features the bootstrap reruns the pipeline on.

        All of them up to ``_MAX_BOOTSTRAP_FEATURES``; beyond, the ones with the largest
        standardised weights in the full fit (the others are practically never selected).
        """
        d = len(self.active)
        if d <= _MAX_BOOTSTRAP_FEATURES:
            return np.arange(d)
        beta = self._full_ridge(yc, 0.01)
        scale = np.sqrt(np.maximum(np.einsum("i,ij,ij->j", self.w, self.xc, self.xc), 0.0))
        keep = max(_MAX_BOOTSTRAP_FEATURES, 3 * int(num_features))
        order = np.argsort(-np.abs(beta) * scale, kind="stable")[: min(keep, d)]
        return np.sort(order)

    def _full_ridge(self, yc: np.ndarray, alpha: float) -> np.ndarray:
        """Ridge weights of all features (the penalty and jitter of :func:`_ridged`).

        With more features than samples it is solved in the dual,
        ``beta = Xc' S (S Xc Xc' S + a I)^-1 S yc`` with ``S = diag(sqrt(w))`` (the same
        weights, exactly): n x n instead of features x features, bounded in memory for a
        document of 100k distinct words.
        """
        n, d = self.xc.shape
        trace = float(np.einsum("i,ij,ij->", self.w, self.xc, self.xc))
        penalty = alpha + 1e-10 * (trace / max(d, 1) + 1.0)
        if d <= n:
            xcw = self.xc * self.w[:, None]
            gram = self.xc.T @ xcw
            gram[np.arange(d), np.arange(d)] += penalty
            return scipy.linalg.solve(gram, xcw.T @ yc, assume_a="pos")
        root = np.sqrt(self.w)
        kernel = self.xc @ self.xc.T
        kernel *= root[:, None] * root[None, :]
        kernel[np.arange(n), np.arange(n)] += penalty
        dual = scipy.linalg.solve(kernel, root * yc, assume_a="pos")
        return self.xc.T @ (root * dual)

    def _top_sets(
        self,
        gram: np.ndarray,
        cross: np.ndarray,
        cols: np.ndarray,
        n_select: int,
        method: str,
        alpha: float,
        k: int,
    ) -> list:
        """Rerun selection and the final fit in every replicate; return the top-k sets."""
        b_count, m = cross.shape
        if method == "auto":
            method = "forward_selection" if n_select <= 6 else "highest_weights"
        if method == "none" or n_select >= self.n_features:
            selected = np.broadcast_to(np.arange(m), (b_count, m))
        elif method == "forward_selection":
            selected = _forward_selection(gram, cross, min(n_select, m))
        else:  # highest_weights; lasso_path is approximated by it
            beta = _batched_ridge(gram, cross, 0.01)
            contribution = np.abs(beta * self.first[cols][None, :])
            selected = np.argsort(-contribution, axis=1, kind="stable")[:, : min(n_select, m)]
        rows = np.arange(b_count)[:, None, None]
        sub = gram[rows, selected[:, :, None], selected[:, None, :]]
        sub_cross = np.take_along_axis(cross, selected, axis=1)
        beta = _batched_ridge(sub, sub_cross, alpha)
        order = np.argsort(-np.abs(beta), axis=1, kind="stable")[:, :k]
        tops = self.active[cols[np.take_along_axis(selected, order, axis=1)]]
        return [frozenset(int(f) for f in row) for row in tops]


def _summing_matrix(target: np.ndarray, rows: np.ndarray, n_targets: int, n_rows: int) -> Any:
    """Sparse (n_targets, n_rows) matrix that sums ``rows`` into ``target`` ids."""
    return sp.csr_matrix((np.ones(rows.size), (target, rows)), shape=(max(n_targets, 1), n_rows))


def _ridged(gram: np.ndarray, alpha: float) -> np.ndarray:
    """``gram + alpha I`` plus a tiny jitter, so that singular designs stay solvable."""
    out = np.array(gram, dtype=float, copy=True)
    m = out.shape[-1]
    trace = np.trace(out, axis1=-2, axis2=-1) if out.ndim == 3 else np.trace(out)
    jitter = alpha + 1e-10 * (np.asarray(trace) / max(m, 1) + 1.0)
    idx = np.arange(m)
    if out.ndim == 3:
        out[:, idx, idx] += np.asarray(jitter)[:, None]
    else:
        out[idx, idx] += jitter
    return out


def _batched_ridge(gram: np.ndarray, cross: np.ndarray, alpha: float) -> np.ndarray:
    """Solve ``(gram_b + alpha I) beta_b = cross_b`` for every replicate ``b``."""
    lhs = _ridged(gram, alpha)
    try:
        return np.linalg.solve(lhs, cross[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return np.stack(
            [np.linalg.lstsq(a, c, rcond=None)[0] for a, c in zip(lhs, cross, strict=True)]
        )


def _forward_selection(gram: np.ndarray, cross: np.ndarray, n_select: int) -> np.ndarray:
    """lime's greedy forward selection (OLS R² gain), run for every replicate at once."""
    b_count, m, _ = gram.shape
    rows = np.arange(b_count)
    diag = np.diagonal(gram, axis1=1, axis2=2)
    jitter = 1e-10 * (diag.sum(axis=1) / max(m, 1) + 1.0)
    used = np.empty((b_count, 0), dtype=int)
    for _ in range(n_select):
        t = used.shape[1]
        if t == 0:
            num, den = cross, diag + jitter[:, None]
        else:
            columns = np.take_along_axis(gram, used[:, None, :], axis=2)  # (B, m, t)
            q = np.take_along_axis(columns, used[:, :, None], axis=1)  # (B, t, t)
            q = q + jitter[:, None, None] * np.eye(t)
            c_used = np.take_along_axis(cross, used, axis=1)
            rhs = np.concatenate([c_used[:, :, None], columns.transpose(0, 2, 1)], axis=2)
            sol = np.linalg.solve(q, rhs)  # (B, t, 1 + m)
            num = cross - np.einsum("bmt,bt->bm", columns, sol[:, :, 0])
            den = diag - np.einsum("bmt,btm->bm", columns, sol[:, :, 1:]) + jitter[:, None]
        gain = num**2 / np.maximum(den, 1e-300)
        gain[rows[:, None], used] = -np.inf
        used = np.concatenate([used, np.argmax(gain, axis=1)[:, None]], axis=1)
    return used


def mean_pairwise_jaccard(sets: list) -> float:
    """Mean Jaccard similarity over all pairs of distinct entries of ``sets``."""
    n = len(sets)
    if n < 2:
        return float("nan")
    universe = sorted(set().union(*sets))
    if not universe:
        return 1.0
    position = {f: i for i, f in enumerate(universe)}
    member = np.zeros((n, len(universe)))
    for row, s in enumerate(sets):
        member[row, [position[f] for f in s]] = 1.0
    inter = member @ member.T
    sizes = member.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 1.0)
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))
