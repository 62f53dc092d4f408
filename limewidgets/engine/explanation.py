"""Explanation objects: plain data plus the model and perturbation that produced them.

An :class:`Explanation` holds, per explained label, the surrogate's weights (``local_exp``),
intercept, in-sample ``score``, held-out ``fidelity`` and ``local_pred``. It also keeps the
``classifier_fn`` and the ``perturbation`` object the explainer sampled with, so that a widget
can re-query the real model with exactly the kind of input the explanation was fitted on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import _registry
from . import html as html_view
from ._validation import MODES, check_choice, describe


def register_widget(kind: str, factory: Callable[..., Any]) -> None:
    """Register the interactive view for explanations of ``kind``.

    The widget layer calls this when it is imported; the engine never imports it, so the engine
    works (and is tested) with no Jupyter installed.

    Parameters
    ----------
    kind : str
        ``'text'``, ``'tabular'`` or ``'image'``.
    factory : callable
        ``factory(explanation, classifier_fn=None, **kwargs)`` returning a widget.
    """
    _registry.register_widget(kind, factory)


class LabelNotExplainedError(KeyError, ValueError):
    """A label was asked for that the explanation has no surrogate for.

    Subclasses both ``KeyError`` (what lime raised) and ``ValueError``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DomainMapper:
    """Maps feature ids to domain-specific names and views (one subclass per data kind)."""

    def __init__(self) -> None:
        pass

    def map_exp_ids(self, exp: list, **kwargs: Any) -> list:
        """Map ``[(feature_id, weight), ...]`` to ``[(name, weight), ...]`` (identity here)."""
        return exp

    def visualize_instance_html(
        self, exp: list, label: int, div_name: str, exp_object_name: str, **kwargs: Any
    ) -> str:
        """Return an HTML fragment showing the explained instance (empty here).

        lime returned JavaScript; limewidgets returns static, escaped HTML. ``div_name`` and
        ``exp_object_name`` are accepted for compatibility and ignored.
        """
        return ""


