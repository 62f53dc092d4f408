"""Drop-in compatibility of the image explainer and segmentation wrappers with lime 0.2.0.1."""

import inspect
import unittest

import numpy as np
import pytest
from skimage.data import chelsea
from skimage.segmentation import mark_boundaries, quickshift

from limewidgets.lime import lime_image
from limewidgets.lime.wrappers import scikit_image

lime_image_original = pytest.importorskip("lime.lime_image")
lime_wrappers = pytest.importorskip("lime.wrappers.scikit_image")

SIZE = 96


def params(fn):
    return list(inspect.signature(fn).parameters.values())


def assert_lime_signature(ours, theirs, extra_keyword_only=()):
    """Same positional parameters, names and defaults; additions only keyword-only."""
    lime_params = params(theirs)
    our_params = params(ours)
    assert [(p.name, p.default, p.kind) for p in our_params[: len(lime_params)]] == [
        (p.name, p.default, p.kind) for p in lime_params
    ]
    extra = our_params[len(lime_params) :]
    assert [p.name for p in extra] == list(extra_keyword_only)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extra)


def test_signatures_match_lime():
    ours, theirs = lime_image.LimeImageExplainer, lime_image_original.LimeImageExplainer
    assert_lime_signature(ours.__init__, theirs.__init__)
    assert_lime_signature(
        ours.explain_instance,
        theirs.explain_instance,
        [
            "progress_bar",
            "sampler",
            "class_names",
            "max_samples",
            "stability_tol",
            "stability_k",
        ],
    )
    assert_lime_signature(ours.data_labels, theirs.data_labels, ["progress_bar", "sampler"])
    ours_exp, theirs_exp = lime_image.ImageExplanation, lime_image_original.ImageExplanation
    assert_lime_signature(
        ours_exp.__init__,
        theirs_exp.__init__,
        ["hide_color", "perturbation", "class_names", "random_state"],
    )
    assert_lime_signature(
        ours_exp.get_image_and_mask, theirs_exp.get_image_and_mask, ["display_image"]
    )
    for name in ("__init__", "_check_params", "set_params", "filter_params"):
        assert_lime_signature(
            getattr(scikit_image.BaseWrapper, name), getattr(lime_wrappers.BaseWrapper, name)
        )
    assert_lime_signature(
        scikit_image.SegmentationAlgorithm.__init__, lime_wrappers.SegmentationAlgorithm.__init__
    )


def test_default_progress_bar_is_on_like_lime():
    sig = inspect.signature(lime_image.LimeImageExplainer.explain_instance)
    assert sig.parameters["progress_bar"].default is True


def grid(image):
    rows = np.arange(image.shape[0])[:, None] * 4 // image.shape[0]
    cols = np.arange(image.shape[1])[None, :] * 4 // image.shape[1]
    return rows * 4 + cols


WEIGHTS = np.random.RandomState(1).randn(3, 3)


