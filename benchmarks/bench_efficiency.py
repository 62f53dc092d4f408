"""Query efficiency: agreement with lime's converged explanation at a given number of queries.

Side by side in one process, on the cases of ``_efficiency_cases.py`` (a photo with 97
superpixels and three non-additive models: a small network, a convolutional template detector,
two superpixels that matter only together; a 150-word review with a TF-IDF + logistic model and
with an interacting model, breast cancer with a random forest and with gradient boosting):

- ``lime``: lime 0.2.0.1 itself;
- ``stratified`` and ``efficient``: limewidgets' samplers;

each at budgets of 250 / 500 / 1000 / 2000 / 4000 model queries (``num_samples``), over
``--seeds`` seeds. Agreement with the converged reference (lime 0.2.0.1 at 16000 queries,
averaged over 4 seeds; cached in ``benchmarks/.efficiency_reference.json``, ``--refresh``
recomputes it) is the top-5 Jaccard and the weight correlation (see
``_efficiency_cases.agreement``), reported as mean ± standard error over seeds.

The "done" check of issue 7 is printed at the end: ``efficient`` at 250 queries against lime at
1000, and at 500 against lime at 2000, on both measures.

Run ``python benchmarks/bench_efficiency.py --quick`` (a few minutes on 2 cores: fewer seeds,
no 4000 budget) or without ``--quick`` for the full table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _efficiency_cases as ec  # noqa: E402

SAMPLERS = ("lime", "stratified", "efficient")


def measure(name: str, sampler: str, budget: int, seeds: int) -> dict:
    """Agreement (mean, standard error) of one sampler at one budget over ``seeds`` seeds."""
    case = ec.get_case(name)
    ref = ec.reference(name)
    jac, corr = [], []
    for seed in range(seeds):
        if sampler == "lime":
            explanation = ec.run_lime(case, budget, seed)
        else:
            explanation = ec.run_ours(case, budget, seed, sampler=sampler)
        j, c = ec.agreement(ec.weights_of(case, explanation), ref)
        jac.append(j)
        corr.append(c)
    j_arr, c_arr = np.array(jac), np.array(corr)
    se = np.sqrt(seeds)
    return {
        "jaccard": float(j_arr.mean()),
        "jaccard_se": float(j_arr.std(ddof=1) / se) if seeds > 1 else float("nan"),
        "corr": float(c_arr.mean()),
        "corr_se": float(c_arr.std(ddof=1) / se) if seeds > 1 else float("nan"),
    }


def run(cases=ec.CASES, budgets=(250, 500, 1000, 2000, 4000), seeds=10, refresh=False) -> dict:
    """The full table: ``{case: {sampler: {budget: agreement}}}``."""
    results: dict = {}
    for name in cases:
        ec.reference(name, refresh=refresh, verbose=True)
        results[name] = {}
        for sampler in SAMPLERS:
            results[name][sampler] = {}
            for budget in budgets:
                start = time.perf_counter()
                results[name][sampler][budget] = measure(name, sampler, budget, seeds)
                r = results[name][sampler][budget]
                print(
                    f"{name:14s} {sampler:10s} {budget:5d}  jaccard {r['jaccard']:.3f} "
                    f"± {r['jaccard_se']:.3f}  corr {r['corr']:.4f} ± {r['corr_se']:.4f}  "
                    f"({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
    return results


def table(results: dict) -> str:
    """Markdown table: one row per case and sampler, one column per budget."""
    budgets = sorted({b for c in results.values() for s in c.values() for b in s})
    lines = [
        "| case | sampler | " + " | ".join(f"{b} queries" for b in budgets) + " |",
        "|---|---|" + "---|" * len(budgets),
    ]
    for name, by_sampler in results.items():
        for sampler, by_budget in by_sampler.items():
            cells = []
            for b in budgets:
                r = by_budget.get(b)
                cells.append("" if r is None else f"{r['jaccard']:.2f} / {r['corr']:.3f}")
            lines.append(f"| {name} | {sampler} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def done_check(results: dict) -> list[str]:
    """Issue 7's criterion per case: efficient@250 vs lime@1000 and efficient@500 vs lime@2000."""
    out = []
    for name, by_sampler in results.items():
        for ours, theirs in ((250, 1000), (500, 2000)):
            e = by_sampler["efficient"].get(ours)
            lime = by_sampler["lime"].get(theirs)
            if e is None or lime is None:
                continue
            for key in ("jaccard", "corr"):
                diff = e[key] - lime[key]
                se = float(np.hypot(e[f"{key}_se"], lime[f"{key}_se"]))
                verdict = "ok" if diff >= -se else "NOT MET"
                out.append(
                    f"{name:14s} efficient@{ours} vs lime@{theirs} {key:7s}: "
                    f"{e[key]:.3f} vs {lime[key]:.3f} (diff {diff:+.3f} ± {se:.3f}) {verdict}"
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 seeds, budgets up to 2000")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--cases", default=",".join(ec.CASES))
    parser.add_argument("--refresh", action="store_true", help="recompute the references")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()
    budgets = (250, 500, 1000, 2000) if args.quick else (250, 500, 1000, 2000, 4000)
    seeds = args.seeds or (6 if args.quick else 20)
    results = run(args.cases.split(","), budgets, seeds, args.refresh)
    print()
    print(f"Top-5 Jaccard / weight correlation with lime's converged answer ({seeds} seeds)")
    print(table(results))
    print()
    print("\n".join(done_check(results)))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
