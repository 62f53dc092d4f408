"""Objects sent with every task of a parallel run, pickled once and unpickled once per process.

``explain_many`` sends the explainer and the model with every group of rows, because a joblib
task carries its own arguments. A random forest of 100 trees pickles to about 0.4 MB and takes
about 4 ms to pickle and 3 ms to unpickle; a large model takes seconds. :class:`ShippedOnce`
pickles its value once, in the process that creates it, and sends those bytes with each task;
a process that receives the same object again (the same key) reuses the value it unpickled
the first time. The bytes still travel with every task (a task cannot know which worker runs
it), but copying bytes costs a small fraction of pickling and unpickling an object graph.

Receiving processes keep the values of the last :data:`KEPT_VALUES` keys, so a long-lived
worker (loky's are reused, Dask's and Ray's live as long as their cluster) holds at most a
few models of past runs.
"""

from __future__ import annotations

import pickle
import threading
import uuid
from collections import OrderedDict
from typing import Any

__all__ = ["KEPT_VALUES", "ShippedOnce", "ShippingError", "shipped_value"]

KEPT_VALUES = 4

_received: OrderedDict[str, Any] = OrderedDict()
_received_lock = threading.Lock()  # Dask workers run tasks in threads


class ShippingError(TypeError):
    """An object a parallel run must send to its workers cannot be pickled."""


class ShippedOnce:
    """``value``, pickled at most once here and unpickled at most once in each receiving process.

    Parameters
    ----------
    value : object
        What the tasks need (an explainer, a model).
    name : str
        What ``value`` is, for the error raised when it cannot be pickled.
    """

    def __init__(self, value: Any, name: str) -> None:
        self.value = value
        self.name = name
        self.key = uuid.uuid4().hex
        self._payload: bytes | None = None

    def payload(self) -> bytes:
        """The pickled value (pickled on the first call).

        Raises
        ------
        ShippingError
            When the value cannot be pickled.
        """
        if self._payload is None:
            try:
                self._payload = _dumps(self.value)
            except Exception as err:
                raise ShippingError(
                    f"{self.name} cannot be sent to the worker processes of this joblib backend "
                    f"(pickling it failed: {type(err).__name__}: {err}); use n_jobs=1 or a "
                    "threading backend (joblib.parallel_config(backend='threading')), or keep the "
                    "model in this process and batch rows in it (the guide 'Explaining many "
                    "rows', section 'A GPU model that must stay in one process')"
                ) from err
        return self._payload

    def __reduce__(self) -> tuple:
        return (_receive, (self.key, self.name, self.payload()))


def _dumps(value: Any) -> bytes:
    # cloudpickle, as loky uses it: lambdas and classes defined in a notebook pickle too.
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - older joblib vendors it; else the standard pickle
        try:
            from joblib.externals import cloudpickle
        except ImportError:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _receive(key: str, name: str, payload: bytes) -> ShippedOnce:
    with _received_lock:
        if key in _received:
            _received.move_to_end(key)
            value = _received[key]
        else:
            value = pickle.loads(payload)
            _received[key] = value
            while len(_received) > KEPT_VALUES:
                _received.popitem(last=False)
    shipped = ShippedOnce.__new__(ShippedOnce)
    shipped.value, shipped.name, shipped.key, shipped._payload = value, name, key, payload
    return shipped


def shipped_value(obj: Any) -> Any:
    """The value of a :class:`ShippedOnce`; anything else unchanged."""
    return obj.value if isinstance(obj, ShippedOnce) else obj
