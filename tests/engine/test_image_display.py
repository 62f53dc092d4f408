"""Drawing an image explanation whose input is not a photo: value ranges and ``display_image``."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from skimage.data import chelsea

from limewidgets import LimeImageExplainer
from limewidgets.engine.image_display import (
    check_display_image,
    hidden_for_display,
    range_note,
    to_display_pixels,
    value_range,
)

PHOTO = chelsea()[::8, ::8]  # 38 x 57 uint8


def warm_model(images):
    """A model fed Inception-style [-1, 1] images: P(warm) from the red channel."""
    red = (np.asarray(images, dtype=float)[..., 0].mean(axis=(1, 2)) + 1) / 2
    return np.column_stack([1 - red, red])


@pytest.fixture(scope="module")
def inception_explanation():
    image = PHOTO / 127.5 - 1  # like inception_v3.preprocess_input
    grid = (np.arange(PHOTO.shape[0])[:, None] // 10) * 6 + np.arange(PHOTO.shape[1])[None] // 10
    return LimeImageExplainer(random_state=0).explain_instance(
        image, warm_model, top_labels=2, hide_color=0, num_samples=200,
        segmentation_fn=lambda img: grid, progress_bar=False, class_names=["cool", "warm"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.array([[0, 255]], dtype=np.uint8), (0.0, 255.0)),
        (np.array([[0.0, 0.5]]), (0.0, 1.0)),
        (np.array([[0.0, 200.0]]), (0.0, 255.0)),
        (np.array([[3, 200]]), (0.0, 255.0)),
        (np.array([[0, 4000]]), (0.0, 4000.0)),
        (np.array([[-1.0, 0.3]]), (-1.0, 1.0)),
        (np.array([[-2.1, 2.6, np.nan]]), (-2.1, 2.6)),
    ],
)
def test_value_range(values, expected):
    assert value_range(values) == pytest.approx(expected)


def test_a_minus_one_to_one_image_is_drawn_like_the_photo_with_a_note():
    image = PHOTO / 127.5 - 1
    drawn = to_display_pixels(image)
    # before: negative values were clipped to black (dark and posterised)
    assert np.abs(drawn.astype(int) - PHOTO).max() <= 1
    note = range_note(image)
    assert "[-1, 1]" in note and "(x + 1) / 2" in note and "display_image=" in note
    assert range_note(PHOTO) == "" and range_note(PHOTO / 255.0) == ""
    assert range_note(image, display_image=PHOTO) == ""
    normalised = (PHOTO - 120.0) / 60.0
    assert "outside [0, 1] and [0, 255]" in range_note(normalised)
    assert "display_image" in range_note(image, display_image=normalised)


def test_hidden_pixels_follow_the_affine_preprocessing():
    image = PHOTO / 127.5 - 1
    hidden = np.zeros_like(image)  # hide_color=0 in model space: 127.5 in the photo's
    shown = hidden_for_display(image, hidden, PHOTO)
    np.testing.assert_allclose(shown, 127.5, atol=0.6)
    # not an affine relation: no faithful colour, mid-grey of the display range
    scrambled = np.random.RandomState(0).permutation(PHOTO.ravel()).reshape(PHOTO.shape)
    np.testing.assert_allclose(hidden_for_display(image, hidden, scrambled), 127.5)


def test_check_display_image():
    assert check_display_image(PHOTO, (38, 57, 3)) is not None
    with pytest.raises(ValueError, match="display_image must have the explained image's height"):
        check_display_image(PHOTO[:-1], (38, 57, 3))
    with pytest.raises(TypeError, match="display_image must be numeric"):
        check_display_image(np.full((38, 57), "x"), (38, 57))


def test_get_image_and_mask_builds_from_the_display_image(inception_explanation):
    exp = inception_explanation
    label = exp.top_labels[0]
    temp, mask = exp.get_image_and_mask(label, positive_only=True, num_features=3, hide_rest=True)
    shown, shown_mask = exp.get_image_and_mask(
        label, positive_only=True, num_features=3, hide_rest=True, display_image=PHOTO
    )
    np.testing.assert_array_equal(mask, shown_mask)
    kept = mask.astype(bool)
    np.testing.assert_array_equal(shown[kept], PHOTO[kept])
    np.testing.assert_allclose((temp[kept] + 1) * 127.5, PHOTO[kept])  # lime's `temp / 2 + 0.5`
    both, _ = exp.get_image_and_mask(label, positive_only=False, display_image=PHOTO)
    assert both.max() == PHOTO.max()  # the colouring uses the display image's peak
    with pytest.raises(ValueError, match="display_image"):
        exp.get_image_and_mask(label, display_image=PHOTO[:10])


def decoded_png(html: str) -> np.ndarray:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def test_static_view_draws_the_display_image_and_names_the_class(inception_explanation):
    exp = inception_explanation
    label = exp.top_labels[0]
    plain = exp.as_html(labels=[label])
    assert "has values in [-1, 1]" in plain  # the drawing explains itself
    assert f"Superpixels for {exp.class_names[label]}" in plain and "for label" not in plain
    shown = exp.as_html(labels=[label], display_image=PHOTO)
    assert "has values in [-1, 1]" not in shown
    # away from the tinted superpixels the PNG is the photo itself
    weights = dict(exp.local_exp[label])
    quiet = min(weights, key=lambda f: abs(weights[f]))
    region = exp.segment_index == quiet
    png = decoded_png(shown)
    assert np.abs(png[region].astype(int) - PHOTO[region]).mean() < 8
