"""A global picture from many local explanations.

:class:`GlobalExplanation` aggregates explanations (typically from ``explain_many``) feature by
feature and label by label: the mean absolute weight (how much a feature matters), the signed mean
weight (in which direction, on average) and how many explanations gave it a weight. It keeps
each row's weights so that a view can list the rows where a feature matters most and open one
row's own explanation.

Features are matched across rows by what they *are*, not by their per-row id: a table column by
its name (not by the bin condition of one row), a word by its text, a superpixel by its segment
id (meaningful across images only for a shared segmentation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _registry
from . import html as html_view
from ._validation import describe

__all__ = ["GlobalExplanation"]

GLOBAL_CSS = """
.lw-g-row{display:grid;grid-template-columns:minmax(60px,200px) minmax(100px,1fr) 150px;gap:6px;align-items:center}
.lw-g-details{margin:1px 0}
.lw-g-details>summary{list-style:none;cursor:pointer}
.lw-g-details>summary::-webkit-details-marker{display:none}
.lw-g-rows{margin:2px 0 6px 206px;font-size:12px;color:var(--jp-ui-font-color2,#555)}
.lw-g-picked{display:flex;flex-wrap:wrap;gap:14px;width:100%}
.lw-g-picked .lw-panel{flex:1 1 240px;max-width:360px;border:1px solid var(--jp-border-color2,#ddd);border-radius:4px;padding:6px}
"""


class GlobalExplanation:
    """Feature importance aggregated over many local explanations.

    Parameters
    ----------
    explanations : sequence of Explanation
        The local explanations (all of one kind). Entries that are not explanations, such as the
        :class:`~limewidgets.engine.many.RowFailure` slots of ``explain_many(...,
        errors='collect')``, are skipped and listed in :attr:`failed_rows`.
    row_ids : sequence, optional
        A label for each entry of ``explanations`` (default ``0, 1, ...``: positions).
    picked : sequence of int, optional
        Positions of highlighted explanations, e.g. ``SubmodularPick.V``; views show them side
        by side.
    classifier_fn : callable, optional
        The model the row widgets re-query (default: each explanation's own).

    Attributes
    ----------
    labels : list of int
        Every label some explanation explains (regression: ``[1]``, the true weights).
    class_names : list of str or None
    n_explanations : dict
        ``{label: number of explanations that explain it}``.
    features : dict
        ``{label: [feature name, ...]}`` sorted by decreasing mean absolute weight.
    mean_abs, mean : dict
        ``{label: numpy.ndarray}`` aligned with ``features[label]``: the mean of ``|weight|`` and
        of the signed weight over the ``n_explanations[label]`` explanations of the label (a
        feature absent from an explanation counts as weight 0 there).
    counts : dict
        ``{label: numpy.ndarray of int}``: how many of them give the feature a weight.
    weights : dict
        ``{label: scipy.sparse.csr_matrix of shape (len(explanations), len(features[label]))}``.
    explanations : list
        The explanations (failures removed), ``row_ids`` aligned with them.
    row_ids : list
    failed_rows : list
        Row ids of the skipped entries.
    picked : list of int
        Positions into :attr:`explanations` of the highlighted ones.
    """

    def __init__(
        self,
        explanations: Sequence[Any],
        *,
        row_ids: Sequence[Any] | None = None,
        picked: Iterable[int] | None = None,
        classifier_fn: Callable[[Any], Any] | None = None,
    ) -> None:
        entries = list(explanations)
        if row_ids is None:
            ids: list[Any] = list(range(len(entries)))
        else:
            ids = list(row_ids)
            if len(ids) != len(entries):
                raise ValueError(
                    f"row_ids must have one id per explanation ({len(entries)}); got {len(ids)}"
                )
        keep = [i for i, e in enumerate(entries) if _is_explanation(e)]
        if not keep:
            raise ValueError(
                "explanations must contain at least one explanation; got "
                f"{describe(entries)} with none"
            )
        kinds = {getattr(entries[i], "kind", "generic") for i in keep}
        if len(kinds) > 1:
            raise ValueError(f"explanations must all be of one kind; got {sorted(kinds)}")
        position = {old: new for new, old in enumerate(keep)}
        self.explanations = [entries[i] for i in keep]
        self.row_ids = [ids[i] for i in keep]
        self.failed_rows = [ids[i] for i in range(len(entries)) if i not in position]
        self.kind = kinds.pop()
        self.mode = self.explanations[0].mode
        self.classifier_fn = classifier_fn
        self.picked: list[int] = []
        for p in picked or []:
            if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
                raise TypeError(f"picked must hold explanation positions; got {describe(p)}")
            if int(p) not in position:
                raise ValueError(
                    f"picked position {p} is not a kept explanation (0..{len(entries) - 1}, "
                    "failures excluded)"
                )
            self.picked.append(position[int(p)])
        self.class_names = _class_names(self.explanations)
        self._aggregate()

    # ------------------------------------------------------------------ building
    def _aggregate(self) -> None:
        columns: dict[int, dict[str, int]] = {}
        triples: dict[int, tuple[list, list, list]] = {}
        n_explanations: dict[int, int] = {}
        for row, exp in enumerate(self.explanations):
            name_of = _feature_names(exp)
            for label in _labels(exp):
                n_explanations[label] = n_explanations.get(label, 0) + 1
                column = columns.setdefault(label, {})
                rows, cols, vals = triples.setdefault(label, ([], [], []))
                for feature, weight in exp.local_exp[label]:
                    rows.append(row)
                    cols.append(column.setdefault(name_of(int(feature)), len(column)))
                    vals.append(float(weight))
        self.labels = sorted(n_explanations)
        self.n_explanations = n_explanations
        self.features: dict[int, list[str]] = {}
        self.mean_abs: dict[int, np.ndarray] = {}
        self.mean: dict[int, np.ndarray] = {}
        self.counts: dict[int, np.ndarray] = {}
        self.weights: dict[int, sp.csr_matrix] = {}
        n_rows = len(self.explanations)
        for label in self.labels:
            rows, cols, vals = triples[label]
            names = list(columns[label])
            # Duplicate (row, feature) pairs (a word repeated in a document without bow) add up.
            matrix = sp.csr_matrix(
                (np.asarray(vals, float), (np.asarray(rows, int), np.asarray(cols, int))),
                shape=(n_rows, len(names)),
            )
            matrix.sum_duplicates()
            n = n_explanations[label]
            mean_abs = np.asarray(abs(matrix).sum(axis=0)).ravel() / n
            mean = np.asarray(matrix.sum(axis=0)).ravel() / n
            counts = np.diff(matrix.tocsc().indptr)
            order = np.lexsort((np.arange(len(names)), -mean_abs))
            self.features[label] = [names[i] for i in order]
            self.mean_abs[label] = mean_abs[order]
            self.mean[label] = mean[order]
            self.counts[label] = counts[order].astype(int)
            self.weights[label] = matrix[:, order].tocsr()

    # ------------------------------------------------------------------ data access
    def _label(self, label: Any) -> int:
        if self.mode != "classification":
            return 1
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
            raise TypeError(f"label must be an integer class index; got {describe(label)}")
        if int(label) not in self.n_explanations:
            raise ValueError(f"label {label} is not explained by any row; labels are {self.labels}")
        return int(label)

    def default_label(self) -> int:
        """The label explained by most rows (ties: the smallest)."""
        return max(self.labels, key=lambda k: (self.n_explanations[k], -k))

    def class_name(self, label: int) -> str:
        """Display name of ``label``."""
        if self.mode != "classification":
            return "value"
        if self.class_names is not None and 0 <= label < len(self.class_names):
            return str(self.class_names[label])
        return str(label)

    def as_list(self, label: int | None = None) -> list[tuple[str, float]]:
        """``[(feature, mean |weight|), ...]`` for ``label``, most important first."""
        key = self._label(self.default_label() if label is None else label)
        return [(f, float(v)) for f, v in zip(self.features[key], self.mean_abs[key], strict=True)]

    def summary(self, label: int | None = None) -> list[dict]:
        """One dict per feature: ``feature``, ``mean_abs``, ``mean``, ``count``, ``n``."""
        key = self._label(self.default_label() if label is None else label)
        n = self.n_explanations[key]
        return [
            {"feature": f, "mean_abs": float(a), "mean": float(m), "count": int(c), "n": n}
            for f, a, m, c in zip(
                self.features[key], self.mean_abs[key], self.mean[key], self.counts[key],
                strict=True,
            )
        ]  # fmt: skip

    def top_rows(self, feature: Any, label: int | None = None, k: int = 10) -> list[tuple]:
        """The rows where ``feature`` matters most for ``label``.

        Parameters
        ----------
        feature : str or int
            A feature name or its position in ``features[label]``.
        label : int, optional
            Default: :meth:`default_label`.
        k : int, default=10

        Returns
        -------
        list of (position, row id, weight)
            Sorted by decreasing ``|weight|``; ``position`` indexes :attr:`explanations`.
        """
        key = self._label(self.default_label() if label is None else label)
        column = self._column(feature, key)
        col = self.weights[key][:, column].tocsc()
        rows, values = col.indices, col.data
        order = np.lexsort((rows, -np.abs(values)))[: max(0, int(k))]
        return [(int(rows[i]), self.row_ids[int(rows[i])], float(values[i])) for i in order]

    def _column(self, feature: Any, label: int) -> int:
        names = self.features[label]
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, (bool, np.bool_)):
            if not 0 <= int(feature) < len(names):
                raise ValueError(f"feature position must be in [0, {len(names)}); got {feature}")
            return int(feature)
        try:
            return names.index(str(feature))
        except ValueError:
            raise ValueError(
                f"feature {feature!r} has no weight for label {label} in any row"
            ) from None

    # ------------------------------------------------------------------ views
    def _html_body(self, labels: Iterable[int] | None = None, max_features: int = 20) -> str:
        chosen = [self._label(x) for x in labels] if labels is not None else self.labels
        panels = []
        for label in chosen:
            panels.append(self._label_panel(label, max_features))
        if self.picked:
            cards = []
            for position in self.picked:
                exp = self.explanations[position]
                label = self._picked_label(exp)
                items = exp.as_list(label=label) if self.mode == "classification" else exp.as_list()
                cards.append(
                    html_view.weight_chart(
                        f"Row {self.row_ids[position]} ({self.class_name(label)})", items, limit=8
                    )
                )
            panels.append(
                '<div class="lw-panel lw-g-picked-panel" style="max-width:none;flex-basis:100%">'
                '<div class="lw-title">Picked explanations</div>'
                f'<div class="lw-g-picked">{"".join(cards)}</div></div>'
            )
        failed = ""
        if self.failed_rows:
            shown = ", ".join(html_view.esc(r) for r in self.failed_rows[:20])
            more = "" if len(self.failed_rows) <= 20 else f" and {len(self.failed_rows) - 20} more"
            failed = f'<div class="lw-note">Rows that failed (not counted): {shown}{more}</div>'
        return f'<style>{GLOBAL_CSS}</style><div class="lw-root">{"".join(panels)}{failed}</div>'

    def _picked_label(self, exp: Any) -> int:
        if self.mode != "classification":
            return 1
        labels = exp.available_labels()
        return labels[0] if labels else self.default_label()

    def _label_panel(self, label: int, max_features: int) -> str:
        summary = self.summary(label)
        shown = summary[:max_features]
        top = max((s["mean_abs"] for s in shown), default=0.0)
        rows = []
        for position, s in enumerate(shown):
            width = 0.0 if top <= 0 else s["mean_abs"] / top * 100
            color = html_view.POSITIVE_COLOR if s["mean"] > 0 else html_view.NEGATIVE_COLOR
            tip = (
                f"{s['feature']}: mean |weight| {html_view.fmt(s['mean_abs'])}, signed mean "
                f"{html_view.fmt(s['mean'])}, weighted in {s['count']} of {s['n']} rows"
            )
            listed = "; ".join(
                f"row {html_view.esc(row_id)}: {html_view.fmt(w)}"
                for _, row_id, w in self.top_rows(position, label, k=5)
            )
            rows.append(
                f'<details class="lw-g-details"><summary class="lw-g-row" '
                f'title="{html_view.esc(tip)}"><span class="lw-name">'
                f'{html_view.esc(s["feature"])}</span><span class="lw-track"><span class="lw-bar" '
                f'style="left:0;width:{width:.1f}%;background-color:{color}"></span></span>'
                f'<span class="lw-val">{html_view.fmt(s["mean_abs"])} '
                f'<span class="lw-pm">({html_view.fmt(s["mean"])}, {s["count"]}/{s["n"]})'
                f"</span></span></summary>"
                f'<div class="lw-g-rows">Rows where it matters most: {listed}</div></details>'
            )
        hidden = len(summary) - len(shown)
        if hidden > 0:
            rows.append(f'<div class="lw-note">and {hidden} more features</div>')
        name = self.class_name(label)
        title = (
            f"Global view: {name}" if self.mode == "classification" else "Global view (regression)"
        )
        return (
            f'<div class="lw-panel lw-g-panel" style="max-width:640px">'
            f'<div class="lw-title">{html_view.esc(title)}</div>'
            f'<div class="lw-note">Mean |weight| over {self.n_explanations[label]} explanations '
            "(in brackets: signed mean, rows weighting the feature); orange: pushes towards "
            f"{html_view.esc(name)} on average, blue: away. Click a feature for its rows.</div>"
            + "".join(rows)
            + "</div>"
        )

    def as_html(self, labels: Iterable[int] | None = None, max_features: int = 20) -> str:
        """A standalone HTML page with no script (feature rows unfold to list their top rows).

        Parameters
        ----------
        labels : iterable of int, optional
            Labels to show (default: all).
        max_features : int, default=20
            Features shown per label.

        Returns
        -------
        str
        """
        return html_view.page(self._html_body(labels, max_features), title="Global explanation")

    def _repr_html_(self) -> str:
        return html_view.fragment(self._html_body())

    def save_to_file(self, file_path: Any, **kwargs: Any) -> None:
        """Write :meth:`as_html` to ``file_path`` (UTF-8)."""
        with open(file_path, "w", encoding="utf8") as handle:
            handle.write(self.as_html(**kwargs))

    def as_pyplot_figure(self, label: int | None = None, max_features: int = 20) -> Any:
        """A matplotlib bar chart of the mean ``|weight|`` per feature (colour: sign of the mean).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        key = self._label(self.default_label() if label is None else label)
        summary = self.summary(key)[:max_features][::-1]
        fig, ax = plt.subplots(figsize=(6, max(2.0, 0.3 * len(summary) + 1)))
        values = [s["mean_abs"] for s in summary]
        colors = [
            html_view.POSITIVE_COLOR if s["mean"] > 0 else html_view.NEGATIVE_COLOR for s in summary
        ]
        pos = np.arange(len(summary))
        ax.barh(pos, values, color=colors)
        ax.set_yticks(pos, [str(s["feature"]) for s in summary])
        for y, s in zip(pos, summary, strict=True):
            ax.annotate(f" {s['count']}/{s['n']}", (s["mean_abs"], y), va="center", fontsize=8)
        ax.set_xlabel("mean |weight| over the explanations")
        ax.set_title(f"Global explanation: {self.class_name(key)}")
        fig.tight_layout()
        return fig

    def widget(self, classifier_fn: Callable | None = None, **kwargs: Any) -> Any:
        """The interactive global view (bar chart, rows per feature, each row's live widget)."""
        factory = _registry.widget_factory("global")
        if factory is None:
            raise RuntimeError(
                "no interactive widget is available for GlobalExplanation; import limewidgets "
                "(with anywidget and ipywidgets installed) first"
            )
        return factory(self, classifier_fn=classifier_fn or self.classifier_fn, **kwargs)

    def show_in_notebook(self, **kwargs: Any) -> None:
        """Display the widget when available, else the static HTML."""
        from IPython.display import HTML, display

        if _registry.widget_factory("global") is not None:
            display(self.widget(**kwargs))
            return
        display(HTML(html_view.fragment(self._html_body())))


def _is_explanation(entry: Any) -> bool:
    return hasattr(entry, "local_exp") and hasattr(entry, "mode") and bool(entry)


def _labels(exp: Any) -> list[int]:
    if exp.mode != "classification":
        return [1]
    return [int(label) for label in exp.local_exp]


def _class_names(explanations: list) -> list[str] | None:
    for exp in explanations:
        names = getattr(exp, "class_names", None)
        if names is not None and exp.mode == "classification":
            return [str(n) for n in names]
    return None


def _feature_names(exp: Any) -> Callable[[int], str]:
    """How ``exp``'s feature ids read across rows (see the module docstring)."""
    plain = getattr(getattr(exp, "perturbation", None), "feature_names", None)
    if getattr(exp, "kind", None) == "tabular" and plain is not None:
        return lambda f: str(plain[f])
    mapper = exp.domain_mapper
    cache: dict[int, str] = {}

    def name(f: int) -> str:
        if f not in cache:
            cache[f] = str(mapper.map_exp_ids([(f, 0.0)])[0][0])
        return cache[f]

    return name
