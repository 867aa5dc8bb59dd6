"""Fitting an image into a frame of another size: scaled with its aspect kept and padded or cropped, or stretched.

``fit`` is one of :data:`framer.parsing.FITS`: ``pad`` (the whole picture, black borders), ``crop`` (the frame filled,
edges cut) or ``stretch`` (the frame filled, the aspect changed). Sizes are ``(width, height)``.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

__all__ = ["Placement", "fit_image", "fit_note", "placement"]

Size = tuple[int, int]


class Placement(NamedTuple):
    """Where a keyframe lands in the target size: scaled to ``scaled``, its top-left corner at ``offset`` (negative
    when cropped)."""

    scaled: Size
    offset: tuple[int, int]


def placement(source: Size, target: Size, fit: str) -> Placement:
    """How a ``source``-sized image fits ``target`` with ``fit`` (one of :data:`framer.parsing.FITS`); the aspect
    is kept except with ``stretch``."""
    if fit == "stretch" or source == target:
        return Placement(target, (0, 0))
    factors = (target[0] / source[0], target[1] / source[1])
    factor = min(factors) if fit == "pad" else max(factors)
    width, height = (max(1, round(side * factor)) for side in source)
    # Rounding must not leave a 1-pixel gap (crop) or overflow (pad) on the side that fits exactly.
    bound = min if fit == "pad" else max
    width, height = bound(width, target[0]), bound(height, target[1])
    return Placement((width, height), ((target[0] - width) // 2, (target[1] - height) // 2))


def fit_note(source: Size, target: Size, fit: str) -> str | None:
    """What fitting a ``source``-sized keyframe into ``target`` does, as an info line; None when nothing is done."""
    if source == target:
        return None
    (width, height), _ = placement(source, target, fit)
    scaled = f"scaled {source[0]}x{source[1]} to {width}x{height}"
    if (width, height) != target:
        return f"{scaled} and {'padded' if fit == 'pad' else 'cropped'} to {target[0]}x{target[1]}"
    if fit == "stretch" and source[0] * target[1] != target[0] * source[1]:
        return f"{scaled}, stretched (the aspect changed)"
    return scaled


def _scale(image: np.ndarray, size: Size) -> np.ndarray:
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] * size[1] < image.shape[0] * image.shape[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def fit_image(image: np.ndarray, size: Size, fit: str) -> np.ndarray:
    """``image`` at ``size`` (width, height), fitted as ``fit`` says (see :data:`framer.parsing.FITS`)."""
    (width, height), (left, top) = placement((image.shape[1], image.shape[0]), size, fit)
    scaled = _scale(image, (width, height))
    if (width, height) == size:
        return scaled
    if fit == "crop":
        return np.ascontiguousarray(scaled[-top : -top + size[1], -left : -left + size[0]])
    canvas = np.zeros((size[1], size[0], *image.shape[2:]), dtype=image.dtype)
    canvas[top : top + height, left : left + width] = scaled
    return canvas
