"""explain_many: equal to per-row explain_instance, whatever n_jobs, chunking or backend."""

from __future__ import annotations

import os
import signal
import sys
import warnings

import joblib
import numpy as np
import pytest
import scipy.special

from limewidgets.engine import many
from limewidgets.engine.image import LimeImageExplainer
from limewidgets.engine.many import RowFailure, row_seeds
from limewidgets.engine.submodular_pick import SubmodularPick
from limewidgets.engine.tabular import LimeTabularExplainer, RecurrentTabularExplainer
from limewidgets.engine.text import LimeTextExplainer

try:  # ship this module's models to worker processes by value (tests/ is not installed)
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
except ImportError:  # pragma: no cover - joblib vendors cloudpickle, dask needs it
    pass


# ------------------------------------------------------------------ models (elementwise, so
# that a sample's output never depends on which other samples share its model call)
def table_model(x: np.ndarray) -> np.ndarray:
    p = scipy.special.expit(2.0 * x[:, 0] - 3.0 * x[:, 3] + 0.5 * x[:, 1] * x[:, 2])
    return np.column_stack([1 - p, p])


def sequence_model(x: np.ndarray) -> np.ndarray:  # (n, steps, features)
    p = scipy.special.expit(x[:, -1, 0] - x[:, 0, 1])
    return np.column_stack([1 - p, p])


POSITIVE = {"good", "great", "fine"}


def text_model(docs: list) -> np.ndarray:
    score = np.array([sum(w in POSITIVE for w in d.split()) - 0.5 for d in docs], dtype=float)
    p = scipy.special.expit(score)
    return np.column_stack([1 - p, p])


def image_model(images: np.ndarray) -> np.ndarray:
    p = images[:, :8, :8].mean(axis=(1, 2, 3)) / 255.0
    return np.column_stack([1 - p, 0.5 * p, 0.5 * p])


