"""Is the predicted stability honest? Predicted vs measured, side by side with lime.

Every explanation reports ``stability[label]``: the expected top-5 Jaccard similarity between it
and an independent rerun at the same budget, estimated from its own samples (no extra model
query; :mod:`limewidgets.engine.uncertainty`). This script checks that number against the
stability *measured* over ``--seeds`` independent runs (the mean pairwise top-5 Jaccard, with
its jackknife standard error over seeds, ``_stability.py``), on the cases of
``_efficiency_cases.py`` at several budgets, for limewidgets' samplers, and reports lime
0.2.0.1's own measured stability at the same budget (lime has no prediction).

Columns: ``measured`` = mean pairwise Jaccard over the seeds ± its standard error;
``predicted`` = the mean over the seeds of ``explanation.stability`` (its spread over seeds in
brackets: what one explanation may report); ``diff`` = predicted - measured; ``ok`` = within
±0.1. It also reports the weight standard errors: the median over the top-10 features of
(root-mean-square ``weight_std``) / (sd of the weight over seeds), which should be near 1.

The second table runs ``num_samples='auto'`` (``max_samples=5000``; for ``--auto-samplers``,
default ``efficient`` and ``lime``, and ``--auto-tols``, default 0.05 and 0.1) and reports the
queries it used and its agreement with lime's converged answer (``_efficiency_cases.reference``: lime at
16000 queries, 4 seeds), next to lime's own agreement at 5000 queries.

Usage::

    python benchmarks/bench_stability.py [--seeds 20] [--budgets 250 1000 5000]
        [--cases image-mlp text-linear ...] [--samplers lime stratified] [--json out.json]

lime's image explainer takes about 8 s per 1000 queries here, so lime's image column stops at
``--lime-image-max`` queries (default 1000) unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _efficiency_cases as cases  # noqa: E402
from _stability import jaccard_with_se  # noqa: E402

TOL = 0.1


def _tops(case: cases.Case, explanations: list) -> list[set]:
    return [cases.top_k(cases.weights_of(case, e)) for e in explanations]


def _std_ratio(case: cases.Case, explanations: list) -> float:
    """Median over the 10 largest features of rms(weight_std) / sd(weight) over seeds."""
    maps = [cases.weights_of(case, e) for e in explanations]
    common = set.intersection(*(set(m) for m in maps))
    mean_abs = {f: abs(np.mean([m[f] for m in maps])) for f in common}
    top = sorted(common, key=lambda f: -mean_abs[f])[:10]
    ratios = []
    for f in top:
        sd = np.std([m[f] for m in maps], ddof=1)
        rms = np.sqrt(np.mean([e.weight_std[case.label][f] ** 2 for e in explanations]))
        if sd > 0:
            ratios.append(rms / sd)
    return float(np.median(ratios)) if ratios else float("nan")


def calibrate(
    name: str, budgets: list[int], samplers: list[str], seeds: int, lime_image_max: int
) -> list[dict[str, Any]]:
    """Predicted vs measured stability of case ``name`` at every budget and sampler."""
    case = cases.get_case(name)
    rows = []
    for budget in budgets:
        lime_j = lime_se = float("nan")
        if case.kind != "image" or budget <= lime_image_max:
            lime_runs = [cases.run_lime(case, budget, seed) for seed in range(seeds)]
            lime_j, lime_se = jaccard_with_se(_tops(case, lime_runs))
        for sampler in samplers:
            start = time.perf_counter()
            runs = [cases.run_ours(case, budget, seed, sampler=sampler) for seed in range(seeds)]
            measured, se = jaccard_with_se(_tops(case, runs))
            predicted = np.array([e.stability[case.label] for e in runs])
            row = {
                "case": name,
                "budget": budget,
                "sampler": sampler,
                "measured": measured,
                "measured_se": se,
                "predicted": float(predicted.mean()),
                "predicted_sd": float(predicted.std(ddof=1)),
                "std_ratio": _std_ratio(case, runs),
                "lime_measured": lime_j,
                "lime_measured_se": lime_se,
                "seconds": time.perf_counter() - start,
            }
            rows.append(row)
            _print_row(row)
    return rows


def lime5000_agreement(name: str, seeds: int) -> tuple[float, float]:
    """lime 0.2.0.1's agreement with its converged answer at 5000 queries (Jaccard, corr)."""
    case = cases.get_case(name)
    ref = cases.reference(name)
    lime = [
        cases.agreement(cases.weights_of(case, cases.run_lime(case, 5000, seed)), ref)
        for seed in range(min(seeds, 5 if case.kind == "image" else seeds))
    ]
    return float(np.mean([a[0] for a in lime])), float(np.mean([a[1] for a in lime]))


