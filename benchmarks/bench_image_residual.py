"""Why two image cases gain about 2x, not 4x: the even and odd parts of lime's residual.

For the ``image-mlp`` (default) or ``image-detector`` case of :mod:`bench_efficiency`
(``--case``) this measures, with the model itself (no limewidgets estimator involved), how far
any design of keep-masks can take lime's estimator.

lime's converged surrogate ``b + beta . z`` is the kernel-weighted least-squares fit of the
model ``f`` over fair-coin masks ``z``; what it leaves is the residual ``r = f - b - beta . z``.
Split ``r`` by the complement ``z -> 1 - z`` into an even part ``(r(z) + r(1 - z)) / 2`` (pairwise
interactions, ...) and an odd part ``(r(z) - r(1 - z)) / 2`` (three-way interactions, ...). With
independent masks (lime) the error of the fitted weights comes from both parts. A folded design
(each mask followed by its complement, what ``sampler='efficient'`` draws for images) cancels
the even part in every pair, but a pair carries the odd part twice, so the odd part is
estimated from half as many independent rows. Its best gain over independent masks is
therefore about ``E[w r^2] / (2 E[w r_odd^2])`` unless the odd part itself is modelled.

Printed:

- the weighted variance of the two parts (``--masks`` masks and as many complements);
- the relative squared error ``|beta_hat - beta|^2 / |beta|^2`` of lime's weighted ridge at 250
  queries on lime's masks, on the folded design and on a randomised regular (unfolded) two-level
  design, for the model's outputs and for the linear part plus only the even or only the odd
  part of the residual (``--seeds`` seeds), and lime's error at 1000 queries;
- the best gain importance sampling of mask pairs could give, and how predictable it is;
- the control variate at 250 queries on the folded design: no cheap model, a logistic-linear
  cheap model (the engine's until its single-index one, which adds a cubic in the same score),
  the same form fitted by least squares, and fitted on 16 000
  extra queries (the best cheap model of that form), with the share of the output variance each
  explains on fresh masks;
- how much of the odd part's nonlinear variance small odd networks ``sum_k v_k tanh(u_k . x)``
  (the shape a control variate would need) explain when fitted on 20 000 mask pairs;
- how much of the even part products of touching superpixels explain, and of the odd part
  products along paths of three touching superpixels, fitted on 20 000 and on 125 mask pairs.

Run ``python benchmarks/bench_image_residual.py [--case image-detector]`` (about 6 minutes;
``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _efficiency_cases as ec  # noqa: E402

from limewidgets.engine.efficient_designs import folded_hadamard_masks  # noqa: E402


class MaskedModel:
    """A case's model as a function of keep-masks (hidden superpixels black, as the case)."""

    def __init__(self, case_name: str = "image-mlp") -> None:
        case = ec.get_case(case_name)
        image, segments = ec._image_case()
        self.model, self.label = copy.copy(case.model), case.label
        self.ids = np.unique(segments)
        self.n_features = self.ids.size
        # The models read a strided subsample of the image: masking only those pixels gives them
        # the same input at a fraction of the cost (a model with a fixed stride reads it as is).
        if hasattr(self.model, "step"):
            step, self.model.step = self.model.step, 1
        else:
            step = max(1, min(image.shape[:2]) // 64)
        self.pixels = image[::step, ::step].astype(np.float32)
        self.segments = np.searchsorted(self.ids, segments)
        self.segment_of_pixel = self.segments[::step, ::step]

    def __call__(self, masks: np.ndarray, chunk: int = 4000) -> np.ndarray:
        out = np.empty(len(masks))
        for start in range(0, len(masks), chunk):
            keep = masks[start : start + chunk].astype(np.float32)[:, self.segment_of_pixel]
            out[start : start + chunk] = self.model(self.pixels[None] * keep[..., None])[
                :, self.label
            ]
        return out

    def adjacent_pairs(self) -> np.ndarray:
        """Pairs of superpixels that touch (a pixel of one beside a pixel of the other)."""
        found = set()
        for a, b in (
            (self.segments[:, :-1], self.segments[:, 1:]),
            (self.segments[:-1], self.segments[1:]),
        ):
            differ = a != b
            low, high = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
            found.update(zip(low.tolist(), high.tolist(), strict=True))
        return np.array(sorted(found))


def kernel_weights(masks: np.ndarray) -> np.ndarray:
    """lime's image kernel: cosine distance to the all-ones mask, width 0.25."""
    kept = masks.sum(axis=1)
    distance = np.where(kept > 0, 1.0 - np.sqrt(kept / masks.shape[1]), 1.0)
    return np.sqrt(np.exp(-(distance**2) / 0.25**2))


def weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> np.ndarray:
    """lime's surrogate weights: ridge with an intercept, sample weights ``w``."""
    total = w.sum()
    xc = (x - w @ x / total) * np.sqrt(w)[:, None]
    yc = (y - w @ y / total) * np.sqrt(w)
    return np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)


