"""limewidgets against lime 0.2.0.1, side by side in one process, on the same inputs.

Runs the image, text and tabular cases of ``bench_image.py``, ``bench_text.py`` and
``bench_tabular.py`` and prints one table: overhead (wall time minus time inside the model) for
both libraries and the ratio ours/lime against its target, top-5 seed-to-seed Jaccard stability
(mean over all pairs of seeds ± its standard error) for lime, for limewidgets' default sampler
and for ``sampler='stratified'``, and the image case's peak memory. Ratios, not absolute times,
are what to read: the machines are shared and noisy.

Usage::

    pip install ".[bench]"
    python benchmarks/compare_with_lime.py [--repeat 3] [--seeds N] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_image  # noqa: E402
import bench_tabular  # noqa: E402
import bench_text  # noqa: E402

TARGETS = {"image": 0.10, "text": 0.20, "tabular": 0.30}


def main(argv: list[str] | None = None) -> list[dict]:
    """Run every case and print the comparison table; return the raw results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (best is kept)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="seeds for the stability measure (default: each case's own, 20 to 100)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    results = []
    for name, module in (("image", bench_image), ("text", bench_text), ("tabular", bench_tabular)):
        print(f"running {name} ...", flush=True)
        if args.seeds is None:
            result = module.run(repeat=args.repeat)
        else:
            result = module.run(repeat=args.repeat, seeds=args.seeds)
        result["name"] = name
        results.append(result)

    header = (
        f"{'case':<8} {'ours s':>8} {'lime s':>8} {'ratio':>7} {'target':>7} "
        f"{'ok':>3} {'J ours':>11} {'J strat':>11} {'J lime':>11} {'seeds':>5}"
    )
    print("\nOverhead = wall time - time inside the model (best of repeats)")
    print(header)
    print("-" * len(header))
    for r in results:
        target = TARGETS[r["name"]]
        ok = "yes" if r["ratio"] <= target else "NO"
        details = r.get("details", {})
        print(
            f"{r['name']:<8} {r['ours_overhead_s']:>8.3f} {r['lime_overhead_s']:>8.3f} "
            f"{r['ratio']:>7.3f} {target:>7.2f} {ok:>3} "
            f"{_jaccard(r, details, 'ours'):>11} {_jaccard(r, details, 'ours_stratified'):>11} "
            f"{_jaccard(r, details, 'lime'):>11} {details.get('seeds', ''):>5}"
        )
    print(
        "J = mean pairwise Jaccard of the top-5 features over the seeds (1.0: the same top-5 for "
        "every seed) ± standard error; strat = sampler='stratified'"
    )
    print("\nWeight spread over seeds: sd / |mean| of the 10 largest weights (lower is steadier)")
    print(f"{'case':<8} {'ours':>8} {'strat':>8} {'lime':>8}")
    for r in results:
        details = r.get("details", {})
        spreads = [
            details.get(f"{name}_weight_rel_sd") for name in ("ours", "ours_stratified", "lime")
        ]
        print(
            f"{r['name']:<8} "
            + " ".join("       -" if v is None else f"{v:>8.4f}" for v in spreads)
        )
    image = next(r for r in results if r["name"] == "image")
    lime_peak = image.get("lime_peak_mib")
    lime_text = "not measured" if lime_peak is None else f"{lime_peak:.0f} MiB"
    print(
        f"\nPeak memory, 2048x2048 image, 1000 samples: ours {image['ours_peak_mib']:.0f} MiB "
        f"(target < 1024), lime {lime_text}"
    )
    for r in results:
        print(f"\n{r['name']}: {r['case']}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf8")
    return results


def _jaccard(result: dict, details: dict, name: str) -> str:
    """``'0.86±0.02'`` for one library/sampler's stability, ``'-'`` when not measured."""
    value = result.get(f"{name}_jaccard")
    if value is None:
        return "-"
    se = details.get(f"{name}_jaccard_se")
    return f"{value:.2f}" if se is None or se != se else f"{value:.2f}±{se:.2f}"


if __name__ == "__main__":
    main()