def auto_agreement(name: str, seeds: int, sampler: str, stability_tol: float) -> dict[str, Any]:
    """Queries used by ``num_samples='auto'`` and its agreement with lime's converged answer."""
    case = cases.get_case(name)
    ref = cases.reference(name)
    runs = [
        cases.run_ours(
            case, "auto", seed, sampler=sampler, max_samples=5000, stability_tol=stability_tol
        )
        for seed in range(seeds)
    ]
    auto = [cases.agreement(cases.weights_of(case, e), ref) for e in runs]
    queries = np.array([e.num_queries for e in runs])
    return {
        "case": name,
        "sampler": sampler,
        "stability_tol": stability_tol,
        "queries_mean": float(queries.mean()),
        "queries_max": int(queries.max()),
        "auto_jaccard": float(np.mean([a[0] for a in auto])),
        "auto_corr": float(np.mean([a[1] for a in auto])),
        "auto_stability": float(np.mean([e.stability[case.label] for e in runs])),
    }


HEADER = (
    f"{'case':<14} {'budget':>6} {'sampler':<10} {'measured':>11} {'predicted':>14} "
    f"{'diff':>6} {'ok':>3} {'se ratio':>8} {'lime meas.':>11}"
)


def _print_row(r: dict[str, Any]) -> None:
    diff = r["predicted"] - r["measured"]
    ok = "yes" if abs(diff) <= TOL else "NO"
    lime = (
        "-"
        if np.isnan(r["lime_measured"])
        else f"{r['lime_measured']:.2f}±{r['lime_measured_se']:.2f}"
    )
    print(
        f"{r['case']:<14} {r['budget']:>6} {r['sampler']:<10} "
        f"{r['measured']:>6.2f}±{r['measured_se']:.2f} "
        f"{r['predicted']:>7.2f} ({r['predicted_sd']:.2f}) {diff:>+6.2f} {ok:>3} "
        f"{r['std_ratio']:>8.2f} {lime:>11}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the calibration (and the 'auto' table) and print them; return the raw results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budgets", type=int, nargs="+", default=[250, 1000, 5000])
    parser.add_argument("--cases", nargs="+", default=list(cases.CASES))
    parser.add_argument("--samplers", nargs="+", default=["lime", "stratified"])
    parser.add_argument("--lime-image-max", type=int, default=1000)
    parser.add_argument("--no-auto", action="store_true", help="skip the 'auto' table")
    parser.add_argument("--auto-samplers", nargs="+", default=["efficient", "lime"])
    parser.add_argument("--auto-tols", type=float, nargs="+", default=[0.05, 0.1])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    print(f"Predicted vs measured top-5 stability over {args.seeds} seeds (ok: within ±{TOL})")
    print(HEADER)
    print("-" * len(HEADER))
    rows = []
    for name in args.cases:
        rows += calibrate(name, args.budgets, args.samplers, args.seeds, args.lime_image_max)
    ok = sum(abs(r["predicted"] - r["measured"]) <= TOL for r in rows)
    print(f"{ok}/{len(rows)} within ±{TOL}")
    print(
        "se ratio: median over the 10 largest weights of rms(weight_std) / sd over seeds "
        "(1 = honest standard errors)"
    )
    auto = []
    if not args.no_auto:
        print("\nnum_samples='auto' (max_samples=5000) vs lime at 5000: agreement with lime's")
        print("converged answer (top-5 Jaccard / weight correlation)")
        print(
            f"{'case':<14} {'sampler':<10} {'tol':>5} {'queries':>14} {'auto J':>7} "
            f"{'auto r':>7} {'lime J':>7} {'lime r':>7}"
        )
        for name in args.cases:
            lime_j, lime_r = lime5000_agreement(name, min(args.seeds, 10))
            for sampler in args.auto_samplers:
                for tol in args.auto_tols:
                    a = auto_agreement(name, min(args.seeds, 10), sampler, tol)
                    a.update(lime5000_jaccard=lime_j, lime5000_corr=lime_r)
                    auto.append(a)
                    print(
                        f"{a['case']:<14} {sampler:<10} {tol:>5.2f} "
                        f"{a['queries_mean']:>7.0f} (≤{a['queries_max']:>4}) "
                        f"{a['auto_jaccard']:>7.2f} {a['auto_corr']:>7.3f} "
                        f"{lime_j:>7.2f} {lime_r:>7.3f}",
                        flush=True,
                    )
    results = {"calibration": rows, "auto": auto}
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf8")
    return results


if __name__ == "__main__":
    main()
