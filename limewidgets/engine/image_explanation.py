"""The image explanation and its static views (inline PNG, ``get_image_and_mask``)."""

from __future__ import annotations

import base64
import io
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import html as html_view
from ._validation import HideColor, RandomStateLike, check_positive_int, describe
from .explanation import DomainMapper, Explanation
from .image_display import check_display_image, range_note, to_display_pixels
from .image_perturbation import (
    ImagePerturbation,
    _check_positions,
    check_segments,
    compact_segments,
)

#: Display colours of the static view: orange supports the label, blue opposes it.
_POSITIVE_RGB = np.array([232.0, 113.0, 10.0])
_NEGATIVE_RGB = np.array([26.0, 115.0, 232.0])


# ------------------------------------------------------------------------------- display
def _display_uint8(image: np.ndarray) -> np.ndarray:
    """RGB ``uint8`` pixels for display (drawn from :func:`value_range`; alpha over white)."""
    values = to_display_pixels(image).astype(float)
    if values.shape[2] == 4:
        alpha = values[..., 3:] / 255.0
        values = values[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return np.rint(values[..., :3]).astype(np.uint8)


def _nearest(source: int, target: int) -> np.ndarray:
    return np.minimum(((np.arange(target) + 0.5) * (source / target)).astype(np.intp), source - 1)


def render_explanation_png(
    image: np.ndarray,
    segment_index: np.ndarray,
    exp: Sequence[tuple[int, float]],
    num_features: int | None = None,
    max_size: int = 512,
) -> tuple[bytes, int, int]:
    """PNG of the image with the explained superpixels tinted by weight.

    Parameters
    ----------
    image : numpy.ndarray of shape (H, W, C)
    segment_index : numpy.ndarray of shape (H, W)
        Superpixel positions.
    exp : list of (position, weight)
        Sorted by decreasing ``|weight|``.
    num_features : int, optional
        Tint only the first ``num_features`` entries of ``exp`` (default: all).
    max_size : int, default=512
        Longest side of the PNG, in pixels.

    Returns
    -------
    png : bytes
    width, height : int
    """
    from PIL import Image
    from skimage.segmentation import find_boundaries

    max_size = check_positive_int("max_size", max_size)
    height, width = segment_index.shape
    scale = min(1.0, max_size / max(height, width))
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    pixels = _display_uint8(image)
    if (out_h, out_w) != (height, width):
        pixels = np.asarray(
            Image.fromarray(pixels, "RGB").resize((out_w, out_h), Image.Resampling.BILINEAR)
        )
        index = segment_index[_nearest(height, out_h)][:, _nearest(width, out_w)]
    else:
        index = segment_index
    chosen = list(exp if num_features is None else exp[:num_features])
    n = int(segment_index.max()) + 1
    alpha = np.zeros(n)
    colors = np.zeros((n, 3))
    if chosen:
        ids = _check_positions([f for f, _ in chosen], n)
        weights = np.array([w for _, w in chosen], dtype=float)
        top = np.abs(weights).max()
        if top > 0:
            alpha[ids] = 0.65 * np.abs(weights) / top
            colors[ids] = np.where((weights > 0)[:, None], _POSITIVE_RGB, _NEGATIVE_RGB)
    pixel_alpha = alpha[index][..., None]
    pixel_color = colors[index]
    blended = pixels * (1.0 - pixel_alpha) + pixel_color * pixel_alpha
    # Outline the clearly tinted superpixels (at least a tenth of the largest weight), so that
    # neighbours of the same sign stay distinguishable and noise-level weights stay quiet.
    edges = find_boundaries(index, mode="inner") & (pixel_alpha[..., 0] >= 0.065)
    blended[edges] = pixel_color[edges]
    buffer = io.BytesIO()
    Image.fromarray(np.rint(blended).astype(np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue(), out_w, out_h


class ImageDomainMapper(DomainMapper):
    """Names and static view of superpixel features.

    Parameters
    ----------
    image : numpy.ndarray of shape (H, W, C)
    segments : numpy.ndarray of shape (H, W)
    segment_ids, segment_index : numpy.ndarray, optional
        The compact numbering (see :func:`compact_segments`), computed when not given.
    """

    def __init__(
        self,
        image: np.ndarray,
        segments: np.ndarray,
        segment_ids: np.ndarray | None = None,
        segment_index: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.image = image
        self.segments = segments
        self._segment_ids = segment_ids
        self._segment_index = segment_index

    @property
    def segment_ids(self) -> np.ndarray:
        """Sorted distinct superpixel ids (feature ``j`` is ``segment_ids[j]``)."""
        if self._segment_ids is None:
            self._segment_ids, self._segment_index = compact_segments(self.segments)
        return self._segment_ids

    @property
    def segment_index(self) -> np.ndarray:
        """``(H, W)`` superpixel position of every pixel."""
        if self._segment_index is None:
            self._segment_ids, self._segment_index = compact_segments(self.segments)
        return self._segment_index

    def columns_of(self, feature_ids: Any) -> np.ndarray:
        """Positions among :attr:`segment_ids` of feature ids (segment ids), checked."""
        ids = np.asarray(feature_ids).ravel()
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"feature ids must be integer segment ids; got {describe(ids)}")
        segment_ids = self.segment_ids
        columns = np.searchsorted(segment_ids, ids).astype(np.intp)
        columns = np.minimum(columns, max(len(segment_ids) - 1, 0))
        unknown = ids[(len(segment_ids) == 0) | (segment_ids[columns] != ids)] if ids.size else ids
        if unknown.size:
            raise ValueError(
                "feature ids must be segment ids of the explanation's segments (from "
                f"{int(segment_ids.min())} to {int(segment_ids.max())}); got "
                f"{unknown[:5].tolist()}"
            )
        return columns

    def feature_name(self, feature_id: int) -> str:
        """``'superpixel <id>'`` for feature (segment id) ``feature_id``."""
        return f"superpixel {int(feature_id)}"

    def map_exp_ids(self, exp: list, **kwargs: Any) -> list:
        """Map ``[(segment id, weight), ...]`` to ``[('superpixel <id>', weight), ...]``."""
        return [(self.feature_name(f), w) for f, w in exp]

    def visualize_instance_html(
        self,
        exp: list,
        label: int,
        div_name: str = "",
        exp_object_name: str = "",
        num_features: int | None = None,
        max_size: int = 512,
        *,
        display_image: Any = None,
        label_name: str | None = None,
        **kwargs: Any,
    ) -> str:
        """An ``<img>`` (inline PNG) of the image with the explained superpixels tinted.

        Parameters
        ----------
        exp : list of (segment id, weight)
        label : int
            The explained label (shown in the title).
        div_name, exp_object_name : str
            Accepted for compatibility with lime's signature; unused.
        num_features : int, optional
            Tint only the ``num_features`` superpixels with the largest ``|weight|``.
        max_size : int, default=512
            Longest side of the picture in pixels (keeps the HTML small).
        display_image : array-like of shape (H, W) or (H, W, C), optional
            The picture to draw instead of the explained image (e.g. the photo before the
            model's preprocessing); same height and width.
        label_name : str, optional
            The label's name for the title (default: ``"label <label>"``).

        Returns
        -------
        str
            An escaped HTML fragment with no script.
        """
        drawn = self.image
        if display_image is not None:
            drawn = check_display_image(display_image, np.shape(self.image))
        columns = self.columns_of([f for f, _ in exp]).tolist()
        by_position = [(c, w) for c, (_, w) in zip(columns, exp, strict=True)]
        png, width, height = render_explanation_png(
            drawn, self.segment_index, by_position, num_features=num_features, max_size=max_size
        )
        data = base64.b64encode(png).decode("ascii")
        title = f"Superpixels for {label_name if label_name is not None else f'label {label}'}"
        note = range_note(self.image, display_image)
        note_html = f'<div class="lw-note">{html_view.esc(note)}</div>' if note else ""
        return (
            f'<div class="lw-panel lw-image"><div class="lw-title">{html_view.esc(title)}</div>'
            f'<img class="lw-img" width="{width}" height="{height}" '
            f'alt="{html_view.esc(title)}" src="data:image/png;base64,{data}">'
            '<div class="lw-note">orange: supports the label &#183; blue: speaks against it'
            f"</div>{note_html}</div>"
        )


# ------------------------------------------------------------------------------- explanation
class ImageExplanation(Explanation):
    """The explanation of an image classifier's prediction.

    Parameters
    ----------
    image : numpy.ndarray of shape (H, W, C)
        The explained image (RGB, or RGBA).
    segments : numpy.ndarray of shape (H, W)
        Its superpixel ids.
    hide_color : None, number or sequence, optional
        What hidden superpixels showed in the samples.
    perturbation : ImagePerturbation, optional
        The object that built the samples' images (the explainer sets it).
    class_names : list of str, optional
    random_state : optional
        Kept for compatibility with the generic explanation.

    Attributes
    ----------
    image, segments : numpy.ndarray
    local_exp : dict
        ``{label: [(segment id, weight), ...]}``: as in lime, feature ``f`` is the superpixel
        ``segments == f`` (whatever the segmentation's numbering; every superpixel can be
        hidden). :meth:`feature_columns` gives their columns in the masks / ``state``.
    intercept, score, local_pred, fidelity : dict
        Per label (see :class:`~limewidgets.engine.explanation.Explanation`).
    top_labels : list of int or None
    predict_proba : numpy.ndarray or None
    segment_ids, segment_index : numpy.ndarray
        The superpixel numbering (see :func:`compact_segments`).
    """

    kind = "image"
    domain_mapper: ImageDomainMapper
    perturbation: ImagePerturbation | None

    def __init__(
        self,
        image: Any,
        segments: Any,
        *,
        hide_color: HideColor = None,
        perturbation: ImagePerturbation | None = None,
        class_names: list | None = None,
        random_state: RandomStateLike = None,
    ) -> None:
        image = np.asarray(image)
        if image.ndim not in (2, 3):
            raise ValueError(f"image must have shape (H, W, C) or (H, W); got {describe(image)}")
        segments = check_segments(segments, image.shape[:2])
        ids = index = None
        if perturbation is not None and perturbation.segments is segments:
            ids, index = perturbation.segment_ids, perturbation.segment_index
        mapper = ImageDomainMapper(image, segments, ids, index)
        super().__init__(
            mapper, mode="classification", class_names=class_names, random_state=random_state
        )
        self.image = image
        self.segments = segments
        self.hide_color = hide_color
        self.perturbation = perturbation

    def _html_body(
        self,
        labels: Any = None,
        predict_proba: bool = True,
        show_predicted_value: bool = True,
        **kwargs: Any,
    ) -> str:
        # The picture is drawn for the first label shown: title it with the class name.
        shown = self.available_labels() if labels is None else list(labels)
        if shown and self.class_names is not None and "label_name" not in kwargs:
            kwargs["label_name"] = self._class_name(int(shown[0]))
        return super()._html_body(shown, predict_proba, show_predicted_value, **kwargs)

    @property
    def segment_ids(self) -> np.ndarray:
        """Sorted distinct superpixel ids: column ``j`` of the masks is ``segment_ids[j]``."""
        return self.domain_mapper.segment_ids

    def feature_columns(self, feature_ids: Any) -> np.ndarray:
        """Mask columns (positions among :attr:`segment_ids`) of feature ids (segment ids)."""
        return self.domain_mapper.columns_of(feature_ids)

    def feature_ids(self, columns: Any) -> np.ndarray:
        """Segment ids of mask columns."""
        cols = np.asarray(columns, dtype=np.intp).ravel()
        return np.asarray(self.segment_ids)[cols].astype(np.int64)

    @property
    def segment_index(self) -> np.ndarray:
        """``(H, W)`` array of every pixel's superpixel position."""
        return self.domain_mapper.segment_index

    def get_image_and_mask(
        self,
        label: int,
        positive_only: bool = True,
        negative_only: bool = False,
        hide_rest: bool = False,
        num_features: int | None = 5,
        min_weight: float = 0.0,
        *,
        display_image: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The image and a mask of the superpixels that matter most for ``label`` (as lime).

        Parameters
        ----------
        label : int
            An explained label.
        positive_only : bool, default=True
            Keep only superpixels with weight ``> max(0, min_weight)``.
        negative_only : bool, default=False
            Keep only superpixels with weight ``< 0`` and ``|weight| > min_weight``. With both
            False, the first ``num_features`` superpixels of either sign with
            ``|weight| >= min_weight`` are kept and coloured: the green channel set to the
            image maximum for positive weights, the red channel for negative ones.
        hide_rest : bool, default=False
            Return zeros (a float64 image) outside the kept superpixels.
        num_features : int or None, default=5
            At most this many superpixels (None: no limit).
        min_weight : float, default=0.0
        display_image : array-like of shape (H, W) or (H, W, C), optional
            Keyword-only addition: build the returned image from this picture instead of the
            explained one (e.g. the photo before a [-1, 1] preprocessing), so that
            ``mark_boundaries(temp, mask)`` draws it directly. Same height and width.

        Returns
        -------
        image : numpy.ndarray
            A copy of the image (its dtype), or a float64 array when ``hide_rest``; from
            ``display_image`` when given.
        mask : numpy.ndarray of shape (H, W)
            1 on kept superpixels (-1 on negative ones when both signs are shown), 0 elsewhere;
            for ``skimage.segmentation.mark_boundaries``.

        Raises
        ------
        LabelNotExplainedError
            If ``label`` was not explained (also a ``KeyError``, as in lime).
        ValueError
            If ``positive_only`` and ``negative_only`` are both True.
        """
        key = self._resolve_label(label)
        if bool(positive_only) and bool(negative_only):
            raise ValueError("positive_only and negative_only cannot both be True")
        if num_features is not None:
            num_features = check_positive_int("num_features", num_features, minimum=0)
        if isinstance(min_weight, (bool, np.bool_)) or not isinstance(min_weight, numbers.Real):
            raise TypeError(f"min_weight must be a number; got {describe(min_weight)}")
        exp = self.local_exp[key]
        image = self.image
        if display_image is not None:
            image = check_display_image(display_image, np.shape(self.image))
        index = self.segment_index
        n = len(self.segment_ids)
        kind = self.segments.dtype.kind
        mask_dtype = (
            self.segments.dtype if kind in "if" else np.result_type(self.segments.dtype, np.int8)
        )
        mask = np.zeros(self.segments.shape, dtype=mask_dtype)
        temp = np.zeros(image.shape) if hide_rest else image.copy()

        def region(ids: list) -> np.ndarray:
            chosen = np.zeros(n, dtype=bool)
            chosen[self.feature_columns(np.asarray(ids, dtype=np.int64))] = True
            return chosen[index]

        if positive_only or negative_only:
            if positive_only:
                ids = [f for f, w in exp if w > 0 and w > min_weight][:num_features]
            else:
                ids = [f for f, w in exp if w < 0 and abs(w) > min_weight][:num_features]
            selected = region(ids)
            if hide_rest:
                temp[selected] = image[selected]
            mask[selected] = 1
            return temp, mask
        kept = [(f, w) for f, w in exp[:num_features] if abs(w) >= min_weight]
        positive = region([f for f, w in kept if w >= 0])
        negative = region([f for f, w in kept if w < 0])
        if hide_rest:
            both = positive | negative
            temp[both] = image[both]
        peak = np.max(image)
        if image.ndim == 3:
            temp[positive, 1] = peak
            temp[negative, 0] = peak
        mask[positive] = 1
        mask[negative] = -1
        return temp, mask