def grid_segments(image: np.ndarray) -> np.ndarray:
    return (np.arange(16)[:, None] // 4) * 4 + np.arange(16)[None, :] // 4


class RaisesOn:
    """A model that fails on any batch holding a sample equal to a marker row's first value."""

    def __init__(self, bad_values: list) -> None:
        self.bad_values = bad_values

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if np.isin(x[:, 0], self.bad_values).any():
            raise ValueError("the model cannot score this row")
        return table_model(x)


class KillsItsWorkerOnce:
    """Kills the (worker) process that first calls it; later calls answer normally."""

    def __init__(self, marker: str, driver_pid: int) -> None:
        self.marker = marker
        self.driver_pid = driver_pid

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if os.getpid() != self.driver_pid and not os.path.exists(self.marker):
            with open(self.marker, "w") as handle:
                handle.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return table_model(x)


# ------------------------------------------------------------------ fixtures and helpers
@pytest.fixture(scope="module")
def table() -> np.ndarray:
    return np.random.RandomState(0).normal(size=(200, 5))


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    rng = np.random.RandomState(1)
    return rng.randint(0, 256, size=(3, 16, 16, 3)).astype(np.uint8)


DOCS = [
    "good film with a great cast",
    "bad plot and awful acting",
    "fine fine film",
    "great acting but a bad ending",
    "nothing good here",
]


def assert_same(a, b) -> None:
    assert type(a) is type(b)
    assert a.local_exp == b.local_exp
    assert a.intercept == b.intercept
    assert a.score == b.score
    assert getattr(a, "top_labels", None) == getattr(b, "top_labels", None)
    if getattr(a, "predict_proba", None) is not None:
        np.testing.assert_array_equal(a.predict_proba, b.predict_proba)


def tabular(table, seed=0, **kwargs) -> LimeTabularExplainer:
    return LimeTabularExplainer(table, random_state=seed, **kwargs)


# ------------------------------------------------------------------ equality with explain_instance
@pytest.mark.parametrize("discretize", [True, False])
def test_tabular_equals_per_row_explain_instance(table, discretize):
    rows = table[:6]
    got = tabular(table, discretize_continuous=discretize).explain_many(
        rows, table_model, random_state=11, num_samples=400, progress_bar=False
    )
    seeds = row_seeds(11, len(rows))
    for row, seed, explanation in zip(rows, seeds, got, strict=True):
        expected = tabular(table, seed, discretize_continuous=discretize).explain_instance(
            row, table_model, num_samples=400
        )
        assert_same(explanation, expected)
        assert explanation.classifier_fn is table_model


def test_text_equals_per_row_explain_instance():
    got = LimeTextExplainer(random_state=0).explain_many(
        DOCS, text_model, random_state=3, num_samples=300, top_labels=2, progress_bar=False
    )
    for doc, seed, explanation in zip(DOCS, row_seeds(3, len(DOCS)), got, strict=True):
        expected = LimeTextExplainer(random_state=seed).explain_instance(
            doc, text_model, num_samples=300, top_labels=2
        )
        assert_same(explanation, expected)
        assert explanation.domain_mapper.indexed_string.raw_string() == doc


def test_image_equals_per_row_explain_instance(images):
    kwargs = dict(num_samples=120, batch_size=50, segmentation_fn=grid_segments, top_labels=2)
    got = LimeImageExplainer(random_state=0).explain_many(
        images, image_model, random_state=4, progress_bar=False, **kwargs
    )
    for image, seed, explanation in zip(images, row_seeds(4, len(images)), got, strict=True):
        expected = LimeImageExplainer(random_state=seed).explain_instance(
            image, image_model, progress_bar=False, **kwargs
        )
        assert_same(explanation, expected)
        np.testing.assert_array_equal(explanation.image, image)


def test_recurrent_equals_per_row_explain_instance():
    sequences = np.random.RandomState(2).normal(size=(60, 3, 2))
    got = RecurrentTabularExplainer(sequences, random_state=0).explain_many(
        sequences[:4], sequence_model, random_state=8, num_samples=300, progress_bar=False
    )
    for sequence, seed, explanation in zip(sequences[:4], row_seeds(8, 4), got, strict=True):
        expected = RecurrentTabularExplainer(sequences, random_state=seed).explain_instance(
            sequence, sequence_model, num_samples=300
        )
        assert_same(explanation, expected)


def test_regression_mode(table):
    def value(x):
        return x[:, 0] - 2 * x[:, 3]

    explainer = LimeTabularExplainer(table, mode="regression", random_state=0)
    got = explainer.explain_many(table[:3], value, random_state=1, num_samples=300)
    for row, seed, explanation in zip(table[:3], row_seeds(1, 3), got, strict=True):
        expected = LimeTabularExplainer(
            table, mode="regression", random_state=seed
        ).explain_instance(row, value, num_samples=300)
        assert_same(explanation, expected)
        assert explanation.predicted_value == expected.predicted_value


# ------------------------------------------------------------------ invariance
def test_same_results_for_every_grouping_and_n_jobs(table):
    rows = table[:7]
    explainer = tabular(table)
    reference = explainer.explain_many(
        rows, table_model, random_state=5, rows_per_call=1, num_samples=300, progress_bar=False
    )
    for options in (
        dict(rows_per_call=3),
        dict(rows_per_call=7, batch_size=250),  # calls span the boundary between rows
        dict(rows_per_call="auto", batch_size=1000),
        dict(rows_per_call=2, n_jobs=2),
    ):
        got = explainer.explain_many(
            rows, table_model, random_state=5, num_samples=300, progress_bar=False, **options
        )
        for a, b in zip(reference, got, strict=True):
            assert_same(a, b)


def test_rows_share_model_calls_within_the_batch_cap(table):
    calls: list[int] = []

    def counting(x):
        calls.append(len(x))
        return table_model(x)

    tabular(table).explain_many(
        table[:6], counting, rows_per_call=3, num_samples=200, progress_bar=False
    )
    assert calls == [600, 600]
    calls.clear()
    tabular(table).explain_many(
        table[:6], counting, rows_per_call=3, num_samples=200, batch_size=250, progress_bar=False
    )
    assert calls == [250, 250, 100] * 2


def test_auto_grouping_gives_every_worker_rows(table):
    """'auto' puts at most a quarter of a worker's share of rows in one model call."""
    import threading

    import joblib

    calls: list[int] = []
    lock = threading.Lock()

    def counting(x):
        with lock:
            calls.append(len(x))
        return table_model(x)

    explainer = tabular(table)
    serial = explainer.explain_many(
        table[:16], counting, num_samples=200, random_state=0, progress_bar=False
    )
    assert calls == [3200]  # one process: every row in one call (well under 50 000 samples)
    calls.clear()
    with joblib.parallel_config(backend="threading"):
        parallel = explainer.explain_many(
            table[:16], counting, n_jobs=2, num_samples=200, random_state=0, progress_bar=False
        )
    assert sorted(calls) == [400] * 8  # 2 workers: 8 groups of 2 rows
    for a, b in zip(serial, parallel, strict=True):
        assert_same(a, b)


def test_a_row_does_not_depend_on_the_other_rows(table):
    explainer = tabular(table)
    all_rows = explainer.explain_many(table[:5], table_model, random_state=2, num_samples=300)
    seeds = row_seeds(2, 5)
    # Row 3 alone, with its own seed as the root's child 3: the same explanation.
    alone = tabular(table, seeds[3]).explain_instance(table[3], table_model, num_samples=300)
    assert_same(all_rows[3], alone)
    assert row_seeds(2, 3) == seeds[:3]


def test_seeded_explainer_is_reproducible_and_unseeded_root_differs(table):
    first = tabular(table, 4).explain_many(table[:2], table_model, num_samples=200)
    again = tabular(table, 4).explain_many(table[:2], table_model, num_samples=200)
    for a, b in zip(first, again, strict=True):
        assert_same(a, b)
    other = tabular(table, 5).explain_many(table[:2], table_model, num_samples=200)
    assert first[0].local_exp != other[0].local_exp


def test_sequential_reproduces_the_explain_instance_loop(table):
    explainer = tabular(table, 9)
    got = explainer.explain_many(
        table[:4], table_model, random_state="sequential", rows_per_call=2, num_samples=300
    )
    loop = tabular(table, 9)
    for row, explanation in zip(table[:4], got, strict=True):
        assert_same(explanation, loop.explain_instance(row, table_model, num_samples=300))
    with pytest.raises(ValueError, match="n_jobs"):
        explainer.explain_many(table[:2], table_model, random_state="sequential", n_jobs=2)


def test_inputs_of_several_kinds(table):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(table[:3], columns=list("abcde"))
    explainer = tabular(table)
    from_frame = explainer.explain_many(frame, table_model, random_state=1, num_samples=200)
    from_list = explainer.explain_many(
        list(table[:3]), table_model, random_state=1, num_samples=200
    )
    for a, b in zip(from_frame, from_list, strict=True):
        assert_same(a, b)
    assert explainer.explain_many(table[:0], table_model) == []


# ------------------------------------------------------------------ errors
def test_collect_keeps_the_other_rows(table):
    rows = table[:6]
    model = RaisesOn([rows[1, 0], rows[4, 0]])  # row 0 of a row's samples is the row itself
    explainer = tabular(table)
    got = explainer.explain_many(
        rows, model, errors="collect", rows_per_call=3, random_state=0, num_samples=200
    )
    reference = explainer.explain_many(rows, table_model, random_state=0, num_samples=200)
    assert len(got) == 6
    for i, result in enumerate(got):
        if i in (1, 4):
            assert isinstance(result, RowFailure) and not result
            assert result.index == i and result.error_type == "ValueError"
            assert "cannot score" in result.message and f"row {i} failed" in str(result)
            with pytest.raises(ValueError, match="cannot score"):
                result.reraise()
        else:
            assert_same(result, reference[i])
            assert result.classifier_fn is model


def test_collect_from_worker_processes(table):
    rows = table[:4]
    got = tabular(table).explain_many(
        rows, RaisesOn([rows[2, 0]]), errors="collect", n_jobs=2, rows_per_call=1,
        num_samples=200,
    )  # fmt: skip
    assert [bool(r) for r in got] == [True, True, False, True]
    assert got[2].index == 2 and "Traceback" in got[2].traceback


def test_raise_names_the_row(table):
    rows = table[:4]
    with pytest.raises(ValueError, match="cannot score") as info:
        tabular(table).explain_many(rows, RaisesOn([rows[2, 0]]), rows_per_call=1, num_samples=200)
    if sys.version_info >= (3, 11):
        assert any("row" in note and "2" in note for note in info.value.__notes__)


def test_a_bad_argument_fails_every_row_clearly(table):
    with pytest.raises(ValueError, match="num_samples"):
        tabular(table).explain_many(table[:3], table_model, num_samples=0)
    got = tabular(table).explain_many(table[:2], table_model, num_samples=0, errors="collect")
    assert all(isinstance(r, RowFailure) and "num_samples" in r.message for r in got)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(errors="ignore"), ValueError, "errors"),
        (dict(rows_per_call=0), ValueError, "rows_per_call"),
        (dict(rows_per_call=True), TypeError, "rows_per_call"),
        (dict(n_jobs="2"), TypeError, "n_jobs"),
        (dict(random_state="later"), TypeError, "random_state"),
        (dict(random_state=-1), ValueError, "random_state"),
    ],
)
def test_bad_arguments(table, kwargs, error, match):
    with pytest.raises(error, match=match):
        tabular(table).explain_many(table[:2], table_model, **kwargs)


