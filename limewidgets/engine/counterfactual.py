"""Counterfactual search: a small set of features whose removal changes the model's decision.

Works on every explanation whose perturbation edits binary keep-masks (text words, image
superpixels); tabular explanations are handed to
:mod:`limewidgets.engine.tabular_counterfactual` (a change of values instead of a removal), which
shares this module's setup (:class:`_Search`: budget, decision, target). The explanation's weights only *order* the candidates; every claim is checked
with real model calls, all counted against a query budget:

1. Order the features by their weight for the label (most supporting first).
2. Query growing prefixes of that order (remove top-1, top-2, ...; several prefixes per model
   call) until the model's decision changes.
3. Prune: try putting each removed feature back, least relevant first, and keep it back when the
   decision stays changed.
4. Verify: query the final set once more (always a real model call).

Every other row is first looked up in a :class:`~limewidgets.engine.query_cache.QueryCache`
(by default the explanation's own: its samples and earlier widget re-queries), so no instance is
sent to the model twice; ``CounterfactualResult.reused`` counts the rows answered that way.

The module is pure numpy (no widget imports) and can be used on its own::

    result = find_counterfactual(explanation, max_queries=100)
    result.found, result.features
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._validation import check_callable, check_positive_int, describe
from .batching import predict_in_batches
from .explanation import LabelNotExplainedError
from .query_cache import QueryCache

DEFAULT_MAX_QUERIES = 200
DEFAULT_BATCH_SIZE = 16


@dataclass
class CounterfactualResult:
    """The outcome of :func:`find_counterfactual`.

    Attributes
    ----------
    found : bool
        Whether a verified counterfactual was found within the budget.
    features : list of int
        Feature ids of the edit (as in ``local_exp``; for images the segment ids, mapped to
        edit-row positions by ``explanation.feature_columns``): the features to remove (masks,
        most relevant first) or whose value changes (tabular); empty if not found.
    label_before : int
        The model's decision for the original instance (classification: the predicted class;
        regression: ``1`` if the value is ``>= threshold`` else ``0``).
    label_after : int
        The decision once ``features`` are removed (equals ``label_before`` when not found).
    output_after : list of float
        The model's output for the instance with ``features`` removed (class probabilities, or
        ``[value]`` in regression); the original output when not found.
    queries : int
        Number of instances sent to the model (every row counts, also the verification).
        Rows answered from the query cache are not sent and not counted here.
    message : str
        A human-readable summary.
    label : int
        The label whose weights ordered the search.
    mask : list of int
        The keep-mask of the counterfactual instance (``initial_state`` when not found); empty
        for tabular searches.
    reused : int
        Rows of the search answered from the query cache (earlier model answers, the
        explanation's own samples included) instead of a model call.
    searched : {'remove', 'change'}
        ``'remove'``: features removed from a keep-mask (text, image); ``'change'``: feature
        values changed (tabular).
    changes : list of dict
        Tabular only: one ``{"feature", "name", "from", "to", "from_display", "to_display"}``
        per changed feature (raw values and display strings, category names for categorical
        features).
    state : list of float
        Tabular only: the edited row (the what-if edit to apply; ``initial_state`` when not
        found).
    """

    found: bool
    features: list
    label_before: int
    label_after: int
    output_after: list
    queries: int
    message: str
    label: int = 0
    mask: list = field(default_factory=list, repr=False)
    reused: int = 0
    searched: str = "remove"
    changes: list = field(default_factory=list)
    state: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        """The result as a JSON-able dict (what the widgets' ``counterfactual`` trait holds)."""
        out = asdict(self)
        out.pop("mask")
        if self.searched == "remove":
            out.pop("changes")
            out.pop("state")
        return out


class _Budget:
    """Counts model rows and refuses to exceed ``max_queries``."""

    def __init__(self, max_queries: int) -> None:
        self.max_queries = max_queries
        self.used = 0

    @property
    def left(self) -> int:
        return self.max_queries - self.used


def _weights_vector(explanation: Any, key: Any, n_features: int) -> np.ndarray:
    """The weights of ``local_exp[key]`` laid out by edit-space column."""
    weights = np.zeros(n_features, dtype=float)
    pairs = explanation.local_exp[key]
    columns = _columns(explanation, [f for f, _ in pairs])
    for column, (_, weight) in zip(columns.tolist(), pairs, strict=True):
        if 0 <= column < n_features:
            weights[column] = float(weight)
    return weights


def _columns(explanation: Any, feature_ids: Any) -> np.ndarray:
    # Image feature ids are segment ids; explanations without the mapping use positions.
    mapping = getattr(explanation, "feature_columns", None)
    ids = np.asarray(feature_ids, dtype=np.intp).ravel()
    return np.asarray(mapping(ids), dtype=np.intp) if mapping is not None else ids


def _feature_ids(explanation: Any, columns: Any) -> list[int]:
    mapping = getattr(explanation, "feature_ids", None)
    cols = np.asarray(columns, dtype=np.intp).ravel()
    return [int(f) for f in (mapping(cols) if mapping is not None else cols)]


def _resolve_cache(
    cache: Any, explanation: Any, classifier_fn: Callable, n_features: int, binary: bool
) -> QueryCache | None:
    kind = "binary masks" if binary else "raw rows"
    if cache is False:
        return None
    if cache is None or cache is True:
        own = getattr(explanation, "query_cache", None)
        same_model = classifier_fn is getattr(explanation, "classifier_fn", None)
        if (
            same_model
            and isinstance(own, QueryCache)
            and own.binary == binary
            and own.n_features == n_features
        ):
            return own
        return QueryCache(n_features, binary=binary)
    if not isinstance(cache, QueryCache):
        raise TypeError(f"cache must be a QueryCache, True, False or None; got {describe(cache)}")
    if cache.n_features != n_features or cache.binary != binary:
        raise ValueError(
            f"cache must hold {kind} of {n_features} features (the explanation's); got a "
            f"{'binary' if cache.binary else 'non-binary'} cache of {cache.n_features} features"
        )
    return cache


def _class_name(explanation: Any, label: int) -> str:
    names = getattr(explanation, "class_names", None)
    if names is not None and 0 <= label < len(names):
        return str(names[label])
    return str(label)


class _Search:
    """What every counterfactual search shares: the model, the budget, the decision rule.

    Validates the arguments, gets the original output (the explanation's own when it was
    computed with this model, else one query) and resolves the target: which decision counts
    as changed, which label's weights order the candidates and in which direction.

    Attributes
    ----------
    label_before : int
        The model's decision for the original instance.
    key : int
        The ``local_exp`` key whose weights order the search.
    direction : float
        ``1.0`` when the search goes against ``key`` (weights that support the decision are
        removed first), ``-1.0`` when it goes towards another label.
    original_output : numpy.ndarray of shape (1, n_outputs)
    """

    def __init__(
        self,
        explanation: Any,
        classifier_fn: Callable | None,
        label: int | None,
        max_queries: int,
        batch_size: int,
        threshold: float | None,
        cache: QueryCache | bool | None = None,
        binary: bool = True,
    ) -> None:
        perturbation = getattr(explanation, "perturbation", None)
        if perturbation is None:
            raise ValueError(
                "explanation must carry the perturbation that produced it "
                f"(explanation.perturbation); got {describe(explanation)} without one"
            )
        if classifier_fn is None:
            classifier_fn = getattr(explanation, "classifier_fn", None)
            if classifier_fn is None:
                raise ValueError(
                    "classifier_fn is required: the explanation has no classifier_fn to re-query"
                )
        check_callable("classifier_fn", classifier_fn)
        self.explanation = explanation
        self.perturbation = perturbation
        self.classifier_fn = classifier_fn
        self.max_queries = check_positive_int("max_queries", max_queries, minimum=2)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.mode = mode = explanation.mode
        if mode == "regression":
            if threshold is None:
                raise ValueError(
                    "threshold is required for regression explanations: a counterfactual there "
                    "is a change of the value across threshold (e.g. threshold=0.5)"
                )
            if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
                raise TypeError(f"threshold must be a number; got {describe(threshold)}")
            if not np.isfinite(threshold):
                raise ValueError(f"threshold must be finite; got {threshold}")
            threshold = float(threshold)
        elif threshold is not None:
            raise ValueError(
                "threshold only applies to regression explanations; for classification the "
                "counterfactual is a change of the predicted label"
            )
        self.threshold = threshold
        self.budget = _Budget(self.max_queries)
        n_features = int(perturbation.n_features)
        self.store = _resolve_cache(cache, explanation, classifier_fn, n_features, binary)
        self.reused = 0

        # The original output: reuse the explanation's when it was computed with this model.
        stored = None
        if classifier_fn is getattr(explanation, "classifier_fn", None):
            if mode == "regression":
                value = getattr(explanation, "predicted_value", None)
                stored = None if value is None else np.array([[float(value)]])
            elif getattr(explanation, "predict_proba", None) is not None:
                stored = np.asarray(explanation.predict_proba, dtype=float).reshape(1, -1)
        initial = np.asarray(perturbation.initial_state(), dtype=float).ravel()
        self.original_output = stored if stored is not None else self.query(initial[None, :])
        self.label_before = int(self.decide(self.original_output)[0])
        self.n_classes: int = int(self.original_output.shape[1])

        self.target: int | None = None  # classification towards a non-predicted label
        if mode == "regression":
            key = getattr(explanation, "dummy_label", 1)
            if key not in explanation.local_exp:
                key = next(iter(explanation.local_exp))
            # Above the threshold: against what raises the value; below: against what lowers it.
            self.direction = 1.0 if self.label_before == 1 else -1.0
        else:
            if label is None:
                label = self.label_before
            if isinstance(label, (bool, np.bool_)) or not isinstance(label, numbers.Integral):
                raise TypeError(f"label must be an integer class index; got {describe(label)}")
            label = int(label)
            if not 0 <= label < self.n_classes:
                raise ValueError(f"label must be in [0, {self.n_classes - 1}]; got {label}")
            if label not in explanation.local_exp:
                raise LabelNotExplainedError(
                    f"label {label} ({_class_name(explanation, label)}) was not explained; "
                    f"explained labels are {sorted(int(k) for k in explanation.local_exp)}"
                )
            key = label
            self.direction = 1.0 if label == self.label_before else -1.0
            if label != self.label_before:
                self.target = label
        self.key = int(key)

    def query(self, rows: np.ndarray, fresh: bool = False) -> np.ndarray:
        """Model outputs ``(n, n_outputs)`` for edit-space rows; counted against the budget.

        Rows found in the query cache are free; ``fresh=True`` always asks the model (the
        verification of a result).
        """
        # Callers never ask for more rows than the budget has left.
        perturbation = self.perturbation
        if self.store is None or fresh:
            self.budget.used += rows.shape[0]
            out = predict_in_batches(
                self.classifier_fn,
                lambda start, stop: perturbation.make_instances(rows[start:stop]),
                rows.shape[0],
                None,
                mode=self.mode,
                name="classifier_fn",
            )
        else:
            out, hits = self.store.predict(
                self.classifier_fn, perturbation.make_instances, rows, mode=self.mode
            )
            self.reused += hits
            self.budget.used += rows.shape[0] - hits
        return out[:, None] if out.ndim == 1 else out

    def spent(self) -> str:
        """``"N model queries"`` (and how many answers came from the cache)."""
        text = f"{self.budget.used} model queries"
        return text + (f", {self.reused} answers reused" if self.reused else "")

    def decide(self, outputs: np.ndarray) -> np.ndarray:
        """The decision per output row (a class, or ``value >= threshold`` in regression)."""
        if self.mode == "regression":
            return (outputs[:, 0] >= self.threshold).astype(int)
        return np.argmax(outputs, axis=1)

    def succeeded(self, outputs: np.ndarray) -> np.ndarray:
        """Boolean per output row: is this the decision the search is looking for?"""
        decisions = self.decide(outputs)
        if self.target is not None:
            return decisions == self.target
        return decisions != self.label_before

    def margin(self, outputs: np.ndarray) -> np.ndarray:
        """How far each output is from success (<= 0 once it succeeds, smaller is closer)."""
        if self.mode == "regression":
            gap = outputs[:, 0] - self.threshold
            return gap if self.label_before == 1 else -gap
        if self.n_classes < 2:
            return np.full(outputs.shape[0], np.inf)
        side = self.label_before if self.target is None else self.target
        others = np.delete(outputs, side, axis=1).max(axis=1)
        gap = outputs[:, side] - others
        return gap if self.target is None else -gap

    def weights(self, n_features: int) -> np.ndarray:
        """The ordering weights, signed so that positive means "supports the decision"."""
        return self.direction * _weights_vector(self.explanation, self.key, n_features)

    def describe_decision(self, decision: int, output: np.ndarray) -> str:
        """``"from 'a' to 'b'"`` (classification) or the value and its side of the threshold."""
        if self.mode == "regression":
            side = ">=" if decision == 1 else "<"
            return f"moves the value to {output[0]:.4g} ({side} threshold {self.threshold:g})"
        return (
            f"changes the prediction from '{_class_name(self.explanation, self.label_before)}' "
            f"to '{_class_name(self.explanation, decision)}'"
        )


def find_counterfactual(
    explanation: Any,
    classifier_fn: Callable | None = None,
    label: int | None = None,
    *,
    max_queries: int = DEFAULT_MAX_QUERIES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    threshold: float | None = None,
    cache: QueryCache | bool | None = None,
) -> CounterfactualResult:
    """Find a small edit of the instance that changes the model's decision.

    Text and image explanations (binary keep-masks): a small set of features to remove.
    Tabular explanations (their perturbation has ``feature_info()``): the smallest change of
    feature values, see
    :func:`limewidgets.engine.tabular_counterfactual.find_tabular_counterfactual`.

    Parameters
    ----------
    explanation : Explanation
        A text, image or tabular explanation carrying its ``perturbation``.
    classifier_fn : callable, optional
        The model to query (default: ``explanation.classifier_fn``).
    label : int, optional
        Classification only. Default: the model's predicted label for the original instance;
        the search then removes the features that support it most until the model predicts
        another label. A label that is not the predicted one asks the opposite question: which
        features, once removed, make the model predict ``label`` (the features with the most
        negative weights for it are removed first). Must be an explained label.
    max_queries : int, default=200
        Maximum number of instances sent to the model, verification included.
    batch_size : int, default=16
        Maximum number of candidate prefixes sent in one model call (the first calls send 1, 2,
        4, ... so that a counterfactual of one or two features costs only a few queries).
    threshold : float, optional
        Regression only (required there): the decision is ``value >= threshold`` and the search
        removes the features that push the value towards the threshold.
    cache : QueryCache, bool or None, default=None
        Where earlier model answers are looked up before a row is sent to the model (hits are
        free: they do not count against ``max_queries``). ``None`` or ``True``: the
        explanation's own ``query_cache`` (its samples and earlier re-queries) when
        ``classifier_fn`` is the model that produced it, else a cache private to this search.
        ``False``: query every row.

    Returns
    -------
    CounterfactualResult

    Raises
    ------
    ValueError
        If the explanation has no perturbation, no model is available, a regression
        explanation has no ``threshold``, or ``label`` is not a possible target.
    LabelNotExplainedError
        If ``label`` has no weights in the explanation.
    """
    perturbation = getattr(explanation, "perturbation", None)
    if callable(getattr(perturbation, "feature_info", None)):
        from .tabular_counterfactual import find_tabular_counterfactual

        return find_tabular_counterfactual(
            explanation,
            classifier_fn,
            label,
            max_queries=max_queries,
            batch_size=batch_size,
            threshold=threshold,
            cache=cache,
        )
    search = _Search(explanation, classifier_fn, label, max_queries, batch_size, threshold, cache)
    n_features = int(search.perturbation.n_features)
    initial = np.asarray(search.perturbation.initial_state(), dtype=float).ravel()
    if initial.shape[0] != n_features or not np.all((initial == 0) | (initial == 1)):
        raise ValueError(
            "counterfactual search needs a mask-based perturbation (text or image explanations) "
            f"whose initial_state is a 0/1 mask of length {n_features}; got "
            f"{describe(initial)}"
        )
    budget = search.budget
    label_before = search.label_before
    original_output = search.original_output
    key = search.key
    query = search.query

    weights = search.weights(n_features)
    # Most relevant first; features the surrogate did not keep (weight 0) come after the
    # supporting ones and before the opposing ones. Stable, so ties keep id order.
    order = np.argsort(-weights, kind="stable")
    rank = np.empty(n_features, dtype=int)
    rank[order] = np.arange(n_features)

    def not_found(message: str) -> CounterfactualResult:
        return CounterfactualResult(
            found=False,
            features=[],
            label_before=label_before,
            label_after=label_before,
            output_after=[float(v) for v in original_output[0]],
            queries=budget.used,
            message=message,
            label=int(key),
            mask=[int(v) for v in initial],
            reused=search.reused,
        )

    if search.mode == "classification" and search.n_classes < 2:
        return not_found("the model has a single class: its label cannot change")

    # --- 1. prefixes: remove the top-1, top-2, ... features; 1, 2, 4, ... prefixes per call.
    found_k = None
    found_output = None
    next_k = 1
    chunk = 1
    while next_k <= n_features and found_k is None:
        room = budget.left - 1  # one query is kept for the final verification
        if room <= 0:
            break
        size = min(chunk, search.batch_size, room, n_features - next_k + 1)
        ks = np.arange(next_k, next_k + size)
        removed = rank[None, :] < ks[:, None]
        masks = np.where(removed, 0.0, initial[None, :])
        outputs = query(masks)
        hits = search.succeeded(outputs)
        if hits.any():
            first = int(np.argmax(hits))
            found_k = int(ks[first])
            found_output = outputs[first]
        next_k += size
        chunk *= 2
    if found_k is None:
        tried = next_k - 1
        if tried >= n_features:
            return not_found(
                f"no counterfactual: removing all {n_features} features does not change the "
                f"decision ({search.spent()})"
            )
        return not_found(
            f"no counterfactual found within max_queries={search.max_queries}: removing up to "
            f"{tried} of {n_features} features did not change the decision"
        )

    # --- 2. prune: put features back, least relevant first (the last one of the prefix is
    # skipped: the prefix without it is already known to fail).
    removed_set = [int(f) for f in order[:found_k]]
    current_output = found_output
    for feature in reversed(removed_set[:-1]):
        if budget.left < 2:
            break
        trial = [f for f in removed_set if f != feature]
        mask = initial.copy()
        mask[trial] = 0.0
        outputs = query(mask[None, :])
        if search.succeeded(outputs)[0]:
            removed_set = trial
            current_output = outputs[0]

    # --- 3. verify the final set with one more model call.
    mask = initial.copy()
    mask[removed_set] = 0.0
    # Always a real model call: it checks that the answer is reproducible.
    verified = query(mask[None, :], fresh=True)
    decision = int(search.decide(verified)[0])
    if not search.succeeded(verified)[0]:
        return not_found(
            "the model's decision was not reproducible: the final set did not change it again "
            f"on verification ({search.spent()})"
        )
    current_output = verified[0]
    message = (
        f"removing {len(removed_set)} feature(s) "
        f"{search.describe_decision(decision, current_output)}; verified with {search.spent()}"
    )
    return CounterfactualResult(
        found=True,
        features=_feature_ids(search.explanation, removed_set),
        label_before=label_before,
        label_after=decision,
        output_after=[float(v) for v in current_output],
        queries=budget.used,
        message=message,
        label=int(key),
        mask=[int(v) for v in mask],
        reused=search.reused,
    )
