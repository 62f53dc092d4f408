"""Validation helpers shared by every explainer.

Every public entry point validates at the boundary, so that a user gets a ``ValueError`` or
``TypeError`` that names the argument, what was expected and what was received, instead of an
obscure numpy error deep inside the sampling code.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import numpy as np
from sklearn.utils import check_random_state as _sk_check_random_state

#: What ``random_state`` accepts everywhere (see :func:`check_random_state`).
RandomStateLike: TypeAlias = "int | np.integer | np.random.RandomState | np.random.Generator | None"
#: What ``hide_color`` accepts: None (each superpixel's mean colour), a value, or a colour.
HideColor: TypeAlias = "float | Sequence[float] | np.ndarray | None"

FEATURE_SELECTION_METHODS = ("auto", "forward_selection", "lasso_path", "highest_weights", "none")
MODES = ("classification", "regression")


def describe(value: Any) -> str:
    """Return a short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (str, bytes)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "...'"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__} {value!r}"[:120]


def check_random_state(seed: RandomStateLike) -> np.random.RandomState:
    """Turn ``seed`` into a ``numpy.random.RandomState`` (same rules as scikit-learn).

    Parameters
    ----------
    seed : None, int, numpy.random.RandomState or numpy.random.Generator
        ``None`` gives the global RandomState, an int a new seeded one, a RandomState itself.
        A ``Generator`` is turned into a RandomState seeded from it.

    Returns
    -------
    numpy.random.RandomState
    """
    if isinstance(seed, np.random.Generator):
        return np.random.RandomState(seed.integers(0, 2**32 - 1, dtype=np.uint64))
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"random_state must be None, an int or a RandomState; got {describe(seed)}")
    try:
        return _sk_check_random_state(seed)
    except ValueError as err:
        raise TypeError(
            f"random_state must be None, an int or a RandomState; got {describe(seed)}"
        ) from err


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of ``choices``; return it."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {describe(value)}")
    return value


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum``; return it as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


@overload
def check_positive_float(name: str, value: Any, allow_none: Literal[False] = ...) -> float: ...


@overload
def check_positive_float(name: str, value: Any, allow_none: bool) -> float | None: ...


