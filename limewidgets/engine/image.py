"""LIME for images: superpixel masks, their perturbed images and the image explanation.

The interpretable features of an image are its superpixels. A sample is a 0/1 keep-mask over
the superpixels; :class:`ImagePerturbation` turns masks into images by replacing every hidden
superpixel with the matching pixels of a *fudged* image (its mean colour, or ``hide_color``).
:class:`LimeImageExplainer` samples masks, queries the model in batches, and fits one weighted
linear surrogate per label.

Feature ids are *positions*: feature ``j`` is the superpixel ``segment_ids[j]``, where
``segment_ids`` are the sorted distinct values of the segment map. With segmentations numbered
``0..n-1`` (quickshift, felzenszwalb) positions and segment ids coincide, exactly as in lime.
lime assumed that numbering for every segmentation, so with slic's default ids ``1..n`` one
superpixel was never hidden; limewidgets accepts any ids.
"""

from __future__ import annotations

import base64
import io
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import html as html_view
from ._validation import (
    FEATURE_SELECTION_METHODS,
    check_callable,
    check_choice,
    check_labels_argument,
    check_positive_float,
    check_positive_int,
    check_random_state,
    describe,
)
from .base import LimeBase, distances_to_first, make_kernel_fn
from .batching import predict_in_batches
from .explanation import DomainMapper, Explanation
from .sampling import check_sampler, spawn_generator, stratified_uniforms
from .segmentation import SegmentationAlgorithm

#: Display colours of the static view: orange supports the label, blue opposes it.
_POSITIVE_RGB = np.array([232.0, 113.0, 10.0])
_NEGATIVE_RGB = np.array([26.0, 115.0, 232.0])


# ---------------------------------------------------------------------------------- validation
def check_image(image: Any, name: str = "image") -> np.ndarray:
    """Validate an image and return it as an ``(H, W, C)`` array with ``C`` in 3 or 4.

    Grayscale ``(H, W)`` and ``(H, W, 1)`` images become RGB by repeating the channel (as lime's
    ``gray2rgb``); RGB and RGBA images are returned unchanged (no copy), in their dtype.

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
        Integer or floating-point pixels (e.g. ``uint8`` in ``[0, 255]`` or floats in
        ``[0, 1]``).
    name : str
        Argument name for error messages.

    Returns
    -------
    numpy.ndarray of shape (H, W, 3) or (H, W, 4)

    Raises
    ------
    TypeError
        If the pixels are not integers or floats.
    ValueError
        If the shape is not that of an image, the image is empty, or a float pixel is NaN or
        infinite.
    """
    try:
        arr = np.asarray(image)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array; got {describe(image)}") from err
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must have an integer or floating-point dtype (e.g. uint8 or float32); got "
            f"{describe(arr)}"
        )
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"{name} must have shape (H, W) for grayscale, or (H, W, C) with C = 1, 3 or 4 "
            f"channels; got {describe(arr)}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got {describe(arr)}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite pixels; got {describe(arr)}")
    if arr.ndim == 2:
        return np.stack([arr, arr, arr], axis=-1)
    if arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    return arr


def check_segments(segments: Any, shape: tuple[int, int], name: str = "segments") -> np.ndarray:
    """Validate a segment map for an image of ``shape`` (H, W); return it as an integer array.

    Parameters
    ----------
    segments : array-like of shape (H, W)
        One integer superpixel id per pixel. Any ids are accepted (not only ``0..n-1``);
        floats are accepted when every value is a whole number.
    shape : tuple of int
        The image's ``(H, W)``.
    name : str
        Argument name for error messages.

    Returns
    -------
    numpy.ndarray of shape (H, W)
    """
    try:
        arr = np.asarray(segments)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an integer array; got {describe(segments)}") from err
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{name} must be an integer array of shape {tuple(shape)} (one superpixel id per "
            f"pixel of the image); got {describe(arr)}"
        )
    if np.issubdtype(arr.dtype, np.integer):
        return arr
    if arr.dtype == bool:
        return arr.astype(np.intp)
    if np.issubdtype(arr.dtype, np.floating):
        if np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise TypeError(f"{name} must contain whole-number superpixel ids; got {describe(arr)}")
    raise TypeError(f"{name} must be an integer array; got {describe(arr)}")


