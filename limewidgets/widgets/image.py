"""The interactive view of an image explanation: click superpixels to hide them and re-query."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import traitlets

from ..engine._validation import check_positive_int, describe
from ..engine.explanation import Explanation
from ..engine.image_display import (
    check_display_image,
    hidden_for_display,
    range_note,
    value_range,
)
from ._assets import bundle_source, css_source
from ._contract import StrictFloat, StrictInt
from ._encoding import (
    IMAGE_ENCODINGS,
    display_size,
    encode_image,
    encode_png,
    encode_segment_map,
    resize_image,
    resize_nearest,
    to_uint8_rgb,
)
from ._mask import MaskExplanationWidget


def _hidden_image(perturbation: Any) -> Any:
    """The hide-colour image of a perturbation (``fudged_image``, or ``fudged``)."""
    hidden = getattr(perturbation, "fudged_image", None)
    return hidden if hidden is not None else getattr(perturbation, "fudged", None)


class ImageExplanationWidget(MaskExplanationWidget):
    """An image explanation as a clickable picture.

    The photo is drawn with its superpixel boundaries and tinted by weight for the selected
    label (orange supports it, blue speaks against it), with lime's ``get_image_and_mask``
    options (``positive_only``, ``negative_only``, ``hide_rest``, ``min_weight``). Clicking a
    pixel hides its superpixel (drawn with the hide colour) and re-queries the model with the
    image built by the explanation's own ``perturbation.make_instances``. Buttons reset, hide the
    top positive superpixels, keep only them, or search a counterfactual: a few superpixels whose
    removal changes the predicted label, checked with real model calls.

    Parameters
    ----------
    explanation : ImageExplanation
        The result of ``LimeImageExplainer.explain_instance``.
    classifier_fn : callable, optional
        Model taking a batch of images (default: the explanation's).
    label : int, optional
    num_features : int, default=10
    threaded : bool, default=True
    max_queries : int, default=200
    positive_only, negative_only, hide_rest : bool, default=False
    min_weight : float, default=0.0
    max_display_size : int, default=1024
        Longest side, in pixels, of the picture sent to the browser.
    image_encoding : {'auto', 'jpeg', 'png'}, default='auto'
        'auto': PNG for small images and images with alpha, else JPEG (quality 90).
    display_image : array-like of shape (H, W) or (H, W, C), optional
        The picture to draw instead of the model's input, e.g. the photo before a [-1, 1]
        preprocessing; same height and width as the explained image. Hidden superpixels are
        drawn in its colours (the input -> display map is fitted per channel; mid-grey when it
        is not affine). Without one, an input outside [0, 1] and [0, 255] is drawn rescaled
        from its range, with a note in the widget (``display_note``) and a warning.
    **kwargs
        Passed to :class:`anywidget.AnyWidget`.
    """

    _kind = "image"
    _esm = bundle_source("image")
    _css = css_source()

    _browser_traits = MaskExplanationWidget._browser_traits | {
        "positive_only",
        "negative_only",
        "hide_rest",
        "min_weight",
    }

    image_data = traitlets.Bytes(b"").tag(sync=True)
    image_format = traitlets.Unicode("png").tag(sync=True)
    hidden_data = traitlets.Bytes(b"").tag(sync=True)
    segment_map = traitlets.Bytes(b"").tag(sync=True)
    width = StrictInt(0).tag(sync=True)
    height = StrictInt(0).tag(sync=True)
    n_segments = StrictInt(0).tag(sync=True)
    positive_only = traitlets.Bool(False).tag(sync=True)
    negative_only = traitlets.Bool(False).tag(sync=True)
    hide_rest = traitlets.Bool(False).tag(sync=True)
    min_weight = StrictFloat(0.0).tag(sync=True)
    #: Why the picture may not look like the photo (e.g. a [-1, 1] input drawn rescaled); "".
    display_note = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        explanation: Explanation,
        classifier_fn: Callable[[Any], Any] | None = None,
        *,
        positive_only: bool = False,
        negative_only: bool = False,
        hide_rest: bool = False,
        min_weight: float = 0.0,
        max_display_size: int = 1024,
        image_encoding: str = "auto",
        display_image: Any = None,
        **kwargs: Any,
    ) -> None:
        if display_image is not None:
            shape = np.asarray(getattr(explanation, "image", None)).shape
            display_image = check_display_image(display_image, shape)
        self.display_image = display_image
        if positive_only and negative_only:
            raise ValueError("positive_only and negative_only cannot both be True")
        if isinstance(min_weight, bool) or not isinstance(min_weight, numbers.Real):
            raise TypeError(f"min_weight must be a number; got {describe(min_weight)}")
        if image_encoding not in IMAGE_ENCODINGS:
            raise ValueError(
                f"image_encoding must be one of {list(IMAGE_ENCODINGS)}; got {image_encoding!r}"
            )
        self.max_display_size: int = check_positive_int("max_display_size", max_display_size)
        self.image_encoding: str = image_encoding
        super().__init__(
            explanation,
            classifier_fn,
            positive_only=bool(positive_only),
            negative_only=bool(negative_only),
            hide_rest=bool(hide_rest),
            min_weight=float(min_weight),
            **kwargs,
        )

    def _check_explanation(self, explanation: Any) -> None:
        super()._check_explanation(explanation)
        perturbation = explanation.perturbation
        missing = []
        if getattr(perturbation, "segment_index", None) is None:
            missing.append("segment_index")
        if _hidden_image(perturbation) is None:
            missing.append("fudged_image")
        if missing:
            raise TypeError(
                "ImageExplanationWidget needs explanation.perturbation."
                f"{' and '.join(missing)}; got {type(perturbation).__name__} without it"
            )

    @property
    def image(self) -> np.ndarray:
        """The explained image (as the explainer saw it)."""
        image = getattr(self.explanation, "image", None)
        return np.asarray(image if image is not None else self.perturbation.image)

    @property
    def segment_index(self) -> np.ndarray:
        """``(H, W)`` map of superpixel positions ``0..n-1`` in ``state`` at full size.

        Position ``j`` is the feature (segment id) ``explanation.segment_ids[j]``.
        """
        return np.asarray(self.perturbation.segment_index)

    def _kind_traits(self) -> dict:
        explained = self.image
        fudged = _hidden_image(self.perturbation)
        if self.display_image is None:
            drawn, drawn_range = explained, value_range(explained)
        else:
            # Hidden superpixels in the display image's colours (what the model saw, mapped).
            drawn, drawn_range = self.display_image, value_range(self.display_image)
            fudged = hidden_for_display(explained, fudged, self.display_image)
        image = to_uint8_rgb(drawn, "explanation.image", drawn_range)
        segment_index = self.segment_index
        if segment_index.shape != image.shape[:2]:
            raise ValueError(
                f"perturbation.segment_index has shape {segment_index.shape}; expected the "
                f"image's {image.shape[:2]}"
            )
        fudged = to_uint8_rgb(fudged, "perturbation.fudged_image", drawn_range)
        note = range_note(explained, self.display_image)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        height, width = display_size(image.shape[0], image.shape[1], self.max_display_size)
        photo = encode_image(resize_image(image, height, width), self.image_encoding)
        # The hide-colour image and the map are sampled at the same pixels, so the browser draws
        # hidden superpixels exactly where the map says they are.
        hidden = encode_png(resize_nearest(fudged, height, width))
        segment_map = encode_segment_map(resize_nearest(segment_index, height, width))
        return {
            "image_data": photo.data,
            "image_format": photo.format,
            "hidden_data": hidden,
            "segment_map": segment_map,
            "width": width,
            "height": height,
            "n_segments": int(self.perturbation.n_features),
            "display_note": note,
        }

    def _static_view_options(self) -> dict:
        """What the static fallback view draws like the widget (see ``_fallback.py``)."""
        return {"num_features": int(self.num_features), "display_image": self.display_image}

    def _feature_names(self) -> list[str]:
        ids = getattr(self.perturbation, "segment_ids", None)
        n_features = int(self.perturbation.n_features)
        if ids is None or len(ids) != n_features:
            ids = range(n_features)
        return [f"superpixel {int(i)}" for i in ids]

    @traitlets.observe("positive_only", "negative_only")
    def _exclusive_signs(self, change: dict) -> None:
        # lime forbids both at once; the newest choice wins instead of raising at the browser.
        if change["new"] and self.positive_only and self.negative_only:
            other = "negative_only" if change["name"] == "positive_only" else "positive_only"
            setattr(self, other, False)

    # ------------------------------------------------------------------ Python API
    def feature_at(self, row: int, col: int) -> int:
        """The feature id (segment id, as in ``local_exp``) of the full-size pixel ``(row, col)``."""
        segment_index = self.segment_index
        height, width = segment_index.shape
        for name, value, size in (("row", row, height), ("col", col, width)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an integer pixel index; got {describe(value)}")
            if not 0 <= value < size:
                raise ValueError(f"{name} must be in [0, {size - 1}]; got {value}")
        return int(self.explanation.feature_ids([segment_index[row, col]])[0])

    def toggle_pixel(self, row: int, col: int) -> None:
        """Toggle the superpixel containing the full-size pixel ``(row, col)`` (a click)."""
        self.toggle(self.feature_at(row, col))

    def get_image_and_mask(self, **overrides: Any) -> tuple[np.ndarray, np.ndarray]:
        """lime's ``get_image_and_mask`` for the selected label with the widget's options.

        Parameters
        ----------
        **overrides
            Any of ``positive_only``, ``negative_only``, ``hide_rest``, ``num_features``,
            ``min_weight``, ``display_image`` to use instead of the widget's current values
            (the image is built from the widget's ``display_image`` when it has one).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            The image and the mask, as ``ImageExplanation.get_image_and_mask`` returns them.
        """
        options = {
            "positive_only": self.positive_only,
            "negative_only": self.negative_only,
            "hide_rest": self.hide_rest,
            "num_features": self.num_features,
            "min_weight": self.min_weight,
        }
        if self.display_image is not None:
            options["display_image"] = self.display_image
        options.update(overrides)
        return self.explanation.get_image_and_mask(self._weights_key(), **options)
