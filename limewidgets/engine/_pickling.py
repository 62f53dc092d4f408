"""Pickling explanations whose model cannot be pickled.

An explanation keeps the ``classifier_fn`` that produced it so that widgets can re-query the
model. Models are often lambdas, closures or objects holding locks or GPU handles, which the
standard :mod:`pickle` rejects; lime's explanations then could not be pickled at all. Here the
model is left out instead, with a warning, and everything else (weights, views, the
perturbation) is kept.
"""

from __future__ import annotations

import io
import pickle
import warnings
import weakref
from typing import Any

__all__ = ["ModelNotPickledWarning", "picklable", "state_without_unpicklable_model"]

# Verdicts per model object: a list of explanations sharing one model (what explain_many
# returns) is checked once, not once per explanation.
_VERDICTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ModelNotPickledWarning(UserWarning):
    """An explanation was pickled without its ``classifier_fn``, which cannot be pickled."""


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def picklable(obj: Any) -> tuple[bool, str]:
    """Whether the standard pickle can serialise ``obj``, and why not.

    Returns
    -------
    (bool, str)
        ``(True, '')`` or ``(False, 'ExceptionType: message')``.
    """
    try:
        cached = _VERDICTS.get(obj)
    except TypeError:  # not hashable or not weak-referenceable: check every time
        cached = None
    if cached is not None:
        return cached
    try:
        pickle.Pickler(_Discard(), protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        verdict = (True, "")
    except Exception as err:
        verdict = (False, f"{type(err).__name__}: {err}")
    try:
        _VERDICTS[obj] = verdict
    except TypeError:
        pass
    return verdict


def state_without_unpicklable_model(obj: Any, attribute: str = "classifier_fn") -> dict:
    """``obj.__dict__`` for pickling, with ``attribute`` set to None if it cannot be pickled.

    Warns with :class:`ModelNotPickledWarning` when the model is left out.
    """
    state = obj.__dict__.copy()
    model = state.get(attribute)
    if model is None:
        return state
    ok, reason = picklable(model)
    if not ok:
        name = getattr(model, "__qualname__", None) or type(model).__name__
        warnings.warn(
            f"the explanation's {attribute} ({name}) cannot be pickled with the standard pickle "
            f"({reason}); it is left out. The unpickled explanation keeps its weights and views; "
            f"re-querying it (widget(classifier_fn=...), find_counterfactual(..., "
            f"classifier_fn=...)) needs the model passed again. Use a module-level function or "
            "a picklable model object to keep it.",
            ModelNotPickledWarning,
            stacklevel=3,
        )
        state[attribute] = None
    return state
