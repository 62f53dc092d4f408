"""The static views of an :class:`~limewidgets.engine.explanation.Explanation`.

The matplotlib bar chart (:meth:`~limewidgets.engine.explanation.Explanation.as_pyplot_figure`)
and the HTML body that ``as_html``, ``show_in_notebook`` and the notebook fallback wrap (built
from the escaping pieces of :mod:`limewidgets.engine.html`). They read the explanation through
its public data and its small view helpers only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import html as html_view

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["html_body", "pyplot_figure"]


def pyplot_figure(explanation: Any, label: int = 1, **kwargs: Any) -> Figure:
    """The bar chart of :meth:`Explanation.as_pyplot_figure` for ``label``."""
    import matplotlib.pyplot as plt

    exp = explanation.as_list(label=label, **kwargs)
    errors = explanation._weight_errors(label)[::-1]
    fig = plt.figure()
    vals = [x[1] for x in exp][::-1]
    names = [str(x[0]) for x in exp][::-1]
    colors = ["green" if x > 0 else "red" for x in vals]
    pos = np.arange(len(exp)) + 0.5
    bars = plt.barh(pos, vals, align="center", color=colors)
    if any(e is not None for e in errors):
        known = [i for i, e in enumerate(errors) if e is not None]
        plt.errorbar(
            [vals[i] for i in known],
            pos[known],
            xerr=[2.0 * e for e in errors if e is not None],
            fmt="none",
            ecolor="black",
            elinewidth=1,
            capsize=3,
            label="±2 standard errors",
        )
        doubtful = [html_view.uncertain(v, e) for v, e in zip(vals, errors, strict=True)]
        for bar, doubt in zip(bars, doubtful, strict=True):
            if doubt:
                bar.set_alpha(0.45)
                bar.set_hatch("//")
        if any(doubtful):
            from matplotlib.patches import Patch

            handles = [
                plt.gca().containers[-1],
                Patch(facecolor="lightgray", hatch="//", label="interval contains zero"),
            ]
            plt.legend(handles=handles, loc="best", fontsize="small")
        else:
            plt.legend(loc="best", fontsize="small")
        plt.axvline(0.0, color="gray", linewidth=0.8)
    plt.yticks(pos, names)
    if explanation.mode == "classification":
        name = explanation.class_names[label] if explanation.class_names is not None else label
        title = f"Local explanation for class {name}"
    else:
        title = "Local explanation"
    info = explanation.reliability(label)
    summary = []
    if info["fidelity"] is not None:
        summary.append(f"fidelity {info['fidelity']:.2f}")
    if info["stability"] is not None:
        summary.append(f"stability {info['stability']:.2f} (top-{info['stability_k']})")
    if info["num_queries"] is not None:
        summary.append(f"{info['num_queries']} model queries")
    if summary:  # under the axis: the title stays lime's
        plt.xlabel(", ".join(summary))
    plt.title(title)
    return fig


def html_body(
    explanation: Any,
    labels: Iterable[int] | None = None,
    predict_proba: bool = True,
    show_predicted_value: bool = True,
    **kwargs: Any,
) -> str:
    """The ``<div class="lw-root">`` body of :meth:`Explanation.as_html` (no page around it)."""
    parts = []
    if explanation.mode == "classification":
        labels = explanation.available_labels() if labels is None else list(labels)
        for label in labels:
            explanation._resolve_label(label)
        if predict_proba and explanation.predict_proba is not None:
            names = explanation.class_names or [
                str(i) for i in range(len(explanation.predict_proba))
            ]
            parts.append(html_view.proba_chart(names, explanation.predict_proba))
        for label in labels:
            name = explanation._class_name(label)
            parts.append(
                html_view.weight_chart(
                    f"Explanation for {name}",
                    explanation.as_list(label),
                    f"not {name}",
                    name,
                    **explanation._html_uncertainty(label),
                )
            )
        first = labels[0] if labels else None
    else:
        if show_predicted_value and explanation.predicted_value is not None:
            parts.append(
                html_view.value_chart(
                    explanation.predicted_value, explanation.min_value, explanation.max_value
                )
            )
        parts.append(
            html_view.weight_chart(
                "Explanation",
                explanation.as_list(),
                "lower",
                "higher",
                **explanation._html_uncertainty(explanation.dummy_label),
            )
        )
        first = explanation.dummy_label
    if first is not None:
        parts.append(
            explanation.domain_mapper.visualize_instance_html(
                explanation.local_exp[first], first, "", "", **kwargs
            )
        )
    return '<div class="lw-root">' + "".join(parts) + "</div>"
