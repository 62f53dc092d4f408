"""How an image explanation is drawn: the pixels a person sees need not be the model's input.

Models often take preprocessed images (Keras' Inception wants values in [-1, 1], others are
normalised by a mean and a standard deviation). The explanation itself is valid whatever the range,
but drawing such an input as if it were a photo clips the negative values (dark, posterised). The
views therefore accept a ``display_image``: the picture to draw instead (e.g. the photo before
preprocessing), same height and width as the explained image. Without one, an input outside
[0, 1] and [0, 255] is drawn rescaled from its range, and :func:`range_note` says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import describe

#: The value ranges drawn as they are (no note): floats in [0, 1], anything in [0, 255].
STANDARD_RANGES = ((0.0, 1.0), (0.0, 255.0))


def value_range(image: Any) -> tuple[float, float]:
    """The range ``(low, high)`` an image's values are drawn from (``low`` -> black, ``high`` -> white).

    ``uint8`` and integer images within [0, 255]: (0, 255); floats within [0, 1]: (0, 1); floats
    within [0, 255]: (0, 255); non-negative values above 255: (0, max); values within [-1, 1]
    with some negative: (-1, 1); anything else: (min, max) of the finite values.
    """
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        return 0.0, 255.0
    if arr.dtype == bool:
        return 0.0, 1.0
    floating = np.issubdtype(arr.dtype, np.floating)
    values = arr[np.isfinite(arr)] if floating else arr
    if values.size == 0:
        return (0.0, 1.0) if floating else (0.0, 255.0)
    low, high = float(values.min()), float(values.max())
    if low >= 0:
        if floating and high <= 1:
            return 0.0, 1.0
        return (0.0, 255.0) if high <= 255 else (0.0, high)
    if low >= -1 and high <= 1:
        return -1.0, 1.0
    return (low, high) if high > low else (low, low + 1.0)


def range_note(image: Any, display_image: Any = None) -> str:
    """Why the drawing may not look like the photo ('' when the image is drawn as it is).

    Parameters
    ----------
    image : array-like
        The explained image (the model's input).
    display_image : array-like, optional
        What is drawn instead; with one, only its own range can need a note.
    """
    drawn = image if display_image is None else display_image
    low, high = value_range(drawn)
    if (low, high) in STANDARD_RANGES:
        return ""
    what = "The image" if display_image is None else "display_image"
    if (low, high) == (-1.0, 1.0):
        how = (
            "has values in [-1, 1] (e.g. Inception-style preprocessing): it is drawn as (x + 1) / 2"
        )
    else:
        how = (
            f"has values in [{low:.4g}, {high:.4g}], outside [0, 1] and [0, 255]: it is drawn "
            "rescaled from that range"
        )
    hint = ""
    if display_image is None:
        hint = " Pass display_image= (e.g. the photo before preprocessing) to draw that instead."
    return f"{what} {how}. The explanation is unaffected.{hint}"


def to_display_pixels(
    image: Any, drawn_range: tuple[float, float] | None = None, name: str = "image"
) -> np.ndarray:
    """``uint8`` pixels with 3 (RGB) or 4 (RGBA) channels for drawing ``image``.

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
    drawn_range : (float, float), optional
        The values drawn as black and white (default: :func:`value_range` of ``image``); pass the
        explained image's range to draw a derived image (its hide-colour version) the same way.
    name : str
        The argument name used in error messages.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must have shape (H, W), (H, W, 3) or (H, W, 4); got {describe(arr)}"
        )
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric; got {describe(arr)}")
    low, high = value_range(arr) if drawn_range is None else drawn_range
    if arr.dtype == np.uint8 and (low, high) == (0.0, 255.0):
        return arr
    values = (np.nan_to_num(arr.astype(float)) - low) * (255.0 / (high - low))
    return np.clip(values, 0, 255).round().astype(np.uint8)


def check_display_image(display_image: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Check a ``display_image`` against the explained image's ``(H, W, ...)`` shape."""
    arr = np.asarray(display_image)
    if arr.ndim not in (2, 3) or arr.shape[:2] != tuple(shape[:2]):
        raise ValueError(
            f"display_image must have the explained image's height and width {tuple(shape[:2])} "
            f"(shape (H, W) or (H, W, C)); got {describe(arr)}"
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"display_image must be numeric; got {describe(arr)}")
    return arr


def hidden_for_display(image: Any, hidden: Any, display_image: Any) -> np.ndarray:
    """The hide-colour image ``hidden`` (model space) in the colours of ``display_image``.

    Hidden superpixels must look like what the model saw. When the display image is an affine
    function of the input per channel (the usual preprocessing: ``x / 127.5 - 1``, mean/std
    normalisation), the same map is fitted and applied to ``hidden``. Otherwise the hidden pixels
    are drawn mid-grey: there is no faithful colour for them.

    Returns
    -------
    numpy.ndarray of shape (H, W, C) float, in ``display_image``'s own range.
    """
    source = np.asarray(image, dtype=float)
    target = np.asarray(display_image, dtype=float)
    covered = np.asarray(hidden, dtype=float)
    if source.ndim == 2:
        source, covered = source[..., None], covered[..., None]
    if target.ndim == 2:
        target = target[..., None]
    channels = target.shape[2]
    out = np.empty(target.shape, dtype=float)
    low, high = value_range(display_image)
    for c in range(channels):
        k = c if source.shape[2] == channels else None
        x = source[..., k].ravel() if k is not None else source.mean(axis=2).ravel()
        h = covered[..., k] if k is not None else covered.mean(axis=2)
        y = target[..., c].ravel()
        if np.ptp(x) == 0:
            scale, offset = 0.0, float(y.mean())
        else:
            scale, offset = np.polyfit(x, y, 1)
        residual = np.abs(scale * x + offset - y).max()
        if residual <= 0.02 * (high - low):
            out[..., c] = scale * h + offset
        else:
            out[..., c] = (low + high) / 2
    return out
