"""Per-row pieces of :func:`~limewidgets.engine.many.explain_many`.

Deferred explanations (:class:`PendingExplanation`, :func:`run_or_defer`,
:func:`prepare_explanation`: an explainer's samples drawn, its model outputs still to come), the
object that stands in for a row that failed (:class:`RowFailure`) and each row's own random stream
(:func:`row_seeds`, :func:`reseeded`). :mod:`limewidgets.engine.many` re-exports them; this module
holds what the explainers need without the scheduling (grouping rows into model calls, joblib).
"""

from __future__ import annotations

import contextvars
import copy
import numbers
import traceback as traceback_module
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import describe

__all__ = [
    "PendingExplanation",
    "RowFailure",
    "prepare_explanation",
    "reseeded",
    "row_seeds",
    "run_or_defer",
]

# Set while explain_many prepares rows: explain_instance then returns its PendingExplanation
# instead of querying the model (a context variable, so threads never see each other's).
_DEFER: contextvars.ContextVar[bool] = contextvars.ContextVar("limewidgets_defer", default=False)


def run_or_defer(pending: PendingExplanation, classifier_fn: Callable[[Any], Any]) -> Any:
    """What an explainer's ``explain_instance`` returns once its samples are drawn.

    Normally the finished explanation (the model is queried now). Inside
    :func:`prepare_explanation` the pending explanation itself, so that :func:`explain_many`
    can query the model for several rows at once. Explainers end ``explain_instance`` with
    this, which keeps its signature and validation the one source for both paths.
    """
    if _DEFER.get():
        return pending
    return pending.run(classifier_fn)


def prepare_explanation(
    explainer: Any, instance: Any, classifier_fn: Callable[[Any], Any], **kwargs: Any
) -> Any:
    """``explainer.explain_instance(instance, classifier_fn, **kwargs)`` without the model calls.

    Returns
    -------
    PendingExplanation
        Or, for an explainer that does not end with :func:`run_or_defer`, the finished
        explanation.
    """
    token = _DEFER.set(True)
    try:
        return explainer.explain_instance(instance, classifier_fn, **kwargs)
    finally:
        _DEFER.reset(token)


class PendingExplanation:
    """An explanation whose samples are drawn and whose model outputs are still to come.

    Parameters
    ----------
    n_samples : int
        Number of perturbed samples (model inputs) to send to the model.
    make_batch : callable
        ``make_batch(start, stop)`` builds the model inputs of samples ``start:stop``.
    finish : callable
        ``finish(outputs)`` fits the surrogates on the validated model outputs and returns the
        explanation.
    mode : {'classification', 'regression'}
        How the model's outputs are validated.
    batch_size : int or None
        At most this many samples per model call (``None``: no limit).
    name : str, default='classifier_fn'
        Name of the model argument in error messages.
    progress_bar : bool, default=False
        Show a progress bar over the model calls of :meth:`run`.
    """

    def __init__(
        self,
        n_samples: int,
        make_batch: Callable[[int, int], Any],
        finish: Callable[[np.ndarray], Any],
        mode: str,
        batch_size: int | None,
        name: str = "classifier_fn",
        progress_bar: bool = False,
    ) -> None:
        self.n_samples = n_samples
        self.make_batch = make_batch
        self.finish = finish
        self.mode = mode
        self.batch_size = batch_size
        self.name = name
        self.progress_bar = progress_bar

    def run(self, classifier_fn: Callable[[Any], Any]) -> Any:
        """Query ``classifier_fn`` on the samples (in batches) and finish the explanation."""
        from .batching import predict_in_batches

        outputs = predict_in_batches(
            classifier_fn,
            self.make_batch,
            self.n_samples,
            self.batch_size,
            mode=self.mode,
            progress_bar=self.progress_bar,
            name=self.name,
        )
        return self.finish(outputs)


class RowFailure:
    """What ``explain_many(..., errors='collect')`` returns in place of a row that failed.

    It is falsy, so ``[e for e in explanations if e]`` keeps the explanations only.

    Parameters
    ----------
    index : int
        Position of the row in ``instances``.
    error : BaseException
        The exception raised while explaining the row.

    Attributes
    ----------
    index : int
    error : BaseException or None
        The exception (``None`` when it could not be sent back from a worker process).
    error_type : str
        The exception's class name.
    message : str
        ``str(error)``.
    traceback : str
        The formatted traceback, as raised in the worker.
    """

    def __init__(self, index: int, error: BaseException) -> None:
        self.index = int(index)
        self.error: BaseException | None = error
        self.error_type = type(error).__name__
        self.message = str(error)
        self.traceback = "".join(
            traceback_module.format_exception(type(error), error, error.__traceback__)
        )

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"RowFailure(index={self.index}, {self.error_type}: {self.message})"

    def __str__(self) -> str:
        return f"row {self.index} failed: {self.error_type}: {self.message}"

    def reraise(self) -> None:
        """Raise the row's exception again (a ``RuntimeError`` if it was not kept)."""
        if self.error is not None:
            raise self.error
        raise RuntimeError(str(self))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        import pickle

        try:  # an exception holding unpicklable state must not lose the whole result
            pickle.dumps(self.error)
        except Exception:
            state["error"] = None
        return state


def row_seeds(random_state: Any, n_rows: int) -> list[int]:
    """The seed of each row's ``RandomState`` in :func:`explain_many`.

    Row ``i`` gets child ``i`` of ``SeedSequence(random_state)``: it depends on ``random_state``
    and ``i`` only, never on the number of rows, their grouping or the backend.

    Parameters
    ----------
    random_state : int, sequence of int, numpy.random.SeedSequence, RandomState or Generator
        The root of the seeds. A ``RandomState`` or ``Generator`` gives one draw of entropy
        (advancing it).
    n_rows : int

    Returns
    -------
    list of int
        One 32-bit seed per row: ``LimeTabularExplainer(..., random_state=seeds[i])`` explains
        row ``i`` exactly as ``explain_many`` does.
    """
    root = _seed_sequence(random_state)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in root.spawn(n_rows)]


def _seed_sequence(random_state: Any) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        # A fresh copy, so that spawning here never changes the caller's sequence.
        return np.random.SeedSequence(random_state.entropy, spawn_key=random_state.spawn_key)
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**32, size=4, dtype=np.uint64))
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be None, an int or a RandomState; got {random_state}")
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}")
        return np.random.SeedSequence(int(random_state))
    if isinstance(random_state, Sequence) and not isinstance(random_state, str):
        try:
            return np.random.SeedSequence([int(v) for v in random_state])
        except (TypeError, ValueError):
            pass
    raise TypeError(
        "random_state must be None, a non-negative int, a SeedSequence, a RandomState or a "
        f"Generator; got {describe(random_state)}"
    )


def reseeded(explainer: Any, seed: int) -> Any:
    """A shallow copy of ``explainer`` that samples from ``RandomState(seed)``.

    Explainers share one ``RandomState`` between themselves and their parts (the surrogate
    fitter, the discretizer): every attribute that holds the explainer's generator is copied
    with the new one, so the copy draws exactly what a new explainer seeded with ``seed`` would.
    """
    old = getattr(explainer, "random_state", None)
    new = np.random.RandomState(seed)
    clone = copy.copy(explainer)
    clone.random_state = new
    for name, value in vars(explainer).items():
        if value is old or value is explainer:
            continue
        if getattr(value, "random_state", None) is old and old is not None:
            part = copy.copy(value)
            part.random_state = new
            setattr(clone, name, part)
    return clone