def colour_model(images):
    """A softmax over per-channel means plus a top-left brightness term."""
    images = np.asarray(images, dtype=float)
    means = images.reshape(len(images), -1, images.shape[-1])[..., :3].mean(axis=1) / 255.0
    corner = images[:, : SIZE // 2, : SIZE // 2, :3].mean(axis=(1, 2, 3)) / 255.0
    z = means @ WEIGHTS + corner[:, None] * np.array([3.0, 0.0, -3.0])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("hide_color", [None, 0, (10, 200, 30)])
@pytest.mark.parametrize("num_features", [100000, 5])
def test_same_seed_gives_lime_s_explanation(hide_color, num_features):
    # With ids 0..n-1 (where lime is correct) and the same seed, the masks, the model outputs
    # and the surrogates are lime's.
    image = chelsea()[:SIZE, :SIZE]
    kwargs = dict(
        hide_color=hide_color, segmentation_fn=grid, num_samples=300, num_features=num_features
    )
    theirs = lime_image_original.LimeImageExplainer(random_state=3).explain_instance(
        image, colour_model, **kwargs
    )
    ours = lime_image.LimeImageExplainer(random_state=3).explain_instance(
        image, colour_model, progress_bar=False, **kwargs
    )
    assert ours.top_labels == [int(x) for x in theirs.top_labels]
    for label in theirs.top_labels:
        assert [f for f, _ in ours.local_exp[label]] == [f for f, _ in theirs.local_exp[label]]
        np.testing.assert_allclose(
            [w for _, w in ours.local_exp[label]],
            [w for _, w in theirs.local_exp[label]],
            rtol=1e-6,
            atol=1e-12,
        )
        assert ours.intercept[label] == pytest.approx(theirs.intercept[label], rel=1e-6)
        for options in (
            dict(),
            dict(positive_only=False),
            dict(positive_only=False, hide_rest=True, num_features=10),
            dict(positive_only=False, negative_only=True, hide_rest=True, min_weight=1e-3),
        ):
            our_temp, our_mask = ours.get_image_and_mask(label, **options)
            lime_temp, lime_mask = theirs.get_image_and_mask(label, **options)
            assert our_temp.dtype == lime_temp.dtype and our_mask.dtype == lime_mask.dtype
            np.testing.assert_array_equal(our_temp, lime_temp)
            np.testing.assert_array_equal(our_mask, lime_mask)
    # lime kept only the last fitted label's score: it fits in increasing probability order.
    last = theirs.top_labels[0]
    assert ours.score[last] == pytest.approx(theirs.score, rel=1e-6)
    np.testing.assert_allclose(ours.local_pred[last], theirs.local_pred, rtol=1e-6)


def test_data_labels_draws_lime_s_masks():
    image = chelsea()[:SIZE, :SIZE]
    segments = grid(image)
    fudged = np.zeros_like(image)
    theirs = lime_image_original.LimeImageExplainer(random_state=9).data_labels(
        image, fudged, segments, colour_model, 50, batch_size=7
    )
    ours = lime_image.LimeImageExplainer(random_state=9).data_labels(
        image, fudged, segments, colour_model, 50, batch_size=7, progress_bar=False
    )
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


def test_lime_style_script_runs():
    image = chelsea()[100:196, 150:246]

    def predict(images):
        return colour_model(images)

    explainer = lime_image.LimeImageExplainer(random_state=0)
    explanation = explainer.explain_instance(
        image, predict, top_labels=5, hide_color=0, num_samples=200, progress_bar=False
    )
    temp, mask = explanation.get_image_and_mask(
        explanation.top_labels[0], positive_only=True, num_features=5, hide_rest=False
    )
    marked = mark_boundaries(temp / 255.0, mask)
    assert marked.shape == image.shape and marked.dtype == np.float64
    assert 0.0 <= marked.min() and marked.max() <= 1.0
    assert set(np.unique(mask)) <= {0, 1}
    assert explanation.top_labels == list(np.argsort(predict(image[None])[0])[::-1][:3])
    segmenter = scikit_image.SegmentationAlgorithm(
        "quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=0
    )
    explanation = explainer.explain_instance(
        image, predict, segmentation_fn=segmenter, num_samples=50, progress_bar=False
    )
    np.testing.assert_array_equal(explanation.segments, segmenter(image))


def test_lime_own_scikit_image_tests_pass_on_our_wrappers(monkeypatch):
    module = pytest.importorskip("lime.tests.test_scikit_image")
    monkeypatch.setattr(module, "BaseWrapper", scikit_image.BaseWrapper)
    monkeypatch.setattr(module, "SegmentationAlgorithm", scikit_image.SegmentationAlgorithm)

    def quickshift_with_lime_seed_name(image, random_seed=42, **kwargs):
        # scikit-image renamed quickshift's seed; lime's test still uses the old name.
        return quickshift(image, rng=random_seed, **kwargs)

    monkeypatch.setattr(module, "quickshift", quickshift_with_lime_seed_name)
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromTestCase(module.TestBaseWrapper))
    suite.addTests(loader.loadTestsFromTestCase(module.TestSegmentationAlgorithm))
    result = unittest.TextTestRunner(verbosity=0).run(suite)
    assert result.testsRun == 7
    assert result.wasSuccessful(), result.failures + result.errors
