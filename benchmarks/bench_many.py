"""Explaining many rows: lime's loop vs ``explain_many``, side by side in one process.

Cases (issue 8):

- **tabular**: 500 rows of scikit-learn's breast-cancer table (569 x 30), 5000 samples each, a
  random forest (100 trees, ``n_jobs=1``); lime's and limewidgets' defaults otherwise;
- **image**: 50 photos (48 x 48 crops of ``skimage.data`` pictures), 1000 samples each, a small
  numpy CNN (3 x 3 convolution with 8 filters, ReLU, 4 x 4 average pooling, a dense softmax
  layer), both explainers given the same SLIC segmentation function and ``top_labels=1``.

Methods, all timed as wall time with the model included:

- ``lime loop``: ``[explainer.explain_instance(row, model) for row in rows]`` with lime 0.2.0.1
  (its defaults: one model call per ``batch_size`` samples of one row; images ``batch_size=10``);
- ``explain_many n_jobs=1``: in this process, the samples of several rows sharing each model
  call (``rows_per_call='auto'``: about 50 000 samples per call; images ``batch_size=10``, as
  lime's loop: this numpy CNN is cache-bound, 0.35 s per 1000 images in calls of 10 against 1.1 s
  in calls of 250, so the image rows share nothing but the process);
- ``explain_many n_jobs=2``: the same on joblib's default (loky) process pool;
- these use ``sampler='lime'``: the same estimator as lime's loop, so the same explanations in
  distribution. ``explain_many n_jobs=1, efficient`` is the top-level default
  (``sampler='efficient'``, better answers for the same queries, :mod:`bench_efficiency`): it
  spends more time around the model (free samples, control variate);
- ``explain_many dask``: ``with joblib.parallel_config(backend="dask")`` on a
  ``dask.distributed.LocalCluster`` of 2 single-threaded worker processes, started before each
  timed run and closed after it (its start-up and a small warm-up run on it, 4 rows, are not
  counted: loky's reused workers are warm by the time they are timed; shipping the model to the
  workers is). The cluster lives only around this method: an idle cluster's scheduler and workers
  (heartbeats, monitoring) would take CPU from the other methods on a 2-core machine.

The methods are run interleaved (lime, ours, ours, ..., lime, ours, ...) ``--repeat`` times and
the best wall time of each is kept: the machine is shared, and alternating exposes every method
to the same load. For the two in-process methods the CPU time of the process is reported too:
when other processes load the machine, wall time mostly measures them, while the CPU ratio is
what the wall ratio is on an idle machine. The load average is printed before and after. Reported: wall times, ratios to lime's loop, rows per second, and how the time
grows with the number of rows (100 / 500 / 2000 tabular rows; the 2000-row point of lime's loop
only with ``--full``). The scaling figure is written to ``--figure``.

Run ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_many.py`` (about 15
minutes on 2 cores; ``--quick`` for a small smoke run; ``--cases --shipping-ab 5`` for only the
comparison of shipping the explainer and model once per run against once per task).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import TimedModel  # noqa: E402

TABULAR_SAMPLES = 5000
IMAGE_SAMPLES = 1000
IMAGE_SIDE = 48
IMAGE_BATCH = 10


# ------------------------------------------------------------------ cases
def tabular_case(n_rows: int, seed: int = 0):
    """Breast-cancer training data, a fitted random forest and ``n_rows`` rows to explain."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    data = load_breast_cancer()
    forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    forest.fit(data.data, data.target)
    rng = np.random.RandomState(seed)
    # The table has 569 rows: more rows than that repeat rows (each explained afresh).
    index = rng.permutation(len(data.data))
    index = np.resize(index, n_rows)
    return data.data, list(data.feature_names), forest, data.data[index]