def test_bad_instances_and_model(table):
    with pytest.raises(TypeError, match="instances"):
        LimeTextExplainer().explain_many("one document", text_model)
    with pytest.raises(TypeError, match="classifier_fn"):
        tabular(table).explain_many(table[:2], "model")


def test_a_backend_that_loses_rows_is_an_error(table, monkeypatch):
    real = joblib.Parallel

    class LosesTheLastTask(real):
        def __call__(self, iterable):
            return list(super().__call__(list(iterable)[:-1]))

    monkeypatch.setattr(joblib, "Parallel", LosesTheLastTask)
    with pytest.raises(RuntimeError, match="lost 2 of 6 rows"):
        tabular(table).explain_many(table[:6], table_model, rows_per_call=2, num_samples=100)


def test_a_killed_loky_worker_is_a_clear_error(table, tmp_path):
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    model = KillsItsWorkerOnce(str(tmp_path / "killed"), os.getpid())
    with pytest.raises(TerminatedWorkerError):
        tabular(table).explain_many(table[:4], model, n_jobs=2, rows_per_call=1, num_samples=100)


# ------------------------------------------------------------------ submodular pick
def test_submodular_pick_default_is_unchanged(table):
    """n_jobs=None gives what the former loop of explain_instance calls gave (same seed)."""
    from limewidgets.engine.submodular_pick import _pick_rng, greedy_pick, importance_matrix

    pick = SubmodularPick(
        tabular(table, 3), table, table_model, sample_size=8, num_exps_desired=3,
        num_features=3, num_samples=300,
    )  # fmt: skip
    loop_explainer = tabular(table, 3)
    indices = _pick_rng(None, loop_explainer).permutation(len(table))[:8]
    loop = [
        loop_explainer.explain_instance(table[i], table_model, num_features=3, top_labels=1,
                                        num_samples=300)
        for i in indices
    ]  # fmt: skip
    for a, b in zip(pick.explanations, loop, strict=True):
        assert_same(a, b)
    features, weights = importance_matrix(loop)
    assert pick.features == features
    np.testing.assert_array_equal(pick.W, weights)
    assert pick.V == greedy_pick(weights != 0, np.sqrt(np.abs(weights).sum(axis=0)), 3)