def regular_masks(generator: np.random.Generator, n_rows: int, n_features: int) -> np.ndarray:
    """Rows of a randomised regular two-level design of 256 runs (random columns, not folded)."""
    n_bits = 8
    runs = np.arange(2**n_bits)
    columns = generator.choice(np.arange(1, 2**n_bits), n_features, replace=False)
    both = runs[:, None] & columns[None, :]
    parity = np.zeros(both.shape, dtype=np.int64)
    for bit in range(n_bits):
        parity ^= (both >> bit) & 1
    masks = (parity ^ generator.integers(0, 2, n_features)[None, :]).astype(bool)
    return masks[generator.permutation(runs.size)][:n_rows]


def odd_network_share(f: MaskedModel, n_pairs: int, units: list[int], seed: int) -> dict:
    """Share of the odd part's nonlinear variance that small odd networks explain (held out)."""
    generator = np.random.default_rng(seed)
    d = f.n_features

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        masks = generator.random((n, d)) < 0.5
        return 2.0 * masks - 1.0, (f(masks) - f(~masks)) / 2.0

    x, odd = pairs(n_pairs)
    x_test, odd_test = pairs(max(2000, n_pairs // 2))
    linear = np.linalg.solve(x.T @ x + np.eye(d), x.T @ odd)
    nonlinear = np.mean((odd_test - x_test @ linear) ** 2)
    shares = {}
    for k in units:

        def loss(params: np.ndarray, k: int = k) -> tuple[float, np.ndarray]:
            u, v = params[: k * d].reshape(d, k), params[k * d :]
            hidden = np.tanh(x @ u)
            err = hidden @ v - odd
            grad_v = hidden.T @ err / len(x) + 1e-5 * v
            grad_u = x.T @ (err[:, None] * v[None, :] * (1 - hidden**2)) / len(x) + 1e-5 * u
            value = 0.5 * np.mean(err**2) + 0.5e-5 * (np.sum(u**2) + np.sum(v**2))
            return value, np.concatenate([grad_u.ravel(), grad_v])

        start = np.concatenate(
            [generator.standard_normal(d * k) * 0.02, generator.standard_normal(k) * 0.1]
        )
        fitted = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 3000}).x
        u, v = fitted[: k * d].reshape(d, k), fitted[k * d :]
        shares[k] = 1.0 - np.mean((odd_test - np.tanh(x_test @ u) @ v) ** 2) / nonlinear
    return shares


