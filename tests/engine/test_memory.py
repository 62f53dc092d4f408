"""Memory bounds of the text path: forward selection and document rendering.

Peaks are measured with ``tracemalloc`` (numpy reports its buffers to it) on documents small
enough for a test but large enough that the old code's features x features Gram matrix and its
per-sample copies of the document show: the bounds below sit between the two by a wide margin.
``benchmarks/bench_memory.py`` measures the 100k-word and 100k-token documents.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from limewidgets.engine.base import LimeBase, make_kernel_fn
from limewidgets.engine.text import IndexedString, LimeTextExplainer

MB = 2**20


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_forward_selection_never_builds_a_features_squared_matrix():
    rng = np.random.RandomState(0)
    n_samples, n_features = 200, 5000  # a Gram matrix would be 5000 x 5000 floats: 191 MiB
    x = rng.rand(n_samples, n_features) > 0.5
    y = 2.0 * x[:, 10] - 1.5 * x[:, 4000] + 0.1 * rng.normal(size=n_samples)
    w = rng.rand(n_samples)
    selected, peak = _peak(lambda: LimeBase(make_kernel_fn(None, 25)).forward_selection(x, y, w, 3))
    assert peak < 24 * MB  # the data as float64 is 7.6 MiB
    assert list(selected[:2]) == [10, 4000]


@pytest.mark.parametrize("as_type", [bool, float])
def test_forward_selection_reads_masks_and_floats_alike(as_type):
    rng = np.random.RandomState(1)
    x = (rng.rand(80, 12) > 0.5).astype(as_type)
    y = x[:, [2, 7]].astype(float) @ [1.0, -2.0] + 0.05 * rng.normal(size=80)
    base = LimeBase(make_kernel_fn(None, 25))
    assert list(base.forward_selection(x, y, np.ones(80), 2)) == [7, 2]


def test_many_distinct_words_stay_within_a_few_copies_of_the_masks():
    words = [f"w{i:05d}" for i in range(5000)]
    document = " ".join(np.random.RandomState(0).permutation(words))

    def model(docs):
        p = np.array([0.9 if " w00042 " in f" {d} " else 0.2 for d in docs])
        return np.stack([1 - p, p], axis=1)

    explainer = LimeTextExplainer(random_state=0)
    exp, peak = _peak(
        lambda: explainer.explain_instance(document, model, num_features=5, num_samples=200)
    )
    # The old forward selection alone asked for 191 MiB here.
    assert peak < 60 * MB
    assert exp.as_list()[0][0] == "w00042"


def test_rendering_a_long_document_holds_about_one_copy_per_sample():
    vocabulary = [f"v{i:03d}" for i in range(200)]
    tokens = np.random.RandomState(0).randint(0, 200, 20000)
    indexed = IndexedString(" ".join(vocabulary[i] for i in tokens))
    masks = np.random.RandomState(1).rand(400, indexed.num_words()) > 0.5
    docs, peak = _peak(lambda: indexed.strings_from_masks(masks))
    output = sum(len(d) for d in docs)  # ASCII: one byte per character
    # The old renderer held ~6 copies of every rendered document at once (> 200 MiB here).
    assert peak < output + 40 * MB
    assert docs[7] == indexed.inverse_removing(np.flatnonzero(~masks[7]))


def test_reading_uncertainty_of_many_distinct_words_is_bounded():
    # A features x features Gram matrix of 20k words is 3 GiB (80 GB at 100k words).
    words = [f"w{i:05d}" for i in range(20000)]
    document = " ".join(np.random.RandomState(2).permutation(words))

    def model(docs):
        p = np.array([0.9 if " w00042 " in f" {d} " else 0.2 for d in docs])
        return np.stack([1 - p, p], axis=1)

    explainer = LimeTextExplainer(random_state=0)
    exp = explainer.explain_instance(document, model, num_features=5, num_samples=200)
    (std, stability), peak = _peak(lambda: (exp.weight_std, exp.stability))
    assert peak < 160 * MB  # the centred samples as float64 are 31 MiB
    assert set(std[1]) == {f for f, _ in exp.local_exp[1]}
    assert all(np.isfinite(s) and s >= 0 for s in std[1].values())
    assert 0.0 <= stability[1] <= 1.0


def test_the_dual_ridge_of_wide_samples_is_the_primal_one():
    from limewidgets.engine.sample_uncertainty import SampleUncertainty

    rng = np.random.RandomState(3)
    n, d = 60, 300
    x = (rng.rand(n, d) > 0.5).astype(float)
    w = rng.rand(n)
    y = x[:, 5] - 2 * x[:, 200] + 0.1 * rng.normal(size=n)
    prepared = SampleUncertainty(x, w)
    yc = y - (w @ y) / w.sum()
    xc = x - (w @ x) / w.sum()
    gram = xc.T @ (xc * w[:, None])
    penalty = 0.01 + 1e-10 * (np.trace(gram) / d + 1.0)
    primal = np.linalg.solve(gram + penalty * np.eye(d), (xc * w[:, None]).T @ yc)
    np.testing.assert_allclose(prepared._full_ridge(yc, 0.01), primal, rtol=1e-6, atol=1e-9)
