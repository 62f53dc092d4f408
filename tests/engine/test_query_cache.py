"""The query cache: exact look-ups, no repeated model calls, LRU memory bound, explainers' samples."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from limewidgets.engine.query_cache import QueryCache
from limewidgets.engine.tabular import LimeTabularExplainer
from limewidgets.engine.text import LimeTextExplainer


class CountingModel:
    """Counts the rows it is asked for; output depends on every column."""

    def __init__(self, n_classes=3):
        self.rows = 0
        self.calls = 0
        self.n_classes = n_classes

    def __call__(self, batch):
        x = np.asarray(batch, dtype=float)
        self.rows += x.shape[0]
        self.calls += 1
        score = x @ np.linspace(0.1, 1.0, x.shape[1])
        logits = np.stack([score * (c + 1) / 7 for c in range(self.n_classes)], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def identity(rows):
    return np.asarray(rows, dtype=float)


def test_lookup_returns_exactly_what_was_stored_and_nothing_else():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 2, size=(500, 70))
    outputs = rng.random((500, 4))
    cache = QueryCache(70)
    cache.add(masks, outputs)
    assert len(cache) == len(np.unique(masks, axis=0))
    got, found = cache.lookup(masks[::-1])
    assert found.all()
    np.testing.assert_array_equal(got, outputs[::-1])
    others = 1 - masks[:50]  # complements: never stored
    got, found = cache.lookup(others)
    assert not found.any() and np.isnan(got).all()
    assert (cache.hits, cache.misses) == (500, 50)


def test_any_nonzero_value_is_a_kept_feature_and_rows_may_be_1d():
    cache = QueryCache(5)
    cache.add(np.array([[1, 0, 1, 0, 1]]), np.array([[0.25, 0.75]]))
    got, found = cache.lookup(np.array([2.0, 0.0, 1.0, 0.0, -1.0]))
    assert found.tolist() == [True] and got.tolist() == [[0.25, 0.75]]


def test_float_rows_are_keyed_by_value():
    cache = QueryCache(3, binary=False)
    cache.add(np.array([[1.5, -0.0, 2.0]]), np.array([7.0]))
    got, found = cache.lookup(np.array([[1.5, 0.0, 2.0], [1.5, 0.0, 2.0000001]]))
    assert found.tolist() == [True, False]
    assert got[0] == 7.0


def test_predict_sends_only_unseen_rows_each_once():
    model = CountingModel()
    cache = QueryCache(6)
    seen = np.array([[1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 0, 1]])
    cache.add(seen, model(seen))
    model.rows = model.calls = 0
    new = np.array([1, 0, 0, 0, 0, 0])
    rows = np.vstack([seen[1], new, seen[0], new])
    out, reused = cache.predict(model, identity, rows)
    assert reused == 2
    assert (model.calls, model.rows) == (1, 1)  # the new row once, though asked twice
    np.testing.assert_allclose(out, CountingModel()(rows))
    out, reused = cache.predict(model, identity, rows)
    assert reused == 4 and model.calls == 1  # now everything is known
    np.testing.assert_allclose(out, CountingModel()(rows))


def test_unseen_rows_reach_the_model_in_the_callers_order():
    batches = []

    def model(batch):
        batches.append(np.asarray(batch).copy())
        return np.column_stack([batch[:, 0], 1 - batch[:, 0]]).astype(float)

    rows = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 1, 1]])
    out, reused = QueryCache(3).predict(model, identity, rows)
    assert reused == 0
    np.testing.assert_array_equal(batches[0], rows[:3])
    np.testing.assert_array_equal(out[:, 0], rows[:, 0])


def test_memory_is_bounded_and_the_least_recently_used_rows_go_first():
    # 8 bytes of key (10 bits, one word) + 16 of output + 16 of index: 10 rows fit in 400.
    cache = QueryCache(10, max_bytes=400)
    rows = np.eye(10, dtype=int)
    outputs = np.column_stack([np.arange(10.0), -np.arange(10.0)])
    cache.add(rows[:8], outputs[:8])
    assert cache.capacity == 10 and len(cache) == 8
    cache.lookup(rows[:2])  # rows 0 and 1 are now the most recently used
    cache.add(rows[8:], outputs[8:])
    cache.add(np.ones((1, 10)), np.array([[5.0, 5.0]]))  # one over: the oldest (row 2) goes
    assert len(cache) == 10 and cache.nbytes <= cache.max_bytes
    _, found = cache.lookup(rows)
    assert found.tolist() == [True, True, False] + [True] * 7
    big = np.random.default_rng(1).integers(0, 2, size=(100, 10))
    cache.add(big, np.zeros((100, 2)))
    assert len(cache) == 10 and cache.nbytes <= cache.max_bytes


def test_a_model_with_another_output_shape_replaces_the_stored_answers():
    cache = QueryCache(3)
    cache.add(np.array([[1, 1, 1]]), np.array([[0.5, 0.5]]))
    model = CountingModel(n_classes=3)
    out, reused = cache.predict(model, identity, np.array([[1, 1, 1], [0, 1, 1]]))
    assert reused == 0 and out.shape == (2, 3) and model.rows == 2


def test_cache_pickles_and_checks_its_arguments():
    cache = QueryCache(4)
    cache.add(np.array([[1, 0, 0, 1]]), np.array([[0.1, 0.9]]))
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.lookup(np.array([[1, 0, 0, 1]]))[1].tolist() == [True]
    with pytest.raises(ValueError, match=r"rows must have shape \(n, 4\)"):
        cache.lookup(np.ones((2, 5)))
    with pytest.raises(ValueError, match="outputs must have one row per row"):
        cache.add(np.ones((2, 4)), np.ones((3, 2)))
    with pytest.raises(TypeError, match="binary must be True or False"):
        QueryCache(4, binary="yes")
    with pytest.raises(ValueError, match="n_features"):
        QueryCache(0)


def test_text_explanation_keeps_its_samples_and_answers_from_them():
    model = CountingModel(n_classes=2)

    def classifier(docs):
        counts = np.array([[len(d.split()), d.count("good")] for d in docs], dtype=float)
        return model(counts)

    explainer = LimeTextExplainer(random_state=0)
    doc = "a good film with good actors and a bad ending"
    exp = explainer.explain_instance(doc, classifier, num_samples=300)
    cache = exp.query_cache
    assert cache is not None and cache.binary and cache.n_features == exp.perturbation.n_features
    rows_before = model.rows
    mask = np.ones(cache.n_features)
    out, reused = cache.predict(classifier, exp.perturbation.make_instances, mask[None, :])
    assert reused == 1 and model.rows == rows_before  # the original is sample 0
    np.testing.assert_allclose(out[0], exp.predict_proba)
    assert cache.nbytes < 300 * (8 + 16 + 16) + 1


def test_tabular_explanation_keeps_raw_rows():
    iris = load_iris()
    clf = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    explainer = LimeTabularExplainer(iris.data, random_state=0)
    exp = explainer.explain_instance(iris.data[0], clf.predict_proba, num_samples=200)
    cache = exp.query_cache
    assert cache is not None and not cache.binary
    out, found = cache.lookup(exp.perturbation.initial_state())
    assert found.tolist() == [True]
    np.testing.assert_allclose(out[0], clf.predict_proba(iris.data[:1])[0])


def test_rows_gives_back_what_was_stored():
    masks = np.array([[1, 0, 1, 1, 0, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 1]])
    cache = QueryCache(9)
    cache.add(masks, np.zeros((2, 2)))
    np.testing.assert_array_equal(np.sort(cache.rows(), axis=0), np.sort(masks, axis=0))
    values = QueryCache(2, binary=False)
    values.add(np.array([[0.5, -3.0]]), np.array([1.0]))
    np.testing.assert_array_equal(values.rows(), [[0.5, -3.0]])
