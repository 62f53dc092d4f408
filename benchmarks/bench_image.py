"""Image explainer: limewidgets vs lime 0.2.0.1, side by side in one process.

Case: ``skimage.data.chelsea()`` (300 x 448 after a crop), one fixed quickshift segmentation
(computed once, passed to both explainers), a cheap real model (softmax of a fixed linear
function of the per-channel means of a 4 x 4 grid of cells, on a strided subsample), 1000
samples and lime's other defaults (``top_labels=5``, ``num_features=100000``, ``batch_size=10``).

Measured:

- overhead (wall time minus time inside the model), minimum over the timed runs, and the ratio
  ours / lime (target <= 0.10);
- seed-to-seed stability over ``seeds`` seeds (20 by default: 190 pairs): mean pairwise Jaccard
  of the top-5 superpixels of the top label, with its jackknife standard error, for lime, for
  limewidgets' default sampler (lime's rule, the same masks as lime for a seed) and for its
  ``sampler='stratified'``; and the relative spread of the 10 largest weights, which still
  separates the samplers when the top-5 never changes (see ``_stability.py``);
- peak traced memory (tracemalloc, which numpy reports to) of one explanation of a 2048 x 2048
  image at 1000 samples (ours; target < 1 GiB) and of lime on the same image with fewer samples
  (its peak is set by one batch, not by the number of samples).

Run ``python benchmarks/bench_image.py`` (under two minutes on a 2-core machine; lime, at about
4 s per explanation, is the slow part).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stability import jaccard_with_se, largest_features, relative_weight_sd  # noqa: E402
from _timing import TimedModel  # noqa: E402

NUM_SAMPLES = 1000
TOP_K = 5
GRID = 4
N_CLASSES = 10
BIG_SIDE = 2048
LIME_BIG_SAMPLES = 20


def make_case() -> tuple[np.ndarray, np.ndarray]:
    """The photo (cropped so that the 4 x 4 grid divides it) and its fixed segmentation."""
    from skimage.data import chelsea
    from skimage.segmentation import quickshift

    image = chelsea()[:, :448]
    segments = quickshift(image, kernel_size=4, max_dist=200, ratio=0.2, rng=0)
    return image, segments


class GridColourModel:
    """Softmax over ``N_CLASSES`` of a fixed linear map of 4 x 4 cell colour means.

    The means are taken on a strided subsample (at most about 64 pixels a side), so the model
    costs little next to building the perturbed images, at any image size.

    Parameters
    ----------
    seed : int
        Seeds the fixed weights.
    """

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.RandomState(seed)
        self.weights = rng.randn(GRID * GRID * 3, N_CLASSES) * 4.0
        self.bias = rng.randn(N_CLASSES)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        n, height, width = images.shape[:3]
        step = max(1, min(height, width) // 64)
        sub = images[:, ::step, ::step, :3].astype(np.float32)
        row_starts = np.linspace(0, sub.shape[1], GRID + 1).astype(int)
        col_starts = np.linspace(0, sub.shape[2], GRID + 1).astype(int)
        sums = np.add.reduceat(sub, row_starts[:-1], axis=1)
        sums = np.add.reduceat(sums, col_starts[:-1], axis=2)
        counts = np.diff(row_starts)[:, None] * np.diff(col_starts)[None, :]
        means = (sums / counts[None, :, :, None]).reshape(n, -1) / 255.0
        logits = (means - 0.5) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


class CpuTimedModel(TimedModel):
    """A :class:`TimedModel` that also accumulates the process CPU time spent in the model."""

    def __init__(self, fn: Any) -> None:
        super().__init__(fn)
        self.cpu_seconds = 0.0

    def __call__(self, batch: Any) -> Any:
        start = time.process_time()
        out = super().__call__(batch)
        self.cpu_seconds += time.process_time() - start
        return out


def _ours(
    image: np.ndarray,
    segments: np.ndarray,
    model: Any,
    seed: int,
    num_samples: int,
    sampler: str = "lime",
):
    from limewidgets.engine.image import LimeImageExplainer

    explainer = LimeImageExplainer(random_state=seed)
    return explainer.explain_instance(
        image,
        model,
        segmentation_fn=lambda img: segments,
        num_samples=num_samples,
        progress_bar=False,
        sampler=sampler,
    )


def _ours_stratified(image, segments, model, seed: int, num_samples: int):
    return _ours(image, segments, model, seed, num_samples, sampler="stratified")


def _lime(image: np.ndarray, segments: np.ndarray, model: Any, seed: int, num_samples: int):
    from lime.lime_image import LimeImageExplainer

    explainer = LimeImageExplainer(random_state=seed)
    # lime always draws a tqdm bar; keep the benchmark's output readable.
    with contextlib.redirect_stderr(io.StringIO()):
        return explainer.explain_instance(
            image, model, segmentation_fn=lambda img: segments, num_samples=num_samples
        )


def _timed_run(explain: Any, image, segments, model, seed: int) -> tuple[float, float, Any]:
    """One explanation; its wall and CPU overheads (seconds outside the model) and result."""
    timed = CpuTimedModel(model)
    wall, cpu = time.perf_counter(), time.process_time()
    exp = explain(image, segments, timed, seed, NUM_SAMPLES)
    wall = time.perf_counter() - wall - timed.seconds
    cpu = time.process_time() - cpu - timed.cpu_seconds
    return wall, cpu, exp


def _top_k(exp: Any) -> list[int]:
    label = exp.top_labels[0]
    return [int(f) for f, _ in exp.local_exp[label][:TOP_K]]


def _weights(exp: Any) -> dict[int, float]:
    """The top label's weights, keyed ``label * 10**6 + superpixel`` (labels may differ)."""
    label = exp.top_labels[0]
    return {int(label) * 10**6 + int(f): float(w) for f, w in exp.local_exp[label]}


