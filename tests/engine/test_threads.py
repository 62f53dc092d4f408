"""The engine's own linear algebra runs on one BLAS thread, restored afterwards."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from limewidgets.engine._threads import single_threaded_blas, with_single_threaded_blas


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can control")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_one_thread_inside_and_the_previous_setting_after(two_blas_threads):
    assert blas_threads() == {2}
    with single_threaded_blas():
        assert blas_threads() == {1}
        with single_threaded_blas():  # re-entrant
            assert blas_threads() == {1}
        assert blas_threads() == {1}  # the outer block still runs
    assert blas_threads() == {2}


def test_restored_when_the_block_raises(two_blas_threads):
    @with_single_threaded_blas
    def fails() -> None:
        assert blas_threads() == {1}
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fails()
    assert blas_threads() == {2}


def test_a_block_in_the_calling_thread_covers_its_worker_threads(two_blas_threads):
    # BLAS's setting is process-wide and threadpoolctl lets one thread change it: worker
    # threads (joblib's threading backend) run inside the caller's block.
    seen = []

    def worker() -> None:
        with single_threaded_blas():
            seen.append(blas_threads())
        seen.append(blas_threads())  # leaving a nested block restores nothing

    with single_threaded_blas():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(10)
        assert blas_threads() == {1}
    assert seen == [{1}, {1}]
    assert blas_threads() == {2}


def test_the_model_keeps_every_blas_thread(two_blas_threads):
    from limewidgets.engine.tabular import LimeTabularExplainer

    table = np.random.RandomState(0).normal(size=(100, 4))
    during_model = []

    def model(x: np.ndarray) -> np.ndarray:
        during_model.append(blas_threads())
        p = 1.0 / (1.0 + np.exp(-x[:, 0]))
        return np.column_stack([1 - p, p])

    explainer = LimeTabularExplainer(table, random_state=0)
    explainer.explain_instance(table[0], model, num_samples=300)
    explainer.explain_many(table[:3], model, num_samples=300, progress_bar=False)
    assert during_model and all(threads == {2} for threads in during_model)
