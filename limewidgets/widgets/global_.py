"""The interactive global view: aggregate bars, the rows behind a feature, a row's own widget.

:class:`GlobalExplanationWidget` is an ``ipywidgets.VBox`` of two parts: a chart
(:class:`GlobalChartWidget`, an anywidget whose traits carry all the data it draws) and, below it,
the live explanation widget of the row the user opened. Clicking a feature's bar lists the rows
where that feature weighs most; clicking one of them (or one of the picked explanations of a
submodular pick) sets ``selected_row``, and Python puts that row's own widget below the chart,
re-querying the model as usual.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import ipywidgets
import traitlets

from ..engine.global_explanation import GlobalExplanation
from ._assets import bundle_source, css_source
from ._contract import BrowserGuardedWidget
from ._export import save_html

__all__ = ["GlobalChartWidget", "GlobalExplanationWidget"]


class GlobalChartWidget(BrowserGuardedWidget):
    """The chart of a :class:`~limewidgets.engine.global_explanation.GlobalExplanation`.

    Traits (JSON; see ``CONTRACT.md``): ``labels`` ``[{"id", "name", "n"}]``; ``aggregates``
    ``{label: [{"name", "mean_abs", "mean", "count", "n", "rows": [[position, weight], ...]}]}``
    (the ``max_features`` most important features, their ``max_rows`` heaviest rows);
    ``row_names`` (the display id of each position); ``picked`` ``[{"position", "title", "items":
    [[name, weight], ...]}]``; ``failed_rows``; ``static``. Set by the browser: ``label``,
    ``selected_feature`` (a feature name, ``""`` for none) and ``selected_row`` (a position,
    ``-1`` for none).
    """

    # Anything else the browser sends is answered with Python's value.
    _browser_traits = frozenset({"label", "selected_feature", "selected_row"})
    _esm = bundle_source("global")
    _css = css_source()
    kind = "global"

    labels = traitlets.List(traitlets.Dict()).tag(sync=True)
    aggregates = traitlets.Dict().tag(sync=True)
    row_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    picked = traitlets.List(traitlets.Dict()).tag(sync=True)
    failed_rows = traitlets.List(traitlets.Unicode()).tag(sync=True)
    static = traitlets.Bool(False).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)
    selected_feature = traitlets.Unicode("").tag(sync=True)
    selected_row = traitlets.Int(-1).tag(sync=True)

    def __init__(
        self, explanation: GlobalExplanation, max_features: int = 20, max_rows: int = 10, **kwargs
    ) -> None:
        if not isinstance(explanation, GlobalExplanation):
            raise TypeError(
                f"explanation must be a GlobalExplanation; got {type(explanation).__name__}"
            )
        self._explanation = explanation
        aggregates = {}
        for label in explanation.labels:
            entries = []
            for position, s in enumerate(explanation.summary(label)[:max_features]):
                rows = explanation.top_rows(position, label, k=max_rows)
                entries.append(
                    {**s, "name": str(s["feature"]), "rows": [[p, w] for p, _, w in rows]}
                )
                del entries[-1]["feature"]
            aggregates[str(label)] = entries
        picked = []
        for position in explanation.picked:
            exp = explanation.explanations[position]
            label = explanation._picked_label(exp)
            items = exp.as_list(label=label) if exp.mode == "classification" else exp.as_list()
            picked.append(
                {
                    "position": position,
                    "title": f"Row {explanation.row_ids[position]} "
                    f"({explanation.class_name(label)})",
                    "items": [[str(name), float(w)] for name, w in items[:8]],
                }
            )
        super().__init__(
            labels=[
                {"id": k, "name": explanation.class_name(k), "n": explanation.n_explanations[k]}
                for k in explanation.labels
            ],
            aggregates=aggregates,
            row_names=[str(r) for r in explanation.row_ids],
            picked=picked,
            failed_rows=[str(r) for r in explanation.failed_rows],
            label=explanation.default_label(),
            **kwargs,
        )

    @traitlets.validate("label")
    def _valid_label(self, proposal: dict) -> int:
        value = proposal["value"]
        if str(value) not in self.aggregates and self.aggregates:
            raise traitlets.TraitError(
                f"label must be one of {self._explanation.labels}; got {value}"
            )
        return value

    @traitlets.validate("selected_row")
    def _valid_row(self, proposal: dict) -> int:
        value = proposal["value"]
        if not -1 <= value < len(self.row_names):
            raise traitlets.TraitError(
                f"selected_row must be -1 or a row position in [0, {len(self.row_names)}); "
                f"got {value}"
            )
        return value


class GlobalExplanationWidget(ipywidgets.VBox):
    """The interactive view of a :class:`~limewidgets.engine.global_explanation.GlobalExplanation`.

    Parameters
    ----------
    explanation : GlobalExplanation
    classifier_fn : callable, optional
        Model the row widgets re-query (default: each row explanation's own).
    max_features : int, default=20
        Features drawn per label.
    max_rows : int, default=10
        Rows listed per feature.
    **kwargs
        Passed to each row's explanation widget.

    Attributes
    ----------
    chart : GlobalChartWidget
    row_widget : widget or None
        The widget of the opened row.
    """

    def __init__(
        self,
        explanation: GlobalExplanation,
        classifier_fn: Callable | None = None,
        max_features: int = 20,
        max_rows: int = 10,
        **kwargs: Any,
    ) -> None:
        self.explanation = explanation
        self.classifier_fn = classifier_fn
        self._row_kwargs = kwargs
        self.chart = GlobalChartWidget(explanation, max_features=max_features, max_rows=max_rows)
        self.detail = ipywidgets.Box(layout=ipywidgets.Layout(width="100%"))
        self.row_widget: Any = None
        super().__init__(children=[self.chart, self.detail])
        self.chart.observe(self._on_row, names="selected_row")

    def _on_row(self, change: dict) -> None:
        self.open_row(change["new"])

    def open_row(self, position: int) -> Any:
        """Show the explanation widget of the row at ``position`` (``-1``: close it)."""
        if self.chart.selected_row != position:
            self.chart.selected_row = position  # validates, then calls back here
            return self.row_widget
        old = self.row_widget
        self.row_widget = None
        if position >= 0:
            exp = self.explanation.explanations[position]
            self.row_widget = exp.widget(classifier_fn=self.classifier_fn, **self._row_kwargs)
        self.detail.children = [] if self.row_widget is None else [self.row_widget]
        if old is not None:
            old.close()  # frees its re-query worker
        return self.row_widget

    def save_html(self, path: Any, title: str | None = None) -> pathlib.Path:
        """Write the chart as a standalone page that works offline (no kernel, no network)."""
        was = self.chart.static
        self.chart.static = True
        try:
            return save_html(self.chart, path, title=title or "limewidgets global explanation")
        finally:
            self.chart.static = was

    def close(self) -> None:
        """Close the chart, the opened row's widget and this box."""
        row, chart = getattr(self, "row_widget", None), getattr(self, "chart", None)
        if row is not None:
            row.close()
            self.row_widget = None
        if chart is not None:
            chart.close()
        super().close()