def _peak_mib(explain: Any, image, segments, model, num_samples: int) -> tuple[float, float]:
    """Peak traced memory above the starting point (MiB) and wall seconds of one run."""
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        start = time.perf_counter()
        explain(image, segments, model, 0, num_samples)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 2**20, seconds


def run(repeat: int = 2, seeds: int = 20) -> dict:
    """Run the benchmark.

    Parameters
    ----------
    repeat : int, default=2
        Minimum number of timed runs per explainer (the overhead is the minimum over runs).
    seeds : int, default=20
        Number of seeds for the seed-to-seed stability; every seed's run is also timed, so each
        explainer runs ``max(repeat, seeds)`` times.

    Returns
    -------
    dict
        Keys ``case``, ``ours_overhead_s``, ``lime_overhead_s``, ``ratio``, ``ours_jaccard``
        (default sampler), ``ours_stratified_jaccard``, ``lime_jaccard``, ``ours_peak_mib``,
        ``lime_peak_mib`` (None when lime is not installed) and ``details``.
    """
    image, segments = make_case()
    model = GridColourModel()
    n_runs = max(repeat, seeds, 1)
    n_segments = int(len(np.unique(segments)))

    try:
        import lime  # noqa: F401
    except ImportError:
        lime_available = False
    else:
        lime_available = True
    # Runs alternate between the two explainers, so that both see the same load on a shared
    # machine.
    explainers = (("ours", _ours), ("ours_stratified", _ours_stratified), ("lime", _lime))
    runs: dict[str, dict[str, list]] = {
        name: {"wall": [], "cpu": [], "top": [], "weights": []} for name, _ in explainers
    }
    for seed in range(n_runs):
        for name, explain in explainers:
            if name == "lime" and not lime_available:
                continue
            wall, cpu, exp = _timed_run(explain, image, segments, model, seed)
            runs[name]["wall"].append(wall)
            runs[name]["cpu"].append(cpu)
            runs[name]["top"].append(_top_k(exp))
            runs[name]["weights"].append(_weights(exp))
    stability = {
        name: jaccard_with_se(run["top"][:seeds]) for name, run in runs.items() if run["top"]
    }
    # The same superpixels for every sampler: the reference run's 10 largest weights.
    reference_run = runs["lime"] if lime_available else runs["ours"]
    reference = largest_features(reference_run["weights"][:seeds], 10)
    weight_spread = {
        name: relative_weight_sd(run["weights"][:seeds], reference)
        for name, run in runs.items()
        if run["weights"]
    }

    big_image = np.repeat(
        np.repeat(np.pad(image, ((0, 212), (0, 64), (0, 0)), "edge"), 4, axis=0), 4, axis=1
    )
    big_segments = np.repeat(
        np.repeat(np.pad(segments, ((0, 212), (0, 64)), "edge"), 4, axis=0), 4, axis=1
    )
    assert big_image.shape == (BIG_SIDE, BIG_SIDE, 3)
    ours_peak, ours_big_s = _peak_mib(_ours, big_image, big_segments, model, NUM_SAMPLES)

    lime_overhead = lime_jaccard = lime_peak = lime_big_s = None
    if lime_available:
        lime_overhead = min(runs["lime"]["wall"])
        lime_jaccard = stability["lime"][0]
        lime_peak, lime_big_s = _peak_mib(_lime, big_image, big_segments, model, LIME_BIG_SAMPLES)

    ours_overhead = min(runs["ours"]["wall"])
    cpu_ratio = None
    if lime_available:
        cpu_ratio = min(runs["ours"]["cpu"]) / min(runs["lime"]["cpu"])
    return {
        "case": (
            f"chelsea {image.shape[0]}x{image.shape[1]}, {n_segments} fixed quickshift "
            f"superpixels, grid-colour softmax model ({N_CLASSES} classes), "
            f"{NUM_SAMPLES} samples, top_labels=5"
        ),
        "ours_overhead_s": ours_overhead,
        "lime_overhead_s": lime_overhead,
        "ratio": None if lime_overhead is None else ours_overhead / lime_overhead,
        "ours_jaccard": stability["ours"][0],
        "ours_stratified_jaccard": stability["ours_stratified"][0],
        "lime_jaccard": lime_jaccard,
        "ours_peak_mib": ours_peak,
        "lime_peak_mib": lime_peak,
        "details": {
            "runs_per_explainer": n_runs,
            "seeds": seeds,
            "pairs": seeds * (seeds - 1) // 2,
            **{f"{name}_jaccard_se": value[1] for name, value in stability.items()},
            "weight_spread_features": [f % 10**6 for f in reference],
            **{f"{name}_weight_rel_sd": value for name, value in weight_spread.items()},
            **{f"{name}_tops_by_seed": run["top"][:seeds] for name, run in runs.items()},
            "ours_stratified_overheads_s": runs["ours_stratified"]["wall"],
            "ours_overheads_s": runs["ours"]["wall"],
            "lime_overheads_s": runs["lime"]["wall"],
            "ours_cpu_overheads_s": runs["ours"]["cpu"],
            "lime_cpu_overheads_s": runs["lime"]["cpu"],
            "cpu_ratio": cpu_ratio,
            "big_image": f"{BIG_SIDE}x{BIG_SIDE}x3 uint8, {n_segments} superpixels",
            "ours_big_samples": NUM_SAMPLES,
            "ours_big_wall_s": ours_big_s,
            "lime_big_samples": LIME_BIG_SAMPLES if lime_available else None,
            "lime_big_wall_s": lime_big_s,
            "note": (
                "lime's peak is measured with fewer samples to keep the run short; like ours it "
                "is set by one batch of images, not by num_samples"
            ),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
