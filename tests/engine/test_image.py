"""The image engine: perturbation, explainer, explanation and its views."""

import numpy as np
import pytest
from skimage.data import astronaut, chelsea

from limewidgets.engine.explanation import LabelNotExplainedError
from limewidgets.engine.image import (
    ImageExplanation,
    ImagePerturbation,
    LimeImageExplainer,
    check_image,
    compact_segments,
    make_fudged_image,
)
from limewidgets.engine.perturbation import Perturbation

SIZE = 64
BLOCK = 16  # a 4 x 4 grid of 16-pixel blocks


def grid(ids=None):
    """A 4x4 block segmentation; ``ids`` renames the 16 blocks (row-major)."""
    rows = np.arange(SIZE)[:, None] // BLOCK
    cols = np.arange(SIZE)[None, :] // BLOCK
    positions = rows * 4 + cols
    if ids is None:
        return positions
    return np.asarray(ids)[positions]


TOP_LEFT = [0, 1, 4, 5]  # grid positions of the blocks in the top-left quadrant


def bright_image(dtype=np.uint8):
    rng = np.random.RandomState(0)
    image = rng.randint(120, 256, size=(SIZE, SIZE, 3)).astype(dtype)
    return image


def quadrant_model(images):
    """P(class 1) = mean brightness of the top-left quadrant; class 0 is the rest."""
    images = np.asarray(images, dtype=float)
    scale = 255.0 if images.max() > 1.0 else 1.0
    p = images[:, : SIZE // 2, : SIZE // 2, :3].mean(axis=(1, 2, 3)) / scale
    return np.stack([1.0 - p, p], axis=1)


class Recorder:
    """A model that records every batch it receives."""

    def __init__(self, fn=quadrant_model):
        self.fn = fn
        self.batches = []

    def __call__(self, images):
        self.batches.append(np.array(images))
        return self.fn(images)


def explain(image=None, segments=None, seed=0, **kwargs):
    image = bright_image() if image is None else image
    seg = grid() if segments is None else segments
    options = dict(
        labels=(1,),
        top_labels=None,
        hide_color=0,
        num_samples=300,
        segmentation_fn=lambda img: seg,
        progress_bar=False,
    )
    options.update(kwargs)
    model = options.pop("classifier_fn", quadrant_model)
    return LimeImageExplainer(random_state=seed).explain_instance(image, model, **options)


# --------------------------------------------------------------------------- ground truth
@pytest.mark.parametrize("ids", [None, list(range(1, 17)), list(range(10, 170, 10))])
@pytest.mark.parametrize("num_features", [100000, 4])  # highest_weights and forward_selection
def test_top_features_are_the_blocks_the_model_looks_at(ids, num_features):
    image = bright_image()
    exp = explain(image, grid(ids), num_features=num_features)
    features = exp.local_exp[1]
    # Feature ids are the segment ids themselves (lime's meaning), whatever the numbering.
    seg_ids = np.arange(16) if ids is None else np.asarray(ids)
    top_ids = sorted(int(seg_ids[p]) for p in TOP_LEFT)
    assert sorted(f for f, _ in features[:4]) == top_ids
    assert all(w > 0 for _, w in features[:4])
    # The model is linear in the masks: hiding block b (hide_color 0) lowers P(1) by its mean
    # brightness / 4. Ridge(alpha=1) shrinks the weights by a few per cent.
    expected = {int(seg_ids[p]): image[grid() == p].mean() / 255.0 / 4 for p in TOP_LEFT}
    for f, w in features[:4]:
        assert w == pytest.approx(expected[f], rel=0.06)
    assert all(abs(w) < 0.01 for _, w in features[4:])  # ridge leaks a little
    assert exp.score[1] > 0.99 and exp.fidelity[1] > 0.99
    names = [name for name, _ in exp.as_list(1)[:4]]
    assert sorted(names) == sorted(f"superpixel {f}" for f in top_ids)


def test_every_superpixel_is_hidden_in_some_sample_for_any_ids():
    # lime assumed ids 0..n-1: with slic-style ids 1..16 the last block was never hidden.
    ids = np.arange(1, 17)
    recorder = Recorder()
    image = bright_image()
    exp = explain(image, grid(ids), classifier_fn=recorder, hide_color=0, num_samples=60)
    images = np.concatenate(recorder.batches)
    assert images.shape == (60, SIZE, SIZE, 3) and images.dtype == np.uint8
    data_mask = grid() == 15
    hidden_counts = (images[:, data_mask] == 0).all(axis=(1, 2)).sum()
    assert 10 < hidden_counts < 50
    for p in range(16):
        region = grid() == p
        hidden = (images[:, region] == 0).all(axis=(1, 2))
        kept = (images[:, region] == image[region]).all(axis=(1, 2))
        assert hidden.any() and kept.any()
        assert np.all(hidden ^ kept)
    assert len(exp.local_exp[1]) == 16


def test_data_labels_masks_match_the_images_sent_to_the_model():
    ids = np.array([7, 3, 100, 42] * 4)  # repeated ids: 4 superpixels of 4 blocks each
    segments = grid(ids)
    image = bright_image()
    fudged = np.zeros_like(image)
    recorder = Recorder()
    explainer = LimeImageExplainer(random_state=1)
    data, labels = explainer.data_labels(
        image, fudged, segments, recorder, 40, batch_size=7, progress_bar=False
    )
    assert data.shape == (40, 4) and labels.shape == (40, 2)
    assert np.all(data[0] == 1) and set(np.unique(data)) == {0, 1}
    images = np.concatenate(recorder.batches)
    assert [len(b) for b in recorder.batches] == [7, 7, 7, 7, 7, 5]
    for column, segment_id in enumerate(sorted(set(ids))):
        region = segments == segment_id
        kept = (images[:, region] == image[region]).all(axis=(1, 2))
        np.testing.assert_array_equal(kept, data[:, column] == 1)
    np.testing.assert_allclose(labels, quadrant_model(images))


# ------------------------------------------------------------------------------ fudging
def naive_fudged(image, segments, hide_color):
    fudged = image.copy()
    if hide_color is None:
        for s in np.unique(segments):
            fudged[segments == s] = image[segments == s].mean(axis=0)
    else:
        fudged[:] = hide_color
    return fudged


@pytest.mark.parametrize("hide_color", [None, 0, 77, (10, 200, 30)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_fudged_image_for_each_hide_color(hide_color, dtype):
    image = chelsea()[:SIZE, :SIZE].astype(dtype)
    if dtype == np.float32:
        image = image / 255.0
        if hide_color is not None:
            hide_color = np.asarray(hide_color) / 255.0
    segments = grid(np.arange(16) * 3 + 5)
    fudged = make_fudged_image(image, segments, hide_color)
    assert fudged.dtype == image.dtype and fudged.shape == image.shape
    expected = naive_fudged(image, segments, hide_color)
    if dtype == np.uint8:
        np.testing.assert_array_equal(fudged, expected)
    else:
        np.testing.assert_allclose(fudged, expected, rtol=1e-5)  # float32 mean vs ours
    perturbation = ImagePerturbation(image, segments, hide_color)
    np.testing.assert_array_equal(perturbation.fudged_image, fudged)
    hidden = perturbation.make_instances(np.zeros((1, 16)))[0]
    np.testing.assert_array_equal(hidden, fudged)


def test_mean_colour_truncates_like_lime():
    image = np.zeros((2, 2, 3), np.uint8)
    image[0, 0] = (1, 2, 3)
    image[0, 1] = (2, 2, 2)
    fudged = make_fudged_image(image, np.array([[0, 0], [1, 1]]))
    np.testing.assert_array_equal(fudged[0, 0], [1, 2, 2])  # means 1.5, 2, 2.5 truncated
    np.testing.assert_array_equal(fudged[1, 1], [0, 0, 0])


def test_hide_color_on_rgba_and_bad_hide_colors():
    rgba = np.dstack([bright_image(), np.full((SIZE, SIZE), 200, np.uint8)])
    fudged = make_fudged_image(rgba, grid(), (1, 2, 3))
    np.testing.assert_array_equal(fudged[5, 5], [1, 2, 3, 200])
    np.testing.assert_array_equal(make_fudged_image(rgba, grid(), (1, 2, 3, 4))[0, 0], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"hide_color must lie in \[0, 255\]"):
        make_fudged_image(bright_image(), grid(), 300)
    with pytest.raises(ValueError, match="one per channel"):
        make_fudged_image(bright_image(), grid(), (1, 2))
    with pytest.raises(TypeError, match="hide_color"):
        make_fudged_image(bright_image(), grid(), "black")
    with pytest.raises(ValueError, match="finite"):
        make_fudged_image(bright_image() / 255.0, grid(), np.nan)


# ------------------------------------------------------------------------- perturbation
def naive_instances(image, fudged, segments, masks):
    ids = np.unique(segments)
    out = np.empty((len(masks),) + image.shape, image.dtype)
    for i, row in enumerate(masks):
        temp = image.copy()
        for j, keep in enumerate(row):
            if not keep:
                temp[segments == ids[j]] = fudged[segments == ids[j]]
        out[i] = temp
    return out


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64, np.float16, np.longdouble]
)
@pytest.mark.parametrize("channels", [3, 4])
def test_make_instances_matches_naive_reference(dtype, channels):
    rng = np.random.RandomState(3)
    height, width = 37, 53  # odd sizes
    image = (rng.rand(height, width, channels) * 200).astype(dtype)
    segments = rng.choice([-4, 0, 9, 1000, 31], size=(height, width))
    perturbation = ImagePerturbation(image, segments, hide_color=None)
    assert isinstance(perturbation, Perturbation)
    assert perturbation.n_features == 5
    np.testing.assert_array_equal(perturbation.segment_ids, [-4, 0, 9, 31, 1000])
    masks = rng.randint(0, 2, size=(9, 5))
    out = perturbation.make_instances(masks)
    assert out.dtype == image.dtype and out.shape == (9, height, width, channels)
    expected = naive_instances(image, perturbation.fudged_image, segments, masks)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(
        perturbation.make_instances(perturbation.initial_state())[0], image
    )


def test_make_instances_with_superpixels_spanning_rows():
    # Runs of equal superpixel along the flattened image cross row ends; ids are arbitrary.
    rng = np.random.RandomState(0)
    image = rng.randint(0, 256, size=(300, 260, 3)).astype(np.uint8)
    segments = (np.arange(300)[:, None] // 30) * 100 + np.arange(260)[None, :] // 26
    perturbation = ImagePerturbation(image, segments, hide_color=(1, 2, 3))
    masks = rng.randint(0, 2, size=(3, perturbation.n_features))
    expected = naive_instances(image, perturbation.fudged_image, segments, masks)
    np.testing.assert_array_equal(perturbation.make_instances(masks), expected)


def test_perturbation_protocol_and_helpers():
    perturbation = ImagePerturbation(bright_image(), grid(np.arange(16) + 1), 0)
    np.testing.assert_array_equal(perturbation.initial_state(), np.ones(16))
    rows = np.eye(16, dtype=int)[:3]
    np.testing.assert_array_equal(perturbation.to_interpretable(rows), rows)
    assert perturbation.to_interpretable(np.ones(16)).shape == (1, 16)
    assert perturbation.position_at(20, 40) == 6
    np.testing.assert_array_equal(perturbation.region([0, 15]), (grid() == 0) | (grid() == 15))
    with pytest.raises(ValueError, match=r"shape \(n, 16\)"):
        perturbation.make_instances(np.ones((2, 15)))
    with pytest.raises(ValueError, match=r"positions in \[0, 16\)"):
        perturbation.region([16])


def test_compact_segments_for_any_ids():
    for segments in (
        np.array([[5, 5, 9], [-3, 9, 5]]),
        np.array([[10**12, 7], [7, -(10**12)]]),  # huge range: np.unique path
        np.array([[2, 2], [2, 2]], dtype=np.uint8),
    ):
        ids, index = compact_segments(segments)
        np.testing.assert_array_equal(ids, np.unique(segments))
        np.testing.assert_array_equal(ids[index], segments)
        assert index.dtype == np.intp


# -------------------------------------------------------------------- image kinds & dtype
def test_grayscale_images_become_rgb():
    gray = bright_image()[:, :, 0]
    recorder = Recorder()
    exp = explain(gray, classifier_fn=recorder, num_samples=20)
    sent = recorder.batches[0]
    assert sent.shape[1:] == (SIZE, SIZE, 3) and sent.dtype == np.uint8
    np.testing.assert_array_equal(sent[0], np.stack([gray] * 3, axis=-1))
    assert exp.image.shape == (SIZE, SIZE, 3)
    np.testing.assert_array_equal(check_image(gray[:, :, None]), exp.image)


def test_rgba_images_reach_the_model_with_four_channels():
    rgba = np.dstack([bright_image(), np.full((SIZE, SIZE), 255, np.uint8)])
    recorder = Recorder()
    exp = explain(rgba, classifier_fn=recorder, num_samples=30, hide_color=None, sampler="lime")
    assert all(b.shape[1:] == (SIZE, SIZE, 4) for b in recorder.batches)
    np.testing.assert_array_equal(recorder.batches[0][0], rgba)
    assert sorted(f for f, _ in exp.local_exp[1][:4]) == TOP_LEFT


def test_float_images_stay_float():
    image = bright_image().astype(np.float32) / 255.0
    recorder = Recorder()
    exp = explain(image, classifier_fn=recorder, num_samples=200)
    assert recorder.batches[0].dtype == np.float32
    assert sorted(f for f, _ in exp.local_exp[1][:4]) == TOP_LEFT


def test_default_segmentation_is_seeded_quickshift():
    image = chelsea()[100:164, 200:264]
    a = LimeImageExplainer(random_state=5).explain_instance(
        image, quadrant_model, num_samples=20, progress_bar=False
    )
    b = LimeImageExplainer(random_state=5).explain_instance(
        image, quadrant_model, num_samples=20, progress_bar=False
    )
    np.testing.assert_array_equal(a.segments, b.segments)
    assert len(np.unique(a.segments)) > 1
    from skimage.segmentation import quickshift

    seeded = LimeImageExplainer(random_state=0).explain_instance(
        image, quadrant_model, num_samples=20, random_seed=11, progress_bar=False
    )
    np.testing.assert_array_equal(
        seeded.segments, quickshift(image, kernel_size=4, max_dist=200, ratio=0.2, rng=11)
    )


# ---------------------------------------------------------------------- reproducibility
def test_same_seed_same_explanation_and_different_seeds_differ():
    kwargs = dict(top_labels=2, num_samples=100, hide_color=None)
    a = explain(seed=7, **kwargs)
    b = explain(seed=7, **kwargs)
    c = explain(seed=8, **kwargs)
    assert a.local_exp == b.local_exp and a.intercept == b.intercept
    assert a.local_exp != c.local_exp
    explainer = LimeImageExplainer(random_state=7)
    options = dict(segmentation_fn=lambda img: grid(), progress_bar=False, num_samples=100)
    first = explainer.explain_instance(bright_image(), quadrant_model, **options)
    second = explainer.explain_instance(bright_image(), quadrant_model, **options)
    assert first.local_exp != second.local_exp  # one stream per explainer, like lime


def test_batch_size_does_not_change_the_result():
    results = []
    for batch_size in (1, 7, 10, 1000):
        recorder = Recorder()
        exp = explain(batch_size=batch_size, classifier_fn=recorder, num_samples=50)
        assert len(recorder.batches) == -(-50 // batch_size)
        results.append(exp)
    for exp in results[1:]:
        assert exp.local_exp == results[0].local_exp


# ------------------------------------------------------------------- explanation content
def test_explanation_records_everything():
    recorder = Recorder()
    exp = explain(classifier_fn=recorder, top_labels=5, num_samples=80)
    assert exp.kind == "image"
    assert exp.top_labels == [1, 0]  # the top-left quadrant is bright: P(1) > 0.5
    assert exp.available_labels() == [1, 0]
    np.testing.assert_allclose(exp.predict_proba, quadrant_model(bright_image()[None])[0])
    assert exp.classifier_fn is recorder and exp.num_samples == 80 and exp.hide_color == 0
    assert isinstance(exp.perturbation, ImagePerturbation)
    for label in (0, 1):
        assert isinstance(exp.intercept[label], float)
        assert isinstance(exp.score[label], float)
        assert exp.local_pred[label].shape == (1,)
        assert np.isfinite(exp.fidelity[label])
        assert len(exp.local_exp[label]) == 16
    np.testing.assert_array_equal(exp.segment_ids, np.arange(16))
    # The surrogate reproduces its own local prediction for the full mask.
    np.testing.assert_allclose(exp.surrogate_predict(np.ones(16), 1), exp.local_pred[1])


def test_labels_argument_and_unexplained_labels():
    exp = explain(labels=(0,), num_samples=30)
    assert list(exp.local_exp) == [0] and exp.top_labels is None
    with pytest.raises(LabelNotExplainedError, match="label 1 was not explained"):
        exp.get_image_and_mask(1)
    with pytest.raises(KeyError):
        exp.get_image_and_mask(1)
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 2\)"):
        explain(labels=(2,), num_samples=30)


def lime_reference_image_and_mask(
    image, segments, exp, positive_only, negative_only, hide_rest, num_features, min_weight
):
    """lime 0.2.0.1's loop: feature ``f`` is the superpixel ``segments == f``."""
    ids = {int(f): int(f) for f in np.unique(segments)}
    mask = np.zeros(segments.shape, segments.dtype)
    temp = np.zeros(image.shape) if hide_rest else image.copy()
    if positive_only:
        fs = [x[0] for x in exp if x[1] > 0 and x[1] > min_weight][:num_features]
    if negative_only:
        fs = [x[0] for x in exp if x[1] < 0 and abs(x[1]) > min_weight][:num_features]
    if positive_only or negative_only:
        for f in fs:
            temp[segments == ids[f]] = image[segments == ids[f]].copy()
            mask[segments == ids[f]] = 1
        return temp, mask
    for f, w in exp[:num_features]:
        if np.abs(w) < min_weight:
            continue
        c = 0 if w < 0 else 1
        mask[segments == ids[f]] = -1 if w < 0 else 1
        temp[segments == ids[f]] = image[segments == ids[f]].copy()
        temp[segments == ids[f], c] = np.max(image)
    return temp, mask


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(positive_only=True, hide_rest=True, num_features=3),
        dict(positive_only=False, negative_only=True),
        dict(positive_only=False, negative_only=True, hide_rest=True, num_features=10),
        dict(positive_only=False),
        dict(positive_only=False, hide_rest=True, num_features=8),
        dict(positive_only=False, min_weight=0.05, num_features=16),
        dict(positive_only=True, min_weight=0.1, num_features=16),
    ],
)
def test_get_image_and_mask_matches_lime_semantics(options):
    image = chelsea()[:SIZE, :SIZE]
    segments = grid(np.arange(16) * 5 + 2)
    exp = ImageExplanation(image, segments)
    weights = np.linspace(-0.3, 0.3, 16)
    order = np.argsort(-np.abs(weights), kind="stable")
    ids = np.unique(segments)
    exp.local_exp[3] = [(int(ids[p]), float(weights[p])) for p in order]
    full = dict(
        positive_only=True, negative_only=False, hide_rest=False, num_features=5, min_weight=0.0
    )
    full.update(options)
    temp, mask = exp.get_image_and_mask(3, **options)
    ref_temp, ref_mask = lime_reference_image_and_mask(image, segments, exp.local_exp[3], **full)
    assert temp.dtype == ref_temp.dtype and mask.dtype == ref_mask.dtype
    np.testing.assert_array_equal(temp, ref_temp)
    np.testing.assert_array_equal(mask, ref_mask)
    assert mask.any()


