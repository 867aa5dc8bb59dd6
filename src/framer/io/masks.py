"""Masks of pixels to keep still (white = keep): reading a user's mask and compositing a source frame through one.

Masks are ``(H, W)`` bool; images ``(H, W)`` or ``(H, W, C)`` as :func:`framer.io.images.read_image` returns them.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from framer.errors import InputError
from framer.io.images import read_image

__all__ = ["composite", "decode_mask", "load_mask", "mask_digest"]


def load_mask(path: str | os.PathLike, width: int, height: int, name: str = "`static_mask`") -> np.ndarray:
    """Read a mask image for frames of ``width`` x ``height``: ``(H, W)`` bool, True where its grey level is at least
    half the maximum (any image framer reads; alpha is ignored).

    Raises:
        InputError: the file is not a readable image, or its size differs from the frames'.
    """
    try:
        image = read_image(path)
    except (OSError, ValueError) as ex:
        raise InputError(f"{name} {os.fspath(path)} could not be read: {ex}") from None
    return _threshold(image, width, height, f"{name} {os.fspath(path)}")


def decode_mask(data: bytes, width: int, height: int, name: str = "`static_mask`") -> np.ndarray:
    """:func:`load_mask` for an encoded image in memory (such as a PNG painted in the web UI): ``(H, W)`` bool.

    Raises:
        InputError: the bytes are not a readable image, or its size differs from the frames' (checked before the
            pixels are decoded).
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.size != (width, height):
                raise InputError(f"{name} is {im.size[0]}x{im.size[1]} but the frames are {width}x{height}; "
                                 "draw it at the frames' size.")  # fmt: skip
            image = read_image(im)
    except (OSError, ValueError, Image.DecompressionBombError) as ex:
        if isinstance(ex, InputError):
            raise
        raise InputError(f"{name} is not a readable image: {ex}") from None
    return _threshold(image, width, height, name)


def _threshold(image: np.ndarray, width: int, height: int, name: str) -> np.ndarray:
    """``(H, W[, C])`` image -> ``(H, W)`` bool: grey level at least half the maximum, alpha ignored."""
    if image.shape[:2] != (height, width):
        raise InputError(
            f"{name} is {image.shape[1]}x{image.shape[0]} but the frames are {width}x{height}; draw it at the "
            "frames' size."
        )
    grey = image if image.ndim == 2 else image[:, :, : min(3, image.shape[2])].mean(axis=2)
    return grey >= np.iinfo(image.dtype).max / 2


def mask_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a mask file's bytes (part of a job's identity: a changed mask is a new job)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def composite(image: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` with the pixels of ``source`` where ``mask`` is set (a new array; ``image`` is not changed).

    Args:
        image: ``(H, W)`` or ``(H, W, C)``, such as an in-between.
        source: the same shape and type, such as the source frame whose pixels are kept.
        mask: ``(H, W)`` bool.
    """
    out = image.copy()
    np.copyto(out, source, where=mask if image.ndim == 2 else mask[:, :, None])
    return out
