"""The image widget draws ``display_image`` (or says why its picture may look wrong)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage.data import chelsea

from limewidgets import LimeImageExplainer
from limewidgets.widgets import ImageExplanationWidget
from limewidgets.widgets._encoding import decode_image

PHOTO = chelsea()[::8, ::8]  # 38 x 57


def warm_model(images):
    red = (np.asarray(images, dtype=float)[..., 0].mean(axis=(1, 2)) + 1) / 2
    return np.column_stack([1 - red, red])


@pytest.fixture(scope="module")
def explanation():
    grid = (np.arange(38)[:, None] // 10) * 6 + np.arange(57)[None] // 10
    return LimeImageExplainer(random_state=0).explain_instance(
        PHOTO / 127.5 - 1, warm_model, top_labels=2, hide_color=0, num_samples=200,
        segmentation_fn=lambda img: grid, progress_bar=False,
    )  # fmt: skip


def test_minus_one_to_one_input_without_display_image_warns_and_notes(explanation):
    with pytest.warns(UserWarning, match=r"values in \[-1, 1\].*display_image="):
        widget = ImageExplanationWidget(explanation, threaded=False)
    assert "(x + 1) / 2" in widget.display_note
    photo = decode_image(widget.image_data)
    # drawn rescaled, not clipped to black (it was dark and posterised)
    assert np.abs(photo.astype(int) - PHOTO).max() <= 1


def test_display_image_is_drawn_and_hidden_superpixels_use_its_colours(explanation):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widget = ImageExplanationWidget(explanation, threaded=False, display_image=PHOTO)
    assert widget.display_note == ""
    np.testing.assert_array_equal(decode_image(widget.image_data), PHOTO)
    # hide_color=0 in the model's [-1, 1] is 127.5 in the photo's colours
    np.testing.assert_allclose(decode_image(widget.hidden_data).astype(float), 127.5, atol=1)
    temp, mask = widget.get_image_and_mask(positive_only=True, hide_rest=True)
    kept = mask.astype(bool)
    np.testing.assert_array_equal(temp[kept], PHOTO[kept])
    # the model still gets its own inputs
    widget.toggle(0)
    assert widget.current_instance.min() < 0


def test_display_image_must_match_the_explained_image(explanation):
    with pytest.raises(ValueError, match="display_image must have the explained image's height"):
        ImageExplanationWidget(explanation, threaded=False, display_image=PHOTO[:20])


def test_the_static_fallback_draws_the_display_image(monkeypatch, explanation):
    from limewidgets.widgets import _fallback

    widget = ImageExplanationWidget(explanation, threaded=False, display_image=PHOTO)
    html = _fallback.fallback_html(widget)
    assert "values in [-1, 1]" not in html and "data:image/png;base64," in html
    with pytest.warns(UserWarning):
        plain = ImageExplanationWidget(explanation, threaded=False)
    assert "values in [-1, 1]" in _fallback.fallback_html(plain)