def test_get_image_and_mask_errors():
    exp = explain(num_samples=30)
    with pytest.raises(ValueError, match="cannot both be True"):
        exp.get_image_and_mask(1, positive_only=True, negative_only=True)
    with pytest.raises(TypeError, match="label must be an integer"):
        exp.get_image_and_mask("1")
    temp, mask = exp.get_image_and_mask(1, num_features=None)
    assert mask.sum() >= 4


# --------------------------------------------------------------------------------- views
def test_html_view_is_a_small_script_free_image():
    exp = explain(num_samples=50)
    page = exp.as_html()
    assert "<script" not in page
    assert 'src="data:image/png;base64,' in page
    assert "superpixel 5" in page and "Superpixels for label 1" in page
    big = ImageExplanation(astronaut(), np.zeros((512, 512), int))
    big.local_exp[0] = [(0, 1.0)]
    fragment = big.domain_mapper.visualize_instance_html(big.local_exp[0], 0, "", "", max_size=64)
    assert 'width="64" height="64"' in fragment and len(fragment) < 20000


def test_html_escapes_class_names():
    exp = explain(num_samples=30)
    exp.class_names = ["<b>no</b>", "<script>alert(1)</script>"]
    page = exp.as_html()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "image, error, message",
    [
        (np.zeros(10), ValueError, r"image must have shape \(H, W\)"),
        (np.zeros((4, 4, 3, 1)), ValueError, r"image must have shape"),
        (np.zeros((4, 4, 2)), ValueError, r"C = 1, 3 or 4"),
        (np.zeros((0, 4, 3)), ValueError, "must not be empty"),
        (np.full((4, 4, 3), np.nan), ValueError, "NaN or infinite"),
        (np.zeros((4, 4, 3), dtype=bool), TypeError, "integer or floating-point dtype"),
        (np.full((4, 4, 3), "a"), TypeError, "integer or floating-point dtype"),
        (np.zeros((4, 4, 3), dtype=complex), TypeError, "integer or floating-point dtype"),
    ],
)
def test_bad_images(image, error, message):
    with pytest.raises(error, match=message):
        LimeImageExplainer().explain_instance(image, quadrant_model, progress_bar=False)