def check_positive_float(name: str, value: Any, allow_none: bool = False) -> float | None:
    """Check that ``value`` is a finite number > 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {describe(value)}")
    if not np.isfinite(float(value)) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value}")
    return float(value)


def check_callable(name: str, value: Any) -> Any:
    """Check that ``value`` is callable; return it."""
    if not callable(value):
        raise TypeError(f"{name} must be callable; got {describe(value)}")
    return value


def check_labels_argument(name: str, labels: Any) -> tuple[int, ...]:
    """Normalise an iterable of label indices (``labels=(1,)``) to a tuple of ints."""
    if isinstance(labels, numbers.Integral) and not isinstance(labels, bool):
        labels = (labels,)
    try:
        values = tuple(labels)
    except TypeError as err:
        raise TypeError(
            f"{name} must be an iterable of class indices; got {describe(labels)}"
        ) from err
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must contain integer class indices; got {describe(v)}")
        out.append(int(v))
    return tuple(out)


def check_model_output(
    output: Any,
    n_rows: int,
    mode: str,
    name: str = "classifier_fn",
    n_columns: int | None = None,
) -> np.ndarray:
    """Validate what a model returned for ``n_rows`` inputs and return a 2-D float array.

    Parameters
    ----------
    output : array-like
        The model's return value.
    n_rows : int
        How many instances were sent to the model.
    mode : {'classification', 'regression'}
        In classification the output must be an ``(n_rows, n_classes)`` array of probabilities.
        In regression a ``(n_rows,)`` or ``(n_rows, 1)`` array of values.
    name : str
        The argument name used in error messages.
    n_columns : int, optional
        The number of columns seen in earlier batches, which later batches must repeat.

    Returns
    -------
    numpy.ndarray
        ``(n_rows, n_classes)`` in classification, ``(n_rows,)`` in regression, float64.
    """
    try:
        arr = np.asarray(output, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must return a numeric array; got {describe(output)}") from err
    if mode == "regression":
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1 or arr.shape[0] != n_rows:
            raise ValueError(
                f"{name} must return an array of shape ({n_rows},) in regression mode "
                f"(one value per instance); got shape {arr.shape}"
            )
    else:
        if arr.ndim != 2 or arr.shape[0] != n_rows:
            hint = ""
            if arr.ndim == 1:
                hint = (
                    " - it looks like class predictions or a regression output; pass a"
                    " predict_proba-like function (or mode='regression' where the explainer has it)"
                )
            raise ValueError(
                f"{name} must return an array of shape ({n_rows}, n_classes) of class "
                f"probabilities; got shape {arr.shape}{hint}"
            )
        if arr.shape[1] < 1:
            raise ValueError(f"{name} returned no class columns (shape {arr.shape})")
        if n_columns is not None and arr.shape[1] != n_columns:
            raise ValueError(
                f"{name} returned {arr.shape[1]} columns for one batch and {n_columns} for "
                "another; it must always return one column per class"
            )
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} returned {bad} NaN or infinite value(s); expected finite numbers")
    if mode == "classification":
        lo, hi = float(arr.min()), float(arr.max())
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise ValueError(
                f"{name} must return probabilities in [0, 1] in classification mode; got values "
                f"in [{lo:.4g}, {hi:.4g}] (log-probabilities or logits? use predict_proba or a "
                "softmax, or mode='regression')"
            )
        sums = arr.sum(axis=1)
        if arr.shape[1] > 1 and not np.allclose(sums, 1.0, atol=1e-2):
            warnings.warn(
                f"{name} returned rows that do not sum to 1 (from {sums.min():.3g} to "
                f"{sums.max():.3g}); LIME treats each column as an independent score",
                UserWarning,
                stacklevel=3,
            )
    return arr


def check_column_indices(name: str, indices: Any, n_features: int) -> list[int]:
    """Check a list of column indices (``categorical_features`` and the like); None gives []."""
    if indices is None:
        return []
    try:
        values = list(indices)
    except TypeError as err:
        raise TypeError(
            f"{name} must be a list of column indices; got {describe(indices)}"
        ) from err
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must contain integer column indices; got {describe(v)}")
        if not 0 <= int(v) < n_features:
            raise ValueError(
                f"{name} must contain column indices in [0, {n_features - 1}]; got {int(v)}"
            )
        out.append(int(v))
    return out


def class_names_for(class_names: Any, n_classes: int, model_name: str = "classifier_fn") -> list:
    """The class names to show for a model with ``n_classes`` outputs ('0', '1', ... if None)."""
    if class_names is None:
        return [str(i) for i in range(n_classes)]
    names = list(class_names)
    if len(names) < n_classes:
        raise ValueError(
            f"class_names has {len(names)} names but {model_name} returned {n_classes} "
            "columns; give one name per class"
        )
    return names


#: Attributes of an explanation (lime's API) that users sometimes look up on the explainer.
EXPLANATION_ATTRIBUTES = frozenset(
    {
        "as_list",
        "as_map",
        "as_html",
        "as_pyplot_figure",
        "show_in_notebook",
        "save_to_file",
        "get_image_and_mask",
        "local_exp",
        "top_labels",
        "available_labels",
        "intercept",
        "score",
        "local_pred",
        "weight_std",
        "stability",
        "num_queries",
    }
)


class ExplanationAttributeHint:
    """Says where an explanation's method is when it is looked up on an explainer.

    lime's tutorials are copied with ``explainer.get_image_and_mask(...)`` where lime (and this
    package) has ``explanation.get_image_and_mask(...)``: the ``AttributeError`` says so instead of
    only naming the attribute. Any other missing attribute gets Python's usual message.
    """

    # Defined for the interpreter only: to a type checker every attribute would exist.
    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only called when normal lookup fails; it must not read attributes of ``self`` (it also
            # runs on half-built objects, e.g. while unpickling).
            if name in EXPLANATION_ATTRIBUTES:
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}: {name} belongs to "
                    f"the explanation that explain_instance returns, e.g. "
                    f"explanation = explainer.explain_instance(...); explanation.{name}"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
