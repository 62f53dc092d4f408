"""The trait contract of the explanation widgets and its validation, in one place.

Every synced trait is declared here (kind-specific ones in each kind's module), with the rules a
value must follow whoever sets it: Python code or a message from the browser. ``CONTRACT.md``
next to this file describes the same contract for the JavaScript side.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import anywidget
import ipywidgets
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


# Trait names that belong to ipywidgets/anywidget plumbing, not to the contract.
PLUMBING_TRAITS = frozenset(ipywidgets.DOMWidget.class_trait_names(sync=True))


def contract_trait_names(widget: traitlets.HasTraits) -> list[str]:
    """The synced traits of the contract (``CONTRACT.md``), sorted: no ipywidgets plumbing."""
    return sorted(
        name
        for name in widget.trait_names(sync=True)
        if name not in PLUMBING_TRAITS and not name.startswith("_")
    )


def _is_number(value: Any) -> bool:
    """A real number that is not a bool (``True`` is an int to Python, not to a user)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


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
    if isinstance(values, np.ndarray):
        if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
            raise TypeError(f"state must contain only numbers; got {describe(values)}")
    else:
        # np.asarray(dtype=float) would turn "1" and True into 1.0 and None into NaN.
        for index, value in enumerate(values):
            if not _is_number(value):
                raise TypeError(f"state[{index}] must be a number; got {describe(value)}")
    row = np.asarray(values, dtype=float)
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
    index = int(feature_id)
    if not 0 <= index < n_features:
        raise ValueError(f"{name} must be in [0, {n_features - 1}]; got {index}")
    return index


class StrictInt(traitlets.Int):
    """An ``Int`` trait that refuses bools: ``label = True`` is a mistake, not label 1."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            self.error(obj, value)
        return super().validate(obj, value)


class StrictFloat(traitlets.Float):
    """A ``Float`` trait that refuses bools."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            self.error(obj, value)
        return super().validate(obj, value)


class BrowserGuardedWidget(anywidget.AnyWidget):
    """An anywidget whose browser may set only the traits named in ``_browser_traits``.

    Every other synced trait (but the ipywidgets plumbing) is owned by Python; a browser message
    that sets one, or a value Python rejects, changes nothing and is answered (see
    :meth:`set_state`).
    """

    _browser_traits: ClassVar[frozenset[str]] = frozenset()

    def _refused(self, problem: str) -> None:
        """Tell the user why a browser message was refused (default: nothing to show it in)."""

    def set_state(self, sync_data: dict) -> None:
        """Apply a state message from the browser (ipywidgets calls this for each ``update``).

        Python-owned traits are read-only from the browser; a message that names one, or that
        Python rejects (a wrong type, a value a validator refuses...), changes nothing and is
        answered with the last good value of every trait it named, so the browser re-syncs;
        :meth:`_refused` is told why.
        """
        names = [name for name in sync_data if name in self.keys]
        owned = [
            name
            for name in names
            if name not in self._browser_traits and name not in PLUMBING_TRAITS
        ]
        writable = {name: value for name, value in sync_data.items() if name not in owned}
        problem = None
        if owned:
            problem = (
                f"TraitError: {', '.join(owned)} is set by Python and read-only from the browser"
            )
        if writable:
            try:
                # traitlets rolls the whole message back when one value is rejected.
                super().set_state(writable)
            except traitlets.TraitError as err:
                owned = names
                problem = format_error(err.__cause__ or err)
        if problem is not None:
            self._refused(problem)
        if owned:
            self.send_state(owned)  # last, so the browser ends on Python's values


class ExplanationTraits(BrowserGuardedWidget):
    """The synced traits shared by every explanation widget (see ``CONTRACT.md``).

    Subclasses set ``_ready = True`` once constructed; the validators only enforce rules that
    depend on other traits (``label`` among ``labels``) after that.

    Only the traits named in ``_browser_traits`` may be set by the browser; every other contract
    trait is owned by Python (see :meth:`BrowserGuardedWidget.set_state`); a refused message
    is explained in ``error``.
    """

    _ready: bool = False
    #: Traits the browser may set (kinds add their own); the rest of the contract is read-only.
    _browser_traits = frozenset(
        {
            "state",
            "state_id",
            "label",
            "num_features",
            "counterfactual_request",
            "counterfactual_cancel",
            "counterfactual_threshold",
        }
    )

    # ---- Python -> JS
    kind = traitlets.Unicode("").tag(sync=True)
    mode = traitlets.Unicode("classification").tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.List(StrictInt()).tag(sync=True)
    explanations = traitlets.Dict().tag(sync=True)
    feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    original_output = traitlets.List(StrictFloat()).tag(sync=True)
    min_value = StrictFloat(0.0).tag(sync=True)
    max_value = StrictFloat(1.0).tag(sync=True)
    initial_state: traitlets.List[Any] = traitlets.List().tag(sync=True)
    real_output = traitlets.List(StrictFloat()).tag(sync=True)
    real_state_id = StrictInt(0).tag(sync=True)
    surrogate_output = StrictFloat(0.0).tag(sync=True)
    pending = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    # The state_id whose query failed with `error` (-1: none), so the browser knows Python
    # answered that edit even though `real_state_id` stays on the last good state.
    error_state_id = StrictInt(-1).tag(sync=True)
    counterfactual = traitlets.Dict().tag(sync=True)
    static = traitlets.Bool(False).tag(sync=True)
    # Model queries the explanation used (None: not recorded).
    num_queries = traitlets.Int(None, allow_none=True).tag(sync=True)
    # Edits answered from the query cache (no model call) since the widget was built, and
    # whether the answer for `real_state_id` was one of them.
    cache_hits = traitlets.Int(0).tag(sync=True)
    real_from_cache = traitlets.Bool(False).tag(sync=True)
    # ---- JS -> Python
    state: traitlets.List[Any] = traitlets.List().tag(sync=True)
    state_id = StrictInt(0).tag(sync=True)
    label = StrictInt(0).tag(sync=True)
    num_features = StrictInt(10).tag(sync=True)
    counterfactual_request = StrictInt(0).tag(sync=True)
    # The counterfactual_request to cancel (JS sets it; the search stops at its next model call).
    counterfactual_cancel = StrictInt(0).tag(sync=True)
    # Regression: a counterfactual crosses this value (both ways; default: middle of the range).
    counterfactual_threshold = StrictFloat(None, allow_none=True).tag(sync=True)

    def _validate_state(self, values: Any) -> np.ndarray:
        """Check a ``state`` (the widget knows its features); return it as floats."""
        raise NotImplementedError

    @traitlets.validate("state")
    def _valid_state(self, proposal: dict) -> list:
        # A rejected state never replaces the last good one, whoever sets it.
        if self._ready:
            try:
                self._validate_state(proposal["value"])
            except (TypeError, ValueError) as err:
                raise traitlets.TraitError(str(err)) from err
        return proposal["value"]

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

    def _refused(self, problem: str) -> None:
        self.error = problem
