"""The explainer and the model of a parallel run are pickled once, unpickled once per process."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

from limewidgets import LimeTabularExplainer
from limewidgets.engine import _shipping
from limewidgets.engine._shipping import KEPT_VALUES, ShippedOnce, shipped_value


class Counted:
    """Counts how often instances are pickled and unpickled (class-level counters)."""

    pickled = 0
    unpickled = 0

    def __init__(self, payload: int) -> None:
        self.payload = payload

    def __getstate__(self) -> dict:
        Counted.pickled += 1
        return {"payload": self.payload}

    def __setstate__(self, state: dict) -> None:
        Counted.unpickled += 1
        self.payload = state["payload"]


@pytest.fixture(autouse=True)
def _fresh_counts(monkeypatch):
    Counted.pickled = Counted.unpickled = 0
    monkeypatch.setattr(_shipping, "_received", type(_shipping._received)())


def test_one_object_sent_with_many_tasks_is_pickled_once():
    shipped = ShippedOnce(Counted(7), "the model")
    tasks = [pickle.dumps(("task", i, shipped)) for i in range(5)]
    assert Counted.pickled == 1
    received = [pickle.loads(task)[2] for task in tasks]
    # The receiving process unpickled the value once and hands every task the same object.
    assert Counted.unpickled == 1
    assert all(r.value is received[0].value for r in received)
    assert received[0].value.payload == 7
    assert received[0].value is not shipped.value  # a copy, as pickling gives


def test_two_objects_are_kept_apart_and_old_ones_are_dropped():
    first, second = ShippedOnce(Counted(1), "a"), ShippedOnce(Counted(2), "b")
    assert pickle.loads(pickle.dumps(first)).value.payload == 1
    assert pickle.loads(pickle.dumps(second)).value.payload == 2
    others = [ShippedOnce(Counted(10 + k), "c") for k in range(KEPT_VALUES)]
    for other in others:
        pickle.loads(pickle.dumps(other))
    assert len(_shipping._received) == KEPT_VALUES
    assert first.key not in _shipping._received  # the oldest went first
    before = Counted.unpickled
    assert pickle.loads(pickle.dumps(first)).value.payload == 1  # unpickled again, correctly
    assert Counted.unpickled == before + 1


def test_shipped_value_unwraps_only_shipped_objects():
    model = Counted(3)
    assert shipped_value(ShippedOnce(model, "m")) is model
    assert shipped_value(model) is model
    assert Counted.pickled == 0  # nothing pickled without a worker to send it to


def test_an_unpicklable_model_in_worker_processes_is_a_clear_type_error():
    table = np.random.RandomState(0).normal(size=(100, 4))

    class LockedModel:
        def __init__(self) -> None:
            self.lock = threading.Lock()

        def __call__(self, x):
            p = 1.0 / (1.0 + np.exp(-x[:, 0]))
            return np.column_stack([1.0 - p, p])

    explainer = LimeTabularExplainer(table, random_state=0)
    with pytest.raises(TypeError, match=r"classifier_fn cannot be sent .* n_jobs=1 or a threading"):
        explainer.explain_many(
            table[:8], LockedModel(), n_jobs=2, num_samples=100, progress_bar=False
        )
    # In this process (no pickling) the same model works.
    explanations = explainer.explain_many(
        table[:3], LockedModel(), n_jobs=1, num_samples=100, progress_bar=False
    )
    assert len(explanations) == 3
