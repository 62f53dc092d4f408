"""The interactive view of a tabular explanation: edit feature values and see the model react."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import traitlets

from ..engine._validation import describe
from ._assets import bundle_source, css_source
from ._base import ExplanationWidget
from ._contract import finite_or_none


def _jsonable(value: Any) -> Any:
    """Plain-Python copy of a feature_info / feature_rules value (numpy scalars -> float)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return finite_or_none(value)
    if value is None:
        return None
    return str(value)


class TabularExplanationWidget(ExplanationWidget):
    """A tabular explanation with a what-if editor.

    A bar chart shows the conditions with the largest weights for the selected label, a table
    the instance's values with a number field (or a drop-down for categorical features) per
    feature. Editing a value re-queries the model with the edited row (built by the explanation's
    perturbation) and shows the real output next to the surrogate's estimate; in regression the
    value is shown within the range the explainer saw.

    Parameters
    ----------
    explanation : TabularExplanation
        The result of ``LimeTabularExplainer.explain_instance``.
    classifier_fn : callable, optional
        Model taking a 2-D array (default: the explanation's).
    label : int, optional
    num_features : int, default=10
    threaded : bool, default=True
    max_queries : int, default=200
    **kwargs
        Passed to :class:`anywidget.AnyWidget`.
    """

    _kind = "tabular"
    _searched = "change"
    _esm = bundle_source("tabular")
    _css = css_source()

    features: traitlets.List[Any] = traitlets.List().tag(sync=True)

    def _check_explanation(self, explanation: Any) -> None:
        super()._check_explanation(explanation)
        perturbation = explanation.perturbation
        for method in ("feature_info", "feature_rules"):
            if not callable(getattr(perturbation, method, None)):
                raise TypeError(
                    f"TabularExplanationWidget needs explanation.perturbation.{method}(); "
                    f"got {type(perturbation).__name__} without it"
                )

    def _kind_traits(self) -> dict:
        info = self.perturbation.feature_info()
        rules = self.perturbation.feature_rules()
        names = self._feature_names()
        n_features = int(self.perturbation.n_features)
        if len(info) != n_features or len(rules) != n_features:
            raise ValueError(
                f"perturbation.feature_info() and feature_rules() must describe {n_features} "
                f"features; got {len(info)} and {len(rules)}"
            )
        features = []
        for i in range(n_features):
            entry = _jsonable(dict(info[i]))
            entry["rule"] = _jsonable(dict(rules[i]))
            entry["condition"] = names[i]
            features.append(entry)
        self._features = features
        return {"features": features}

    # ------------------------------------------------------------------ validation
    def _categorical_options(self, index: int) -> list[float] | None:
        entry = self._features[index]
        if not entry.get("categorical") or not entry.get("options"):
            return None
        return [float(raw) for raw, _ in entry["options"]]

    def _validate_state(self, values: Any) -> np.ndarray:
        row = super()._validate_state(values)
        for index in range(row.shape[0]):
            options = self._categorical_options(index)
            if options is not None and row[index] not in options:
                raise ValueError(
                    f"state[{index}] ({self._features[index]['name']}) must be one of the "
                    f"categories {options}; got {row[index]:g}"
                )
        return row

    def _feature_index(self, feature: Any) -> int:
        names = [entry["name"] for entry in self._features]
        if isinstance(feature, str):
            if feature not in names:
                raise ValueError(f"feature must be one of {names}; got {feature!r}")
            return names.index(feature)
        if isinstance(feature, (bool, np.bool_)) or not isinstance(feature, numbers.Integral):
            raise TypeError(f"feature must be a feature index or name; got {describe(feature)}")
        index = int(feature)
        if not 0 <= index < len(names):
            raise ValueError(f"feature index must be in [0, {len(names) - 1}]; got {index}")
        return index

    # ------------------------------------------------------------------ Python API
    def set_value(self, feature: int | str, value: float | str) -> None:
        """Edit one feature's value (a what-if question) and re-query the model.

        Parameters
        ----------
        feature : int or str
            Feature index or name.
        value : float or str
            The new raw value; for a categorical feature either its raw code or its category
            name (as listed in ``features[i]['options']``).
        """
        index = self._feature_index(feature)
        entry = self._features[index]
        if isinstance(value, str) and entry.get("options"):
            by_name = {str(name): float(raw) for raw, name in entry["options"]}
            if value not in by_name:
                raise ValueError(
                    f"value for {entry['name']} must be one of {sorted(by_name)}; got {value!r}"
                )
            value = by_name[value]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"value for {entry['name']} must be a number; got {describe(value)}")
        if not np.isfinite(float(value)):
            raise ValueError(f"value for {entry['name']} must be finite; got {value}")
        options = self._categorical_options(index)
        if options is not None and float(value) not in options:
            raise ValueError(
                f"value for {entry['name']} must be one of the categories {options}; got {value}"
            )
        row = self._validate_state(self.state).copy()
        row[index] = float(value)
        self._set_state(row)

    def _counterfactual_row(self, found: dict) -> np.ndarray:
        return self._validate_state(found.get("state", []))

    @property
    def values(self) -> dict[str, float]:
        """The current (edited) raw value of every feature, by feature name."""
        row = self._validate_state(self.state)
        return {entry["name"]: float(v) for entry, v in zip(self._features, row, strict=True)}