def compact_segments(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the superpixels of a segment map ``0..n-1``.

    Parameters
    ----------
    segments : numpy.ndarray of integers, shape (H, W)

    Returns
    -------
    segment_ids : numpy.ndarray of shape (n,)
        The distinct ids, sorted.
    segment_index : numpy.ndarray of shape (H, W), dtype intp
        For every pixel, the position of its id in ``segment_ids``.
    """
    segments = np.asarray(segments)
    flat = segments.ravel()
    if flat.size and np.issubdtype(flat.dtype, np.integer):
        low, high = int(flat.min()), int(flat.max())
        # Counting sort when the id range is small (always, in practice): O(pixels), where
        # np.unique sorts all pixels.
        if high - low <= 4 * flat.size + 65536:
            offset = flat.astype(np.intp) - low if low else flat.astype(np.intp, copy=False)
            present = np.bincount(offset, minlength=high - low + 1) > 0
            position = np.cumsum(present) - 1
            segment_ids = (np.flatnonzero(present) + low).astype(segments.dtype)
            return segment_ids, position[offset].reshape(segments.shape)
    segment_ids, inverse = np.unique(flat, return_inverse=True)
    return segment_ids, inverse.astype(np.intp).reshape(segments.shape)


def _check_hide_color(hide_color: Any, image: np.ndarray) -> np.ndarray:
    """``hide_color`` as an array broadcastable to a pixel, checked against the image dtype."""
    channels = image.shape[2]
    if isinstance(hide_color, (bool, np.bool_)):
        raise TypeError(
            f"hide_color must be None, a number or a colour; got {describe(hide_color)}"
        )
    try:
        color = np.asarray(hide_color, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"hide_color must be None, a number or a sequence of {channels} numbers; got "
            f"{describe(hide_color)}"
        ) from err
    if color.ndim > 1 or (color.ndim == 1 and color.size not in (channels, 3)):
        raise ValueError(
            f"hide_color must be a number or a colour of {channels} values (one per channel); "
            f"got {describe(hide_color)}"
        )
    if not np.all(np.isfinite(color)):
        raise ValueError(f"hide_color must be finite; got {describe(hide_color)}")
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        if color.min() < info.min or color.max() > info.max:
            raise ValueError(
                f"hide_color must lie in [{info.min}, {info.max}] for a {image.dtype} image; "
                f"got {describe(hide_color)}"
            )
    return color


def _fudge(
    image: np.ndarray, segment_index: np.ndarray, n_segments: int, hide_color: Any
) -> np.ndarray:
    """The image shown in place of hidden superpixels (see :func:`make_fudged_image`)."""
    channels = image.shape[2]
    if hide_color is None:
        flat_index = segment_index.ravel()
        counts = np.bincount(flat_index, minlength=n_segments).astype(float)
        pixels = image.reshape(-1, channels)
        means = np.empty((n_segments, channels))
        for c in range(channels):  # a handful of channels, each one vectorised bincount
            channel = pixels[:, c].astype(np.float64, copy=False)  # bincount needs float64
            sums = np.bincount(flat_index, weights=channel, minlength=n_segments)
            means[:, c] = sums / np.maximum(counts, 1)
        # Integer images truncate the means, as lime's assignment into a copy did. Casting the
        # small table before indexing avoids an (H, W, C) float64 temporary.
        return means.astype(image.dtype)[segment_index]
    color = _check_hide_color(hide_color, image)
    fudged = np.empty_like(image)
    if color.ndim == 1 and color.size == 3 and channels == 4:
        fudged[..., :3] = color  # an RGB colour keeps the image's alpha channel
        fudged[..., 3] = image[..., 3]
    else:
        fudged[...] = color
    return fudged


def make_fudged_image(image: Any, segments: Any, hide_color: Any = None) -> np.ndarray:
    """Build the image whose pixels replace hidden superpixels.

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, C)
        The image (grayscale becomes RGB, see :func:`check_image`).
    segments : array-like of shape (H, W)
        Superpixel ids (any integers).
    hide_color : None, number or sequence, default=None
        ``None``: every superpixel takes its mean colour (truncated to integers for integer
        images, as lime). A number: every channel takes that value. A sequence: that colour,
        one value per channel (an RGB colour on an RGBA image keeps the alpha channel).

    Returns
    -------
    numpy.ndarray
        Same shape (after grayscale conversion) and dtype as the image.
    """
    image = check_image(image)
    segments = check_segments(segments, image.shape[:2])
    segment_ids, segment_index = compact_segments(segments)
    return _fudge(image, segment_index, len(segment_ids), hide_color)


# ------------------------------------------------------------------------------- perturbation
@dataclass(frozen=True)
class _BitPlanes:
    """Precomputed arrays for building perturbed images (see ``make_instances``).

    ``fudged`` and ``delta`` (image - fudged) are the flattened raw bits as unsigned integers;
    ``run_segment`` / ``run_values`` describe the runs of equal superpixel along the flattened
    image: the superpixel position of each run and its length in values (pixels x channels).
    """

    fudged: np.ndarray
    delta: np.ndarray
    run_segment: np.ndarray
    run_values: np.ndarray


class ImagePerturbation:
    """Builds perturbed images from superpixel keep-masks.

    Implements the :class:`~limewidgets.engine.perturbation.Perturbation` protocol: the edit
    space is a 0/1 mask over the superpixels (position ``j`` is superpixel ``segment_ids[j]``).

    Parameters
    ----------
    image : array-like of shape (H, W) or (H, W, C)
        The explained image (grayscale becomes RGB; RGBA keeps its 4 channels).
    segments : array-like of shape (H, W)
        Superpixel ids, any integers.
    hide_color : None, number or sequence, default=None
        What hidden superpixels show (see :func:`make_fudged_image`).
    fudged_image : array-like, optional
        The replacement image itself, as lime's ``data_labels`` takes it; overrides
        ``hide_color``.

    Attributes
    ----------
    image : numpy.ndarray of shape (H, W, C)
    segments : numpy.ndarray of shape (H, W)
    segment_ids : numpy.ndarray of shape (n_features,)
        Sorted distinct superpixel ids.
    segment_index : numpy.ndarray of shape (H, W), dtype intp
        Position in ``segment_ids`` of every pixel's superpixel.
    fudged_image : numpy.ndarray of shape (H, W, C)
        Pixels shown where a superpixel is hidden; same dtype as ``image``.
    n_features : int
        Number of superpixels.
    """

    def __init__(
        self,
        image: Any,
        segments: Any,
        hide_color: Any = None,
        *,
        fudged_image: Any = None,
    ) -> None:
        self.image = check_image(image)
        self.segments = check_segments(segments, self.image.shape[:2])
        self.segment_ids, self.segment_index = compact_segments(self.segments)
        self.n_features = int(len(self.segment_ids))
        self.hide_color = hide_color
        if fudged_image is None:
            self.fudged_image = _fudge(self.image, self.segment_index, self.n_features, hide_color)
        else:
            fudged = check_image(fudged_image, name="fudged_image")
            if fudged.shape != self.image.shape:
                raise ValueError(
                    f"fudged_image must have the image's shape {self.image.shape}; got "
                    f"{describe(fudged)}"
                )
            self.fudged_image = fudged.astype(self.image.dtype, copy=False)
        self._bits: _BitPlanes | None = None

    # -- protocol
    def initial_state(self) -> np.ndarray:
        """The mask of the unperturbed image: every superpixel kept (all ones)."""
        return np.ones(self.n_features, dtype=np.int64)

    def to_interpretable(self, rows: Any) -> np.ndarray:
        """The surrogate's representation of masks: the masks themselves, as a 2-D array."""
        return self._check_masks(rows)

    def make_instances(self, rows: Any) -> np.ndarray:
        """Perturbed images for keep-masks.

        Parameters
        ----------
        rows : array-like of shape (n, n_features) or (n_features,)
            Nonzero keeps a superpixel, zero hides it (shows ``fudged_image`` there).

        Returns
        -------
        numpy.ndarray of shape (n, H, W, C)
            In the image's dtype (a ``uint8`` batch of 10 images of 2048x2048x3 is 126 MB).
        """
        keep = self._check_masks(rows) != 0
        height, width, channels = self.image.shape
        n = keep.shape[0]
        unsigned = self._unsigned_dtype()
        if unsigned is None:  # exotic item sizes (e.g. longdouble): the plain formula
            selected = keep[:, self.segment_index][..., None]
            return np.where(selected, self.image, self.fudged_image)
        planes = self._bit_planes(unsigned)
        # Pixel value = fudged + keep * (image - fudged) in wrapping unsigned arithmetic on the
        # raw bits: exact for every dtype (floats included). The per-value keep flags come
        # from repeating each sample's flag over the runs of equal superpixel along the
        # flattened image (superpixels are contiguous, so runs are long): several times faster
        # than np.where(keep[:, segment_index][..., None], image, fudged), whose inner loop
        # over the C channels is slow, and with no (H, W)-sized temporary besides the output.
        out = np.repeat(keep.astype(unsigned)[:, planes.run_segment], planes.run_values, axis=1)
        np.multiply(out, planes.delta, out=out)
        np.add(out, planes.fudged, out=out)
        return out.view(self.image.dtype).reshape(n, height, width, channels)

    # -- helpers for explanations and widgets
    def region(self, positions: Any) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the pixels in the superpixels at ``positions``."""
        chosen = np.zeros(self.n_features, dtype=bool)
        chosen[_check_positions(positions, self.n_features)] = True
        return chosen[self.segment_index]

    def position_at(self, row: int, col: int) -> int:
        """The position of the superpixel that contains pixel ``(row, col)``."""
        return int(self.segment_index[row, col])

    def _check_masks(self, rows: Any) -> np.ndarray:
        masks = np.asarray(rows)
        if masks.ndim == 1:
            masks = masks[None, :]
        if masks.ndim != 2 or masks.shape[1] != self.n_features:
            raise ValueError(
                f"rows must be keep-masks of shape (n, {self.n_features}) (one column per "
                f"superpixel); got {describe(masks)}"
            )
        if masks.dtype == object or not (
            masks.dtype == bool or np.issubdtype(masks.dtype, np.number)
        ):
            raise TypeError(f"rows must be numeric 0/1 masks; got {describe(masks)}")
        return masks

    def _unsigned_dtype(self) -> np.dtype | None:
        size = self.image.dtype.itemsize
        return np.dtype(f"u{size}") if size in (1, 2, 4, 8) else None

    def _bit_planes(self, unsigned: np.dtype) -> _BitPlanes:
        if self._bits is None:
            image_bits = np.ascontiguousarray(self.image).reshape(-1).view(unsigned)
            fudged_bits = np.ascontiguousarray(self.fudged_image).reshape(-1).view(unsigned)
            flat_index = self.segment_index.ravel()
            starts = np.flatnonzero(flat_index[1:] != flat_index[:-1]) + 1
            starts = np.concatenate([[0], starts])
            lengths = np.diff(np.append(starts, flat_index.size))
            self._bits = _BitPlanes(
                fudged=fudged_bits,
                delta=image_bits - fudged_bits,
                run_segment=flat_index[starts],
                run_values=lengths * self.image.shape[2],
            )
        return self._bits


def _check_positions(positions: Any, n_features: int) -> np.ndarray:
    arr = np.asarray(positions, dtype=np.intp).ravel()
    if arr.size and (arr.min() < 0 or arr.max() >= n_features):
        raise ValueError(
            f"feature ids must be superpixel positions in [0, {n_features}); got "
            f"{arr[(arr < 0) | (arr >= n_features)][:5].tolist()}"
        )
    return arr


# ------------------------------------------------------------------------------- display
def _display_uint8(image: np.ndarray) -> np.ndarray:
    """RGB ``uint8`` pixels for display (floats in [0, 1] or [0, 255]; alpha over white)."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    values = arr.astype(float)
    if arr.dtype != np.uint8:
        top = float(values.max()) if values.size else 0.0
        if np.issubdtype(arr.dtype, np.floating) and top <= 1.0:
            values = values * 255.0
        elif top > 255.0:
            values = values * (255.0 / top)
    values = np.clip(values, 0.0, 255.0)
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

    def feature_name(self, position: int) -> str:
        """``'superpixel <id>'`` for the superpixel at ``position``."""
        return f"superpixel {self.segment_ids[int(position)]}"

    def map_exp_ids(self, exp: list, **kwargs: Any) -> list:
        """Map ``[(position, weight), ...]`` to ``[('superpixel <id>', weight), ...]``."""
        return [(self.feature_name(f), w) for f, w in exp]

    def visualize_instance_html(
        self,
        exp: list,
        label: int,
        div_name: str = "",
        exp_object_name: str = "",
        num_features: int | None = None,
        max_size: int = 512,
        **kwargs: Any,
    ) -> str:
        """An ``<img>`` (inline PNG) of the image with the explained superpixels tinted.

        Parameters
        ----------
        exp : list of (position, weight)
        label : int
            The explained label (shown in the title).
        div_name, exp_object_name : str
            Accepted for compatibility with lime's signature; unused.
        num_features : int, optional
            Tint only the ``num_features`` superpixels with the largest ``|weight|``.
        max_size : int, default=512
            Longest side of the picture in pixels (keeps the HTML small).

        Returns
        -------
        str
            An escaped HTML fragment with no script.
        """
        png, width, height = render_explanation_png(
            self.image, self.segment_index, exp, num_features=num_features, max_size=max_size
        )
        data = base64.b64encode(png).decode("ascii")
        title = f"Superpixels for label {label}"
        return (
            f'<div class="lw-panel lw-image"><div class="lw-title">{html_view.esc(title)}</div>'
            f'<img class="lw-img" width="{width}" height="{height}" '
            f'alt="{html_view.esc(title)}" src="data:image/png;base64,{data}">'
            '<div class="lw-note">orange: supports the label &#183; blue: speaks against it'
            "</div></div>"
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
        ``{label: [(position, weight), ...]}``; ``position`` indexes ``segment_ids``.
    intercept, score, local_pred, fidelity : dict
        Per label (see :class:`~limewidgets.engine.explanation.Explanation`).
    top_labels : list of int or None
    predict_proba : numpy.ndarray or None
    segment_ids, segment_index : numpy.ndarray
        The superpixel numbering (see :func:`compact_segments`).
    """

    kind = "image"

    def __init__(
        self,
        image: Any,
        segments: Any,
        *,
        hide_color: Any = None,
        perturbation: ImagePerturbation | None = None,
        class_names: list | None = None,
        random_state: Any = None,
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

    @property
    def segment_ids(self) -> np.ndarray:
        """Sorted distinct superpixel ids: feature ``j`` is superpixel ``segment_ids[j]``."""
        return self.domain_mapper.segment_ids

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

        Returns
        -------
        image : numpy.ndarray
            A copy of the image (its dtype), or a float64 array when ``hide_rest``.
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
            chosen[_check_positions(ids, n)] = True
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


# ------------------------------------------------------------------------------- explainer
class LimeImageExplainer:
    """Explain an image classifier's prediction with superpixel LIME (lime-compatible).

    Parameters
    ----------
    kernel_width : float, default=0.25
        Width of the exponential kernel on cosine distances between masks.
    kernel : callable, optional
        ``kernel(distances, kernel_width) -> weights``; default
        ``sqrt(exp(-d**2 / kernel_width**2))``.
    verbose : bool, default=False
        Print each surrogate's intercept and local prediction.
    feature_selection : {'auto', 'forward_selection', 'lasso_path', 'highest_weights', 'none'}
        How superpixels are selected before the surrogate fit (see
        :meth:`~limewidgets.engine.base.LimeBase.feature_selection`).
    random_state : int, RandomState or None, default=None
        Seeds sampling and, through ``random_seed``, the default segmentation. One stream is
        kept per explainer: repeated calls differ, two explainers with the same seed agree.

    Attributes
    ----------
    random_state : numpy.random.RandomState
    base : LimeBase
        The surrogate fitter.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage.data import chelsea
    >>> def model(images):  # P(class 1) = brightness of the top-left corner
    ...     p = images[:, :32, :32].mean(axis=(1, 2, 3)) / 255.0
    ...     return np.stack([1 - p, p], axis=1)
    >>> grid = lambda img: (np.arange(64)[:, None] // 16) * 4 + np.arange(64)[None, :] // 16
    >>> explainer = LimeImageExplainer(random_state=0)
    >>> exp = explainer.explain_instance(chelsea()[:64, :64], model, top_labels=None,
    ...     labels=(1,), segmentation_fn=grid, num_samples=200, progress_bar=False)
    >>> sorted(f for f, w in exp.local_exp[1][:4])
    [0, 1, 4, 5]
    """

    def __init__(
        self,
        kernel_width: float = 0.25,
        kernel: Callable[[np.ndarray, float], np.ndarray] | None = None,
        verbose: bool = False,
        feature_selection: str = "auto",
        random_state: Any = None,
    ) -> None:
        self.kernel_width = check_positive_float("kernel_width", kernel_width)
        self.kernel = kernel
        self.verbose = verbose
        self.feature_selection = check_choice(
            "feature_selection", feature_selection, FEATURE_SELECTION_METHODS
        )
        self.random_state = check_random_state(random_state)
        self.base = LimeBase(
            make_kernel_fn(kernel, self.kernel_width), verbose, random_state=self.random_state
        )

    def explain_instance(
        self,
        image: Any,
        classifier_fn: Callable[[np.ndarray], Any],
        labels: Any = (1,),
        hide_color: Any = None,
        top_labels: int | None = 5,
        num_features: int = 100000,
        num_samples: int = 1000,
        batch_size: int = 10,
        segmentation_fn: Callable[[np.ndarray], Any] | None = None,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        random_seed: int | None = None,
        *,
        progress_bar: bool = True,
        sampler: str = "lime",
        class_names: Any = None,
    ) -> ImageExplanation:
        """Explain ``classifier_fn``'s prediction for ``image``.

        Parameters
        ----------
        image : array-like of shape (H, W, C) or (H, W)
            RGB or RGBA image (grayscale is converted to RGB), integers or floats.
        classifier_fn : callable
            Takes a batch ``(n, H, W, C)`` of images in the image's dtype, returns
            ``(n, n_classes)`` probabilities.
        labels : iterable of int, default=(1,)
            Labels to explain when ``top_labels`` is None.
        hide_color : None, number or sequence, default=None
            What a hidden superpixel shows: None its mean colour, else this value / colour.
        top_labels : int or None, default=5
            Explain the ``top_labels`` most probable labels instead of ``labels``.
        num_features : int, default=100000
            Maximum number of superpixels in each explanation.
        num_samples : int, default=1000
            Number of perturbed images (the first is the image itself).
        batch_size : int, default=10
            Images per call of ``classifier_fn`` (bounds memory).
        segmentation_fn : callable, optional
            ``segmentation_fn(image) -> (H, W)`` integer ids (any ids). Default: quickshift
            with ``kernel_size=4, max_dist=200, ratio=0.2`` seeded by ``random_seed``.
        distance_metric : str, default='cosine'
            Distance between masks, for the kernel.
        model_regressor : regressor, optional
            Surrogate model (default ``Ridge(alpha=1)``).
        random_seed : int, optional
            Seed of the default segmentation; drawn from ``random_state`` when None.
        progress_bar : bool, default=True
            Show a progress bar over the model calls (lime always showed one).
        sampler : {'lime', 'stratified'}, default='lime'
            ``'lime'`` shows every superpixel independently with probability 1/2 (lime's
            rule). ``'stratified'`` gives every sample exactly that distribution but draws the
            samples jointly from a scrambled Sobol' sequence, so that each superpixel is shown
            in half of the samples (to within a couple) and pairs of superpixels are shown
            together in close to a quarter: the explanation is the same in expectation and
            varies less from seed to seed. With a model whose superpixels interact strongly,
            superpixels it ignores can get somewhat larger spurious weights (see
            :mod:`limewidgets.engine.sampling`).
        class_names : sequence of str, optional
            Names of the model's classes, shown by the widget and the HTML view (lime's image
            explainer had none; default ``'0'``, ``'1'``, ...).

        Returns
        -------
        ImageExplanation
        """
        image = check_image(image)
        if class_names is not None:
            if isinstance(class_names, str):
                raise TypeError(f"class_names must be a sequence of names; got {class_names!r}")
            class_names = [str(name) for name in class_names]
        check_callable("classifier_fn", classifier_fn)
        requested = check_labels_argument("labels", labels)
        if top_labels is not None and top_labels is not False and top_labels != 0:
            top_labels = check_positive_int("top_labels", top_labels)
        else:
            top_labels = None
        num_features = check_positive_int("num_features", num_features)
        num_samples = check_positive_int("num_samples", num_samples)
        batch_size = check_positive_int("batch_size", batch_size)
        check_choice("feature_selection", self.feature_selection, FEATURE_SELECTION_METHODS)
        check_sampler(sampler)
        if random_seed is None:  # drawn like lime, so a seed gives lime's sampling stream
            random_seed = self.random_state.randint(0, high=1000)
        if segmentation_fn is None:
            segmentation_fn = SegmentationAlgorithm(
                "quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=random_seed
            )
        check_callable("segmentation_fn", segmentation_fn)
        segments = check_segments(
            segmentation_fn(image), image.shape[:2], name="segmentation_fn(image)"
        )
        perturbation = ImagePerturbation(image, segments, hide_color)

        data, outputs = self._sample(
            perturbation, classifier_fn, num_samples, batch_size, progress_bar, sampler
        )
        distances = distances_to_first(data, distance_metric)
        weights = self.base.kernel_fn(distances)

        explanation = ImageExplanation(
            image, perturbation.segments, hide_color=hide_color, perturbation=perturbation
        )
        explanation.classifier_fn = classifier_fn
        explanation.num_samples = num_samples
        explanation.store_samples(data, outputs)
        explanation.predict_proba = outputs[0]
        n_classes = outputs.shape[1]
        if class_names is not None and len(class_names) != n_classes:
            raise ValueError(
                f"class_names must have one name per class: classifier_fn returned {n_classes} "
                f"columns, class_names has {len(class_names)}"
            )
        explanation.class_names = class_names
        if top_labels:
            # np.argsort's default order, as lime, so that ties resolve the same way.
            chosen = [int(x) for x in np.argsort(outputs[0])[-top_labels:]][::-1]
            explanation.top_labels = chosen
        else:
            bad = [x for x in requested if not 0 <= x < n_classes]
            if bad:
                raise ValueError(
                    f"labels must be class indices in [0, {n_classes}) (classifier_fn returned "
                    f"{n_classes} columns); got {bad}"
                )
            chosen = list(requested)
        fits = self.base.fit_labels(
            data,
            outputs,
            distances,
            chosen,
            num_features,
            feature_selection=self.feature_selection,
            model_regressor=model_regressor,
            weights=weights,
        )
        for label, fit in fits.items():
            explanation.store_fit(label, fit)
        return explanation

    def data_labels(
        self,
        image: Any,
        fudged_image: Any,
        segments: Any,
        classifier_fn: Callable[[np.ndarray], Any],
        num_samples: int,
        batch_size: int = 10,
        *,
        progress_bar: bool = True,
        sampler: str = "lime",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample superpixel masks around the image and get the model's outputs for them.

        Parameters
        ----------
        image : array-like of shape (H, W, C) or (H, W)
        fudged_image : array-like of the image's shape
            Pixels shown where a superpixel is hidden.
        segments : array-like of shape (H, W)
            Superpixel ids (any integers).
        classifier_fn : callable
        num_samples : int
        batch_size : int, default=10
        progress_bar : bool, default=True
        sampler : {'lime', 'stratified'}, default='lime'
            As in :meth:`explain_instance`.

        Returns
        -------
        data : numpy.ndarray of shape (num_samples, n_superpixels)
            0/1 masks; row 0 is all ones. Column ``j`` is superpixel ``unique(segments)[j]``.
        labels : numpy.ndarray of shape (num_samples, n_classes)
            The model's outputs.
        """
        check_callable("classifier_fn", classifier_fn)
        num_samples = check_positive_int("num_samples", num_samples)
        batch_size = check_positive_int("batch_size", batch_size)
        check_sampler(sampler)
        perturbation = ImagePerturbation(image, segments, fudged_image=fudged_image)
        return self._sample(
            perturbation, classifier_fn, num_samples, batch_size, progress_bar, sampler
        )

    def _sample(
        self,
        perturbation: ImagePerturbation,
        classifier_fn: Callable[[np.ndarray], Any],
        num_samples: int,
        batch_size: int,
        progress_bar: bool,
        sampler: str = "lime",
    ) -> tuple[np.ndarray, np.ndarray]:
        n_features = perturbation.n_features
        if sampler == "stratified":
            data = self._stratified_masks(num_samples, n_features)
        else:
            # One draw for all masks (lime's draw, so the same seed gives the same masks).
            data = self.random_state.randint(0, 2, num_samples * n_features).reshape(
                (num_samples, n_features)
            )
        data[0, :] = 1
        outputs = predict_in_batches(
            classifier_fn,
            lambda start, stop: perturbation.make_instances(data[start:stop]),
            num_samples,
            batch_size,
            mode="classification",
            progress_bar=bool(progress_bar),
            name="classifier_fn",
        )
        return data, outputs

    def _stratified_masks(self, num_samples: int, n_features: int) -> np.ndarray:
        """Masks of ``sampler='stratified'`` (row 0 is overwritten by the caller).

        Superpixel ``j`` is shown where its coordinate of a scrambled Sobol' point is below
        1/2; superpixels are assigned to the sequence's coordinates in a random order.
        """
        generator = spawn_generator(self.random_state)
        uniforms = stratified_uniforms(generator, num_samples - 1, n_features)
        data = np.ones((num_samples, n_features), dtype=np.int_)
        data[1:, generator.permutation(n_features)] = uniforms < 0.5
        return data
