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


def measure_overhead(
    run: Callable[[TimedModel], Any], model: Callable[[Any], Any], repeat: int = 3
):
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


def measure_interleaved(run_a: Callable, run_b: Callable, model: Callable, repeat: int):
    """Best overheads of two runs measured alternately (a, b, a, b, ...), and their last results.

    Alternating exposes both libraries to the same load on a shared, noisy machine.

    Returns
    -------
    ((overhead_a, overhead_b), (result_a, result_b))
    """
    best_a = best_b = float("inf")
    result_a = result_b = None
    for _ in range(repeat):
        overhead, result_a = measure_overhead(run_a, model, 1)
        best_a = min(best_a, overhead)
        overhead, result_b = measure_overhead(run_b, model, 1)
        best_b = min(best_b, overhead)
    return (best_a, best_b), (result_a, result_b)


def jaccard(a: Iterable[Any], b: Iterable[Any]) -> float:
    """Jaccard similarity of two collections, as sets."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
