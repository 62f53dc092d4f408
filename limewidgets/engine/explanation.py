"""Explanation objects: plain data plus the model and perturbation that produced them.

An :class:`Explanation` holds, per explained label, the surrogate's weights (``local_exp``),
intercept, in-sample ``score``, held-out ``fidelity`` and ``local_pred``. It also keeps the
``classifier_fn`` and the ``perturbation`` object the explainer sampled with, so that a widget
can re-query the real model with exactly the kind of input the explanation was fitted on.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .. import _registry
from . import html as html_view
from ._pickling import state_without_unpicklable_model
from ._validation import MODES, RandomStateLike, check_choice, describe
from .perturbation import Perturbation
from .query_cache import QueryCache
from .views import html_body, pyplot_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# Off while explain_many(keep_samples=False) finishes rows: building a query cache that is then
# dropped was almost half of the per-row cost of a tabular explanation.
_STORE_SAMPLES: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "limewidgets_store_samples", default=True
)


@contextlib.contextmanager
def samples_kept(keep: bool) -> Iterator[None]:
    """Within this context, :meth:`Explanation.store_samples` keeps samples only if ``keep``."""
    token = _STORE_SAMPLES.set(bool(keep))
    try:
        yield
    finally:
        _STORE_SAMPLES.reset(token)


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


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(np.asarray(value, dtype=float).ravel()[0])
    return number if np.isfinite(number) else None


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
    weight_std : dict
        ``{label: {feature_id: float}}``: standard error of every weight of ``local_exp``
        (how much it would move in a rerun at the same budget), estimated from the samples
        already drawn. Computed on first access (no model query); see
        :mod:`limewidgets.engine.uncertainty`.
    stability : dict
        ``{label: float}`` in [0, 1]: the expected Jaccard similarity between this
        explanation's top-k features and those of an independent rerun at the same budget
        (``k = min(5, num_features)`` unless ``stability_k`` said otherwise). Computed on first
        access, like ``weight_std``.
    num_queries : int or None
        Model queries (instances sent to the model) the explanation used.
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
    stability_k : int or None
        The ``k`` of ``stability`` (``None``: ``min(5, number of weights)``).
    query_cache : QueryCache or None
        The explanation's samples (edit-space rows) and the model's outputs for them, which
        widgets and the counterfactual search look up before calling the model (see
        :mod:`limewidgets.engine.query_cache`; bounded memory).
    """

    kind = "generic"

    def __init__(
        self,
        domain_mapper: DomainMapper,
        mode: str = "classification",
        class_names: list | None = None,
        random_state: RandomStateLike = None,
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
        self.perturbation: Perturbation | None = None
        self.num_samples: int | None = None
        self._weight_std: dict | None = None
        self._stability: dict | None = None
        self._uncertainty: Any = None
        self.stability_k: int | None = None
        self.num_queries: int | None = None
        self.query_cache: QueryCache | None = None
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

    def __getstate__(self) -> dict:
        # A model the standard pickle rejects (a lambda, a closure, a GPU handle) is left out
        # with a warning rather than making the whole explanation unpicklable.
        return state_without_unpicklable_model(self)

    def store_fit(self, label: int, fit: Any) -> None:
        """Record a fitted surrogate (a :class:`~limewidgets.engine.base.SurrogateFit`) for ``label``."""
        self.intercept[label] = fit.intercept
        self.local_exp[label] = fit.exp
        self.score[label] = fit.score
        self.local_pred[label] = fit.local_pred
        self.fidelity[label] = fit.fidelity

    def store_samples(self, rows: Any, outputs: Any, *, binary: bool = True) -> None:
        """Keep the sampled edit-space ``rows`` and the model's ``outputs`` for re-use.

        They go into :attr:`query_cache` (packed bits for masks; bounded memory), which widget
        re-queries and :func:`~limewidgets.engine.counterfactual.find_counterfactual` consult
        before calling :attr:`classifier_fn`. Sparse rows are not kept.

        Parameters
        ----------
        rows : numpy.ndarray of shape (n_samples, n_features)
            The samples in the edit space of :attr:`perturbation` (keep-masks, raw rows).
        outputs : numpy.ndarray of shape (n_samples, ...)
            The model's outputs for ``rows``.
        binary : bool, default=True
            ``rows`` are 0/1 keep-masks.
        """
        if not _STORE_SAMPLES.get() or sp.issparse(rows):
            return
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[0] == 0:
            return
        cache = QueryCache(rows.shape[1], binary=binary)
        cache.add(rows, outputs)
        self.query_cache = cache

    def reliability(self, label: int = 1) -> dict:
        """How far ``label``'s explanation can be trusted, as plain numbers.

        Parameters
        ----------
        label : int, default=1
            Ignored for regression.

        Returns
        -------
        dict
            ``fidelity`` (held-out weighted R², or None), ``stability`` (or None),
            ``stability_k``, ``num_queries`` (``num_samples`` when not recorded, or None) and
            ``weight_std``
            (``{feature_id: standard error}``, empty when not estimated).
        """
        key = self._resolve_label(label)
        fidelity = _finite(self.fidelity.get(key))
        stability = _finite((getattr(self, "stability", None) or {}).get(key))
        std = (getattr(self, "weight_std", None) or {}).get(key) or {}
        k = getattr(self, "stability_k", None)
        if k is None:
            k = min(5, len(self.local_exp[key]))
        queries = getattr(self, "num_queries", None)
        if queries is None:  # a fixed budget: every sample was one model query
            queries = getattr(self, "num_samples", None)
        return {
            "fidelity": fidelity,
            "stability": stability,
            "stability_k": int(k),
            "num_queries": None if queries is None else int(queries),
            "weight_std": {int(f): float(s) for f, s in std.items() if _finite(s) is not None},
        }

    # ------------------------------------------------------------------ uncertainty
    def set_uncertainty_source(self, source: Any) -> None:
        """Attach what computes ``weight_std`` and ``stability`` on first access.

        ``source(explanation)`` returns ``(weight_std, stability)`` dicts keyed by label (in
        practice an :class:`~limewidgets.engine.uncertainty.ExplanationUncertainty`, which holds
        the samples). Any previously computed values are dropped.
        """
        self._uncertainty = source
        self._weight_std = None
        self._stability = None

    def _compute_uncertainty(self) -> None:
        weight_std = getattr(self, "_weight_std", None)
        stability = getattr(self, "_stability", None)
        if weight_std is not None and stability is not None:
            return
        source = getattr(self, "_uncertainty", None)
        computed: tuple[dict, dict] = ({}, {}) if source is None else source(self)
        # A value assigned by the user wins over the computed one.
        self._weight_std = dict(computed[0]) if weight_std is None else weight_std
        self._stability = dict(computed[1]) if stability is None else stability

    @property
    def weight_std(self) -> dict:
        """``{label: {feature_id: standard error}}`` (computed on first access)."""
        self._compute_uncertainty()
        assert self._weight_std is not None
        return self._weight_std

    @weight_std.setter
    def weight_std(self, value: dict) -> None:
        self._weight_std = dict(value)

    @property
    def stability(self) -> dict:
        """``{label: expected top-k Jaccard with a rerun}`` (computed on first access)."""
        self._compute_uncertainty()
        assert self._stability is not None
        return self._stability

    @stability.setter
    def stability(self, value: dict) -> None:
        self._stability = dict(value)

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

    def feature_columns(self, feature_ids: Any) -> np.ndarray:
        """The columns of the edit space (``state`` positions) that hold ``feature_ids``.

        The identity for text and tabular explanations; image explanations map segment ids
        to their positions among the sorted segment ids.
        """
        return np.asarray(feature_ids, dtype=np.intp).ravel()

    def feature_ids(self, columns: Any) -> np.ndarray:
        """The feature ids of edit-space ``columns`` (inverse of :meth:`feature_columns`)."""
        return np.asarray(columns, dtype=np.intp).ravel()

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
        ids = self.feature_columns([f for f, _ in self.local_exp[key]])
        weights = np.array([w for _, w in self.local_exp[key]], dtype=float)
        if ids.size and ids.max() >= z.shape[1]:
            raise ValueError(
                f"rows must have at least {ids.max() + 1} columns; got shape {z.shape}"
            )
        return self.intercept[key] + (z[:, ids] @ weights if ids.size else 0.0)

    # ------------------------------------------------------------------ views
    def as_pyplot_figure(self, label: int = 1, **kwargs: Any) -> Figure:
        """A matplotlib bar chart of the explanation for ``label``.

        When standard errors are known (``weight_std``) the bars get error bars of ±2 standard
        errors, a weight whose interval contains zero is drawn hatched and faded, and the
        figure's subtitle gives held-out fidelity, stability and the number of model queries.

        Parameters
        ----------
        label : int, default=1
            Ignored for regression.
        **kwargs
            Passed to the domain mapper (e.g. ``positions=True`` for text).

        Returns
        -------
        matplotlib.figure.Figure
        """
        return pyplot_figure(self, label, **kwargs)

    def _class_name(self, label: int) -> str:
        if self.class_names is not None and 0 <= label < len(self.class_names):
            return str(self.class_names[label])
        return str(label)

    def _weight_errors(self, label: int) -> list[float | None]:
        """Standard errors aligned with ``local_exp[label]`` (None where not estimated)."""
        key = self._resolve_label(label)
        std = self.reliability(key)["weight_std"]
        return [std.get(int(f)) for f, _ in self.local_exp[key]]

    def _html_uncertainty(self, label: int) -> dict:
        info = self.reliability(label)
        line = html_view.reliability_line(
            info["fidelity"], info["stability"], info["stability_k"], info["num_queries"]
        )
        return {"errors": self._weight_errors(label), "reliability": line}

    def _html_body(
        self,
        labels: Iterable[int] | None = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> str:
        return html_body(self, labels, predict_proba, show_predicted_value, **kwargs)

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
