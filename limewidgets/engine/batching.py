"""Batched model queries with validation and an optional progress bar.

Every explainer (and every widget re-query) goes through :func:`predict_in_batches`, so model
inputs for at most ``batch_size`` samples exist at any time: peak memory is bounded by the batch,
not by ``num_samples``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_model_output


def predict_in_batches(
    classifier_fn: Callable[[Any], Any],
    make_batch: Callable[[int, int], Any],
    n_samples: int,
    batch_size: int | None,
    mode: str = "classification",
    progress_bar: bool = False,
    name: str = "classifier_fn",
) -> np.ndarray:
    """Query ``classifier_fn`` on ``n_samples`` inputs built ``batch_size`` at a time.

    Parameters
    ----------
    classifier_fn : callable
        The model: takes a batch of inputs, returns one row of outputs per input.
    make_batch : callable
        ``make_batch(start, stop)`` builds the model inputs for samples ``start:stop``.
    n_samples : int
        Total number of samples.
    batch_size : int or None
        Samples per model call; ``None`` sends everything in one call (lime's text behaviour).
    mode : {'classification', 'regression'}
        How the outputs are validated.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the batches.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_classes)`` in classification, ``(n_samples,)`` in regression.
    """
    step = n_samples if batch_size is None else max(1, int(batch_size))
    starts = range(0, n_samples, step)
    if progress_bar:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=len(range(0, n_samples, step)), unit="batch")
    out: np.ndarray | None = None
    for start in starts:
        stop = min(start + step, n_samples)
        batch = make_batch(start, stop)
        n_columns = None if out is None or out.ndim == 1 else out.shape[1]
        preds = check_model_output(classifier_fn(batch), stop - start, mode, name, n_columns)
        # Drop this batch before the next one is built: only one batch of inputs is alive.
        del batch
        if out is None:
            out = np.empty((n_samples,) + preds.shape[1:], dtype=float)
        out[start:stop] = preds
    if out is None:
        raise ValueError("num_samples must be at least 1")
    return out
