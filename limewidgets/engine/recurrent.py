"""LIME for recurrent (keras-style) models whose input is ``(n, n_timesteps, n_features)``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._validation import RandomStateLike, describe
from .discretize import BaseDiscretizer
from .tabular_explainer import LimeTabularExplainer
from .tabular_explanation import TabularExplanation

__all__ = ["RecurrentTabularExplainer"]


class RecurrentTabularExplainer(LimeTabularExplainer):
    """Explains recurrent (keras-style) models whose input is ``(n, n_timesteps, n_features)``.

    Training data and rows are flattened feature-major, so column ``f * n_timesteps + t`` is
    feature ``f`` at step ``t``, named ``'{name}_t-{n_timesteps - 1 - t}'``; the perturbation
    reshapes samples back to 3-D before calling the model.

    Parameters
    ----------
    training_data : numpy.ndarray of shape (n_samples, n_timesteps, n_features)
    feature_names : list of str, optional
        One name per feature (default ``'0'``, ``'1'``, ...).
    mode, training_labels, categorical_features, categorical_names, kernel_width, kernel, \
verbose, class_names, feature_selection, discretize_continuous, discretizer, random_state
        As in :class:`LimeTabularExplainer` (column indices refer to flattened columns).

    Attributes
    ----------
    n_timesteps : int
    n_features : int
        Features per time step.
    """

    def __init__(
        self,
        training_data: Any,
        mode: str = "classification",
        training_labels: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        categorical_names: Mapping | None = None,
        kernel_width: float | None = None,
        kernel: Callable | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        discretize_continuous: bool = True,
        discretizer: str | BaseDiscretizer = "quartile",
        random_state: RandomStateLike = None,
    ) -> None:
        try:
            data = np.asarray(training_data, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"training_data must be a numeric array of shape (n_samples, n_timesteps, "
                f"n_features); got {describe(training_data)}"
            ) from err
        if data.ndim != 3:
            raise ValueError(
                "training_data must have shape (n_samples, n_timesteps, n_features); got "
                f"{describe(data)}"
            )
        n_samples, n_timesteps, n_features = data.shape
        flat = np.transpose(data, (0, 2, 1)).reshape(n_samples, n_timesteps * n_features)
        self.n_timesteps = n_timesteps
        self.n_features = n_features
        if feature_names is None:
            feature_names = [str(i) for i in range(n_features)]
        if len(feature_names) != n_features:
            raise ValueError(
                f"feature_names must have one name per feature ({n_features}); got "
                f"{describe(feature_names)}"
            )
        flat_names = [
            f"{name}_t-{n_timesteps - (i + 1)}"
            for name in feature_names
            for i in range(n_timesteps)
        ]
        super().__init__(
            flat,
            mode=mode,
            training_labels=training_labels,
            feature_names=flat_names,
            categorical_features=categorical_features,
            categorical_names=categorical_names,
            kernel_width=kernel_width,
            kernel=kernel,
            verbose=verbose,
            class_names=class_names,
            feature_selection=feature_selection,
            discretize_continuous=discretize_continuous,
            discretizer=discretizer,
            random_state=random_state,
        )

    def _make_predict_proba(self, func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap ``func`` (which takes 3-D input) to accept flattened 2-D rows (lime's helper)."""

        def predict_proba(rows: np.ndarray) -> Any:
            shaped = rows.reshape(rows.shape[0], self.n_features, self.n_timesteps)
            return func(np.transpose(shaped, (0, 2, 1)))

        return predict_proba

    def explain_instance(  # type: ignore[override]  # lime names the model classifier_fn
        self, data_row: Any, classifier_fn: Callable[[Any], Any], *args: Any, **kwargs: Any
    ) -> TabularExplanation:
        """Explain the model's prediction for one sequence.

        Takes the parameters of :meth:`LimeTabularExplainer.explain_instance` (its signature,
        with lime's name ``classifier_fn`` for the model), except that ``data_row`` is an
        ``(n_timesteps, n_features)`` sequence and ``classifier_fn`` takes
        ``(n, n_timesteps, n_features)`` arrays.

        Returns
        -------
        TabularExplanation
            Its ``classifier_fn`` is ``classifier_fn`` and its perturbation builds 3-D inputs.
        """
        return super().explain_instance(data_row, classifier_fn, *args, **kwargs)

    _model_argument = "classifier_fn"

    def _model_input_shape(self) -> tuple[int, int]:
        return (self.n_timesteps, self.n_features)

    def _flat_row(self, data_row: Any) -> np.ndarray:
        try:
            sequence = np.asarray(data_row, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"data_row must be a numeric array of shape ({self.n_timesteps}, "
                f"{self.n_features}); got {describe(data_row)}"
            ) from err
        if sequence.shape != (self.n_timesteps, self.n_features):
            raise ValueError(
                f"data_row must have shape ({self.n_timesteps}, {self.n_features}) "
                f"(n_timesteps, n_features); got {describe(sequence)}"
            )
        return sequence.T.reshape(self.n_timesteps * self.n_features)


def _renamed_signature(method: Callable[..., Any], **renames: str) -> inspect.Signature:
    """``method``'s signature with parameters renamed (``old=new``)."""
    signature = inspect.signature(method)
    parameters = [
        p.replace(name=renames.get(p.name, p.name)) for p in signature.parameters.values()
    ]
    return signature.replace(parameters=parameters)


# lime's signature, read from the parent so that the two never drift: the wrapper forwards every
# argument unchanged, and introspection (help, Sphinx, IDEs, the compat tests) shows the real
# parameters and defaults.
RecurrentTabularExplainer.explain_instance.__signature__ = _renamed_signature(  # type: ignore[attr-defined]
    LimeTabularExplainer.explain_instance, predict_fn="classifier_fn"
)