def test_submodular_pick_same_for_every_n_jobs(table):
    picks = [
        SubmodularPick(
            tabular(table, 3),
            table,
            table_model,
            sample_size=6,
            num_exps_desired=2,
            num_features=3,
            num_samples=200,
            n_jobs=n_jobs,
        )  # fmt: skip
        for n_jobs in (1, 2)
    ]
    assert picks[0].V == picks[1].V
    np.testing.assert_array_equal(picks[0].W, picks[1].W)


# ------------------------------------------------------------------ distributed backends
def _dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(2, timeout=120)
    return cluster, client


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results(table, tmp_path):
    explainer = tabular(table)
    rows = table[:8]
    reference = explainer.explain_many(rows, table_model, random_state=6, num_samples=300)
    cluster, client = _dask_client()
    try:
        with joblib.parallel_config(backend="dask"):
            got = explainer.explain_many(
                rows, table_model, random_state=6, rows_per_call=2, num_samples=300
            )
        for a, b in zip(reference, got, strict=True):
            assert_same(a, b)
        assert got[0].classifier_fn is table_model

        # A worker killed mid-run: its task runs again elsewhere and no row is lost.
        model = KillsItsWorkerOnce(str(tmp_path / "killed"), os.getpid())
        with joblib.parallel_config(backend="dask"):
            survived = explainer.explain_many(
                rows, model, random_state=6, rows_per_call=1, num_samples=300
            )
        assert (tmp_path / "killed").exists()  # a worker really was killed
        assert len(survived) == len(rows)
        for a, b in zip(reference, survived, strict=True):
            assert_same(a, b)
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_ray_gives_the_same_results(table):
    ray = pytest.importorskip("ray", reason="ray does not install on this platform")
    from ray.util.joblib import register_ray

    explainer = tabular(table)
    rows = table[:4]
    reference = explainer.explain_many(rows, table_model, random_state=6, num_samples=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        except Exception as err:  # seen on an overloaded machine: the raylet times out
            ray.shutdown()
            pytest.skip(f"ray is installed but its local node did not start: {err}")
    try:
        register_ray()
        with joblib.parallel_config(backend="ray", n_jobs=2):
            got = explainer.explain_many(
                rows, table_model, random_state=6, rows_per_call=1, num_samples=200
            )
        for a, b in zip(reference, got, strict=True):
            assert_same(a, b)
    finally:
        ray.shutdown()


def test_reseeded_copy_leaves_the_explainer_alone(table):
    explainer = tabular(table, 1)
    before = explainer.random_state.get_state()[1].copy()
    copy = many.reseeded(explainer, 5)
    assert copy.random_state is copy.base.random_state is copy.discretizer.random_state
    assert explainer.base.random_state is explainer.random_state
    np.testing.assert_array_equal(explainer.random_state.get_state()[1], before)


def test_samples_are_dropped_unless_asked_for(table):
    explainer = tabular(table)
    dropped = explainer.explain_many(table[:2], table_model, num_samples=100)
    kept = explainer.explain_many(table[:2], table_model, num_samples=100, keep_samples=True)
    assert all(e.query_cache is None for e in dropped)
    assert all(e.query_cache is not None for e in kept)
    assert explainer.explain_instance(table[0], table_model, num_samples=100).query_cache


def test_wide_designs_are_identical_whatever_the_process_and_its_blas_threads():
    # 30 binned features, 4000 samples: products large enough for a multi-threaded BLAS to split
    # them (and round their sums) differently from one thread; the driver runs BLAS on two
    # threads here, loky's workers on one, joblib's threading backend on the caller's setting.
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    data = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target).predict_proba
    explainer = LimeTabularExplainer(data.data, random_state=0)
    rows = data.data[:3]
    options = dict(num_samples=4000, progress_bar=False, random_state=7)
    with threadpool_limits(limits=2, user_api="blas"):
        sequential = explainer.explain_many(rows, model, n_jobs=1, **options)
        in_processes = explainer.explain_many(rows, model, n_jobs=2, rows_per_call=1, **options)
        with joblib.parallel_config(backend="threading"):
            in_threads = explainer.explain_many(rows, model, n_jobs=2, rows_per_call=1, **options)
        alone = [
            LimeTabularExplainer(data.data, random_state=seed).explain_instance(
                row, model, num_samples=4000
            )
            for seed, row in zip(row_seeds(7, 3), rows, strict=True)
        ]
    for runs in zip(sequential, in_processes, in_threads, alone, strict=True):
        for other in runs[1:]:
            assert_same(runs[0], other)
            assert other.weight_std == runs[0].weight_std


