"""Image feature ids mean what they mean in lime: feature ``f`` is the superpixel ``segments == f``.

lime's tutorials build heatmaps with ``np.vectorize(dict(exp.local_exp[label]).get)(exp.segments)``;
with our explanations that idiom must light up the same superpixel as lime's top feature, for
slic (ids from 1), quickshift and felzenszwalb (ids from 0) alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.data import astronaut
from skimage.segmentation import felzenszwalb, quickshift, slic

lime_image = pytest.importorskip("lime.lime_image")

from limewidgets.lime import lime_image as ours  # noqa: E402

IMAGE = astronaut()[::8, ::8][:64, :64].copy()  # 64 x 64 RGB

SEGMENTATIONS = {
    "slic": lambda image: slic(image, n_segments=25, compactness=10, start_label=1),
    "quickshift": lambda image: quickshift(image, kernel_size=3, max_dist=20, ratio=0.5, rng=0),
    "felzenszwalb": lambda image: felzenszwalb(image, scale=100, sigma=0.5, min_size=20),
}


def _important_segment(segments):
    """A mid-sized superpixel that is not the largest id (lime can never hide that one)."""
    ids, counts = np.unique(segments, return_counts=True)
    candidates = [(abs(c - np.median(counts)), int(i)) for i, c in zip(ids, counts, strict=True)]
    return min(c for c in candidates if c[1] != ids.max())[1]


@pytest.mark.parametrize("name", SEGMENTATIONS)
def test_heatmap_idiom_lights_up_lime_s_top_superpixel(name):
    segments = SEGMENTATIONS[name](IMAGE)
    target = _important_segment(segments)
    region = segments == target

    def model(images):
        # P(1) is the brightness of one superpixel: hiding it (hide_color=0) is what matters.
        p = images[:, region].mean(axis=(1, 2)) / 255.0
        return np.stack([1 - p, p], axis=1)

    kwargs = dict(
        labels=(1,),
        top_labels=None,
        hide_color=0,
        num_samples=300,
        segmentation_fn=lambda image: segments,
    )
    theirs = lime_image.LimeImageExplainer(random_state=0).explain_instance(IMAGE, model, **kwargs)
    mine = ours.LimeImageExplainer(random_state=0).explain_instance(
        IMAGE, model, progress_bar=False, **kwargs
    )
    lime_top = int(theirs.local_exp[1][0][0])
    assert lime_top == target  # the model makes the answer unambiguous

    heatmap = np.vectorize(dict(mine.local_exp[1]).get)(mine.segments)
    assert heatmap.shape == segments.shape and np.isfinite(heatmap.astype(float)).all()
    np.testing.assert_array_equal(heatmap == heatmap.max(), segments == lime_top)
    assert int(mine.local_exp[1][0][0]) == lime_top
    # get_image_and_mask reads ids the same way.
    _, mask = mine.get_image_and_mask(1, positive_only=True, num_features=1)
    np.testing.assert_array_equal(mask == 1, segments == lime_top)
    # Every superpixel is a feature, and only those: no ghost for a missing id 0.
    assert sorted(f for f, _ in mine.local_exp[1]) == sorted(np.unique(segments).tolist())
    # The standard errors are keyed the same way.
    assert sorted(mine.weight_std[1]) == sorted(np.unique(segments).tolist())


def test_slic_ids_differ_from_positions_so_the_idiom_is_revealing():
    segments = SEGMENTATIONS["slic"](IMAGE)
    assert segments.min() == 1  # positions would be one superpixel off
