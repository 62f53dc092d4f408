"""Boundary validation: messages name the argument, the expectation and what was received."""

import warnings

import numpy as np
import pytest

from limewidgets.engine._validation import (
    check_choice,
    check_labels_argument,
    check_model_output,
    check_positive_int,
    check_random_state,
)
from limewidgets.engine.batching import predict_in_batches


def test_model_output_shapes():
    out = check_model_output([[0.2, 0.8], [0.5, 0.5]], 2, "classification")
    assert out.shape == (2, 2) and out.dtype == float
    assert check_model_output([[1.5], [2.0]], 2, "regression").shape == (2,)
    with pytest.raises(ValueError, match=r"classifier_fn.*\(3, n_classes\).*got shape \(3,\)"):
        check_model_output([0, 1, 1], 3, "classification")
    with pytest.raises(ValueError, match=r"predict_fn.*shape \(2,\)"):
        check_model_output(np.ones((2, 3)), 2, "regression", name="predict_fn")
    with pytest.raises(ValueError, match="got shape"):
        check_model_output(np.full((3, 2), 0.5), 2, "classification")


def test_model_output_values():
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_model_output([[np.nan, 1.0]], 1, "classification")
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*-2\.3"):
        check_model_output([[-2.3, 1.0]], 1, "classification")
    with pytest.raises(TypeError, match="numeric array"):
        check_model_output([["a", "b"]], 1, "classification")
    with pytest.warns(UserWarning, match="do not sum to 1"):
        check_model_output([[0.3, 0.3]], 1, "classification")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_model_output([[0.3, 0.7]], 1, "classification")


def test_batches_are_bounded_and_consistent():
    sizes = []

    def model(batch):
        sizes.append(len(batch))
        p = np.asarray(batch, dtype=float)[:, None] / 10
        return np.c_[1 - p, p]

    out = predict_in_batches(model, lambda a, b: list(range(a, b)), 10, 4)
    assert sizes == [4, 4, 2]
    np.testing.assert_allclose(out[:, 1], np.arange(10) / 10)
    sizes.clear()
    predict_in_batches(model, lambda a, b: list(range(a, b)), 10, None)
    assert sizes == [10]


def test_batches_must_agree_on_columns():
    calls = iter([np.full((2, 2), 0.5), np.full((2, 3), 1 / 3)])
    with pytest.raises(ValueError, match="3 columns for one batch and 2"):
        predict_in_batches(lambda b: next(calls), lambda a, b: [0] * (b - a), 4, 2)


def test_small_checks():
    assert check_choice("metric", "a", ["a", "b"]) == "a"
    with pytest.raises(ValueError, match=r"metric must be one of \['a', 'b'\]; got 'c'"):
        check_choice("metric", "c", ["a", "b"])
    with pytest.raises(TypeError, match="num_samples"):
        check_positive_int("num_samples", 2.5)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1; got 0"):
        check_positive_int("num_samples", 0)
    assert check_labels_argument("labels", 3) == (3,)
    assert check_labels_argument("labels", np.array([0, 2])) == (0, 2)
    with pytest.raises(TypeError, match="labels"):
        check_labels_argument("labels", ["a"])
    rs = check_random_state(3)
    assert rs.randint(1000) == np.random.RandomState(3).randint(1000)
    assert isinstance(check_random_state(np.random.default_rng(0)), np.random.RandomState)
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("seed")


def test_an_explanation_method_looked_up_on_the_explainer_says_where_it_is():
    import copy
    import pickle

    from limewidgets.lime.lime_image import LimeImageExplainer
    from limewidgets.lime.lime_tabular import LimeTabularExplainer
    from limewidgets.lime.lime_text import LimeTextExplainer

    tabular = LimeTabularExplainer(np.arange(40.0).reshape(10, 4), random_state=0)
    for explainer in (LimeImageExplainer(), LimeTextExplainer(), tabular):
        name = type(explainer).__name__
        with pytest.raises(AttributeError, match=r"get_image_and_mask belongs to the explanation"):
            explainer.get_image_and_mask(0)
        with pytest.raises(AttributeError, match=rf"^'{name}' object has no attribute 'as_list': "):
            explainer.as_list()
        assert not hasattr(explainer, "show_in_notebook")
        # Any other missing attribute: Python's usual message, nothing more.
        with pytest.raises(AttributeError, match=rf"^'{name}' object has no attribute 'nope'$"):
            explainer.nope  # noqa: B018
    # The hook must not get in the way of copying and pickling.
    restored = pickle.loads(pickle.dumps(tabular))
    assert copy.deepcopy(tabular).feature_names == restored.feature_names == tabular.feature_names
