"""The shared base of the explanation widgets: live re-queries, errors, pending state, Python API.

State lives in traits (declared in ``_contract.py``, described in ``CONTRACT.md``): the browser
sets what the user edited (``state``, ``state_id``, ``label``, ...), Python observes it, queries
the real model with an instance built by the explanation's own ``perturbation.make_instances``
and answers in result traits (``real_output``, ``real_state_id``, ``surrogate_output``,
``pending``, ``error``, ``error_state_id``).

Re-queries never block the kernel when ``threaded=True``: a :class:`~._worker.RequeryWorker`
computes only the newest pending state (a one-slot mailbox, not a queue), so a burst of edits
costs at most two model calls: the one already running and the latest.

The counterfactual search (its Python API and the browser's requests) is
:class:`~._counterfactual.CounterfactualMixin`; the ``explanations`` trait is built by
:func:`~._payload.explanations_payload`.
"""

from __future__ import annotations

import numbers
import os
import pathlib
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

import numpy as np
import traitlets

from ..engine._validation import check_callable, check_positive_int, describe
from ..engine.batching import predict_in_batches
from ..engine.counterfactual import DEFAULT_MAX_QUERIES
from ..engine.explanation import Explanation, LabelNotExplainedError
from ..engine.query_cache import QueryCache
from ._contract import ExplanationTraits, check_state_values, finite_or_none, format_error
from ._counterfactual import CounterfactualMixin, SearchCancelled
from ._export import save_html
from ._fallback import StaticFallbackMixin
from ._payload import explanations_payload
from ._worker import RequeryWorker

__all__ = ["ExplanationWidget", "SearchCancelled"]


