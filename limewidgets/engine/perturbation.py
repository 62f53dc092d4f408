"""The contract between explainers, explanations and widgets for building model inputs.

An explainer samples rows in an *edit space* (binary keep-masks for text and images, raw feature
rows for tables), turns them into model inputs with ``make_instances`` and into the surrogate's
interpretable representation with ``to_interpretable``. It stores the same object on the
explanation, so a widget that toggles a word or a superpixel, or edits a value, builds the model
input with exactly the function the explanation's samples were built with.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Perturbation(Protocol):
    """Builds model inputs from edit-space rows.

    Attributes
    ----------
    n_features : int
        Number of interpretable features (words, superpixels, columns).
    """

    n_features: int

    def initial_state(self) -> np.ndarray:
        """The edit-space row of the unperturbed instance (all ones for masks)."""
        ...

    def make_instances(self, rows: np.ndarray) -> Any:
        """Model inputs for ``rows`` (shape ``(n, ...)``), in the form ``classifier_fn`` takes."""
        ...

    def to_interpretable(self, rows: np.ndarray) -> np.ndarray:
        """The surrogate's representation of ``rows``: shape ``(n, n_features)``."""
        ...
