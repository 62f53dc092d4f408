"""The finishing step shared by the three explainers: lime's label ranking, one set of checks."""

from __future__ import annotations

import numpy as np
import pytest

lime_text = pytest.importorskip("lime.lime_text")
lime_tabular = pytest.importorskip("lime.lime_tabular")
lime_image = pytest.importorskip("lime.lime_image")

from limewidgets.engine._finish import rank_labels  # noqa: E402
from limewidgets.lime import lime_image as our_image  # noqa: E402
from limewidgets.lime import lime_tabular as our_tabular  # noqa: E402
from limewidgets.lime import lime_text as our_text  # noqa: E402

N_CLASSES = 24
# Many exactly tied classes: numpy's default argsort orders ties neither by index nor in
# reverse here, so a stable "ties by index" rule would pick other classes than lime.
TIED = np.full(N_CLASSES, 0.02)
TIED[[3, 17]] = [0.3, 0.24]
TIED /= TIED.sum()


def tied_model(inputs):
    return np.tile(TIED, (len(inputs), 1))


IMAGE = np.zeros((8, 8, 3), dtype=np.uint8)


def quarters(image):
    return (np.arange(8)[:, None] // 4) * 2 + np.arange(8)[None, :] // 4


def _explain(kind, module, top_labels=None, labels=(1,), **kwargs):
    if kind == "text":
        explainer = module.LimeTextExplainer(random_state=0, **kwargs)
        return explainer.explain_instance(
            "a b c d", tied_model, labels=labels, top_labels=top_labels, num_samples=30
        )
    if kind == "tabular":
        data = np.random.RandomState(0).normal(size=(50, 3))
        explainer = module.LimeTabularExplainer(data, random_state=0, **kwargs)
        return explainer.explain_instance(
            data[0], tied_model, labels=labels, top_labels=top_labels, num_samples=30
        )
    explainer = module.LimeImageExplainer(random_state=0)
    extra = {"progress_bar": False} if module is our_image else {}
    return explainer.explain_instance(
        IMAGE,
        tied_model,
        labels=labels,
        top_labels=top_labels,
        num_samples=30,
        segmentation_fn=quarters,
        **kwargs,
        **extra,
    )


MODULES = {
    "text": (lime_text, our_text),
    "tabular": (lime_tabular, our_tabular),
    "image": (lime_image, our_image),
}


@pytest.mark.parametrize("kind", MODULES)
@pytest.mark.parametrize("top_labels", [1, 2, 5, 9])
def test_top_labels_are_lime_s_with_ties(kind, top_labels):
    theirs_module, ours_module = MODULES[kind]
    theirs = _explain(kind, theirs_module, top_labels=top_labels)
    ours = _explain(kind, ours_module, top_labels=top_labels)
    assert ours.top_labels == [int(x) for x in theirs.top_labels]
    assert sorted(ours.local_exp) == sorted(int(x) for x in theirs.local_exp)
    assert ours.top_labels == rank_labels(TIED, top_labels)


@pytest.mark.parametrize("kind", MODULES)
def test_one_wording_for_a_label_out_of_range(kind):
    with pytest.raises(ValueError) as info:
        _explain(kind, MODULES[kind][1], labels=(1, N_CLASSES + 1))
    model = "predict_fn" if kind == "tabular" else "classifier_fn"
    assert str(info.value) == (
        f"labels must be class indices in [0, {N_CLASSES}) since {model} returned "
        f"{N_CLASSES} columns; got {N_CLASSES + 1}"
    )


@pytest.mark.parametrize("kind", ["text", "tabular"])
def test_one_wording_for_too_few_class_names(kind):
    with pytest.raises(ValueError) as info:
        _explain(kind, MODULES[kind][1], class_names=["a", "b"])
    model = "predict_fn" if kind == "tabular" else "classifier_fn"
    assert str(info.value) == (
        f"class_names must have one name per class: {model} returned {N_CLASSES} columns, "
        "class_names has 2"
    )


def test_image_class_names_are_checked_the_same_way():
    with pytest.raises(ValueError) as info:
        _explain("image", our_image, class_names=["a", "b"])
    assert str(info.value) == (
        f"class_names must have one name per class: classifier_fn returned {N_CLASSES} "
        "columns, class_names has 2"
    )
    with pytest.raises(TypeError, match="class_names must be a sequence of names"):
        _explain("image", our_image, class_names="ab")


def test_recurrent_explainer_forwards_to_its_parent():
    series = np.random.RandomState(1).normal(size=(40, 4, 2))

    def model(x):
        p = 1 / (1 + np.exp(-x[:, -1, 0]))
        return np.stack([1 - p, p], axis=1)

    recurrent = our_tabular.RecurrentTabularExplainer(series, random_state=0)
    exp = recurrent.explain_instance(series[0], model, num_samples=50, num_features=3)
    # The parent's keyword-only additions pass through the wrapper.
    again = our_tabular.RecurrentTabularExplainer(series, random_state=0).explain_instance(
        series[0], classifier_fn=model, num_samples=50, num_features=3, batch_size=7
    )
    assert exp.as_list() == again.as_list()
    with pytest.raises(ValueError, match=r"data_row must have shape \(4, 2\)"):
        recurrent.explain_instance(series[0].T, model)
    with pytest.raises(TypeError, match="classifier_fn must be callable"):
        recurrent.explain_instance(series[0], "not a model")
