"""The shared base of the widgets whose edits are keep-masks (text words, image superpixels)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..engine._validation import check_positive_int
from ._base import ExplanationWidget
from ._contract import check_feature_id, check_mask_values


class MaskExplanationWidget(ExplanationWidget):
    """Shared logic of the widgets whose edits are keep-masks (text words, image superpixels)."""

    _binary_edits = True

    def _state_to_json(self, row: np.ndarray) -> list:
        return [int(v) for v in row]

    def _validate_state(self, values: Any) -> np.ndarray:
        return check_mask_values(super()._validate_state(values))

    def _check_feature(self, feature_id: Any) -> int:
        """The ``state`` position of feature ``feature_id`` (an id as in ``local_exp``)."""
        n_features = int(self.perturbation.n_features)
        if isinstance(feature_id, (bool, np.bool_)) or not isinstance(feature_id, numbers.Integral):
            return check_feature_id(feature_id, n_features)  # raises the TypeError
        try:  # image feature ids are segment ids, at another position in state
            position = int(self.explanation.feature_columns([int(feature_id)])[0])
        except ValueError as err:
            raise ValueError(f"feature_id must be a feature of the explanation: {err}") from err
        return check_feature_id(position, n_features)

    def toggle(self, feature_id: int) -> None:
        """Remove a kept feature, or put a removed one back (then re-query the model).

        Parameters
        ----------
        feature_id : int
            The feature's id, as in ``local_exp`` (text: the word's id; image: the segment id).
        """
        position = self._check_feature(feature_id)
        row = self._validate_state(self.state).copy()
        row[position] = 1.0 - row[position]
        self._set_state(row)

    def _top_positive(self, k: int | None) -> np.ndarray:
        k = self.num_features if k is None else check_positive_int("k", k)
        weights = self.explanation.local_exp[self._weights_key()]
        positive = [(int(f), float(w)) for f, w in weights if float(w) > 0]
        positive.sort(key=lambda fw: -fw[1])
        # local_exp holds feature ids; state is indexed by position (they differ for images).
        return self.explanation.feature_columns([f for f, _ in positive[:k]])

    def _weights_key(self) -> int:
        return self.label if self.explanation.mode == "classification" else self.labels[0]

    def hide_top(self, k: int | None = None) -> None:
        """From the original, remove the ``k`` features with the largest positive weights.

        Parameters
        ----------
        k : int, optional
            Default: ``num_features``.
        """
        row = self._initial.copy()
        row[self._top_positive(k)] = 0.0
        self._set_state(row)

    def keep_top(self, k: int | None = None) -> None:
        """Remove everything except the ``k`` features with the largest positive weights.

        Parameters
        ----------
        k : int, optional
            Default: ``num_features``.
        """
        row = np.zeros_like(self._initial)
        row[self._top_positive(k)] = 1.0
        self._set_state(row)

    @property
    def removed_features(self) -> list[int]:
        """Ids of the features currently removed (0 in ``state``), as in ``local_exp``."""
        row = self._validate_state(self.state)
        return [int(f) for f in self.explanation.feature_ids(np.flatnonzero(row == 0))]
