"""One BLAS thread for the engine's own linear algebra, so that results do not depend on the process.

OpenBLAS (and MKL) split some matrix products differently with different numbers of threads, and
the sums then round differently in their last bits (seen here: ``x.T @ x`` of a 5000 x 121
matrix, ``u @ x`` of a 20 000 x 30 one). The caller's process usually runs BLAS on every core,
while joblib's worker processes, Dask's and Ray's run it on one: without a common setting,
``explain_many`` would give explanations that differ in their last digits between ``n_jobs=1``
and ``n_jobs=2``, and an explanation would differ from the same row's ``explain_instance``. The
engine's products are small to medium and memory-bound, so one thread costs them little.

:func:`single_threaded_blas` is used around the engine's own computations only (sampling
designs, kernel distances, the surrogate fits, the uncertainty), never around the user's model:
a model that multiplies large matrices keeps every BLAS thread.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["single_threaded_blas", "with_single_threaded_blas"]

_F = TypeVar("_F", bound=Callable[..., Any])

_lock = threading.Lock()
_depth = 0
_limiter: Any = None
_controller: Any = None


def _blas_controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded in this process (scanned once)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency of scikit-learn
            _controller = False
        else:
            # numpy and scipy (and their BLAS) are loaded by the engine's own imports.
            _controller = ThreadpoolController()
    return _controller


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with BLAS on one thread, restoring the previous setting afterwards.

    Re-entrant and shared by the threads of a process (BLAS's setting is process-wide): the
    first block to enter sets one thread, the last one to leave restores the previous number.
    While a block runs, BLAS calls from other threads of the process also run on one thread.
    """
    global _depth, _limiter
    controller = _blas_controller()
    if not controller:
        yield
        return
    with _lock:
        if _depth == 0:
            _limiter = controller.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None


def with_single_threaded_blas(function: _F) -> _F:
    """Decorator: ``function`` runs inside :func:`single_threaded_blas`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_threaded_blas():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
