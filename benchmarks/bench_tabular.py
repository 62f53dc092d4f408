"""Tabular explainer: limewidgets against lime 0.2.0.1 on the same row and model.

The data is scikit-learn's breast-cancer table (569 rows, 30 continuous features) and the model a
cheap standardised logistic regression. Both explainers run in one process with their default
settings (``discretize_continuous=True``, quartile bins) and 5000 samples.

Reported:
- overhead = wall time minus the time spent inside the model (best of ``repeat`` runs, the two
  libraries alternating), for both libraries, and the ratio ours / lime (target <= 0.30). Each
  run builds the explainer and explains one row; the explain-only overheads are in ``details``;
- seed-to-seed stability at the same budget, over ``seeds`` seeds (100 by default: 4950 pairs):
  mean pairwise Jaccard similarity of the top-5 features, with its jackknife standard error,
  for lime, for limewidgets' default sampler (lime's rule) and for its ``sampler='stratified'``;
  and the relative spread of the 10 largest weights (see ``_stability.py``).

Run ``python benchmarks/bench_tabular.py``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

try:  # run as a script (benchmarks/ on sys.path) or imported from the repository root
    from _stability import jaccard_with_se, largest_features, relative_weight_sd
    from _timing import measure_interleaved
except ImportError:  # pragma: no cover
    from benchmarks._stability import jaccard_with_se, largest_features, relative_weight_sd
    from benchmarks._timing import measure_interleaved

NUM_SAMPLES = 5000
TOP_K = 5
ROW = 7


def make_case():
    """Breast-cancer data, its feature names and a fitted model's ``predict_proba``."""
    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(data.data, data.target)
    return data.data, [str(n) for n in data.feature_names], model.predict_proba


def _top_features(explanation, k: int = TOP_K) -> list[int]:
    return [int(f) for f, _ in explanation.as_map()[1][:k]]


def _stability(explanations: list) -> dict[str, Any]:
    tops = [_top_features(e) for e in explanations]
    mean, se = jaccard_with_se(tops)
    weights = [{int(f): float(w) for f, w in e.as_map()[1]} for e in explanations]
    return {"tops": tops, "jaccard": mean, "se": se, "weights": weights}


def run(repeat: int = 3, seeds: int = 100) -> dict[str, Any]:
    """Measure overhead and stability of lime and limewidgets on the same tabular case.

    Parameters
    ----------
    repeat : int, default=3
        Runs per library for the overhead (the best is kept).
    seeds : int, default=100
        Seeds for the stability measurement (``seeds * (seeds - 1) / 2`` pairs).

    Returns
    -------
    dict
        ``case``, ``ours_overhead_s``, ``lime_overhead_s``, ``ratio``, ``ours_jaccard``
        (default sampler), ``ours_stratified_jaccard``, ``lime_jaccard`` and ``details``
        (standard errors, weight spreads, top features by seed).
    """
    from lime.lime_tabular import LimeTabularExplainer as LimeExplainer

    from limewidgets.engine.tabular import LimeTabularExplainer as OurExplainer

    data, names, model = make_case()
    row = data[ROW]

    def run_ours(timed_model, seed: int = 0, sampler: str = "lime"):
        explainer = OurExplainer(data, feature_names=names, random_state=seed)
        return explainer.explain_instance(
            row, timed_model, num_samples=NUM_SAMPLES, sampler=sampler
        )

    def run_lime(timed_model, seed: int = 0):
        explainer = LimeExplainer(data, feature_names=names, random_state=seed)
        return explainer.explain_instance(row, timed_model, num_samples=NUM_SAMPLES)

    ours_explainer = OurExplainer(data, feature_names=names, random_state=0)
    lime_explainer = LimeExplainer(data, feature_names=names, random_state=0)

    def explain_ours(timed_model):
        return ours_explainer.explain_instance(row, timed_model, num_samples=NUM_SAMPLES)

    def explain_lime(timed_model):
        return lime_explainer.explain_instance(row, timed_model, num_samples=NUM_SAMPLES)

    run_ours(model)  # warm-up: imports and first-call caches
    run_lime(model)
    start = time.perf_counter()
    model(data[:1].repeat(NUM_SAMPLES, axis=0))
    model_seconds = time.perf_counter() - start

    (ours_overhead, lime_overhead), (ours_exp, lime_exp) = measure_interleaved(
        run_ours, run_lime, model, repeat
    )
    (ours_explain_only, lime_explain_only), _ = measure_interleaved(
        explain_ours, explain_lime, model, repeat
    )

    stability = {
        "ours": _stability([run_ours(model, seed) for seed in range(seeds)]),
        "ours_stratified": _stability(
            [run_ours(model, seed, "stratified") for seed in range(seeds)]
        ),
        "lime": _stability([run_lime(model, seed) for seed in range(seeds)]),
    }
    # The same features for every sampler: lime's 10 largest weights.
    reference = largest_features(stability["lime"]["weights"], 10)

    return {
        "case": f"tabular: breast cancer (569 x 30), scaled logistic regression, default "
        f"settings (quartile discretizer), {NUM_SAMPLES} samples",
        "ours_overhead_s": ours_overhead,
        "lime_overhead_s": lime_overhead,
        "ratio": ours_overhead / lime_overhead,
        "ours_jaccard": stability["ours"]["jaccard"],
        "ours_stratified_jaccard": stability["ours_stratified"]["jaccard"],
        "lime_jaccard": stability["lime"]["jaccard"],
        "details": {
            "num_samples": NUM_SAMPLES,
            "row": ROW,
            "model_seconds_per_5000_rows": model_seconds,
            "ours_explain_only_overhead_s": ours_explain_only,
            "lime_explain_only_overhead_s": lime_explain_only,
            "explain_only_ratio": ours_explain_only / lime_explain_only,
            "repeat": repeat,
            "seeds": seeds,
            "pairs": seeds * (seeds - 1) // 2,
            "top_k": TOP_K,
            **{f"{name}_jaccard_se": stat["se"] for name, stat in stability.items()},
            "weight_spread_features": [names[f] for f in reference],
            **{
                f"{name}_weight_rel_sd": relative_weight_sd(stat["weights"], reference)
                for name, stat in stability.items()
            },
            "ours_top": [names[f] for f in _top_features(ours_exp)],
            "lime_top": [names[f] for f in _top_features(lime_exp)],
            "ours_score": ours_exp.score[1],
            "ours_fidelity": ours_exp.fidelity[1],
            "lime_score": float(lime_exp.score),
            **{f"{name}_tops_by_seed": stat["tops"] for name, stat in stability.items()},
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=float))
