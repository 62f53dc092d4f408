"""The counterfactual search of the explanation widgets: Python API, browser requests, cancelling.

A search is asked for either from Python (:meth:`CounterfactualMixin.find_counterfactual`, run at
once) or by the browser (it increments ``counterfactual_request``; the widget answers in the
``counterfactual`` trait, in the background worker when ``threaded=True``). The browser cancels a
search by setting ``counterfactual_cancel`` to its request number; the running search stops
before its next model call. The search itself is the engine's
:func:`limewidgets.engine.counterfactual.find_counterfactual`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets

from ..engine.counterfactual import find_counterfactual
from ..engine.query_cache import QueryCache
from ._contract import ExplanationTraits, format_error
from ._worker import RequeryWorker


class SearchCancelled(Exception):
    """Raised inside a counterfactual search when the browser cancelled it."""


class CounterfactualMixin(ExplanationTraits):
    """The counterfactual search of :class:`~._base.ExplanationWidget`.

    The widget provides the attributes annotated below (set in its constructor) and the
    methods ``_model``, ``_check_output_width`` and ``_set_state``.
    """

    # What a counterfactual of this kind edits: "remove" (masks) or "change" (tabular values).
    _searched: ClassVar[str] = "remove"

    # Provided by the widget.
    explanation: Any
    classifier_fn: Callable[[Any], Any] | None
    query_cache: QueryCache | None
    threaded: bool
    max_queries: int
    _initial: np.ndarray
    _lock: threading.RLock
    _model_lock: threading.Lock
    _worker: RequeryWorker
    # Requests up to this one are cancelled; the request the running search answers.
    _cancelled_request: int
    _running_request: int | None

    if TYPE_CHECKING:

        def _model(self) -> Callable[[Any], Any]: ...

        def _check_output_width(self, output: Any) -> None: ...

        def _set_state(self, row: np.ndarray) -> None: ...

    # ------------------------------------------------------------------ trait observers
    @traitlets.observe("counterfactual_cancel")
    def _on_counterfactual_cancel(self, change: dict) -> None:
        # Read by the running search before each model call (and by a search not started yet).
        self._cancelled_request = max(self._cancelled_request, int(change["new"]))

    @traitlets.observe("counterfactual_request")
    def _on_counterfactual_request(self, change: dict) -> None:
        if not self._ready:
            return
        request = int(change["new"])
        if not self.threaded or self.classifier_fn is None:
            self.pending = self.classifier_fn is not None
            try:
                self._answer_counterfactual(request)
            finally:
                self.pending = False
            return
        with self._lock:
            self.pending = True
            self._worker.submit("search", request)

    # ------------------------------------------------------------------ Python API
    def find_counterfactual(
        self,
        label: int | None = None,
        max_queries: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Search a small edit that changes the model's decision.

        Text and image: a small set of features to remove; tabular: the smallest change of
        feature values (``changes`` and the edited ``state``, which :meth:`apply_counterfactual`
        makes the current what-if edit). See
        :func:`limewidgets.engine.counterfactual.find_counterfactual`; the result is also
        stored in the ``counterfactual`` trait (shown in the widget).

        Parameters
        ----------
        label : int, optional
            Default: the selected ``label`` (the top label unless changed). For the predicted
            label the search removes its supporting features until the prediction changes; for
            another label it removes the features against it until the model predicts it.
        max_queries : int, optional
            Query budget (default: the widget's ``max_queries``).
        **kwargs
            ``batch_size``, ``threshold`` (regression; default: ``counterfactual_threshold``),
            passed to the engine.

        Returns
        -------
        dict
            ``found``, ``features``, ``label_before``, ``label_after``, ``output_after``,
            ``queries`` (model calls), ``reused`` (rows answered from the query cache),
            ``message``, ``label``, ``searched`` (``'remove'`` or ``'change'``),
            ``request`` (0: asked from Python); tabular also ``changes`` and ``state``.
        """
        self.counterfactual = payload = {**self._search(label, max_queries, **kwargs), "request": 0}
        return payload

    def cancel_counterfactual(self) -> None:
        """Cancel the search the browser asked for last (it stops at its next model call)."""
        self.counterfactual_cancel = self.counterfactual_request

    def _search(self, label: int | None, max_queries: int | None, **kwargs: Any) -> dict:
        """Run one search; the result as the ``counterfactual`` trait holds it, less ``request``."""
        if self.classifier_fn is None:
            raise ValueError("find_counterfactual needs a model: pass classifier_fn to the widget")
        if label is None and self.explanation.mode == "classification":
            label = self.label
        budget = self.max_queries if max_queries is None else max_queries
        if self.explanation.mode == "regression" and kwargs.get("threshold") is None:
            kwargs["threshold"] = self.counterfactual_threshold
        kwargs.setdefault("cache", False if self.query_cache is None else self.query_cache)
        with self._model_lock:
            result = find_counterfactual(
                self.explanation, self._search_model, label, max_queries=budget, **kwargs
            )
        payload = {**result.to_dict(), "cancelled": False}
        if result.searched == "remove":  # the trait lists positions in state (see CONTRACT.md)
            payload["features"] = self.explanation.feature_columns(result.features).tolist()
        return payload

    def _search_model(self, batch: Any) -> Any:
        """The model as the search calls it: width-checked, and stoppable between batches."""
        request = self._running_request
        if request is not None and request <= self._cancelled_request:
            raise SearchCancelled(f"counterfactual search #{request} cancelled")
        output = self._model()(batch)
        self._check_output_width(output)
        return output

    def apply_counterfactual(self) -> None:
        """Make the last counterfactual found the current what-if edit (one new ``state``).

        Text and image: the original with the counterfactual's features removed; tabular: the
        counterfactual's edited row. The model is re-queried like after any edit.

        Raises
        ------
        ValueError
            If there is no counterfactual found (``counterfactual["found"]`` is not True).
        """
        found = self.counterfactual
        if not found.get("found"):
            raise ValueError(
                "no counterfactual to apply: call find_counterfactual() (or press "
                "'Find counterfactual') first and check that it found one"
            )
        self._set_state(self._counterfactual_row(found))

    def _counterfactual_row(self, found: dict) -> np.ndarray:
        """The edit row a found counterfactual describes (the original, features removed)."""
        row = self._initial.copy()
        row[[int(f) for f in found.get("features", [])]] = 0.0
        return row

    def _answer_counterfactual(self, request: int) -> None:
        """Run a search asked for by the browser; errors become the result's message."""
        self._running_request = request
        try:
            if request <= self._cancelled_request:
                raise SearchCancelled(f"counterfactual search #{request} cancelled")
            payload = self._search(None, None)
        except Exception as err:
            cancelled = isinstance(err, SearchCancelled)
            message = "search cancelled" if cancelled else format_error(err)
            if not cancelled:
                self.error = message
            payload = {
                "found": False,
                "features": [],
                "label_before": -1,
                "label_after": -1,
                "output_after": [],
                "queries": 0,
                "reused": 0,
                "message": message,
                "label": int(self.label),
                "searched": self._searched,
                "cancelled": cancelled,
            }
        finally:
            self._running_request = None
        # Always a new dict: assigning the trait's own (mutated) dict would sync nothing.
        self.counterfactual = {**payload, "request": request}