class Explanation:
    """What an explainer returns.

    Parameters
    ----------
    domain_mapper : DomainMapper
        Maps feature ids to names and renders the instance.
    mode : {'classification', 'regression'}, default='classification'
    class_names : list of str, optional
        Names of the classes (classification only).
    random_state : int, RandomState or None, optional
        Kept for compatibility with lime (it seeded HTML element ids).

    Attributes
    ----------
    local_exp : dict
        ``{label: [(feature_id, weight), ...]}`` sorted by decreasing ``|weight|``.
    intercept : dict
        ``{label: float}``.
    score : dict
        ``{label: float}``: weighted R² of the surrogate on its own samples (lime kept only the
        last label's score; limewidgets keeps one per label).
    local_pred : dict
        ``{label: numpy.ndarray of shape (1,)}``: the surrogate's prediction for the instance.
    fidelity : dict
        ``{label: float}``: weighted R² on held-out samples (a fairer measure than ``score``).
    predict_proba : numpy.ndarray or None
        The model's probabilities for the instance (classification).
    top_labels : list of int or None
        Labels ordered by decreasing probability when ``top_labels`` was asked for.
    predicted_value, min_value, max_value : float
        Regression: the model's value for the instance and the range seen in the samples.
    classifier_fn : callable or None
        The model function the explanation was computed with.
    perturbation : object or None
        The engine object that builds model inputs from interpretable rows (used by widgets).
    """

    kind = "generic"

    def __init__(
        self,
        domain_mapper: DomainMapper,
        mode: str = "classification",
        class_names: list | None = None,
        random_state: Any = None,
    ) -> None:
        check_choice("mode", mode, MODES)
        self.random_state = random_state
        self.mode = mode
        self.domain_mapper = domain_mapper
        self.local_exp: dict = {}
        self.intercept: dict = {}
        self.score: dict = {}
        self.local_pred: dict = {}
        self.fidelity: dict = {}
        self.classifier_fn: Callable | None = None
        self.perturbation: Any = None
        self.num_samples: int | None = None
        if mode == "classification":
            self.class_names = class_names
            self.top_labels: list | None = None
            self.predict_proba: np.ndarray | None = None
        else:
            self.class_names = ["negative", "positive"]
            self.predicted_value: float | None = None
            self.min_value = 0.0
            self.max_value = 1.0
            self.dummy_label = 1

    def store_fit(self, label: int, fit: Any) -> None:
        """Record a fitted surrogate (a :class:`~limewidgets.engine.base.SurrogateFit`) for ``label``."""
        self.intercept[label] = fit.intercept
        self.local_exp[label] = fit.exp
        self.score[label] = fit.score
        self.local_pred[label] = fit.local_pred
        self.fidelity[label] = fit.fidelity

    # ------------------------------------------------------------------ data access
    def available_labels(self) -> list:
        """Labels that have an explanation (``top_labels`` order when it was asked for).

        Raises
        ------
        NotImplementedError
            For regression explanations (as lime).
        """
        if self.mode != "classification":
            raise NotImplementedError("Not supported for regression explanations.")
        labels = self.top_labels if self.top_labels else self.local_exp.keys()
        return [int(x) for x in labels]

    def _resolve_label(self, label: Any) -> Any:
        if self.mode != "classification":
            return self.dummy_label
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
            raise TypeError(f"label must be an integer class index; got {describe(label)}")
        if label not in self.local_exp:
            names = ""
            if self.class_names is not None and 0 <= label < len(self.class_names):
                names = f" ({self.class_names[label]!s})"
            raise LabelNotExplainedError(
                f"label {label}{names} was not explained; explained labels are "
                f"{sorted(int(k) for k in self.local_exp)}. Pass labels=({label},) or "
                "top_labels=K to explain_instance"
            )
        return label

    def as_list(self, label: int = 1, **kwargs: Any) -> list:
        """The explanation for ``label`` as ``[(feature_name, weight), ...]``.

        Parameters
        ----------
        label : int, default=1
            Ignored for regression.
        **kwargs
            Passed to the domain mapper (e.g. ``positions=True`` for text).

        Returns
        -------
        list of (str, float)
        """
        key = self._resolve_label(label)
        mapped = self.domain_mapper.map_exp_ids(self.local_exp[key], **kwargs)
        return [(x[0], float(x[1])) for x in mapped]

    def as_map(self) -> dict:
        """``{label: [(feature_id, weight), ...]}`` for every explained label."""
        return self.local_exp

    def surrogate_predict(self, rows: Any, label: int = 1) -> np.ndarray:
        """The surrogate's output for rows in the interpretable representation.

        Parameters
        ----------
        rows : array-like of shape (n, n_features) or (n_features,)
            Binary masks (text, image) or interpretable rows (tabular).
        label : int, default=1

        Returns
        -------
        numpy.ndarray of shape (n,)
        """
        key = self._resolve_label(label)
        z = np.atleast_2d(np.asarray(rows, dtype=float))
        ids = np.array([f for f, _ in self.local_exp[key]], dtype=int)
        weights = np.array([w for _, w in self.local_exp[key]], dtype=float)
        if ids.size and ids.max() >= z.shape[1]:
            raise ValueError(
                f"rows must have at least {ids.max() + 1} columns; got shape {z.shape}"
            )
        return self.intercept[key] + (z[:, ids] @ weights if ids.size else 0.0)

    # ------------------------------------------------------------------ views
    def as_pyplot_figure(self, label: int = 1, **kwargs: Any):
        """A matplotlib bar chart of the explanation for ``label``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        exp = self.as_list(label=label, **kwargs)
        fig = plt.figure()
        vals = [x[1] for x in exp][::-1]
        names = [str(x[0]) for x in exp][::-1]
        colors = ["green" if x > 0 else "red" for x in vals]
        pos = np.arange(len(exp)) + 0.5
        plt.barh(pos, vals, align="center", color=colors)
        plt.yticks(pos, names)
        if self.mode == "classification":
            name = self.class_names[label] if self.class_names is not None else label
            plt.title(f"Local explanation for class {name}")
        else:
            plt.title("Local explanation")
        return fig

    def _class_name(self, label: int) -> str:
        if self.class_names is not None and 0 <= label < len(self.class_names):
            return str(self.class_names[label])
        return str(label)

    def _html_body(
        self,
        labels: Iterable[int] | None = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> str:
        parts = []
        if self.mode == "classification":
            labels = self.available_labels() if labels is None else list(labels)
            for label in labels:
                self._resolve_label(label)
            if predict_proba and self.predict_proba is not None:
                names = self.class_names or [str(i) for i in range(len(self.predict_proba))]
                parts.append(html_view.proba_chart(names, self.predict_proba))
            for label in labels:
                name = self._class_name(label)
                parts.append(
                    html_view.weight_chart(
                        f"Explanation for {name}", self.as_list(label), f"not {name}", name
                    )
                )
            first = labels[0] if labels else None
        else:
            if show_predicted_value and self.predicted_value is not None:
                parts.append(
                    html_view.value_chart(self.predicted_value, self.min_value, self.max_value)
                )
            parts.append(html_view.weight_chart("Explanation", self.as_list(), "lower", "higher"))
            first = self.dummy_label
        if first is not None:
            parts.append(
                self.domain_mapper.visualize_instance_html(
                    self.local_exp[first], first, "", "", **kwargs
                )
            )
        return '<div class="lw-root">' + "".join(parts) + "</div>"

    def as_html(
        self,
        labels: Iterable[int] | None = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> str:
        """A standalone HTML page (a few kilobytes, no script, works offline).

        Parameters
        ----------
        labels : iterable of int, optional
            Labels to show (default: all explained labels).
        predict_proba : bool, default=True
            Show the model's class probabilities (classification).
        show_predicted_value : bool, default=True
            Show the predicted value within its range (regression).
        **kwargs
            Passed to the domain mapper's ``visualize_instance_html``.

        Returns
        -------
        str
        """
        return html_view.page(
            self._html_body(labels, predict_proba, show_predicted_value, **kwargs)
        )

    def _repr_html_fragment(self, **kwargs: Any) -> str:
        return html_view.fragment(self._html_body(**kwargs))

    def save_to_file(
        self,
        file_path: Any,
        labels: Iterable[int] | None = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> None:
        """Write :meth:`as_html` to ``file_path`` (UTF-8)."""
        content = self.as_html(labels, predict_proba, show_predicted_value, **kwargs)
        with open(file_path, "w", encoding="utf8") as handle:
            handle.write(content)

    def widget(self, classifier_fn: Callable | None = None, **kwargs: Any) -> Any:
        """The interactive widget for this explanation.

        Parameters
        ----------
        classifier_fn : callable, optional
            Model to re-query on edits (default: the one that produced the explanation).
        **kwargs
            Passed to the widget's constructor.
        """
        factory = _registry.widget_factory(self.kind)
        if factory is None:
            raise RuntimeError(
                f"no interactive widget is available for {type(self).__name__}; "
                "import limewidgets (with anywidget and ipywidgets installed) first"
            )
        return factory(self, classifier_fn=classifier_fn, **kwargs)

    def show_in_notebook(
        self,
        labels: Iterable[int] | None = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> None:
        """Display the explanation in a notebook: the live widget when available, else HTML.

        Works in JupyterLab, Notebook 7, VS Code and Colab and with IPython 9.
        ``labels``, ``predict_proba`` and ``show_predicted_value`` select what the static
        HTML shows.
        """
        from IPython.display import HTML, display

        if self.classifier_fn is not None and _registry.widget_factory(self.kind) is not None:
            try:
                widget = self.widget()
            except ImportError:
                widget = None
            if widget is not None:
                display(widget)
                return
        display(
            HTML(
                html_view.fragment(
                    self._html_body(labels, predict_proba, show_predicted_value, **kwargs)
                )
            )
        )
