"""Explain many instances: per-row seeds, model calls shared across rows, joblib parallelism.

:func:`explain_many` is what the explainers' ``explain_many`` methods run. Three ideas:

* **Each row has its own random stream.** Row ``i`` is explained with a fresh ``RandomState``
  seeded by :func:`row_seeds` (child ``i`` of a :class:`numpy.random.SeedSequence`), so its
  explanation does not depend on which other rows are explained, in what order, in how many
  processes or on which backend.
* **Rows share model calls.** An explainer's ``explain_instance`` draws the samples, then hands a
  :class:`PendingExplanation` (the samples and how to fit the surrogates once the model's
  outputs are known) to :func:`run_or_defer`, which either queries the model at once or, inside
  ``explain_many``, returns the pending explanation to be queried with other rows. The samples
  of ``rows_per_call`` rows are sent to the model together, at most ``batch_size`` samples per
  call, which removes most of the per-call overhead of models such as random forests or GPU
  networks. The outputs of a deterministic model do not depend on how samples are grouped, so
  neither do the explanations. Large dense calls are sent sorted by coarse buckets of the
  columns that mattered most in the rows already explained (:mod:`._locality`: tree ensembles
  walk similar rows faster), for as long as that is measured to pay.
* **The work runs in** :class:`joblib.Parallel`, so that ``joblib.parallel_config`` chooses where
  it runs (processes, threads, a Dask or a Ray cluster) with no change to the call.
"""

from __future__ import annotations

import inspect
import math
import numbers
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._locality import CallTimes, ColumnOrderHint, call_in_local_order, restore_order
from ._shipping import ShippedOnce, ShippingError, shipped_value
from ._threads import single_threaded_blas
from ._validation import check_callable, check_choice, check_model_output, describe
from .rows import (
    PendingExplanation,
    RowFailure,
    prepare_explanation,
    reseeded,
    row_seeds,
    run_or_defer,
)

__all__ = [
    "ExplainManyMixin",
    "PendingExplanation",
    "RowFailure",
    "explain_many",
    "prepare_explanation",
    "reseeded",
    "row_seeds",
    "run_or_defer",
]

ERRORS = ("raise", "collect")
# rows_per_call='auto' groups rows until a model call holds about this many samples.
AUTO_SAMPLES_PER_CALL = 50_000


def _as_rows(instances: Any) -> list:
    """``instances`` as a list of single instances (array rows, strings, images, sparse rows)."""
    if isinstance(instances, (str, bytes)):
        raise TypeError(
            "instances must be a sequence of instances (e.g. a list of documents); got a "
            "single string"
        )
    if sp.issparse(instances):
        matrix = sp.csr_matrix(instances)
        return [matrix[i] for i in range(matrix.shape[0])]
    if hasattr(instances, "iloc") and hasattr(instances, "to_numpy"):  # pandas DataFrame
        instances = instances.to_numpy()
    if isinstance(instances, np.ndarray):
        if instances.ndim == 0:
            raise TypeError(f"instances must be a sequence of instances; got {describe(instances)}")
        return list(instances)
    try:
        return list(instances)
    except TypeError as err:
        raise TypeError(
            f"instances must be a sequence of instances; got {describe(instances)}"
        ) from err