# ------------------------------------------------------------------ model calls in local order
def test_local_order_sorts_by_buckets_of_the_columns_given():
    from limewidgets.engine._locality import _local_order

    rng = np.random.RandomState(0)
    # Shares 10/30/30/30 %: the quartiles fall on the values 1, 2, 3, one bucket per value.
    batch = rng.choice(4, p=[0.1, 0.3, 0.3, 0.3], size=(4000, 3)).astype(float)
    batch[:, 2] = rng.normal(size=4000)
    order = _local_order(batch, (1, 0))
    assert sorted(order.tolist()) == list(range(4000))
    ordered = batch[order]
    key = ordered[:, 1] * 4 + ordered[:, 0]  # column 1 first, then column 0
    assert np.all(np.diff(key) >= 0)
    # Stable: rows with the same buckets keep their order.
    assert all(np.all(np.diff(order[key == k]) > 0) for k in np.unique(key))
    assert _local_order(batch[:100], (1, 0)) is None  # too small to be worth it
    assert _local_order(batch, (5,)) is None  # a column the batch does not have
    assert _local_order(batch, None) is None
    assert _local_order(batch.astype(object), (0,)) is None


def test_column_order_hint_ranks_by_total_weight():
    from limewidgets.engine._locality import ColumnOrderHint

    class Stub:
        def __init__(self, local_exp):
            self.local_exp = local_exp

    hint = ColumnOrderHint()
    assert hint.columns() is None
    hint.update([Stub({1: [(3, -2.0), (0, 1.0)]}), RowFailure(1, ValueError("x")), None])
    hint.update([Stub({0: [(0, 1.5), (2, 0.1)], 1: [(4, 0.0)]})])
    assert hint.columns() == (0, 3, 2)