class SmallCNN:
    """A fixed-weight numpy CNN: conv 3x3x8 + ReLU, 4x4 average pooling, dense softmax."""

    def __init__(self, n_classes: int = 5, seed: int = 0) -> None:
        rng = np.random.RandomState(seed)
        self.kernels = rng.normal(scale=0.2, size=(27, 8))
        pooled = ((IMAGE_SIDE - 2) // 4) ** 2 * 8
        self.dense = rng.normal(scale=1.0 / np.sqrt(pooled), size=(pooled, n_classes))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        x = np.asarray(images, dtype=np.float64) / 255.0 - 0.5
        n = x.shape[0]
        windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
        side = x.shape[1] - 2
        columns = windows.reshape(n * side * side, 27)
        maps = np.maximum(columns @ self.kernels, 0.0).reshape(n, side, side, 8)
        cells = side // 4
        pooled = maps[:, : cells * 4, : cells * 4].reshape(n, cells, 4, cells, 4, 8).mean((2, 4))
        logits = pooled.reshape(n, -1) @ self.dense * 8.0
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def segment(image: np.ndarray) -> np.ndarray:
    """The segmentation both explainers use (SLIC, about 25 superpixels)."""
    from skimage.segmentation import slic

    return slic(image, n_segments=25, compactness=10, start_label=1)


def image_case(n_images: int, seed: int = 0) -> np.ndarray:
    """``n_images`` 48 x 48 crops of skimage's sample photos."""
    from skimage import data
    from skimage.transform import resize

    photos = [
        data.astronaut(),
        data.chelsea(),
        data.coffee(),
        data.rocket(),
        data.hubble_deep_field(),
    ]
    rng = np.random.RandomState(seed)
    images = []
    for i in range(n_images):
        photo = photos[i % len(photos)]
        side = rng.randint(96, min(photo.shape[:2]))
        top = rng.randint(0, photo.shape[0] - side + 1)
        left = rng.randint(0, photo.shape[1] - side + 1)
        crop = photo[top : top + side, left : left + side]
        small = resize(crop, (IMAGE_SIDE, IMAGE_SIDE), anti_aliasing=True)
        images.append((small * 255).astype(np.uint8))
    return np.stack(images)


# ------------------------------------------------------------------ methods
@contextlib.contextmanager
def quiet():
    """Silence lime's progress bars and warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(io.StringIO()):
            yield


def tabular_methods(training, names, model, rows, backends) -> dict[str, Callable[[], Any]]:
    from lime.lime_tabular import LimeTabularExplainer as LimeExplainer

    from limewidgets import LimeTabularExplainer

    def lime_loop():
        explainer = LimeExplainer(training, feature_names=names, random_state=0)
        return [explainer.explain_instance(row, model, num_samples=TABULAR_SAMPLES) for row in rows]

    def ours(n_jobs=None, backend=None, sampler="lime", some_rows=None, num_samples=None):
        def run():
            explainer = LimeTabularExplainer(training, feature_names=names, random_state=0)
            with backend_context(backend):
                return explainer.explain_many(
                    rows if some_rows is None else some_rows, model, n_jobs=n_jobs,
                    num_samples=num_samples or TABULAR_SAMPLES, progress_bar=False,
                    sampler=sampler,
                )  # fmt: skip

        return run

    methods = {
        "lime loop": lime_loop,
        "explain_many n_jobs=1": ours(1),
        "explain_many n_jobs=2": ours(2),
        "explain_many n_jobs=1, efficient": ours(1, sampler="efficient"),
    }
    if "dask" in backends:
        warm_up = ours(None, "dask", some_rows=rows[:4], num_samples=100)
        methods["explain_many dask"] = on_dask_cluster(ours(None, "dask"), warm_up)
    return methods


def image_methods(images, model, backends) -> dict[str, Callable[[], Any]]:
    from lime.lime_image import LimeImageExplainer as LimeExplainer

    from limewidgets import LimeImageExplainer

    def lime_loop():
        explainer = LimeExplainer(random_state=0)
        return [
            explainer.explain_instance(
                image, model, top_labels=1, num_samples=IMAGE_SAMPLES, segmentation_fn=segment
            )
            for image in images
        ]

    def ours(n_jobs=None, backend=None, sampler="lime", some_images=None, num_samples=None):
        def run():
            explainer = LimeImageExplainer(random_state=0)
            with backend_context(backend):
                return explainer.explain_many(
                    images if some_images is None else some_images, model, n_jobs=n_jobs,
                    top_labels=1, num_samples=num_samples or IMAGE_SAMPLES,
                    segmentation_fn=segment, batch_size=IMAGE_BATCH, progress_bar=False,
                    sampler=sampler,
                )  # fmt: skip

        return run

    methods = {
        "lime loop": lime_loop,
        "explain_many n_jobs=1": ours(1),
        "explain_many n_jobs=2": ours(2),
        "explain_many n_jobs=1, efficient": ours(1, sampler="efficient"),
    }
    if "dask" in backends:
        warm_up = ours(None, "dask", some_images=images[:4], num_samples=50)
        methods["explain_many dask"] = on_dask_cluster(ours(None, "dask"), warm_up)
    return methods


@contextlib.contextmanager
def dask_cluster(warm_up: Callable[[], Any]):
    """A ``LocalCluster`` of 2 single-threaded worker processes and its client, for one run.

    ``warm_up`` (a small run of the method) is run first: loky's reused workers have imported
    and run everything by the time they are timed, a fresh cluster's have not.
    """
    import dask
    from distributed import Client, LocalCluster

    # Dask's nannies set MALLOC_TRIM_THRESHOLD_ in their workers; setting it turns off glibc's
    # adaptive mmap threshold, so every large temporary array is a fresh mmap and its page
    # faults: the forest's predict ran 1.5x slower in such a worker than in this process.
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with quiet(), dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)
        client.wait_for_workers(2, timeout=120)
        warm_up()
    try:
        yield
    finally:
        with quiet():
            client.close()
            cluster.close()


def on_dask_cluster(run: Callable[[], Any], warm_up: Callable[[], Any]) -> Callable[[], Any]:
    """``run``, marked to be timed inside a fresh :func:`dask_cluster` (set up untimed)."""
    run.setup = functools.partial(dask_cluster, warm_up)  # type: ignore[attr-defined]
    return run


@contextlib.contextmanager
def backend_context(backend: str | None):
    if backend is None:
        yield
        return
    import joblib

    with joblib.parallel_config(backend=backend):
        yield


CPU_TIMES: dict[str, float] = {}


def cpu_seconds() -> float:
    """CPU time of this process (user + system), worker processes not included."""
    times = os.times()
    return times.user + times.system


def interleaved(
    methods: dict[str, Callable[[], Any]], repeat: int, cpu: dict[str, float] | None = None
) -> dict[str, float]:
    """Best wall time of each method over ``repeat`` interleaved rounds.

    ``cpu`` (if given) receives the best CPU time of this process per method: on a loaded
    machine it is a steadier measure of the in-process methods (lime's loop and ``n_jobs=1``)
    than wall time, which then mostly measures the other processes' load.
    """
    best = {name: float("inf") for name in methods}
    for _ in range(repeat):
        for name, run in methods.items():
            setup = getattr(run, "setup", contextlib.nullcontext)
            with setup(), quiet():
                start, start_cpu = time.perf_counter(), cpu_seconds()
                result = run()
                best[name] = min(best[name], time.perf_counter() - start)
                if cpu is not None:
                    cpu[name] = min(cpu.get(name, float("inf")), cpu_seconds() - start_cpu)
            del result
    return best


def model_share(run: Callable[[TimedModel], Any], model: Callable) -> tuple[float, float, int]:
    """(wall, seconds inside the model, model calls) of one in-process run."""
    timed = TimedModel(model)
    with quiet():
        start = time.perf_counter()
        run(timed)
        wall = time.perf_counter() - start
    return wall, timed.seconds, timed.calls


def shipping_ab(training, names, model, rows, rounds: int) -> dict[str, dict[str, float]]:
    """``n_jobs=2`` with the explainer and model shipped once per run vs once per task.

    The per-task variant replaces :class:`limewidgets.engine._shipping.ShippedOnce` by the bare
    objects, which joblib then pickles with every group of rows (what ``explain_many`` did
    before). Interleaved rounds; reported: best and median wall time, median CPU time of this
    process (the driver: loky pickles tasks and unpickles results in its threads).
    """
    from limewidgets import LimeTabularExplainer
    from limewidgets.engine import many

    shipped_once = many.ShippedOnce
    variants: dict[str, Any] = {
        "once per task": lambda value, name: value,
        "once per run": shipped_once,
    }
    explainer = LimeTabularExplainer(training, feature_names=names, random_state=0)
    kwargs = dict(n_jobs=2, num_samples=TABULAR_SAMPLES, progress_bar=False, sampler="lime")
    explainer.explain_many(rows[:40], model, **kwargs)  # start loky's workers
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    try:
        for _ in range(rounds):
            for name, wrapper in variants.items():
                many.ShippedOnce = wrapper
                wall, cpu = time.perf_counter(), time.process_time()
                explainer.explain_many(rows, model, **kwargs)
                samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    finally:
        many.ShippedOnce = shipped_once
    print(f"\nShipping the explainer and model, {len(rows)} rows, n_jobs=2, {rounds} rounds")
    print("| shipped | best wall (s) | median wall (s) | median driver CPU (s) |")
    print("|---|---:|---:|---:|")
    out = {}
    for name, values in samples.items():
        walls, cpus = np.array(values).T
        out[name] = {"best": float(walls.min()), "median": float(np.median(walls)),
                     "driver_cpu": float(np.median(cpus))}  # fmt: skip
        print(f"| {name} | {walls.min():.2f} | {np.median(walls):.2f} | {np.median(cpus):.2f} |")
    return out


# ------------------------------------------------------------------ report
def table(title: str, n_rows: int, times: dict[str, float], cpu: dict[str, float]) -> list[dict]:
    lime = times["lime loop"]
    rows = []
    print(f"\n{title}")
    print(
        "| method | wall (s) | wall ratio to lime's loop | rows/s | CPU of this process (s) "
        "| CPU ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds in times.items():
        ratio = seconds / lime
        in_process = name in (
            "lime loop",
            "explain_many n_jobs=1",
            "explain_many n_jobs=1, efficient",
        )
        cpu_s = cpu.get(name) if in_process else None
        cpu_ratio = cpu_s / cpu["lime loop"] if cpu_s is not None else None
        rows.append(
            {
                "method": name,
                "seconds": seconds,
                "ratio": ratio,
                "rows_per_s": n_rows / seconds,
                "cpu_seconds": cpu_s,
                "cpu_ratio": cpu_ratio,
            }
        )
        cpu_cells = f"{cpu_s:.2f} | {cpu_ratio:.3f}" if cpu_s is not None else "(in workers) | -"
        print(f"| {name} | {seconds:.2f} | {ratio:.3f} | {n_rows / seconds:.1f} | {cpu_cells} |")
    return rows


def scaling_figure(scaling: dict[str, dict[int, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in scaling.items():
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows explained (breast cancer, 5000 samples, random forest)")
    ax.set_ylabel("wall time (s), model included")
    ax.set_title("Explaining many rows: time vs rows (2 cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500, help="tabular rows of the main case")
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--scaling",
        type=int,
        nargs="*",
        default=[100, 500, 2000],
        help="row counts of the growth table and figure (none: skip both)",
    )
    parser.add_argument("--full", action="store_true", help="also lime's loop at 2000 rows")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument(
        "--cases", nargs="*", default=["tabular", "image"], choices=["tabular", "image"]
    )
    parser.add_argument(
        "--figure",
        type=Path,
        default=Path(__file__).resolve().parent.parent
        / "doc"
        / "images"
        / "bench_many_scaling.png",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--shipping-ab",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="also time n_jobs=2 with the explainer and model shipped once per run vs per task",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.images, args.repeat, args.scaling = 40, 6, 1, [20, 40]

    backends = set() if args.no_dask else {"dask"}
    if backends:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask.distributed is not installed: the Dask column is skipped")
            backends = set()

    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_before": os.getloadavg()}
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    if "tabular" in args.cases:
        run_tabular(args, backends, results)
    if "image" in args.cases:
        run_image(args, backends, results)
    if args.shipping_ab:
        training, names, forest, rows = tabular_case(args.rows)
        results["shipping"] = shipping_ab(
            training, names, forest.predict_proba, rows, args.shipping_ab
        )
    results["load_after"] = os.getloadavg()
    print(f"\nload average after: {os.getloadavg()[0]:.1f} (1 minute)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return results


def run_tabular(args: Any, backends: set, results: dict) -> None:
    training, names, forest, rows = tabular_case(max([args.rows, *args.scaling]))
    model = forest.predict_proba
    main_rows = rows[: args.rows]
    cpu: dict[str, float] = {}
    times = interleaved(
        tabular_methods(training, names, model, main_rows, backends), args.repeat, cpu
    )
    results["tabular"] = table(
        f"Tabular: {args.rows} breast-cancer rows x {TABULAR_SAMPLES} samples, random forest "
        f"(best of {args.repeat} interleaved rounds)",
        args.rows,
        times,
        cpu,
    )

    # Where the time goes, in this process.
    from lime.lime_tabular import LimeTabularExplainer as LimeExplainer

    from limewidgets import LimeTabularExplainer

    sub = main_rows[: min(100, args.rows)]
    lime_wall, lime_model, lime_calls = model_share(
        lambda m: [LimeExplainer(training, random_state=0).explain_instance(r, m, num_samples=TABULAR_SAMPLES) for r in sub],
        model,
    )  # fmt: skip
    ours_wall, ours_model, ours_calls = model_share(
        lambda m: LimeTabularExplainer(training, random_state=0).explain_many(
            sub, m, num_samples=TABULAR_SAMPLES, progress_bar=False, sampler="lime"
        ),
        model,
    )
    results["tabular_model_share"] = {
        "rows": len(sub),
        "lime": {"wall": lime_wall, "model": lime_model, "calls": lime_calls},
        "explain_many n_jobs=1": {"wall": ours_wall, "model": ours_model, "calls": ours_calls},
    }
    print(
        f"\nModel time on {len(sub)} rows, in process: lime's loop {lime_model:.2f} s of "
        f"{lime_wall:.2f} s in {lime_calls} calls; explain_many n_jobs=1 {ours_model:.2f} s "
        f"of {ours_wall:.2f} s in {ours_calls} calls"
    )

    if not args.scaling:  # ``--scaling`` with no sizes: no growth table, no figure
        return
    # Growth with the number of rows.
    scaling: dict[str, dict[int, float]] = {name: {} for name in times}
    for n in args.scaling:
        subset = rows[:n]
        methods = tabular_methods(training, names, model, subset, backends)
        if n == args.rows:
            point = dict(times)
        else:
            if n > 500 and not args.full:
                methods.pop("lime loop")
            point = interleaved(methods, 1)
        for name, seconds in point.items():
            scaling[name][n] = seconds
    results["tabular_scaling"] = {
        name: {str(k): v for k, v in pts.items()} for name, pts in scaling.items()
    }
    print("\nTabular: wall time (s) vs rows")
    print("| method | " + " | ".join(f"{n} rows" for n in args.scaling) + " |")
    print("|---|" + "---:|" * len(args.scaling))
    for name, pts in scaling.items():
        cells = [f"{pts[n]:.1f}" if n in pts else "-" for n in args.scaling]
        print(f"| {name} | " + " | ".join(cells) + " |")
    scaling_figure(scaling, args.figure)
    print(f"(figure: {args.figure})")


def run_image(args: Any, backends: set, results: dict) -> None:
    images = image_case(args.images)
    cnn = SmallCNN()
    cpu = {}
    times = interleaved(image_methods(images, cnn, backends), args.repeat, cpu)
    results["image"] = table(
        f"Image: {args.images} photos (48 x 48) x {IMAGE_SAMPLES} samples, numpy CNN "
        f"(best of {args.repeat} interleaved rounds)",
        args.images,
        times,
        cpu,
    )


if __name__ == "__main__":
    main()
