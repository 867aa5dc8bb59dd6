"""Scene cuts and repeated frames, measured on small thumbnails of consecutive frames.

Both measures compare a frame with the frame kept before it in the timeline.

**Scene cut**: the picture's structure *and* its colours change at once. Structure is the SSIM (Wang et al. 2004:
Gaussian window sigma 1.5, K1 = 0.01, K2 = 0.03, grey levels 0..255) of grey thumbnails 64 pixels wide; colour is the
total-variation distance between 8x8x8-bin RGB histograms of colour thumbnails 64 pixels wide (half the L1 distance
of the normalised histograms: 0 for equal colours, 1 for disjoint ones). A cut is declared when SSIM is below
``ssim_threshold`` (default 0.3) and the colour distance above ``HISTOGRAM_THRESHOLD`` (0.2). Requiring both keeps
fast motion (structure changes, colours stay) and flashes or fades (colours change, structure stays) from counting
as cuts. Measured on the videos in the shared test data (carphone, Big Buck Bunny, vtest; every consecutive pair):
SSIM >= 0.91 and colour distance <= 0.06; on the 72 ordered pairs of first frames of nine different shots in the
shared data: SSIM <= 0.15 and colour distance >= 0.43.

**Repeated frame**: the grey thumbnails 128 pixels wide differ by less than ``DUPLICATE_MEAN`` (0.1) grey levels on
average and less than ``DUPLICATE_MAX`` (6) anywhere. On the Big Buck Bunny clip (H.264, so repeats are not bit
exact) its five pulldown repeats measure mean <= 0.06 and max <= 4, every other pair mean >= 0.20 and max >= 11.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "DUPLICATE_MAX",
    "DUPLICATE_MEAN",
    "HISTOGRAM_THRESHOLD",
    "SSIM_THRESHOLD",
    "Thumbnail",
    "histogram_distance",
    "is_cut",
    "is_duplicate",
    "make_thumbnail",
    "thumbnail_ssim",
]

SSIM_THRESHOLD = 0.3
HISTOGRAM_THRESHOLD = 0.2
DUPLICATE_MEAN = 0.1
DUPLICATE_MAX = 6.0

_STRUCTURE_WIDTH = 64
_DUPLICATE_WIDTH = 128
_HISTOGRAM_BINS = 8


@dataclass(frozen=True)
class Thumbnail:
    """What the measures need from one frame (a few kB, whatever the frame size).

    Attributes:
        grey: ``(h, w)`` float32 grey levels 0..255, ``w = min(128, width)``, for repeated frames.
        structure: ``(h', w')`` float32 grey levels, ``w' = min(64, width)``, for SSIM.
        histogram: ``(512,)`` float32, the normalised 8x8x8-bin RGB histogram.
    """

    grey: np.ndarray
    structure: np.ndarray
    histogram: np.ndarray


def _shrink(image: np.ndarray, width: int) -> np.ndarray:
    if image.shape[1] <= width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def make_thumbnail(image: np.ndarray) -> Thumbnail:
    """Thumbnails of an ``(H, W, 3)`` RGB frame, uint8 or uint16."""
    if image.dtype == np.uint16:
        image = (image.astype(np.uint32) // 257).astype(np.uint8)
    small = _shrink(np.ascontiguousarray(image[:, :, :3]), _DUPLICATE_WIDTH)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    colour = _shrink(small, _STRUCTURE_WIDTH)
    histogram = cv2.calcHist([colour], [0, 1, 2], None, [_HISTOGRAM_BINS] * 3, [0, 256] * 3).ravel()
    return Thumbnail(
        grey=grey.astype(np.float32),
        structure=_shrink(grey, _STRUCTURE_WIDTH).astype(np.float32),
        histogram=(histogram / histogram.sum()).astype(np.float32),
    )


def thumbnail_ssim(a: Thumbnail, b: Thumbnail) -> float:
    """Mean SSIM of the two grey structure thumbnails, in [-1, 1] (1: identical)."""
    x, y = a.structure.astype(np.float64), b.structure.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (7, 7), 1.5, borderType=cv2.BORDER_REFLECT)

    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y = blur(x * x) - mu_x**2, blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim.mean())


def histogram_distance(a: Thumbnail, b: Thumbnail) -> float:
    """Total-variation distance of the colour histograms, in [0, 1]."""
    return float(0.5 * np.abs(a.histogram - b.histogram).sum())


def is_cut(a: Thumbnail, b: Thumbnail, ssim_threshold: float = SSIM_THRESHOLD) -> bool:
    """A scene cut between ``a`` and ``b``: SSIM below ``ssim_threshold`` and colour distance above 0.2."""
    if ssim_threshold <= 0:
        return False
    return histogram_distance(a, b) > HISTOGRAM_THRESHOLD and thumbnail_ssim(a, b) < ssim_threshold


def is_duplicate(a: Thumbnail, b: Thumbnail) -> bool:
    """``b`` repeats ``a``: the grey thumbnails differ by < 0.1 levels on average and < 6 anywhere."""
    if a.grey.shape != b.grey.shape:
        return False
    difference = np.abs(a.grey - b.grey)
    return float(difference.mean()) < DUPLICATE_MEAN and float(difference.max()) < DUPLICATE_MAX