class ExplanationWidget(StaticFallbackMixin, CounterfactualMixin, ExplanationTraits):
    """Base class of the interactive explanation widgets (one subclass per data kind).

    Parameters
    ----------
    explanation : Explanation
        The explanation to show; its ``perturbation`` builds the model inputs of edited instances.
    classifier_fn : callable, optional
        The model to re-query after each edit (default: ``explanation.classifier_fn``). With no
        model at all the widget runs in surrogate-only mode (``static`` is True).
    label : int, optional
        The label shown first (default: the first explained label, i.e. the top label).
    num_features : int, default=10
        How many features the views show.
    threaded : bool, default=True
        Re-query the model in a background thread (the kernel stays responsive). ``False``
        computes synchronously inside the trait observer (useful in scripts and tests).
    max_queries : int, default=200
        Query budget of the counterfactual search.
    reuse_answers : bool, default=True
        Look every edit up among the model answers already known (the explanation's own
        samples, earlier edits, counterfactual searches) before calling the model; an edit
        seen before is answered with no model call (``cache_hits``, ``real_from_cache``). The
        model is assumed to be deterministic. ``False`` calls the model for every edit.
    **kwargs
        Passed to :class:`anywidget.AnyWidget` (e.g. ``layout``).

    Attributes
    ----------
    explanation : Explanation
    classifier_fn : callable or None
    perturbation : Perturbation
    query_cache : QueryCache or None
        Where model answers are looked up and stored (shared with the explanation when the
        widget uses the explanation's own model); ``None`` with ``reuse_answers=False``.
    """

    _kind: ClassVar[str] = ""
    # Edits are 0/1 keep-masks (keyed by packed bits in the query cache).
    _binary_edits: ClassVar[bool] = False

    def __init__(
        self,
        explanation: Explanation,
        classifier_fn: Callable[[Any], Any] | None = None,
        *,
        label: int | None = None,
        num_features: int = 10,
        threaded: bool = True,
        max_queries: int = DEFAULT_MAX_QUERIES,
        reuse_answers: bool = True,
        **kwargs: Any,
    ) -> None:
        self._check_explanation(explanation)
        if classifier_fn is None:
            classifier_fn = getattr(explanation, "classifier_fn", None)
        if classifier_fn is not None:
            check_callable("classifier_fn", classifier_fn)
        num_features = check_positive_int("num_features", num_features)
        if not isinstance(threaded, (bool, np.bool_)):
            raise TypeError(f"threaded must be True or False; got {describe(threaded)}")
        if not isinstance(reuse_answers, (bool, np.bool_)):
            raise TypeError(f"reuse_answers must be True or False; got {describe(reuse_answers)}")
        # Duck-typed inside: each kind reads its own explanation's and perturbation's attributes,
        # checked at run time by _check_explanation.
        self.explanation: Any = explanation
        self.classifier_fn = classifier_fn
        self.perturbation: Any = cast(Any, explanation.perturbation)
        self.threaded = bool(threaded)
        self.max_queries = check_positive_int("max_queries", max_queries, minimum=2)
        self._ready = False
        # One lock guards the worker's mailboxes and the publishing of results.
        self._lock = threading.RLock()
        # Model calls are serialised: models are rarely thread-safe.
        self._model_lock = threading.Lock()
        self._worker = RequeryWorker(
            self, ("state", "search"), name=f"limewidgets-{self._kind}-requery", lock=self._lock
        )
        self._latest_state_id = 0
        self.query_cache = self._make_cache(bool(reuse_answers))
        # Counterfactual searches: requests up to this one are cancelled.
        self._cancelled_request = 0
        self._running_request = None
        self._n_outputs = self._expected_outputs()

        mode = explanation.mode
        labels = self._explained_labels()
        label = self._check_label(label, labels)
        initial = np.asarray(self.perturbation.initial_state(), dtype=float).ravel()
        n_features = int(self.perturbation.n_features)
        if initial.shape[0] != n_features:
            raise ValueError(
                f"explanation.perturbation.initial_state() must have {n_features} values "
                f"(perturbation.n_features); got {describe(initial)}"
            )
        self._initial = initial
        self._real_state = initial
        original = self._original_output()
        if self._n_outputs is None and original:
            self._n_outputs = len(original)
        values: dict[str, Any] = {
            "kind": self._kind,
            "mode": mode,
            "class_names": self._class_names(),
            "labels": labels,
            "label": label,
            "num_features": num_features,
            "explanations": explanations_payload(explanation, labels),
            "feature_names": self._feature_names(),
            "original_output": original,
            "real_output": original,
            "real_state_id": 0,
            "state_id": 0,
            "initial_state": self._state_to_json(initial),
            "state": self._state_to_json(initial),
            "surrogate_output": self._surrogate(initial, label),
            "static": classifier_fn is None,
            "num_queries": self._num_queries(),
            "error": "",
            "pending": False,
        }
        if mode == "regression":
            low = finite_or_none(getattr(explanation, "min_value", None))
            high = finite_or_none(getattr(explanation, "max_value", None))
            values["min_value"] = 0.0 if low is None else low
            values["max_value"] = 1.0 if high is None else high
            values["counterfactual_threshold"] = (values["min_value"] + values["max_value"]) / 2
        values.update(self._kind_traits())
        values.update(kwargs)
        super().__init__(**values)
        self._ready = True

    # ------------------------------------------------------------------ construction helpers
    def _check_explanation(self, explanation: Any) -> None:
        kind = getattr(explanation, "kind", None)
        if kind != self._kind or not hasattr(explanation, "local_exp"):
            raise TypeError(
                f"{type(self).__name__} needs a {self._kind} explanation (kind={self._kind!r}); "
                f"got {describe(explanation)} with kind={kind!r}"
            )
        if getattr(explanation, "perturbation", None) is None:
            raise ValueError(
                "explanation.perturbation is missing: the widget builds edited instances with "
                "the perturbation the explainer sampled with"
            )
        if not explanation.local_exp:
            raise ValueError("the explanation has no explained labels (local_exp is empty)")

    def _make_cache(self, reuse: bool) -> QueryCache | None:
        if not reuse:
            return None
        n_features = int(self.perturbation.n_features)
        own = getattr(self.explanation, "query_cache", None)
        if (
            self.classifier_fn is getattr(self.explanation, "classifier_fn", None)
            and isinstance(own, QueryCache)
            and own.n_features == n_features
            and own.binary == self._binary_edits
        ):
            return own  # the explanation's samples and answers: same model, same edit space
        return QueryCache(n_features, binary=self._binary_edits)

    def _num_queries(self) -> int | None:
        queries = getattr(self.explanation, "num_queries", None)
        if queries is None:  # a fixed budget: every sample was one model query
            queries = getattr(self.explanation, "num_samples", None)
        return None if queries is None else int(queries)

    def _kind_traits(self) -> dict:
        """Trait values specific to a kind (overridden by subclasses)."""
        return {}

    def _explained_labels(self) -> list[int]:
        explanation = self.explanation
        if explanation.mode == "regression":
            dummy = getattr(explanation, "dummy_label", 1)
            if dummy in explanation.local_exp:
                return [int(dummy)]
            return [int(next(iter(explanation.local_exp)))]
        labels = [int(x) for x in explanation.available_labels() if x in explanation.local_exp]
        return labels or sorted(int(x) for x in explanation.local_exp)

    def _check_label(self, label: Any, labels: Sequence[int]) -> int:
        if label is None or self.explanation.mode == "regression":
            return labels[0]
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, numbers.Integral):
            raise TypeError(f"label must be an integer class index; got {describe(label)}")
        if int(label) not in labels:
            raise LabelNotExplainedError(
                f"label {label} was not explained; explained labels are {list(labels)}"
            )
        return int(label)

    def _class_names(self) -> list[str]:
        names = getattr(self.explanation, "class_names", None)
        if names is None:
            proba = getattr(self.explanation, "predict_proba", None)
            count = len(proba) if proba is not None else max(self.explanation.local_exp) + 1
            return [str(i) for i in range(count)]
        return [str(name) for name in names]

    def _feature_names(self) -> list[str]:
        n_features = int(self.perturbation.n_features)
        mapper = self.explanation.domain_mapper
        mapped = mapper.map_exp_ids([(i, 0.0) for i in range(n_features)])
        return [str(name) for name, _ in mapped]

    def _original_output(self) -> list[float]:
        explanation = self.explanation
        if explanation.mode == "regression":
            value = getattr(explanation, "predicted_value", None)
            if value is not None:
                return [float(value)]
        elif getattr(explanation, "predict_proba", None) is not None:
            return [float(v) for v in np.asarray(explanation.predict_proba, dtype=float).ravel()]
        if self.classifier_fn is None:
            return []
        return self._query(self._initial)

    def _expected_outputs(self) -> int | None:
        """The model's output width the explanation implies (None: not known before a query)."""
        explanation = self.explanation
        if explanation.mode == "regression":
            return 1
        proba = getattr(explanation, "predict_proba", None)
        if proba is not None:
            return int(np.asarray(proba).size)
        names = getattr(explanation, "class_names", None)
        return None if names is None else len(names)

    # ------------------------------------------------------------------ state conversion
    def _state_to_json(self, row: np.ndarray) -> list:
        """Edit-space row as the ``state`` trait holds it (masks: ints 0/1)."""
        return [float(v) for v in row]

    def _validate_state(self, values: Any) -> np.ndarray:
        """Check a ``state`` coming from the browser or the Python API; return it as floats."""
        return check_state_values(values, int(self.perturbation.n_features))

    # ------------------------------------------------------------------ model and surrogate
    def _check_output_width(self, output: Any) -> None:
        """Refuse a model whose number of outputs differs from the explanation's classes."""
        width = self._n_outputs
        if width is None or self.explanation.mode == "regression":
            return  # regression outputs are checked by the engine (one value per instance)
        array = np.asarray(output)
        if array.ndim == 2 and array.shape[1] != width:
            names = self.class_names or [str(i) for i in range(width)]
            raise ValueError(
                f"classifier_fn returned {array.shape[1]} outputs per instance, but the "
                f"explanation has {width} classes ({', '.join(names)}): re-query with the "
                "model that was explained"
            )

    def _model(self) -> Callable[[Any], Any]:
        """The model to query (surrogate-only widgets have none)."""
        if self.classifier_fn is None:
            raise ValueError("this widget has no model: pass classifier_fn to re-query")
        return self.classifier_fn

    def _query(self, row: np.ndarray) -> list[float]:
        """The real model's output for one edit-space row (validated)."""
        return self._answer(row)[0]

    def _answer(self, row: np.ndarray) -> tuple[list[float], bool]:
        """The model's output for one edit-space row and whether it came from the cache."""
        with self._model_lock:
            if self.query_cache is not None:
                output, reused = self.query_cache.predict(
                    self._model(),
                    self.perturbation.make_instances,
                    row[None, :],
                    mode=self.explanation.mode,
                )
                from_cache = reused == 1
            else:
                instances = self.perturbation.make_instances(row[None, :])
                output = predict_in_batches(
                    self._model(),
                    lambda start, stop: instances,
                    1,
                    None,
                    mode=self.explanation.mode,
                    name="classifier_fn",
                )
                from_cache = False
        self._check_output_width(output)
        return [float(v) for v in np.asarray(output).ravel()], from_cache

    def _surrogate(self, row: np.ndarray, label: int) -> float:
        """The surrogate's estimate for one edit-space row and ``label``."""
        interpretable = self.perturbation.to_interpretable(row[None, :])
        return float(self.explanation.surrogate_predict(interpretable, label)[0])

    @property
    def surrogate_estimate(self) -> float:
        """The surrogate's estimate for the current ``state`` and selected ``label``."""
        return self._surrogate(self._validate_state(self.state), self.label)

    # ------------------------------------------------------------------ trait observers
    @traitlets.observe("label")
    def _on_label(self, change: dict) -> None:
        if not self._ready:
            return
        with self._lock:
            self.surrogate_output = self._surrogate(self._real_state, change["new"])

    @traitlets.observe("state_id")
    def _on_state_id(self, change: dict) -> None:
        if not self._ready:
            return
        state_id = int(change["new"])
        row = self._validate_state(self.state)  # valid: the trait refuses any other state
        with self._lock:
            self._latest_state_id = state_id
        if self.classifier_fn is None:
            return  # surrogate-only: the browser computes the estimate itself
        if not self.threaded:
            self.pending = True
            try:
                self._compute_state(state_id, row)
            finally:
                self.pending = False
            return
        with self._lock:
            self.pending = True
            self._worker.submit("state", (state_id, row))  # replaces an older waiting edit

    # ------------------------------------------------------------------ the worker's jobs
    def _run_job(self, slot: str, payload: Any) -> None:
        if slot == "state":
            state_id, row = payload
            self._compute_state(state_id, row)
        else:
            self._answer_counterfactual(payload)

    def _job_failed(self, slot: str, payload: Any, err: Exception) -> None:
        with self._lock, self.hold_sync():
            self.error = format_error(err)
            if slot == "state" and payload[0] == self._latest_state_id:
                self.error_state_id = payload[0]

    def _worker_idle(self) -> None:
        self.pending = False

    def _compute_state(self, state_id: int, row: np.ndarray) -> None:
        """Query the model for ``row`` and publish the result unless a newer state exists."""
        try:
            output, from_cache = self._answer(row)
        except Exception as err:  # the model's own errors are shown in the widget
            with self._lock:
                if state_id == self._latest_state_id:
                    with self.hold_sync():  # one message: the browser sees both at once
                        self.error = format_error(err)
                        self.error_state_id = state_id
            return
        with self._lock:
            if state_id != self._latest_state_id:
                return  # stale: a newer edit is already waiting or done
            surrogate = self._surrogate(row, self.label)
            self._real_state = row
            with self.hold_sync():
                self.real_output = output
                self.surrogate_output = surrogate
                self.real_from_cache = from_cache
                if from_cache:
                    self.cache_hits = self.cache_hits + 1
                self.error = ""
                self.error_state_id = -1
                self.real_state_id = state_id

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no re-query or search is running or waiting.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (default: no limit).

        Returns
        -------
        bool
            True if the widget is idle, False if the timeout expired first.
        """
        return self._worker.wait(timeout)

    def close(self) -> None:
        """Stop the worker thread and close the widget."""
        worker = getattr(self, "_worker", None)  # absent if the constructor failed early
        if worker is not None:
            worker.close()
        super().close()

    # ------------------------------------------------------------------ Python API
    def _set_state(self, row: np.ndarray) -> None:
        """Make ``row`` the new state (one new ``state_id``), as the browser does."""
        row = self._validate_state(row)
        with self.hold_trait_notifications():
            self.state = self._state_to_json(row)
            self.state_id = self.state_id + 1

    def reset(self) -> None:
        """Go back to the original instance."""
        self._set_state(self._initial)

    @property
    def current_instance(self) -> Any:
        """The model input of the current ``state`` (built by ``perturbation.make_instances``)."""
        instances = self.perturbation.make_instances(self._validate_state(self.state)[None, :])
        return instances[0]

    def save_html(self, path: str | os.PathLike[str], title: str | None = None) -> pathlib.Path:
        """Write a standalone page of this widget that works offline (no kernel, no network).

        The page inlines the renderer bundle, the stylesheet and the widget's current state; the
        same rendering code runs on a stand-in model, showing surrogate estimates.

        Parameters
        ----------
        path : str or path-like
            Where to write the page.
        title : str, optional
            The page title.

        Returns
        -------
        pathlib.Path
        """
        return save_html(self, path, title=title)
