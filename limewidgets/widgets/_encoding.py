"""Compact binary encodings of images and segment maps for the image widget.

Pixels never travel as JSON lists: the photo is a JPEG (or PNG), the hide-colour image a PNG and
the segment map zlib-compressed little-endian ``uint16`` superpixel positions, all at one shared
display size (longest side at most ``max_size``), so a 1000x1000 explanation costs a few hundred
kilobytes instead of tens of megabytes.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np

from ..engine._validation import describe
from ..engine.image_display import to_display_pixels

#: Images with at most this many pixels (at display size) are sent as lossless PNG.
SMALL_IMAGE_PIXELS = 128 * 128
JPEG_QUALITY = 90
ZLIB_LEVEL = 6
IMAGE_ENCODINGS = ("auto", "jpeg", "png")


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image and its size.

    Attributes
    ----------
    data : bytes
        The encoded file content.
    format : {'jpeg', 'png'}
    width, height : int
        Size in pixels.
    """

    data: bytes
    format: str
    width: int
    height: int


def display_size(height: int, width: int, max_size: int) -> tuple[int, int]:
    """The ``(height, width)`` at which an image is shown: longest side at most ``max_size``."""
    scale = min(1.0, max_size / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def nearest_indices(source: int, target: int) -> np.ndarray:
    """Source indices sampled by nearest-neighbour resizing from ``source`` to ``target`` pixels."""
    return np.minimum(((np.arange(target) + 0.5) * (source / target)).astype(np.intp), source - 1)


def to_uint8_rgb(
    image: np.ndarray, name: str = "image", drawn_range: tuple[float, float] | None = None
) -> np.ndarray:
    """Convert an image to ``uint8`` with 3 (RGB) or 4 (RGBA) channels for encoding.

    Values are drawn from the range :func:`limewidgets.engine.image_display.value_range` picks
    (floats in [0, 1], anything in [0, 255], [-1, 1], else the values' own range), or from
    ``drawn_range``; grayscale becomes RGB.
    """
    return to_display_pixels(image, drawn_range, name)


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """High-quality (Lanczos) resize of a ``uint8`` image; returns it unchanged at equal size."""
    if image.shape[:2] == (height, width):
        return image
    from PIL import Image

    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    resized = Image.fromarray(image, mode).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized)


def resize_nearest(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize (for label maps and piecewise-constant images)."""
    rows = nearest_indices(array.shape[0], height)
    cols = nearest_indices(array.shape[1], width)
    return array[rows[:, None], cols[None, :]]


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a ``uint8`` RGB/RGBA image."""
    from PIL import Image

    buffer = io.BytesIO()
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    Image.fromarray(image, mode).save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of a ``uint8`` RGB image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image[:, :, :3], "RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def encode_image(image: np.ndarray, encoding: str = "auto") -> EncodedImage:
    """Encode a display-size ``uint8`` image.

    Parameters
    ----------
    image : numpy.ndarray of shape (H, W, 3) or (H, W, 4), uint8
    encoding : {'auto', 'jpeg', 'png'}
        ``'auto'``: PNG when the image has an alpha channel or is small
        (at most :data:`SMALL_IMAGE_PIXELS` pixels), else JPEG at quality 90.

    Returns
    -------
    EncodedImage
    """
    if encoding not in IMAGE_ENCODINGS:
        raise ValueError(f"image_encoding must be one of {list(IMAGE_ENCODINGS)}; got {encoding!r}")
    height, width = image.shape[:2]
    if encoding == "auto":
        small = height * width <= SMALL_IMAGE_PIXELS
        encoding = "png" if image.shape[2] == 4 or small else "jpeg"
    if encoding == "png":
        return EncodedImage(encode_png(image), "png", width, height)
    return EncodedImage(encode_jpeg(image), "jpeg", width, height)


def encode_segment_map(positions: np.ndarray) -> bytes:
    """zlib-compressed little-endian ``uint16`` bytes of a 2-D map of superpixel positions."""
    positions = np.asarray(positions)
    if positions.ndim != 2:
        raise ValueError(f"segment map must be 2-D; got {describe(positions)}")
    if positions.size and (positions.min() < 0 or positions.max() > np.iinfo(np.uint16).max):
        raise ValueError(
            "segment positions must be in [0, 65535] to be sent as uint16; got values in "
            f"[{positions.min()}, {positions.max()}]"
        )
    raw = np.ascontiguousarray(positions, dtype="<u2").tobytes()
    return zlib.compress(raw, ZLIB_LEVEL)


def decode_segment_map(data: bytes, height: int, width: int) -> np.ndarray:
    """Inverse of :func:`encode_segment_map` (what the browser does with DecompressionStream)."""
    raw = zlib.decompress(data)
    return np.frombuffer(raw, dtype="<u2").reshape(height, width).astype(np.intp)


def decode_image(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG bytes to an array (for tests and checks)."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))
