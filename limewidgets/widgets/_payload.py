"""The ``explanations`` trait: what the browser draws for each explained label.

One entry per label (keyed by the label as a string, see ``CONTRACT.md``): the weights sorted by
magnitude, the surrogate's intercept and fit scores, and the weights' uncertainty when the
explanation measured it. Everything is read from the Explanation (the one source of truth);
missing or non-finite values become ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._contract import finite_or_none


def explanations_payload(explanation: Any, labels: Sequence[int]) -> dict:
    """The ``explanations`` trait value for ``labels`` of ``explanation``.

    Parameters
    ----------
    explanation : Explanation
        The explanation the widget shows (duck-typed: ``local_exp``, ``feature_columns`` and the
        optional per-label dicts ``intercept``, ``score``, ``fidelity``, ``local_pred``,
        ``weight_std``, ``stability``).
    labels : sequence of int
        The explained labels to describe.

    Returns
    -------
    dict
        ``{str(label): {"intercept", "weights", "score", "fidelity", "local_pred",
        "weight_std", "stability", "stability_k"}}``; features are given by their position in
        the widget's ``state``.
    """

    def per_label(attribute: str, label: int) -> Any:
        values = getattr(explanation, attribute, None)
        return values.get(label) if isinstance(values, dict) else None

    payload = {}
    for label in labels:
        weights = sorted(explanation.local_exp[label], key=lambda fw: -abs(float(fw[1])))
        # The browser indexes features by their position in `state` (for images not the
        # segment id that local_exp uses).
        positions = explanation.feature_columns([f for f, _ in weights]).tolist()
        std = per_label("weight_std", label) or {}
        errors = [
            [p, finite_or_none(std.get(f))]
            for p, (f, _) in zip(positions, weights, strict=True)
            if f in std
        ]
        stability = finite_or_none(per_label("stability", label))
        k = getattr(explanation, "stability_k", None)
        payload[str(label)] = {
            "intercept": finite_or_none(per_label("intercept", label)) or 0.0,
            "weights": [[p, float(w)] for p, (_, w) in zip(positions, weights, strict=True)],
            "score": finite_or_none(per_label("score", label)),
            "fidelity": finite_or_none(per_label("fidelity", label)),
            "local_pred": finite_or_none(per_label("local_pred", label)),
            "weight_std": [[f, e] for f, e in errors if e is not None],
            "stability": stability,
            "stability_k": int(min(5, len(weights)) if k is None else k),
        }
    return payload
