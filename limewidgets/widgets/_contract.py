"""The trait contract of the explanation widgets and its validation, in one place.

Every synced trait is declared here (kind-specific ones in each kind's module), with the rules a
value must follow whoever sets it: Python code or a message from the browser. ``CONTRACT.md``
next to this file describes the same contract for the JavaScript side.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..engine._validation import describe


def finite_or_none(value: Any) -> float | None:
    """``float(value)``, or ``None`` for missing / NaN / infinite values (JSON has no NaN)."""
    if value is None:
        return None
    number = float(np.asarray(value, dtype=float).ravel()[0])
    return number if np.isfinite(number) else None


def format_error(err: BaseException) -> str:
    """``"ExceptionType: message"``, the text the widget shows for a failed model call."""
    return f"{type(err).__name__}: {err}"


def check_state_values(values: Any, n_features: int) -> np.ndarray:
    """Check an edit-space row (``state``) and return it as floats.

    Parameters
    ----------
    values : sequence of numbers
        One value per feature.
    n_features : int
        The number of features of the explanation.

    Returns
    -------
    numpy.ndarray of shape (n_features,)

    Raises
    ------
    TypeError
        If ``values`` is not a sequence of numbers.
    ValueError
        If it has the wrong length or holds NaN / infinity.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"state must be a list of {n_features} numbers; got {describe(values)}")
    try:
        row = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"state must contain only numbers; got {describe(values)}") from err
    if row.shape != (n_features,):
        raise ValueError(
            f"state must have {n_features} values (one per feature); got {describe(row)}"
        )
    if not np.all(np.isfinite(row)):
        raise ValueError("state must contain finite numbers; got NaN or infinity")
    return row


def check_mask_values(row: np.ndarray) -> np.ndarray:
    """Check that a validated row is a keep-mask of 0 / 1 values; return it."""
    if not np.all((row == 0) | (row == 1)):
        raise ValueError("state must be a mask of 0 (removed) and 1 (kept) values")
    return row


def check_feature_id(feature_id: Any, n_features: int, name: str = "feature_id") -> int:
    """Check an integer feature id in ``[0, n_features)``; return it as ``int``."""
    if isinstance(feature_id, (bool, np.bool_)) or not isinstance(feature_id, numbers.Integral):
        raise TypeError(f"{name} must be an integer feature id; got {describe(feature_id)}")
    if not 0 <= feature_id < n_features:
        raise ValueError(f"{name} must be in [0, {n_features - 1}]; got {feature_id}")
    return int(feature_id)


class ExplanationTraits(anywidget.AnyWidget):
    """The synced traits shared by every explanation widget (see ``CONTRACT.md``).

    Subclasses set ``_ready = True`` once constructed; the validators only enforce rules that
    depend on other traits (``label`` among ``labels``) after that.
    """

    _ready: bool = False

    # ---- Python -> JS
    kind = traitlets.Unicode("").tag(sync=True)
    mode = traitlets.Unicode("classification").tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    explanations = traitlets.Dict().tag(sync=True)
    feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    original_output = traitlets.List(traitlets.Float()).tag(sync=True)
    min_value = traitlets.Float(0.0).tag(sync=True)
    max_value = traitlets.Float(1.0).tag(sync=True)
    initial_state = traitlets.List().tag(sync=True)
    real_output = traitlets.List(traitlets.Float()).tag(sync=True)
    real_state_id = traitlets.Int(0).tag(sync=True)
    surrogate_output = traitlets.Float(0.0).tag(sync=True)
    pending = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    # The state_id whose query failed with `error` (-1: none), so the browser knows Python
    # answered that edit even though `real_state_id` stays on the last good state.
    error_state_id = traitlets.Int(-1).tag(sync=True)
    counterfactual = traitlets.Dict().tag(sync=True)
    static = traitlets.Bool(False).tag(sync=True)
    # Model queries the explanation used (None: not recorded).
    num_queries = traitlets.Int(None, allow_none=True).tag(sync=True)
    # Edits answered from the query cache (no model call) since the widget was built, and
    # whether the answer for `real_state_id` was one of them.
    cache_hits = traitlets.Int(0).tag(sync=True)
    real_from_cache = traitlets.Bool(False).tag(sync=True)
    # ---- JS -> Python
    state = traitlets.List().tag(sync=True)
    state_id = traitlets.Int(0).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)
    num_features = traitlets.Int(10).tag(sync=True)
    counterfactual_request = traitlets.Int(0).tag(sync=True)
    # Regression: a counterfactual crosses this value (both ways; default: middle of the range).
    counterfactual_threshold = traitlets.Float(None, allow_none=True).tag(sync=True)

    @traitlets.validate("label")
    def _valid_label(self, proposal: dict) -> int:
        value = proposal["value"]
        if self._ready and value not in self.labels:
            raise traitlets.TraitError(
                f"label must be one of the explained labels {list(self.labels)}; got {value}"
            )
        return value

    @traitlets.validate("num_features")
    def _valid_num_features(self, proposal: dict) -> int:
        if proposal["value"] < 1:
            raise traitlets.TraitError(f"num_features must be >= 1; got {proposal['value']}")
        return proposal["value"]
