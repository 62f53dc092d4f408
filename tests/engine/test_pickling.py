"""Every explainer and explanation pickles with the standard pickle (lime's did not)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.special

from limewidgets.engine._pickling import ModelNotPickledWarning
from limewidgets.engine.counterfactual import find_counterfactual
from limewidgets.engine.image import LimeImageExplainer
from limewidgets.engine.submodular_pick import SubmodularPick
from limewidgets.engine.tabular import LimeTabularExplainer, RecurrentTabularExplainer
from limewidgets.engine.text import LimeTextExplainer


def table_model(x):
    x = x.toarray() if sp.issparse(x) else np.asarray(x)
    p = scipy.special.expit(x[:, 0] - 2 * x[:, 2])
    return np.column_stack([1 - p, p])


def value_model(x):
    return np.asarray(x)[:, 0] - np.asarray(x)[:, 1]


def sequence_model(x):
    p = scipy.special.expit(x[:, -1, 0])
    return np.column_stack([1 - p, p])


def text_model(docs):
    p = np.array([0.8 if "good" in d else 0.3 for d in docs])
    return np.column_stack([1 - p, p])


def image_model(images):
    p = images[:, :8, :8].mean(axis=(1, 2, 3)) / 255.0
    return np.column_stack([1 - p, p])


TABLE = np.random.RandomState(0).normal(size=(120, 4))
LABELS = (TABLE[:, 0] > 0).astype(int)
IMAGE = np.random.RandomState(1).randint(0, 256, size=(24, 24, 3)).astype(np.uint8)
SEQUENCES = np.random.RandomState(2).normal(size=(50, 3, 2))


def roundtrip(obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelNotPickledWarning)
        return pickle.loads(pickle.dumps(obj))


CASES = {
    "tabular-quartile": lambda: (
        LimeTabularExplainer(TABLE, random_state=0), TABLE[0], table_model, {}
    ),
    "tabular-decile": lambda: (
        LimeTabularExplainer(TABLE, discretizer="decile", random_state=0), TABLE[0], table_model,
        {},
    ),
    "tabular-entropy": lambda: (
        LimeTabularExplainer(
            TABLE, discretizer="entropy", training_labels=LABELS, random_state=0
        ), TABLE[0], table_model, {},
    ),
    "tabular-continuous": lambda: (
        LimeTabularExplainer(TABLE, discretize_continuous=False, random_state=0), TABLE[0],
        table_model, {},
    ),
    "tabular-sparse": lambda: (
        LimeTabularExplainer(sp.csr_matrix(np.abs(TABLE)), random_state=0),
        sp.csr_matrix(np.abs(TABLE[:1])), table_model, {},
    ),
    "tabular-regression": lambda: (
        LimeTabularExplainer(TABLE, mode="regression", random_state=0), TABLE[0], value_model,
        {},
    ),
    "recurrent": lambda: (
        RecurrentTabularExplainer(SEQUENCES, random_state=0), SEQUENCES[0], sequence_model, {}
    ),
    "text": lambda: (
        LimeTextExplainer(random_state=0), "a good film, not bad", text_model, {}
    ),
    "text-chars": lambda: (
        LimeTextExplainer(char_level=True, random_state=0), "good", text_model, {}
    ),
    "image": lambda: (
        LimeImageExplainer(random_state=0), IMAGE, image_model,
        {"labels": (1,), "top_labels": None, "progress_bar": False},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_explainer_and_explanation_round_trip(case):
    explainer, instance, model, kwargs = CASES[case]()
    copy = roundtrip(explainer)
    # The copy has the same random state, so it explains exactly like the original.
    expected = explainer.explain_instance(instance, model, num_samples=200, **kwargs)
    again = copy.explain_instance(instance, model, num_samples=200, **kwargs)
    assert again.local_exp == expected.local_exp

    restored = roundtrip(expected)
    assert restored.local_exp == expected.local_exp
    assert restored.intercept == expected.intercept
    assert restored.as_html() == expected.as_html()
    assert restored.classifier_fn is model  # module-level functions pickle by reference
    for label in expected.local_exp:
        assert restored.as_list(label=label) == expected.as_list(label=label)
    # The perturbation still builds model inputs: the model can be re-queried.
    first = restored.perturbation.make_instances(restored.perturbation.initial_state()[None])
    np.testing.assert_allclose(np.asarray(model(first)).ravel(), np.asarray(model(first)).ravel())


def test_submodular_pick_pickles():
    explainer = LimeTabularExplainer(TABLE, random_state=0)
    pick = SubmodularPick(
        explainer, TABLE, table_model, sample_size=4, num_exps_desired=2, num_samples=100
    )
    restored = roundtrip(pick)
    assert restored.V == pick.V
    np.testing.assert_array_equal(restored.W, pick.W)


def test_unpicklable_model_is_left_out_with_a_warning():
    explainer = LimeTabularExplainer(TABLE, random_state=0)
    scale = 2.0
    explanation = explainer.explain_instance(
        TABLE[0], lambda x: table_model(x * scale), num_samples=200
    )
    with pytest.warns(ModelNotPickledWarning, match="classifier_fn .*cannot be pickled"):
        data = pickle.dumps(explanation)
    assert explanation.classifier_fn is not None  # the original keeps its model
    restored = pickle.loads(data)
    assert restored.classifier_fn is None
    assert restored.local_exp == explanation.local_exp
    assert restored.as_html() == explanation.as_html()
    # Re-querying needs the model again, with an error that says so.
    with pytest.raises(ValueError, match="classifier_fn"):
        find_counterfactual(restored, label=1)
    result = find_counterfactual(restored, label=1, classifier_fn=table_model, max_queries=50)
    assert result is not None


def test_a_list_sharing_one_unpicklable_model_pickles():
    explainer = LimeTabularExplainer(TABLE, random_state=0)
    model = lambda x: table_model(x)  # noqa: E731
    explanations = explainer.explain_many(TABLE[:3], model, num_samples=100, progress_bar=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = pickle.loads(pickle.dumps(explanations))
    assert any(issubclass(w.category, ModelNotPickledWarning) for w in caught)
    assert all(r.classifier_fn is None for r in restored)
    assert [r.local_exp for r in restored] == [e.local_exp for e in explanations]


def test_explainer_with_user_kernel_function_pickles():
    explainer = LimeTabularExplainer(TABLE, kernel=gaussian, random_state=0)
    copy = roundtrip(explainer)
    assert copy.base.kernel_fn.kernel is gaussian
    width = copy.base.kernel_fn.kernel_width
    np.testing.assert_allclose(
        copy.base.kernel_fn(np.array([0.0, 1.0])), [1.0, np.exp(-1 / width**2)]
    )


def gaussian(d, width):
    return np.exp(-(d**2) / width**2)
