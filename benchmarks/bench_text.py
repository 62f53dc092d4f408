"""Text explainer: limewidgets against lime 0.2.0.1 on the same document and model.

The model is a real but cheap scikit-learn pipeline (TF-IDF + logistic regression) trained on a
corpus generated from a small sentiment vocabulary, so nothing is downloaded. Both explainers
run in one process on the same ~150-word document with 5000 samples.

Reported:
- overhead = wall time minus the time spent inside the model (best of ``repeat`` runs), for
  both libraries, and the ratio ours / lime (target <= 0.20);
- seed-to-seed stability at the same budget (5000 samples), over ``seeds`` seeds (60 by
  default: 1770 pairs): mean pairwise Jaccard similarity of the top-5 words, with its jackknife
  standard error, for lime, for limewidgets' default sampler (lime's rule) and for its
  ``sampler='stratified'``; and the relative spread of the 10 largest weights (see
  ``_stability.py``).

Run ``python benchmarks/bench_text.py``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

try:  # run as a script (benchmarks/ on sys.path) or imported from the repository root
    from _stability import jaccard_with_se, largest_features, relative_weight_sd
    from _timing import measure_interleaved
except ImportError:  # pragma: no cover
    from benchmarks._stability import jaccard_with_se, largest_features, relative_weight_sd
    from benchmarks._timing import measure_interleaved

NUM_SAMPLES = 5000
TOP_K = 5

POSITIVE = (
    "excellent superb wonderful brilliant delightful moving charming gripping "
    "stunning heartfelt masterful witty"
).split()
NEGATIVE = (
    "awful boring dull clumsy tedious bland messy predictable shallow lifeless forgettable painful"
).split()
NEUTRAL = (
    "the a film movie story plot acting cast director scene music ending script camera "
    "character dialogue and but with of was is it this that its in on for an as by at "
    "from very rather quite some more most first second part minutes hour time audience "
    "screen sound light studio release week city night day house family friend world"
).split()


def make_corpus(n_docs: int = 2000, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Generate labelled reviews: sentiment words drawn according to the label."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, n_docs)
    docs = []
    for label in labels:
        n_neutral = rng.randint(15, 40)
        n_major, n_minor = rng.randint(2, 6), rng.randint(0, 3)
        major, minor = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
        words = (
            list(rng.choice(NEUTRAL, n_neutral))
            + list(rng.choice(major, n_major))
            + list(rng.choice(minor, n_minor))
        )
        rng.shuffle(words)
        docs.append(" ".join(words))
    return docs, labels


def make_document(seed: int = 1, n_words: int = 150) -> str:
    """A ~150-word review with a few sentiment words of both signs and punctuation."""
    rng = np.random.RandomState(seed)
    words = list(rng.choice(NEUTRAL, n_words - 10))
    words += list(rng.choice(POSITIVE, 6, replace=False)) + list(rng.choice(NEGATIVE, 4, False))
    rng.shuffle(words)
    sentences = [" ".join(words[i : i + 15]).capitalize() + "." for i in range(0, n_words, 15)]
    return " ".join(sentences)


def make_model():
    """TF-IDF + logistic regression trained on the generated corpus; returns predict_proba."""
    docs, labels = make_corpus()
    pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    pipeline.fit(docs, labels)
    return pipeline.predict_proba


def _top_words(explanation, k: int = TOP_K) -> list[str]:
    return [str(word) for word, _ in explanation.as_list(label=1)[:k]]


def _stability(explanations: list) -> dict[str, Any]:
    tops = [_top_words(e) for e in explanations]
    mean, se = jaccard_with_se(tops)
    return {
        "tops": tops,
        "jaccard": mean,
        "se": se,
        "weights": [dict(e.as_list(label=1)) for e in explanations],
    }


def run(repeat: int = 3, seeds: int = 60) -> dict[str, Any]:
    """Measure overhead and stability of lime and limewidgets on the same text case.

    Parameters
    ----------
    repeat : int, default=3
        Runs per library for the overhead (the best is kept).
    seeds : int, default=60
        Seeds for the stability measurement (``seeds * (seeds - 1) / 2`` pairs).

    Returns
    -------
    dict
        ``case``, ``ours_overhead_s``, ``lime_overhead_s``, ``ratio``, ``ours_jaccard``
        (default sampler), ``ours_stratified_jaccard``, ``lime_jaccard`` and ``details``
        (standard errors, weight spreads, top words by seed).
    """
    from lime.lime_text import LimeTextExplainer as LimeExplainer

    from limewidgets.engine.text import LimeTextExplainer as OurExplainer

    model = make_model()
    document = make_document()
    n_words = len(document.split())

    def run_ours(timed_model, seed: int = 0, sampler: str = "lime"):
        explainer = OurExplainer(random_state=seed)
        return explainer.explain_instance(
            document, timed_model, num_samples=NUM_SAMPLES, sampler=sampler
        )

    def run_lime(timed_model, seed: int = 0):
        explainer = LimeExplainer(random_state=seed)
        return explainer.explain_instance(document, timed_model, num_samples=NUM_SAMPLES)

    model(["warm up the vectorizer"])
    run_ours(model)  # warm-up: imports and first-call caches
    start = time.perf_counter()
    model([document] * NUM_SAMPLES)
    model_seconds = time.perf_counter() - start

    (ours_overhead, lime_overhead), (ours_exp, lime_exp) = measure_interleaved(
        run_ours, run_lime, model, repeat
    )

    stability = {
        "ours": _stability([run_ours(model, seed) for seed in range(seeds)]),
        "ours_stratified": _stability(
            [run_ours(model, seed, "stratified") for seed in range(seeds)]
        ),
        "lime": _stability([run_lime(model, seed) for seed in range(seeds)]),
    }
    # The same words for every sampler: lime's 10 largest weights.
    reference = largest_features(stability["lime"]["weights"], 10)

    return {
        "case": f"text: {n_words}-word review, TF-IDF + logistic regression, {NUM_SAMPLES} samples",
        "ours_overhead_s": ours_overhead,
        "lime_overhead_s": lime_overhead,
        "ratio": ours_overhead / lime_overhead,
        "ours_jaccard": stability["ours"]["jaccard"],
        "ours_stratified_jaccard": stability["ours_stratified"]["jaccard"],
        "lime_jaccard": stability["lime"]["jaccard"],
        "details": {
            "n_words": n_words,
            "n_features": ours_exp.domain_mapper.indexed_string.num_words(),
            "num_samples": NUM_SAMPLES,
            "model_seconds_per_5000_docs": model_seconds,
            "repeat": repeat,
            "seeds": seeds,
            "pairs": seeds * (seeds - 1) // 2,
            "top_k": TOP_K,
            **{f"{name}_jaccard_se": stat["se"] for name, stat in stability.items()},
            "weight_spread_words": reference,
            **{
                f"{name}_weight_rel_sd": relative_weight_sd(stat["weights"], reference)
                for name, stat in stability.items()
            },
            "ours_top": _top_words(ours_exp),
            "lime_top": _top_words(lime_exp),
            "ours_score": ours_exp.score[1],
            "ours_fidelity": ours_exp.fidelity[1],
            "lime_score": float(lime_exp.score),
            **{f"{name}_tops_by_seed": stat["tops"] for name, stat in stability.items()},
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=float))