def _concat(parts: list) -> Any:
    """Join model inputs of several rows into one batch of the same kind."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    if isinstance(first, list):
        return [item for part in parts for item in part]
    if sp.issparse(first):
        return sp.vstack(parts, format="csr")
    if isinstance(first, np.ndarray):
        return np.concatenate(parts, axis=0)
    if isinstance(first, tuple):
        return tuple(item for part in parts for item in part)
    raise TypeError(
        f"cannot join model inputs of type {type(first).__name__} across rows; use rows_per_call=1"
    )


def query_together(
    pendings: Sequence[PendingExplanation],
    classifier_fn: Callable,
    column_order: tuple[int, ...] | None = None,
    times: CallTimes | None = None,
) -> list:
    """The model's outputs for every pending row, the rows' samples sharing model calls.

    Samples are taken in order (row 0's, then row 1's, ...), at most the smallest
    ``batch_size`` of the rows per call; a call may hold the end of one row and the start of
    the next. With ``column_order`` (columns that mattered most, most first), a large dense call
    is sent sorted by buckets of those columns (see :mod:`._locality`), its outputs put back;
    ``times`` receives the calls' times.

    Returns
    -------
    list of numpy.ndarray
        One array of outputs per row.
    """
    sizes = [p.n_samples for p in pendings]
    total = sum(sizes)
    caps = [p.batch_size for p in pendings if p.batch_size is not None]
    step = min(caps) if caps else total
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    outputs: list[np.ndarray | None] = [None] * len(pendings)
    mode, name = pendings[0].mode, pendings[0].name
    n_columns: int | None = None
    for start in range(0, total, step):
        stop = min(start + step, total)
        first = int(np.searchsorted(offsets, start, side="right")) - 1
        parts, spans = [], []
        row = first
        while row < len(pendings) and offsets[row] < stop:
            lo = max(start, offsets[row]) - offsets[row]
            hi = min(stop, offsets[row + 1]) - offsets[row]
            if hi > lo:
                parts.append(pendings[row].make_batch(int(lo), int(hi)))
                spans.append((row, int(lo), int(hi)))
            row += 1
        batch = _concat(parts)
        del parts
        output, order = call_in_local_order(classifier_fn, batch, column_order, times)
        del batch
        preds = restore_order(
            check_model_output(output, stop - start, mode, name, n_columns), order
        )
        del output
        if preds.ndim == 2:
            n_columns = preds.shape[1]
        position = 0
        for row, lo, hi in spans:
            out = outputs[row]
            if out is None:
                out = outputs[row] = np.empty((sizes[row],) + preds.shape[1:], dtype=float)
            out[lo:hi] = preds[position : position + hi - lo]
            position += hi - lo
    return outputs


def _note(err: BaseException, text: str) -> None:
    add_note = getattr(err, "add_note", None)
    if add_note is not None:  # Python >= 3.11
        add_note(text)


def _explain_block(
    explainer: Any,
    instances: list,
    indices: list[int],
    seeds: list[int] | list[None],
    classifier_fn: Callable,
    kwargs: dict,
    errors: str,
    keep_samples: bool = False,
    detach_model: bool = True,
    column_order: tuple[int, ...] | None = None,
) -> tuple[list[int], list, CallTimes]:
    """Explain one group of rows, their samples sharing model calls (runs in a worker).

    A seed of ``None`` explains the row with the explainer's own stream (``'sequential'``).
    ``explainer`` and ``classifier_fn`` may come as :class:`ShippedOnce` (sent to a worker).
    ``column_order``: see :func:`query_together`. Returns the rows' indices, their results and
    the times of the model calls.
    """
    explainer, classifier_fn = shipped_value(explainer), shipped_value(classifier_fn)
    results: list[Any] = [None] * len(indices)
    times = CallTimes()

    def failed(j: int, err: BaseException) -> None:
        if errors == "raise":
            _note(err, f"while explaining row {indices[j]} of explain_many")
            raise err
        results[j] = RowFailure(indices[j], err)

    pending: dict[int, PendingExplanation] = {}
    for j, (instance, seed) in enumerate(zip(instances, seeds, strict=True)):
        row_explainer = explainer if seed is None else reseeded(explainer, seed)
        try:
            prepared = prepare_explanation(row_explainer, instance, classifier_fn, **kwargs)
        except Exception as err:
            failed(j, err)
            continue
        if isinstance(prepared, PendingExplanation):
            pending[j] = prepared
        else:  # an explainer that queries the model itself: its row is already done
            results[j] = prepared
    if pending:
        order = list(pending)
        try:
            outputs = dict(
                zip(
                    order,
                    query_together([pending[j] for j in order], classifier_fn, column_order, times),
                    strict=True,
                )
            )
        except Exception as err:
            if errors == "raise" or len(order) == 1:
                rows = [indices[j] for j in order]
                if errors == "raise":
                    _note(err, f"while querying the model on the samples of rows {rows}")
                    raise
                outputs = {}
                failed(order[0], err)
            else:
                # A shared call failed: query the rows one by one to find the failing ones.
                outputs = {}
                for j in order:
                    try:
                        outputs[j] = query_together(
                            [pending[j]], classifier_fn, column_order, times
                        )[0]
                    except Exception as row_err:
                        failed(j, row_err)
        from .explanation import samples_kept

        with samples_kept(keep_samples):
            for j, out in outputs.items():
                try:
                    results[j] = pending[j].finish(out)
                except Exception as err:
                    failed(j, err)
    if not keep_samples:
        for result in results:
            # Each explanation's samples and model answers: ~1.4 MB for 5000 tabular samples,
            # which would dominate the memory of (and the traffic back from) many rows.
            if getattr(result, "query_cache", None) is not None:
                result.query_cache = None
    if detach_model:
        for result in results:
            # The driver re-attaches its own model: shipping it back with every row would copy
            # a (possibly large, possibly unpicklable) model once per explanation.
            if hasattr(result, "classifier_fn"):
                result.classifier_fn = None
    return indices, results, times


def _runs_in_threads() -> bool:
    """Whether the active joblib backend runs its tasks in threads of this process."""
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except Exception:  # an old or unusual joblib: assume worker processes
        return False
    return bool(getattr(backend, "uses_threads", False))


def _effective_workers(n_jobs: int | None) -> int:
    """How many workers ``joblib.Parallel(n_jobs)`` would use in the active backend (>= 1)."""
    import joblib

    try:
        return max(1, int(joblib.effective_n_jobs(n_jobs)))
    except Exception:  # a backend that cannot tell (or is not reachable yet): assume one
        return 1


def _resolve_rows_per_call(rows_per_call: Any, num_samples: int) -> int:
    if isinstance(rows_per_call, str) and rows_per_call == "auto":
        return max(1, math.ceil(AUTO_SAMPLES_PER_CALL / max(1, num_samples)))
    if isinstance(rows_per_call, (bool, np.bool_)) or not isinstance(
        rows_per_call, numbers.Integral
    ):
        raise TypeError(
            f"rows_per_call must be 'auto' or an integer >= 1; got {describe(rows_per_call)}"
        )
    if rows_per_call < 1:
        raise ValueError(f"rows_per_call must be 'auto' or an integer >= 1; got {rows_per_call}")
    return int(rows_per_call)


def explain_many(
    explainer: Any,
    instances: Any,
    classifier_fn: Callable[[Any], Any],
    *,
    n_jobs: int | None = None,
    rows_per_call: int | str = "auto",
    random_state: Any = None,
    errors: str = "raise",
    progress_bar: bool = True,
    keep_samples: bool = False,
    **explain_kwargs: Any,
) -> list:
    """Explain every instance with ``explainer``; see :meth:`ExplainManyMixin.explain_many`."""
    check_callable("classifier_fn", classifier_fn)
    check_choice("errors", errors, ERRORS)
    if n_jobs is not None and (
        isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral)
    ):
        raise TypeError(f"n_jobs must be None or an integer; got {describe(n_jobs)}")
    rows = _as_rows(instances)
    n_rows = len(rows)
    if n_rows == 0:
        return []
    num_samples = explain_kwargs.get("num_samples", _default_num_samples(explainer))
    if isinstance(num_samples, str):  # 'auto' queries in blocks of its own, up to max_samples
        num_samples = explain_kwargs.get("max_samples", 5000)
    group = _resolve_rows_per_call(rows_per_call, num_samples)
    if isinstance(rows_per_call, str):
        # 'auto' also keeps every worker busy: at least about four groups of rows per worker
        # (50 images of 1000 samples made one group, which one worker explained alone).
        workers = _effective_workers(n_jobs)
        if workers > 1:
            group = min(group, max(1, math.ceil(n_rows / (4 * workers))))
    kwargs = dict(explain_kwargs)
    if _accepts(explainer.explain_instance, "progress_bar"):
        kwargs["progress_bar"] = False  # one bar over rows, none per row
    blocks = [range(start, min(start + group, n_rows)) for start in range(0, n_rows, group)]
    if isinstance(random_state, str) and random_state == "sequential":
        if n_jobs not in (None, 1):
            raise ValueError(
                "random_state='sequential' draws every row from the explainer's one stream, in "
                f"order, so it runs in this process: use n_jobs=None or 1; got n_jobs={n_jobs}"
            )
        return _explain_in_order(
            explainer, rows, blocks, classifier_fn, kwargs, errors, progress_bar, keep_samples
        )
    if random_state is None:
        # Drawn from the explainer's own stream: a seeded explainer gives reproducible runs.
        random_state = getattr(explainer, "random_state", None)
        if random_state is None:
            random_state = np.random.RandomState()
    seeds = row_seeds(random_state, n_rows)

    import joblib

    # Pickled once, not with every group of rows (each joblib task carries its arguments).
    shipped_explainer = ShippedOnce(explainer, "the explainer")
    shipped_model = ShippedOnce(classifier_fn, "classifier_fn")
    # Read when each task is created: tasks made after some rows came back sort their model
    # calls by what mattered in those rows (the outputs, hence the results, are the same).
    hint = ColumnOrderHint()

    def tasks() -> Iterator[Any]:
        for block in blocks:
            yield joblib.delayed(_explain_block)(
                shipped_explainer,
                [rows[i] for i in block],
                list(block),
                [seeds[i] for i in block],
                shipped_model,
                kwargs,
                errors,
                keep_samples,
                column_order=hint.columns(),
            )

    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_rows, unit="row")
    results: list[Any] = [None] * n_rows
    done = np.zeros(n_rows, dtype=bool)
    try:
        try:
            parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        except ValueError:  # a backend without generators (Ray's): results come all at once
            parallel = joblib.Parallel(n_jobs=n_jobs)
        # Threads of this process share its BLAS setting, and threadpoolctl lets only one thread
        # (the caller's) change it: one BLAS thread for the whole run, as in loky's, Dask's and
        # Ray's worker processes (the same explanations as there, and no oversubscription).
        blas = single_threaded_blas() if _runs_in_threads() else nullcontext()
        try:
            with blas:
                for indices, block_results, block_times in parallel(tasks()):
                    hint.update(block_results, block_times)
                    for i, result in zip(indices, block_results, strict=True):
                        if hasattr(result, "classifier_fn"):
                            result.classifier_fn = classifier_fn
                        results[i] = result
                        done[i] = True
                    if bar is not None:
                        bar.update(len(indices))
        except pickle.PicklingError as err:
            # The backend reports an unpicklable model as "could not pickle the task" (the
            # cause only as a remote traceback): say which argument, and what to do instead.
            for shipped in (shipped_model, shipped_explainer):
                try:
                    shipped.payload()
                except ShippingError as unpicklable:
                    raise unpicklable from err
            raise
    finally:
        if bar is not None:
            bar.close()
    missing = np.flatnonzero(~done)
    if missing.size or any(r is None for r in results):
        # A backend that lost work must never hand back a silently short or padded list.
        raise RuntimeError(
            f"explain_many lost {int(missing.size)} of {n_rows} rows (first missing: "
            f"{missing[:10].tolist()}); the parallel backend returned incomplete results"
        )
    return results


def _explain_in_order(
    explainer: Any,
    rows: list,
    blocks: list[range],
    classifier_fn: Callable,
    kwargs: dict,
    errors: str,
    progress_bar: bool,
    keep_samples: bool,
) -> list:
    """``random_state='sequential'``: lime's loop, rows sharing model calls, in this process.

    Every random draw of an explanation happens before its model call, so preparing the rows
    of a group one after the other draws exactly what a loop of ``explain_instance`` calls
    draws.
    """
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(rows), unit="row")
    results: list[Any] = []
    hint = ColumnOrderHint()
    try:
        for block in blocks:
            _, block_results, block_times = _explain_block(
                explainer,
                [rows[i] for i in block],
                list(block),
                [None] * len(block),
                classifier_fn,
                kwargs,
                errors,
                keep_samples=keep_samples,
                detach_model=False,
                column_order=hint.columns(),
            )
            hint.update(block_results, block_times)
            results.extend(block_results)
            if bar is not None:
                bar.update(len(block))
    finally:
        if bar is not None:
            bar.close()
    return results


def _accepts(function: Callable, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


def _default_num_samples(explainer: Any) -> int:
    try:
        parameter = inspect.signature(explainer.explain_instance).parameters["num_samples"]
    except (KeyError, TypeError, ValueError):
        return 5000
    default = parameter.default
    return default if isinstance(default, int) else 5000


class ExplainManyMixin:
    """Gives an explainer ``explain_many``.

    The explainer's ``explain_instance`` ends with :func:`run_or_defer`, so that several rows'
    samples can share model calls; any other explainer is run one row at a time.
    """

    def explain_many(
        self,
        instances: Any,
        classifier_fn: Callable[[Any], Any],
        *,
        n_jobs: int | None = None,
        rows_per_call: int | str = "auto",
        random_state: Any = None,
        errors: str = "raise",
        progress_bar: bool = True,
        keep_samples: bool = False,
        **explain_kwargs: Any,
    ) -> list:
        """Explain many instances; one explanation per instance, in input order.

        Gives the same explanations as calling ``explain_instance`` on each row with the row's
        own seed (see :func:`~limewidgets.engine.many.row_seeds`), much faster: the samples of
        several rows share each model call, and rows are spread over ``n_jobs`` workers.

        Parameters
        ----------
        instances : sequence
            The instances, one per row: a 2-D array or DataFrame of table rows (a 3-D array of
            sequences for the recurrent explainer), a list of documents, an array or list of
            images, or a sparse matrix of rows.
        classifier_fn : callable
            The model, as for ``explain_instance``. It must score each row on its own (as
            LIME assumes): besides grouping rows' samples, ``explain_many`` may send a call's
            samples sorted by the columns that mattered most in the rows already explained
            (which speeds up tree ensembles), and puts the outputs back in place.
        n_jobs : int or None, default=None
            Number of joblib workers (joblib's meaning: ``None`` is 1 unless a
            :func:`joblib.parallel_config` context says otherwise, ``-1`` all cores). The work
            runs in :class:`joblib.Parallel`, so ``with joblib.parallel_config(backend="dask"):``
            runs it on a Dask cluster and ``backend="ray"`` on Ray.
        rows_per_call : int or 'auto', default='auto'
            How many rows' samples share one model call (at most ``batch_size`` samples per
            call when ``batch_size`` is set). ``'auto'`` groups rows up to about 50 000 samples
            per call, and in groups small enough for about four per parallel worker. ``1`` is
            lime's one-row-at-a-time loop.
        random_state : int, SeedSequence, RandomState, None or 'sequential', default=None
            Root of the per-row seeds: row ``i`` is explained with ``RandomState(seeds[i])``
            where ``seeds = row_seeds(random_state, len(instances))``, whatever ``n_jobs``,
            ``rows_per_call`` or the backend. ``None`` draws the root from the explainer's
            ``random_state``. ``'sequential'`` instead draws every row from the explainer's
            own stream in order, exactly as a loop of ``explain_instance`` calls (lime's loop)
            would, still sharing model calls; it runs in this process (``n_jobs`` 1).
        errors : {'raise', 'collect'}, default='raise'
            ``'raise'``: the first failing row stops the run (its exception carries a note
            naming the row). ``'collect'``: a failing row's slot holds a
            :class:`~limewidgets.engine.many.RowFailure` saying which row failed and why; the
            other rows are kept.
        progress_bar : bool, default=True
            Show a progress bar over rows.
        keep_samples : bool, default=False
            Keep every explanation's samples and model outputs (its ``query_cache``, which
            lets a widget answer re-queries without the model). Off by default: for 5000
            tabular samples they take about 1.4 MB per row.
        **explain_kwargs
            Passed to ``explain_instance`` for every row (``num_samples``, ``labels``,
            ``top_labels``, ``batch_size``, ...).

        Returns
        -------
        list
            One explanation per instance (or :class:`~limewidgets.engine.many.RowFailure` with
            ``errors='collect'``), in the order of ``instances``. Each explanation keeps
            ``classifier_fn`` for live re-queries.

        Raises
        ------
        RuntimeError
            If the parallel backend returned fewer rows than were sent (it never returns a
            short list).
        """
        return explain_many(
            self,
            instances,
            classifier_fn,
            n_jobs=n_jobs,
            rows_per_call=rows_per_call,
            random_state=random_state,
            errors=errors,
            progress_bar=progress_bar,
            keep_samples=keep_samples,
            **explain_kwargs,
        )