def test_bad_segmentations():
    with pytest.raises(
        ValueError,
        match=r"segmentation_fn\(image\) must be an integer array of "
        r"shape \(64, 64\)",
    ):
        explain(segments=np.zeros((32, 32), int))
    with pytest.raises(TypeError, match="whole-number superpixel ids"):
        explain(segments=grid() + 0.5)
    exp = explain(segments=grid().astype(float), num_samples=30)  # whole floats are fine
    assert len(exp.local_exp[1]) == 16
    with pytest.raises(TypeError, match="segmentation_fn must be callable"):
        explain(segmentation_fn="slic")


@pytest.mark.parametrize(
    "model, error, message",
    [
        (lambda b: np.ones(len(b)), ValueError, r"shape \(\d+, n_classes\)"),
        (lambda b: np.full((len(b), 2), np.nan), ValueError, "NaN or infinite"),
        (lambda b: np.full((len(b), 2), 3.0), ValueError, r"probabilities in \[0, 1\]"),
        (lambda b: np.ones((len(b) + 1, 2)) / 2, ValueError, r"shape \(\d+, n_classes\)"),
        ("model", TypeError, "classifier_fn must be callable"),
    ],
)
def test_bad_classifiers(model, error, message):
    with pytest.raises(error, match=message):
        explain(classifier_fn=model, num_samples=20)


