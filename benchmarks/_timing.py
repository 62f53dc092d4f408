"""Shared measuring tools for the side-by-side benchmarks against lime 0.2.0.1.

Overhead is what an explainer costs beyond the model: wall time minus the time spent inside the
model function. Ratios ours/lime are what we report, because these machines are shared and noisy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


class TimedModel:
    """Wrap a model function and accumulate the wall time spent inside it.

    Parameters
    ----------
    fn : callable
        The model function (``predict_proba``-like).
    """

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.seconds = 0.0
        self.calls = 0
        self.rows = 0

    def __call__(self, batch: Any) -> Any:
        start = time.perf_counter()
        out = self.fn(batch)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.rows += len(batch)
        return out


def measure_overhead(run: Callable[[TimedModel], Any], model: Callable[[Any], Any], repeat: int = 3):
    """Run ``run(timed_model)`` ``repeat`` times; return (best overhead seconds, last result).

    The minimum over repeats is the least noisy estimate on a shared machine.
    """
    best = float("inf")
    result = None
    for _ in range(repeat):
        timed = TimedModel(model)
        start = time.perf_counter()
        result = run(timed)
        wall = time.perf_counter() - start
        best = min(best, wall - timed.seconds)
    return best, result


def jaccard(a: Iterable[Any], b: Iterable[Any]) -> float:
    """Jaccard similarity of two collections, as sets."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def mean_pairwise_jaccard(top_sets: list[list[Any]]) -> float:
    """Mean Jaccard similarity over all pairs of top-k feature sets (seed-to-seed stability)."""
    pairs = [
        jaccard(top_sets[i], top_sets[j])
        for i in range(len(top_sets))
        for j in range(i + 1, len(top_sets))
    ]
    return sum(pairs) / len(pairs) if pairs else float("nan")