@pytest.mark.parametrize("keep_sorting", [True, False])
def test_later_calls_are_sorted_and_the_explanations_unchanged(table, monkeypatch, keep_sorting):
    """Rows explained after the first are sent to the model sorted; outputs go back in place.

    The first sorted call is always tried; whether sorting goes on depends on measured times
    (forced here both ways).
    """
    from limewidgets.engine import _locality

    monkeypatch.setattr(_locality, "_KEEP_SORTING_BELOW", np.inf if keep_sorting else -1.0)
    rows = table[:4]
    seen: list[np.ndarray] = []

    def recording(x):
        seen.append(x.copy())
        return table_model(x)

    got = tabular(table).explain_many(
        rows, recording, random_state=3, rows_per_call=1, num_samples=2500, progress_bar=False
    )
    sent = list(seen)
    for i, (row, seed) in enumerate(zip(rows, row_seeds(3, len(rows)), strict=True)):
        seen.clear()
        expected = tabular(table, seed).explain_instance(row, recording, num_samples=2500)
        assert_same(got[i], expected)
        (own_order,) = seen
        # The same samples; in the explanation's order for the first row, and once sorting
        # stopped paying.
        assert sorted(map(tuple, sent[i])) == sorted(map(tuple, own_order))
        sorted_call = i == 1 or (i > 1 and keep_sorting)
        assert np.array_equal(sent[i], own_order) != sorted_call


def test_sorting_stops_once_it_does_not_pay():
    from limewidgets.engine._locality import CallTimes, ColumnOrderHint

    class Stub:
        local_exp = {1: [(2, 1.0)]}

    hint = ColumnOrderHint()
    hint.update([Stub()], CallTimes(plain_samples=1000, plain_seconds=1.0))
    assert hint.columns() == (2,)  # not tried yet: try it
    hint.update([], CallTimes(sorted_samples=1000, sorted_seconds=0.5))
    assert hint.columns() == (2,)  # half the time: go on
    hint.update([], CallTimes(sorted_samples=1000, sorted_seconds=2.0))
    assert hint.columns() is None  # 1.25 s per 1000 sorted against 1.0 unsorted: stop
