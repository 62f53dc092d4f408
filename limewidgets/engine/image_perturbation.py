"""Superpixel perturbation of images: validation, the fudged image and masks made into images.

The interpretable features of an image are its superpixels. A sample is a 0/1 keep-mask over
the superpixels; :class:`ImagePerturbation` turns masks into images by replacing every hidden
superpixel with the matching pixels of a *fudged* image (its mean colour, or ``hide_color``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import HideColor, describe


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


def _check_hide_color(hide_color: HideColor, image: np.ndarray) -> np.ndarray:
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
    image: np.ndarray, segment_index: np.ndarray, n_segments: int, hide_color: HideColor
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


def make_fudged_image(image: Any, segments: Any, hide_color: HideColor = None) -> np.ndarray:
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
        self, image: Any, segments: Any, hide_color: HideColor = None, *, fudged_image: Any = None
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