def test_bad_arguments():
    with pytest.raises(TypeError, match="num_samples must be an integer"):
        explain(num_samples=10.5)
    with pytest.raises(ValueError, match="num_features must be an integer >= 1"):
        explain(num_features=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        explain(batch_size=0)
    with pytest.raises(ValueError, match="feature_selection must be one of"):
        LimeImageExplainer(feature_selection="best")
    with pytest.raises(ValueError, match="kernel_width must be a positive"):
        LimeImageExplainer(kernel_width=0)
    with pytest.raises(ValueError, match="fudged_image must have the image's shape"):
        LimeImageExplainer().data_labels(
            bright_image(), np.zeros((8, 8, 3)), grid(), quadrant_model, 10, progress_bar=False
        )
    for bad_sampler in ("sobol", ""):
        with pytest.raises(ValueError, match="sampler must be one of"):
            explain(sampler=bad_sampler, num_samples=20)
        with pytest.raises(ValueError, match="sampler"):
            LimeImageExplainer().data_labels(
                bright_image(),
                np.zeros_like(bright_image()),
                grid(),
                quadrant_model,
                10,
                progress_bar=False,
                sampler=bad_sampler,
            )


# ------------------------------------------------------------------- stratified sampler
def _stratified_data(seed, num_samples, n_segments=16, **kwargs):
    segments = np.arange(SIZE * SIZE).reshape(SIZE, SIZE) % n_segments
    explainer = LimeImageExplainer(random_state=seed)
    data, labels = explainer.data_labels(
        bright_image(),
        np.zeros_like(bright_image()),
        segments,
        quadrant_model,
        num_samples,
        progress_bar=False,
        sampler="stratified",
        **kwargs,
    )
    return data, labels


def test_stratified_sampler_same_seed_identical_different_seed_different():
    a = explain(seed=7, num_samples=100, sampler="stratified")
    b = explain(seed=7, num_samples=100, sampler="stratified")
    c = explain(seed=8, num_samples=100, sampler="stratified")
    lime_rule = explain(seed=7, num_samples=100)
    assert a.local_exp == b.local_exp and a.intercept == b.intercept
    assert a.local_exp != c.local_exp and a.local_exp != lime_rule.local_exp
    data_a, _ = _stratified_data(3, 50)
    data_b, _ = _stratified_data(3, 50)
    np.testing.assert_array_equal(data_a, data_b)


def test_stratified_masks_show_each_superpixel_in_half_the_samples():
    data, labels = _stratified_data(0, 1001, n_segments=40)
    assert data.shape == (1001, 40) and labels.shape == (1001, 2)
    assert np.all(data[0] == 1) and set(np.unique(data)) == {0, 1}
    shown = data[1:].sum(axis=0)
    assert np.abs(shown - 500).max() <= 2  # independent draws: sd ~16
    # Pairs of superpixels are shown together in close to a quarter of the samples.
    together = (data[1:].T @ data[1:])[~np.eye(40, dtype=bool)] / 1000
    assert np.abs(together - 0.25).max() < 0.04  # independent draws: max ~0.05 over 780 pairs


def test_stratified_masks_are_independent_fair_coins_per_sample():
    """Pooled over seeds each mask has lime's law: independent coins of probability 1/2."""
    pooled = np.vstack([_stratified_data(seed, 17, n_segments=6)[0][1:] for seed in range(400)])
    np.testing.assert_allclose(pooled.mean(axis=0), 0.5, atol=0.02)
    codes = (pooled * (1 << np.arange(6))).sum(axis=1)
    counts = np.bincount(codes, minlength=64)
    # 6400 masks over 64 patterns: 100 each, binomial sd 10.
    assert counts.min() > 60 and counts.max() < 140


def test_stratified_sampler_finds_the_blocks_the_model_looks_at():
    exp = explain(num_samples=200, sampler="stratified")
    top = sorted(f for f, _ in exp.local_exp[1][:4])
    assert top == TOP_LEFT
    assert all(w > 0 for _, w in exp.local_exp[1][:4])
    assert exp.score[1] > 0.9


def test_stratified_sampler_has_lime_s_expectation_and_less_spread():
    """Same mean weights as lime's rule; the blocks the model reads are far more precise.

    The model is a logistic function of the top-left quadrant's brightness, so the four blocks
    interact. A Sobol' design aliases such interactions onto a few other blocks, whose (small,
    zero-mean) weights then spread somewhat more than with lime's draws: measured, not hidden.
    """

    def logistic(images):
        p = quadrant_model(images)[:, 1]
        q = 1.0 / (1.0 + np.exp(-6.0 * (p - 0.35)))
        return np.stack([1 - q, q], axis=1)

    weights = {}
    for sampler in ("lime", "stratified"):
        rows = []
        for seed in range(20):
            exp = explain(seed=seed, num_samples=256, sampler=sampler, classifier_fn=logistic)
            assert sorted(f for f, _ in exp.local_exp[1][:4]) == TOP_LEFT
            rows.append([w for _, w in sorted(exp.local_exp[1])])
        weights[sampler] = np.array(rows)
    lime_sd = weights["lime"].std(axis=0, ddof=1)
    strat_sd = weights["stratified"].std(axis=0, ddof=1)
    difference = np.abs(weights["lime"].mean(axis=0) - weights["stratified"].mean(axis=0))
    assert np.all(difference < 3 * np.hypot(lime_sd, strat_sd) / np.sqrt(20))
    assert strat_sd[TOP_LEFT].max() < 0.3 * lime_sd[TOP_LEFT].min()  # measured ~0.1
    assert strat_sd.mean() < 0.85 * lime_sd.mean()  # measured 0.65
    assert strat_sd.max() < 2.5 * lime_sd.max()  # the aliased blocks: measured 1.8


def test_class_names_are_recorded_and_checked():
    from limewidgets.engine.image import LimeImageExplainer

    image = np.zeros((8, 8, 3), dtype=np.uint8)
    image[:4] = 255
    segments = np.repeat(np.arange(4), 16).reshape(8, 8)

    def model(batch):
        bright = np.asarray(batch, dtype=float).mean(axis=(1, 2, 3)) / 255
        return np.c_[1 - bright, bright]

    explainer = LimeImageExplainer(random_state=0)
    exp = explainer.explain_instance(
        image, model, top_labels=1, num_samples=40, segmentation_fn=lambda im: segments,
        progress_bar=False, class_names=["dark", "light"],
    )  # fmt: skip
    assert exp.class_names == ["dark", "light"]
    assert "Explanation for dark" in exp.as_html() or "Explanation for light" in exp.as_html()
    with pytest.raises(ValueError, match="class_names must have one name per class.*2 columns"):
        explainer.explain_instance(
            image, model, num_samples=10, segmentation_fn=lambda im: segments,
            progress_bar=False, class_names=["only one"],
        )  # fmt: skip
