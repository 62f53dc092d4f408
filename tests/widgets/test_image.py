"""The image widget: binary encodings, pixel -> superpixel, toggles, options, counterfactual."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest

from limewidgets import ImageExplanationWidget, LimeImageExplainer
from limewidgets.widgets._encoding import (
    decode_image,
    decode_segment_map,
    display_size,
    encode_image,
    encode_segment_map,
    nearest_indices,
    to_uint8_rgb,
)

from .conftest import RecordingModel, grid_segments, quadrant_brightness

TOP_LEFT_QUADRANT = {0, 1, 4, 5}  # positions of the 16x16 blocks inside the top-left 32x32


def payload_bytes(widget) -> dict:
    """Bytes sent to the browser per data trait (JSON for plain values, raw for Bytes)."""
    sizes = {}
    for name, value in widget.get_state().items():
        if name.startswith("_"):
            continue  # renderer code, identical for every widget
        sizes[name] = (
            len(value) if isinstance(value, (bytes, memoryview)) else len(json.dumps(value))
        )
    return sizes


# --------------------------------------------------------------------------- encodings
def test_full_size_traits_are_exact(image_explanation, image_data):
    widget = ImageExplanationWidget(image_explanation, threaded=False)
    perturbation = image_explanation.perturbation
    assert (widget.width, widget.height) == (64, 64)
    assert widget.n_segments == perturbation.n_features == 16
    assert widget.image_format == "png"  # small image: lossless
    np.testing.assert_array_equal(decode_image(widget.image_data), image_data)
    np.testing.assert_array_equal(decode_image(widget.hidden_data), perturbation.fudged_image)
    positions = decode_segment_map(widget.segment_map, 64, 64)
    np.testing.assert_array_equal(positions, perturbation.segment_index)
    assert positions.max() == 15  # positions, not the segmentation's ids 10..160
    assert widget.feature_names[:3] == ["superpixel 10", "superpixel 20", "superpixel 30"]


def test_downscaled_traits_share_one_pixel_grid(image_explanation):
    widget = ImageExplanationWidget(image_explanation, threaded=False, max_display_size=24)
    assert (widget.width, widget.height) == (24, 24)
    rows = nearest_indices(64, 24)
    perturbation = image_explanation.perturbation
    positions = decode_segment_map(widget.segment_map, 24, 24)
    np.testing.assert_array_equal(positions, perturbation.segment_index[rows[:, None], rows])
    hidden = decode_image(widget.hidden_data)
    np.testing.assert_array_equal(hidden, perturbation.fudged_image[rows[:, None], rows])
    assert decode_image(widget.image_data).shape == (24, 24, 3)
    raw = zlib.decompress(widget.segment_map)
    assert len(raw) == 24 * 24 * 2  # little-endian uint16


def test_encoding_helpers():
    assert display_size(1000, 500, 1024) == (1000, 500)
    assert display_size(2000, 500, 1024) == (1024, 256)
    np.testing.assert_array_equal(nearest_indices(4, 2), [1, 3])
    rgba = np.zeros((200, 200, 4), dtype=np.uint8)
    rgba[..., 3] = 128
    encoded = encode_image(rgba)
    assert encoded.format == "png" and decode_image(encoded.data).shape == (200, 200, 4)
    photo = np.random.RandomState(0).randint(0, 255, (200, 200, 3)).astype(np.uint8)
    assert encode_image(photo).format == "jpeg"
    assert encode_image(photo, "png").format == "png"
    with pytest.raises(ValueError, match="image_encoding must be one of"):
        encode_image(photo, "gif")
    floats = to_uint8_rgb(np.full((2, 2), 0.5))
    assert floats.shape == (2, 2, 3) and floats.dtype == np.uint8 and floats[0, 0, 0] == 128
    assert to_uint8_rgb(np.full((2, 2, 3), 4095, dtype=np.uint16))[0, 0, 0] == 255
    with pytest.raises(ValueError, match="image must have shape"):
        to_uint8_rgb(np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match=r"\[0, 65535\]"):
        encode_segment_map(np.array([[70000]]))
    positions = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(
        decode_segment_map(encode_segment_map(positions), 3, 4), positions
    )


def test_1000px_explanation_sends_less_than_2mb():
    from PIL import Image
    from skimage.data import astronaut
    from skimage.segmentation import slic

    image = np.asarray(Image.fromarray(astronaut()).resize((1000, 1000), Image.Resampling.BILINEAR))
    small = slic(image[::2, ::2], n_segments=300, start_label=1, compactness=10)
    segments = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)

    def model(images):
        brightness = quadrant_brightness(images)
        return np.column_stack([1 - brightness, brightness])

    explanation = LimeImageExplainer(random_state=0).explain_instance(
        image, model, top_labels=2, num_samples=20, segmentation_fn=lambda img: segments,
        progress_bar=False,
    )  # fmt: skip
    widget = ImageExplanationWidget(explanation, threaded=False)
    sizes = payload_bytes(widget)
    assert (widget.width, widget.height) == (1000, 1000) and widget.image_format == "jpeg"
    assert widget.n_segments > 150
    assert sum(sizes.values()) < 2 * 1024 * 1024, sizes
    assert sizes["segment_map"] < 200_000 and sizes["hidden_data"] < 400_000, sizes
    # JSON traits stay small: no pixel lists anywhere.
    json_traits = {
        k: v for k, v in sizes.items() if k not in {"image_data", "hidden_data", "segment_map"}
    }
    assert sum(json_traits.values()) < 100_000, json_traits


# --------------------------------------------------------------------------- interaction
def test_click_pixel_toggles_its_superpixel(image_explanation, image_model):
    recorder = RecordingModel(image_model)
    widget = ImageExplanationWidget(image_explanation, recorder, threaded=False)
    perturbation = image_explanation.perturbation
    assert widget.feature_at(0, 0) == 10
    assert widget.feature_at(20, 40) == 70  # block row 1, column 2: id 70 (position 6)
    widget.toggle_pixel(20, 40)
    assert widget.removed_features == [70]
    assert widget.state[6] == 0 and sum(widget.state) == len(widget.state) - 1
    sent = recorder.calls[0]
    assert sent.shape == (1, 64, 64, 3) and sent.dtype == np.uint8
    expected = image_explanation.image.copy()
    expected[16:32, 32:48] = 0  # hide_color=0 in the fixture
    np.testing.assert_array_equal(sent[0], expected)
    np.testing.assert_array_equal(sent, perturbation.make_instances(np.asarray([widget.state])))
    assert widget.real_output == pytest.approx(list(image_model(sent)[0]))
    with pytest.raises(ValueError, match=r"row must be in \[0, 63\]"):
        widget.feature_at(64, 0)
    with pytest.raises(TypeError, match="col must be an integer"):
        widget.feature_at(0, 1.5)


def test_display_options(image_explanation):
    with pytest.raises(ValueError, match="cannot both be True"):
        ImageExplanationWidget(image_explanation, positive_only=True, negative_only=True)
    widget = ImageExplanationWidget(
        image_explanation, threaded=False, positive_only=True, min_weight=0.01, num_features=3
    )
    assert widget.positive_only is True and widget.min_weight == 0.01
    widget.set_state({"negative_only": True})  # from the browser: the newest choice wins
    assert widget.negative_only is True and widget.positive_only is False
    image, mask = widget.get_image_and_mask()
    ref_image, ref_mask = image_explanation.get_image_and_mask(
        widget.label, positive_only=False, negative_only=True, num_features=3, min_weight=0.01
    )
    np.testing.assert_array_equal(image, ref_image)
    np.testing.assert_array_equal(mask, ref_mask)


def test_counterfactual_superpixels_are_in_the_quadrant(image_explanation, image_model):
    recorder = RecordingModel(image_model)
    widget = ImageExplanationWidget(image_explanation, recorder, threaded=False, max_queries=30)
    result = widget.find_counterfactual()
    assert result["found"] is True
    assert set(result["features"]) <= TOP_LEFT_QUADRANT
    assert result["queries"] == recorder.rows <= 30
    assert result["label_before"] == int(np.argmax(image_explanation.predict_proba))
    perturbation = image_explanation.perturbation

    def decision(removed):
        mask = np.ones(perturbation.n_features)
        mask[list(removed)] = 0
        return int(np.argmax(image_model(perturbation.make_instances(mask[None, :]))[0]))

    assert decision(result["features"]) == result["label_after"] != result["label_before"]
    # Pruned: putting back any one of them restores the original decision.
    for feature in result["features"]:
        rest = [f for f in result["features"] if f != feature]
        assert decision(rest) == result["label_before"]
    assert result["output_after"] == pytest.approx(
        list(image_model(perturbation.make_instances(
            np.where(np.isin(np.arange(16), result["features"]), 0, 1)[None, :]
        ))[0])
    )  # fmt: skip


@pytest.mark.parametrize("variant", ["float", "rgba", "gray"])
def test_other_image_types(variant, image_data):
    base = image_data[:32, :32]
    if variant == "float":
        image = base / 255.0
    elif variant == "rgba":
        image = np.dstack([base, np.full(base.shape[:2], 200, dtype=np.uint8)])
    else:
        image = base.mean(axis=2).astype(np.uint8)

    def model(images):
        brightness = np.asarray(images, dtype=float)[..., :3].mean(axis=(1, 2, 3))
        brightness = brightness / (1.0 if variant == "float" else 255.0)
        return np.column_stack([1 - brightness, brightness])

    segments = grid_segments(size=32, block=8)
    explanation = LimeImageExplainer(random_state=0).explain_instance(
        image, model, top_labels=2, num_samples=30, segmentation_fn=lambda img: segments,
        progress_bar=False,
    )  # fmt: skip
    recorder = RecordingModel(model)
    widget = ImageExplanationWidget(explanation, recorder, threaded=False)
    decoded = decode_image(widget.image_data)
    assert widget.image_format == "png"
    if variant == "float":
        np.testing.assert_array_equal(decoded, base)
    elif variant == "rgba":
        assert decoded.shape == (32, 32, 4)
        np.testing.assert_array_equal(decoded, image)
    else:
        np.testing.assert_array_equal(decoded, np.dstack([image] * 3))
    widget.toggle(int(explanation.feature_ids([3])[0]))
    sent = recorder.calls[0]
    np.testing.assert_array_equal(
        sent, explanation.perturbation.make_instances(np.asarray([widget.state]))
    )
    assert widget.real_output == pytest.approx(list(model(sent)[0]))
