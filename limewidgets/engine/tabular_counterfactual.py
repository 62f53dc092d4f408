"""Tabular counterfactual search: the smallest change of feature values that flips the decision.

A table row has no "removal": a counterfactual is a what-if edit, new values for as few
features as possible, each as close to the original as possible, that changes the model's
decision. Every claim is checked with real model calls, batched and counted against a budget:

1. Probe: for each feature (largest surrogate weight first) query the row with that feature
   moved to the ends of its editing range (the training range) or, for a categorical feature,
   to each of its other categories (real categories only).
2. One feature flips the decision: refine the smallest such move towards the original value
   (two rounds of a grid between the last value that did not flip and the first that did),
   keep the move of smallest normalised size (``|change| / range``; a category change counts
   as 1).
3. No single feature does: combine the features' best probes, largest gain in the model's
   margin first, in growing prefixes until the decision flips; drop the features it does not
   need, then shrink each remaining move with the others fixed.
4. Round the new values to the editing step (a readable value, still inside the range) and
   verify the final row with one more model call.

The result is a :class:`~limewidgets.engine.counterfactual.CounterfactualResult` with
``searched='change'``, ``changes`` (one entry per changed feature) and ``state`` (the edited row,
what a widget applies as a what-if edit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .counterfactual import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_QUERIES,
    CounterfactualResult,
    _Search,
)
from .query_cache import QueryCache

# A change of category counts as much as moving a numeric feature across its whole range.
CATEGORY_DISTANCE = 1.0
# Points per refinement round: each round narrows a bracket 8-fold.
GRID = 8
# At most this many other categories are probed per categorical feature.
MAX_CATEGORIES = 16


@dataclass
class _Feature:
    """What the search needs to know about one column."""

    index: int
    name: str
    value: float
    low: float
    high: float
    categorical: bool
    options: list
    step: float | None

    @property
    def span(self) -> float:
        return self.high - self.low if self.high > self.low else 1.0

    def distance(self, value: float) -> float:
        if self.categorical:
            return 0.0 if value == self.value else CATEGORY_DISTANCE
        return abs(value - self.value) / self.span


@dataclass
class _Move:
    """One candidate change: ``feature`` set to ``value`` on top of ``base`` (an edit row)."""

    feature: int
    value: float
    base: np.ndarray
    output: np.ndarray | None = None
    success: bool = False
    margin: float = math.inf
    # Refinement bracket: ``outer`` is known to succeed, ``inner`` is closer to the original.
    inner: float = math.nan  # set when the move is evaluated

    def row(self, value: float | None = None) -> np.ndarray:
        row = self.base.copy()
        row[self.feature] = self.value if value is None else value
        return row


def _columns(perturbation: Any, initial: np.ndarray) -> list[_Feature]:
    info = perturbation.feature_info()
    if len(info) != initial.shape[0]:
        raise ValueError(
            f"perturbation.feature_info() must describe {initial.shape[0]} features; got "
            f"{len(info)}"
        )
    columns = []
    for index, entry in enumerate(info):
        categorical = bool(entry.get("categorical"))
        options = [float(raw) for raw, _ in entry.get("options") or []] if categorical else []
        step = entry.get("step")
        columns.append(
            _Feature(
                index=index,
                name=str(entry.get("name", index)),
                value=float(initial[index]),
                low=float(entry["min"]),
                high=float(entry["max"]),
                categorical=categorical,
                options=options,
                step=None if step is None or not float(step) > 0 else float(step),
            )
        )
    return columns


def _display(perturbation: Any, column: _Feature, value: float) -> str:
    if column.categorical and callable(getattr(perturbation, "format_value", None)):
        return str(perturbation.format_value(column.index, value))
    return f"{value:.6g}"


def _snap(column: _Feature, value: float) -> float:
    """``value`` rounded to the column's step, away from the original, kept in range."""
    if column.categorical or column.step is None:
        return value
    step = column.step
    scaled = value / step
    snapped = math.ceil(scaled - 1e-9) if value > column.value else math.floor(scaled + 1e-9)
    decimals = max(0, -math.floor(math.log10(step)))
    result = round(snapped * step, decimals)
    return float(min(max(result, column.low), column.high))