def local_interaction_share(
    f: MaskedModel,
    residual: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    n_pairs: int,
    seed: int,
) -> dict:
    """Shares of the residual's parts that interactions of touching superpixels explain.

    The even part is regressed on the products of the pairs of superpixels that touch, the odd
    part on the products along paths of three touching superpixels (ridge, penalty by
    cross-validation), fitted on ``n_pairs`` pairs of masks (the best such terms can do) and on
    125 pairs (what one budget of 250 queries could learn from); shares of the held-out variance.
    """
    from sklearn.linear_model import RidgeCV

    generator = np.random.default_rng(seed)
    pairs = f.adjacent_pairs()
    neighbours: dict[int, set[int]] = {i: set() for i in range(f.n_features)}
    for i, j in pairs.tolist():
        neighbours[i].add(j)
        neighbours[j].add(i)
    paths = np.array(
        sorted(
            {
                tuple(sorted((i, j, k)))
                for i, j in pairs.tolist()
                for k in (neighbours[i] | neighbours[j]) - {i, j}
            }
        )
    )
    n_test = max(2000, n_pairs // 2)
    masks = generator.random((n_pairs + n_test, f.n_features)) < 0.5
    _, even, odd = residual(masks)
    signs = 2.0 * masks - 1.0
    terms = {
        "even part, touching pairs": (np.prod(signs[:, pairs], axis=2), even),
        "odd part, touching triples": (np.prod(signs[:, paths], axis=2), odd),
    }
    shares: dict = {}
    for name, (features, part) in terms.items():
        test_x, test_y = features[n_pairs:], part[n_pairs:]
        spread = np.var(test_y)
        shares[name] = {}
        for n_fit in (n_pairs, 125):
            fit = RidgeCV(alphas=np.logspace(-2, 4, 13)).fit(features[:n_fit], part[:n_fit])
            shares[name][n_fit] = 1.0 - np.mean((test_y - fit.predict(test_x)) ** 2) / spread
    return {"n_pairs": len(pairs), "n_triples": len(paths), "shares": shares}


def expit(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def logistic_fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, least_squares: bool
) -> tuple[np.ndarray, float]:
    """A logistic-linear cheap model ``expit(c0 + x . c)`` of outputs in [0, 1].

    ``least_squares=False``: ridge (alpha 1) on the clipped logits (the engine's score).
    ``True``: then weighted least squares of the probabilities themselves (ridge 0.01).
    """
    clipped = np.clip(y, 1e-3, 1 - 1e-3)
    target = np.log(clipped) - np.log1p(-clipped)
    coef = weighted_ridge(x, target, w, alpha=1.0)
    start = np.concatenate([[w @ (target - x @ coef) / w.sum()], coef])
    if not least_squares:
        return start[1:], float(start[0])

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        fitted = expit(params[0] + x @ params[1:])
        slope = w * (fitted - y) * fitted * (1 - fitted)
        value = 0.5 * w @ (fitted - y) ** 2 + 0.005 * params[1:] @ params[1:]
        return value, np.concatenate([[slope.sum()], x.T @ slope + 0.01 * params[1:]])

    params = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    return params[1:], float(params[0])


def with_control_variate(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    cheap: tuple[np.ndarray, float],
    pool: np.ndarray,
    pool_w: np.ndarray,
) -> np.ndarray:
    """lime's ridge on ``y - h + P h``: ``h`` the cheap model, ``P h`` its kernel-weighted
    least-squares projection on the masks computed on free masks ``pool`` (the engine's
    control variate, on every feature)."""
    coef, intercept = cheap
    ones = np.hstack([np.ones((len(pool), 1)), pool])
    weighted = ones * pool_w[:, None]
    projection = np.linalg.solve(
        weighted.T @ ones + 1e-10 * np.eye(ones.shape[1]),
        weighted.T @ expit(intercept + pool @ coef),
    )
    adjusted = y - expit(intercept + x @ coef) + np.hstack([np.ones((len(x), 1)), x]) @ projection
    return weighted_ridge(x, adjusted, w, alpha=1.0)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--masks", type=int, default=200_000, help="masks for lime's limit")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument(
        "--pairs",
        type=int,
        default=20_000,
        help="pairs for the odd networks and local interactions",
    )
    parser.add_argument(
        "--case", choices=["image-mlp", "image-detector"], default="image-mlp", help="model"
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.masks, args.seeds, args.pairs = 20_000, 3, 2000

    f = MaskedModel(args.case)
    d = f.n_features
    generator = np.random.default_rng(0)
    masks = generator.random((args.masks, d)) < 0.5
    outputs, weights = f(masks), kernel_weights(masks)
    beta = weighted_ridge(masks.astype(float), outputs, weights, alpha=0.0)
    intercept = weights @ (outputs - masks @ beta) / weights.sum()
    reference = ec.reference(args.case)
    cached = np.array([reference.get(int(i), 0.0) for i in f.ids])
    print(
        f"{args.case}, {d} superpixels; lime's limit from {args.masks} masks: correlation with "
        f"the cached converged reference {np.corrcoef(beta, cached)[0, 1]:.4f}"
    )

    def residual(
        m: np.ndarray, y: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = f(m) if y is None else y
        r = y - intercept - m @ beta
        r_complement = f(~m) - intercept - (~m) @ beta
        return y, (r + r_complement) / 2.0, (r - r_complement) / 2.0

    n_split = min(args.masks, 50_000)
    split = masks[:n_split]
    _, even, odd = residual(split, outputs[:n_split])
    split_w = kernel_weights(split)
    even_var = (split_w @ even**2) / split_w.sum()
    odd_var = (split_w @ odd**2) / split_w.sum()
    print(
        f"weighted variance: outputs {np.cov(outputs, aweights=weights):.5f}, residual "
        f"{even_var + odd_var:.5f} = even {even_var:.5f} + odd {odd_var:.5f}; a folded design's "
        f"best gain over independent masks, (even + odd) / (2 odd): "
        f"{(even_var + odd_var) / (2 * odd_var):.2f}"
    )

    designs = {
        "lime's masks": lambda g, n: g.random((n, d)) < 0.5,
        "folded (efficient)": lambda g, n: folded_hadamard_masks(g, n, d)[0],
        "regular, unfolded": lambda g, n: regular_masks(g, n, d),
    }
    print(
        "\n| design | queries | error, outputs | error, linear + even part | "
        "error, linear + odd part | correlation |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    results: dict = {"even": even_var, "odd": odd_var, "designs": {}}
    for name, budget in [(n, 250) for n in designs] + [("lime's masks", 1000)]:
        errors = []
        for seed in range(args.seeds):
            g = np.random.default_rng(100 + seed)
            m = np.vstack([np.ones((1, d), dtype=bool), designs[name](g, budget - 1)])
            y, even_part, odd_part = residual(m)
            x, w = m.astype(float), kernel_weights(m)
            linear = intercept + x @ beta
            # Row 0, the instance, is in every design and its complement (every superpixel
            # hidden) in none: it keeps its whole residual in both parts' targets.
            even_part[0] = odd_part[0] = y[0] - linear[0]
            fits = [
                weighted_ridge(x, target, w, alpha=1.0)
                for target in (y, linear + even_part, linear + odd_part)
            ]
            row = [np.sum((fit - beta) ** 2) / np.sum(beta**2) for fit in fits]
            row.append(np.corrcoef(fits[0], beta)[0, 1])
            errors.append(row)
        mean = np.mean(errors, axis=0)
        results["designs"][f"{name} @ {budget}"] = mean.tolist()
        print(
            f"| {name} | {budget} | {mean[0]:.4f} | {mean[1]:.4f} | {mean[2]:.4f} | {mean[3]:.4f} |"
        )

    # Importance sampling of the pairs could only pay where pairs differ in how much of the odd
    # part they carry: its best gain (drawing pairs in proportion to their weighted odd part,
    # known exactly) and how well even the pair's own outputs predict that part.
    pair_w = (split_w + kernel_weights(~split)) / 2.0
    carried = np.abs(pair_w * odd)
    best_gain = np.mean(carried**2) / np.mean(carried) ** 2
    # f(z) - f(1 - z) = 2 odd(z) + beta . (z - (1 - z)): no second pass of the model over the pairs.
    own_outputs = np.abs(2.0 * odd + (2.0 * split - 1.0) @ beta)
    predictability = np.corrcoef(own_outputs, np.abs(odd))[0, 1]
    results["importance_sampling"] = {"best_gain": best_gain, "correlation": predictability}
    print(
        f"\nImportance sampling of mask pairs: best gain on the odd part's error (pairs drawn in "
        f"proportion to their exact weighted odd residual) {best_gain:.2f}; correlation of "
        f"|odd residual| with the pair's own |f(z) - f(1 - z)|: {predictability:.2f}"
    )

    # The control variate: a logistic-linear cheap model fitted on the 250 queries, or the
    # same form fitted on 16 000 extra queries (the best a cheap model of that form can be).
    oracle_masks = np.random.default_rng(7).random((16_000, d)) < 0.5
    oracle_x = oracle_masks.astype(float)
    oracle_y, oracle_w = f(oracle_masks), kernel_weights(oracle_masks)
    oracle = logistic_fit(oracle_x, oracle_y, oracle_w, least_squares=True)
    fresh = np.random.default_rng(8).random((20_000, d)) < 0.5
    fresh_x, fresh_y, fresh_w = fresh.astype(float), f(fresh), kernel_weights(fresh)

    def explained(cheap: tuple[np.ndarray, float]) -> float:
        miss = fresh_y - expit(cheap[1] + fresh_x @ cheap[0])
        spread = fresh_y - fresh_w @ fresh_y / fresh_w.sum()
        return 1.0 - (fresh_w @ miss**2) / (fresh_w @ spread**2)

    print(
        "\n| control variate, folded design, 250 queries | error | correlation | "
        "cheap model's share of the output variance (fresh masks) |"
    )
    print("|---|---:|---:|---:|")
    variants = ["none", "logit ridge", "logistic least squares", "oracle form"]
    scores: dict[str, list] = {name: [] for name in variants}
    for seed in range(args.seeds):
        g = np.random.default_rng(300 + seed)
        m = np.vstack([np.ones((1, d), dtype=bool), folded_hadamard_masks(g, 249, d)[0]])
        x, y, w_m = m.astype(float), f(m), kernel_weights(m)
        pool = folded_hadamard_masks(g, 20_000, d)[0]
        pool_x, pool_w = pool.astype(float), kernel_weights(pool)
        cheap_models = {
            "logit ridge": logistic_fit(x, y, w_m, least_squares=False),
            "logistic least squares": logistic_fit(x, y, w_m, least_squares=True),
            "oracle form": oracle,
        }
        fits = {"none": (weighted_ridge(x, y, w_m, alpha=1.0), np.nan)}
        for name, cheap in cheap_models.items():
            fit = with_control_variate(x, y, w_m, cheap, pool_x, pool_w)
            fits[name] = (fit, explained(cheap))
        for name, (fit, share) in fits.items():
            error = np.sum((fit - beta) ** 2) / np.sum(beta**2)
            scores[name].append([error, np.corrcoef(fit, beta)[0, 1], share])
    results["control_variates"] = {}
    for name in variants:
        error, corr, share = np.mean(scores[name], axis=0)
        results["control_variates"][name] = [error, corr, share]
        share_text = "-" if np.isnan(share) else f"{share:.2f}"
        print(f"| {name} | {error:.4f} | {corr:.4f} | {share_text} |")

    shares = odd_network_share(f, args.pairs, [1, 2, 4, 8], seed=5)
    results["odd_networks"] = shares
    print(
        f"\nOdd part's nonlinear variance explained by odd tanh networks fitted on {args.pairs} "
        "pairs (held out): "
        + ", ".join(f"{k} unit{'s' if k > 1 else ''} {share:.2f}" for k, share in shares.items())
    )

    local = local_interaction_share(f, residual, args.pairs, seed=6)
    results["local_interactions"] = local
    print(
        f"\nInteractions of touching superpixels ({local['n_pairs']} touching pairs, "
        f"{local['n_triples']} paths of three), "
        "share of the part's variance explained (held out), fitted on:"
    )
    for name, by_size in local["shares"].items():
        print(f"- {name}: " + ", ".join(f"{n} pairs {v:.2f}" for n, v in by_size.items()))
    return results


if __name__ == "__main__":
    main()