def find_tabular_counterfactual(
    explanation: Any,
    classifier_fn: Callable | None = None,
    label: int | None = None,
    *,
    max_queries: int = DEFAULT_MAX_QUERIES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    threshold: float | None = None,
    cache: QueryCache | bool | None = None,
) -> CounterfactualResult:
    """Find the smallest change of a row's feature values that changes the model's decision.

    New values stay inside each feature's editing range (the training range, see
    ``perturbation.feature_info()``); categorical features only take categories seen in
    training. Fewer changed features is smaller; then a smaller total of normalised changes
    (``|new - old| / (max - min)``, 1 for a category change).

    Parameters
    ----------
    explanation : TabularExplanation
        A tabular explanation (its perturbation has ``feature_info()``).
    classifier_fn : callable, optional
        The model to query (default: ``explanation.classifier_fn``).
    label : int, optional
        Classification only. Default: the predicted label; the search looks for a row the model
        assigns another label. A non-predicted (explained) label asks for a row the model
        assigns that label.
    max_queries : int, default=200
        Maximum number of rows sent to the model, verification included.
    batch_size : int, default=16
        Maximum number of rows per model call.
    threshold : float, optional
        Regression only (required there): the decision is ``value >= threshold``.
    cache : QueryCache, bool or None, default=None
        Earlier model answers (raw rows) looked up before a row is sent to the model, see
        :func:`~limewidgets.engine.counterfactual.find_counterfactual`.

    Returns
    -------
    CounterfactualResult
        With ``searched='change'``, ``changes`` and ``state`` (the edited row).

    Raises
    ------
    ValueError
        If no model is available, a regression explanation has no ``threshold`` or ``label``
        is not a possible target.
    LabelNotExplainedError
        If ``label`` has no weights in the explanation.
    """
    search = _Search(
        explanation, classifier_fn, label, max_queries, batch_size, threshold, cache, binary=False
    )
    perturbation = search.perturbation
    initial = np.asarray(perturbation.initial_state(), dtype=float).ravel()
    columns = _columns(perturbation, initial)
    budget = search.budget
    margin0 = float(search.margin(search.original_output)[0])

    def result(row: np.ndarray | None, output: np.ndarray | None, message: str) -> Any:
        if row is None or output is None:
            output = search.original_output[0]
            return CounterfactualResult(
                found=False,
                features=[],
                label_before=search.label_before,
                label_after=search.label_before,
                output_after=[float(v) for v in output],
                queries=budget.used,
                message=message,
                label=search.key,
                reused=search.reused,
                searched="change",
                state=[float(v) for v in initial],
            )
        changed = [int(f) for f in np.flatnonzero(row != initial)]
        changes = [
            {
                "feature": f,
                "name": columns[f].name,
                "from": float(initial[f]),
                "to": float(row[f]),
                "from_display": _display(perturbation, columns[f], float(initial[f])),
                "to_display": _display(perturbation, columns[f], float(row[f])),
            }
            for f in changed
        ]
        decision = int(search.decide(output[None, :])[0])
        edits = ", ".join(
            f"{c['name']} from {c['from_display']} to {c['to_display']}" for c in changes
        )
        return CounterfactualResult(
            found=True,
            features=changed,
            label_before=search.label_before,
            label_after=decision,
            output_after=[float(v) for v in output],
            queries=budget.used,
            message=(
                f"changing {edits} {search.describe_decision(decision, output)}; verified with "
                f"{search.spent()}"
            ),
            label=search.key,
            reused=search.reused,
            searched="change",
            changes=changes,
            state=[float(v) for v in row],
        )

    if search.mode == "classification" and search.n_classes < 2:
        return result(None, None, "the model has a single class: its label cannot change")

    def evaluate(moves: list[_Move], values: list[float] | None = None) -> np.ndarray:
        """Query ``moves`` (optionally at other values), ``batch_size`` rows per call."""
        rows = np.array([m.row(None if values is None else values[i]) for i, m in enumerate(moves)])
        outputs = np.empty((0, search.original_output.shape[1]))
        for start in range(0, rows.shape[0], search.batch_size):
            outputs = np.vstack([outputs, search.query(rows[start : start + search.batch_size])])
        return outputs

    # Two queries stay in reserve: the rounded row and, if rounding broke it, the exact one.
    reserve = 2

    # --- 1. probes, most relevant feature first.
    weights = np.abs(search.weights(len(columns)))
    order = [int(f) for f in np.argsort(-weights, kind="stable")]
    probes: list[_Move] = []
    for f in order:
        column = columns[f]
        if column.categorical:
            values = [v for v in column.options if v != column.value][:MAX_CATEGORIES]
        else:
            values = [v for v in (column.low, column.high) if v != column.value]
        probes.extend(_Move(f, float(v), initial) for v in values)
    # Leave room to refine what the probes find (two rounds for one move).
    room = budget.left - reserve - min(2 * (GRID - 1), max(0, budget.left - reserve) // 3)
    probes = probes[: max(0, room)]
    if not probes:
        return result(None, None, "no counterfactual: no feature has another value to try")
    outputs = evaluate(probes)
    margins = search.margin(outputs)
    hits = search.succeeded(outputs)
    for move, output, margin, hit in zip(probes, outputs, margins, hits, strict=True):
        move.output, move.margin, move.success = output, float(margin), bool(hit)
        move.inner = columns[move.feature].value

    def settled(m: _Move) -> bool:
        column = columns[m.feature]
        if column.categorical:
            return True
        resolution = column.step if column.step is not None else column.span / 1000.0
        return abs(m.value - m.inner) <= resolution

    def refine(moves: list[_Move], rounds: int) -> None:
        """Narrow each numeric move's bracket towards the original value (batched)."""
        for _ in range(rounds):
            numeric = [m for m in moves if not settled(m)]
            per_move = GRID - 1
            numeric = numeric[: max(0, (budget.left - reserve) // per_move)]
            if not numeric:
                return
            batch, values = [], []
            for m in numeric:
                for k in range(1, GRID):
                    batch.append(m)
                    values.append(m.inner + (m.value - m.inner) * k / GRID)
            outputs = evaluate(batch, values)
            hits = search.succeeded(outputs)
            for j, m in enumerate(numeric):
                block = slice(j * per_move, (j + 1) * per_move)
                won = np.flatnonzero(hits[block])
                points = values[block]
                if won.size:
                    k = int(won[0])
                    m.inner = m.inner if k == 0 else points[k - 1]
                    m.value, m.output = points[k], outputs[block][k]
                else:
                    m.inner = points[-1]

    def finish(row: np.ndarray) -> Any:
        """Round the changed values, verify, fall back to the exact row if rounding broke it."""
        snapped = row.copy()
        for f in np.flatnonzero(row != initial):
            snapped[f] = _snap(columns[int(f)], float(row[f]))
        candidates = [snapped] if np.array_equal(snapped, row) else [snapped, row]
        for candidate in candidates:
            if budget.left < 1:
                break
            # Always a real model call: it checks that the answer is reproducible.
            verified = search.query(candidate[None, :], fresh=True)
            if search.succeeded(verified)[0]:
                return result(candidate, verified[0], "")
        return result(
            None,
            None,
            "the model's decision was not reproducible: the row that changed it did not "
            f"change it again on verification ({search.spent()})",
        )

    singles = [m for m in probes if m.success]
    if singles:
        # --- 2. one feature suffices: refine the numeric moves, keep the smallest.
        def size(m: _Move) -> float:
            return columns[m.feature].distance(m.value)

        singles.sort(key=size)
        refine(singles, 1)
        singles.sort(key=size)
        best = size(singles[0])
        # A second round only where the bracket could still beat the best move.
        close = [
            m
            for m in singles
            if not columns[m.feature].categorical and columns[m.feature].distance(m.inner) < best
        ]
        refine(close[:3], 1)
        singles.sort(key=size)
        winner = singles[0]
        # Down to the editing step, so that the rounded value is the smallest one that flips.
        refine([winner], 4)
        return finish(winner.row())

    # --- 3. combine: each feature's best probe, largest gain in the model's margin first. A
    # model that is flat along each feature alone (e.g. "x0 > 3 or x1 > 3") shows no gain:
    # the surrogate's estimate of each probe breaks the ties.
    signed = search.weights(len(columns))
    start = perturbation.to_interpretable(initial[None, :])
    shifts = (perturbation.to_interpretable(np.array([m.row() for m in probes])) - start) @ signed
    best_by_feature: dict[int, tuple[float, float, _Move]] = {}
    for m, shift in zip(probes, shifts, strict=True):
        helps = m.margin < margin0 or (m.margin <= margin0 and shift < 0)
        score = (m.margin, float(shift), m)
        if helps and (
            m.feature not in best_by_feature or score[:2] < best_by_feature[m.feature][:2]
        ):
            best_by_feature[m.feature] = score
    ranked = [m for _, _, m in sorted(best_by_feature.values(), key=lambda t: t[:2])]
    if not ranked:
        return result(
            None,
            None,
            f"no counterfactual: no single change moves the model towards another decision "
            f"({search.spent()})",
        )
    found_row, found_output = None, None
    next_k, chunk = 1, 1
    while next_k <= len(ranked) and found_row is None:
        size_now = min(chunk, search.batch_size, budget.left - reserve, len(ranked) - next_k + 1)
        if size_now <= 0:
            break
        rows = []
        for k in range(next_k, next_k + size_now):
            row = initial.copy()
            for m in ranked[:k]:
                row[m.feature] = m.value
            rows.append(row)
        outputs = search.query(np.array(rows))
        hits = search.succeeded(outputs)
        if hits.any():
            first = int(np.argmax(hits))
            found_row, found_output = rows[first], outputs[first]
        next_k += size_now
        chunk *= 2
    if found_row is None:
        tried = next_k - 1
        what = (
            f"combining the best change of all {len(ranked)} features that help"
            if tried >= len(ranked)
            else f"combining the best changes of {tried} of {len(ranked)} features that help"
        )
        return result(
            None,
            None,
            f"no counterfactual: {what} does not change the decision ({search.spent()}, "
            f"max_queries={search.max_queries})",
        )
    # Drop the changes the decision does not need, least helpful first.
    changed = [int(f) for f in np.flatnonzero(found_row != initial)]
    rank = {m.feature: i for i, m in enumerate(ranked)}
    for f in sorted(changed, key=lambda f: -rank[f])[:-1]:
        if budget.left < reserve + 1:
            break
        trial = found_row.copy()
        trial[f] = initial[f]
        outputs = search.query(trial[None, :])
        if search.succeeded(outputs)[0]:
            found_row, found_output = trial, outputs[0]
    # Shrink each remaining numeric move with the others fixed (one after another: they interact).
    for f in (int(i) for i in np.flatnonzero(found_row != initial)):
        if columns[f].categorical:
            continue
        move = _Move(f, float(found_row[f]), found_row.copy(), found_output, True)
        move.inner = columns[f].value
        refine([move], 4)
        found_row, found_output = move.row(), move.output
    return finish(found_row)
