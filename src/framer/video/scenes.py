"""Scene cuts and repeated frames, measured on small thumbnails of consecutive frames.

Both measures compare a frame with the frame kept before it in the timeline.

**Scene cut**: the picture's structure *and* its colours change at once, even after undoing the camera's motion.
Structure is the SSIM (Wang et al. 2004: Gaussian window sigma 1.5, K1 = 0.01, K2 = 0.03, grey levels 0..255) of
grey thumbnails 64 pixels wide; colour is the total-variation distance between 8x8x8-bin RGB histograms of colour
thumbnails 64 pixels wide (half the L1 distance of the normalised histograms: 0 for equal colours, 1 for disjoint
ones). A pair is a cut candidate when SSIM is below ``ssim_threshold`` (default 0.3) and the colour distance above
``HISTOGRAM_THRESHOLD`` (0.2). Requiring both keeps moderate motion (structure changes, colours stay) and flashes or
fades (colours change, structure stays) from counting as cuts. Measured on the videos in the shared test data
(carphone, Big Buck Bunny, vtest; every consecutive pair): SSIM >= 0.91 and colour distance <= 0.06; on the 150
ordered pairs of first frames from different folders of the shared data: SSIM <= 0.18 and colour distance >= 0.42.

A fast camera pan also changes both (the frames share only part of the picture, and its colours move out of view),
so a candidate is checked once more with the motion undone (:func:`compensated_measures`): the global translation
is estimated by phase correlation of the grey thumbnails 128 pixels wide (windowed with a Tukey taper, which keeps
the corners where a diagonal pan's overlap lies; each axis also tries the shift's alias one period away; the best
is refined on a half-pixel grid), and SSIM (after a Gaussian blur of sigma 1 px) and colour distance are measured
again on the part of the frames that overlaps (at least ``MIN_OVERLAP``, a fifth, of the frame). It stays a cut only
if the overlap is dissimilar too: SSIM below ``ssim_threshold`` or colour distance above 0.2. Measured on pans of a
seeded texture at 256x160 (48, 95 and 128 px per frame, sideways and diagonally with 5/8 as much vertical
motion, 60 textures each): 272 of the 360 pairs are candidates before compensation, none is a cut after it
(compensated SSIM >= 0.37, colour distance <= 0.12); on the 150 pairs of different shots the compensated colour
distance stays >= 0.42, so all remain cuts. The check costs a few milliseconds and runs only for candidates.

**Repeated frame**: the grey thumbnails 128 pixels wide differ by less than ``DUPLICATE_MEAN`` (0.1) grey levels on
average and less than ``DUPLICATE_MAX`` (6) anywhere. On the Big Buck Bunny clip (H.264, so repeats are not bit
exact) its five pulldown repeats measure mean <= 0.06 and max <= 4, every other pair mean >= 0.20 and max >= 11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "DUPLICATE_MAX",
    "DUPLICATE_MEAN",
    "HISTOGRAM_THRESHOLD",
    "MIN_OVERLAP",
    "SSIM_THRESHOLD",
    "Thumbnail",
    "compensated_measures",
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
MIN_OVERLAP = 0.2

_STRUCTURE_WIDTH = 64
_DUPLICATE_WIDTH = 128
_HISTOGRAM_BINS = 8
_TAPER = 0.25  # fraction of each axis the phase-correlation window tapers
_PRE_BLUR = 1.0  # px, Gaussian sigma on the 128-px thumbnails before motion compensation


@dataclass(frozen=True)
class Thumbnail:
    """What the measures need from one frame (at most about 60 kB, whatever the frame size).

    Attributes:
        grey: ``(h, w)`` float32 grey levels 0..255, ``w = min(128, width)``, for repeated frames.
        structure: ``(h', w')`` float32 grey levels, ``w' = min(64, width)``, for SSIM.
        histogram: ``(512,)`` float32, the normalised 8x8x8-bin RGB histogram of ``colour``.
        colour: ``(h', w', 3)`` uint8 RGB, ``w' = min(64, width)``, for colours after motion compensation.
    """

    grey: np.ndarray
    structure: np.ndarray
    histogram: np.ndarray
    colour: np.ndarray


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
    return Thumbnail(
        grey=grey.astype(np.float32),
        structure=_shrink(grey, _STRUCTURE_WIDTH).astype(np.float32),
        histogram=_histogram(colour),
        colour=colour,
    )


def _histogram(colour: np.ndarray) -> np.ndarray:
    """The normalised 8x8x8-bin histogram ``(512,)`` float32 of an ``(h, w, 3)`` uint8 RGB image."""
    histogram = cv2.calcHist([colour], [0, 1, 2], None, [_HISTOGRAM_BINS] * 3, [0, 256] * 3).ravel()
    return (histogram / histogram.sum()).astype(np.float32)


def thumbnail_ssim(a: Thumbnail, b: Thumbnail) -> float:
    """Mean SSIM of the two grey structure thumbnails, in [-1, 1] (1: identical)."""
    return _ssim(a.structure.astype(np.float64), b.structure.astype(np.float64))


def _ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of two ``(h, w)`` float64 grey images (levels 0..255)."""
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


def _tukey(length: int) -> np.ndarray:
    """``(length,)`` window, 1 in the middle, a raised-cosine taper over the outer ``_TAPER / 2`` at each end.

    Unlike a Hann window it keeps the frame's corners, where the only overlap of a large diagonal pan lies."""
    window = np.ones(length)
    ramp = max(1, int(_TAPER * length / 2))
    edge = 0.5 * (1 - np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp))
    window[:ramp], window[length - ramp :] = edge, edge[::-1]
    return window


def _overlap_ssim(x: np.ndarray, y: np.ndarray, dx: float, dy: float) -> float | None:
    """Mean SSIM of ``y`` and ``x`` moved by ``(dx, dy)`` over the part of ``y`` that moved ``x`` covers.

    ``x``, ``y``: ``(h, w)`` float64 grey levels. None when that part is under ``MIN_OVERLAP`` of the frame."""
    height, width = x.shape
    x0, x1 = max(0, math.ceil(dx)), min(width, width + math.floor(dx))
    y0, y1 = max(0, math.ceil(dy)), min(height, height + math.floor(dy))
    if x1 - x0 < 8 or y1 - y0 < 8 or (x1 - x0) * (y1 - y0) < MIN_OVERLAP * width * height:
        return None
    moved = cv2.warpAffine(x, np.float64([[1, 0, dx], [0, 1, dy]]), (width, height), flags=cv2.INTER_LINEAR)
    return _ssim(_soften(moved[y0:y1, x0:x1]), _soften(y[y0:y1, x0:x1]))


def _soften(z: np.ndarray) -> np.ndarray:
    """A light Gaussian blur, so that a shift off by a fraction of a pixel costs little SSIM."""
    return cv2.GaussianBlur(z, (0, 0), _PRE_BLUR, borderType=cv2.BORDER_REFLECT)


def _overlap_colour(a: np.ndarray, b: np.ndarray, dx: float, dy: float) -> float:
    """Colour distance (as :func:`histogram_distance`) of ``b`` and ``a`` moved by ``(dx, dy)`` px, on their overlap.

    ``a``, ``b``: ``(h, w, 3)`` uint8 RGB; the shift is rounded to whole pixels."""
    height, width = a.shape[:2]
    sx, sy = round(dx), round(dy)
    x0, x1, y0, y1 = max(0, sx), min(width, width + sx), max(0, sy), min(height, height + sy)
    if x1 <= x0 or y1 <= y0:
        return 1.0
    moved = np.ascontiguousarray(a[y0 - sy : y1 - sy, x0 - sx : x1 - sx])
    return float(0.5 * np.abs(_histogram(moved) - _histogram(np.ascontiguousarray(b[y0:y1, x0:x1]))).sum())


def compensated_measures(a: Thumbnail, b: Thumbnail) -> tuple[float, float]:
    """SSIM and colour distance of ``a`` and ``b`` once their global translation is undone, on their overlap.

    The translation comes from phase correlation of the grey 128-pixel thumbnails. Phase correlation knows a shift
    only modulo the thumbnail's size, so each axis also tries the shift one period the other way; the candidate
    with the best SSIM is then refined on a half-pixel grid within one pixel (phase correlation is often a pixel
    off when the overlap is small). The best shift gives both measures, the colour distance measured on the colour
    thumbnails with the shift scaled to their size. ``(-1.0, 1.0)`` when the thumbnails differ in size or no
    candidate leaves ``MIN_OVERLAP`` of the frame in common."""
    if a.grey.shape != b.grey.shape or a.colour.shape != b.colour.shape or min(a.grey.shape) < 16:
        return -1.0, 1.0
    x, y = a.grey.astype(np.float64), b.grey.astype(np.float64)
    height, width = x.shape
    (dx, dy), _ = cv2.phaseCorrelate(x, y, np.outer(_tukey(height), _tukey(width)))
    aliases_x, aliases_y = {dx, dx - math.copysign(width, dx)}, {dy, dy - math.copysign(height, dy)}
    candidates = [(sx, sy) for sx in aliases_x for sy in aliases_y]
    best, shift = _best_shift(x, y, candidates)
    if shift is None:
        return -1.0, 1.0
    steps = np.arange(-1.0, 1.01, 0.5)
    best, shift = _best_shift(x, y, [(shift[0] + ex, shift[1] + ey) for ex in steps for ey in steps])
    scale_x, scale_y = a.colour.shape[1] / width, a.colour.shape[0] / height
    return best, _overlap_colour(a.colour, b.colour, shift[0] * scale_x, shift[1] * scale_y)


def _best_shift(
    x: np.ndarray, y: np.ndarray, shifts: list[tuple[float, float]]
) -> tuple[float, tuple[float, float] | None]:
    """The best :func:`_overlap_ssim` over ``shifts`` and its shift; ``(-1.0, None)`` when none has an overlap."""
    best, found = -1.0, None
    for dx, dy in shifts:
        ssim = _overlap_ssim(x, y, float(dx), float(dy))
        if ssim is not None and ssim > best:
            best, found = ssim, (float(dx), float(dy))
    return best, found


def is_cut(a: Thumbnail, b: Thumbnail, ssim_threshold: float = SSIM_THRESHOLD) -> bool:
    """A scene cut between ``a`` and ``b``: the frames differ in structure (SSIM below ``ssim_threshold``) and
    colour (distance above 0.2) both as they are and once their global translation is undone
    (:func:`compensated_measures`)."""
    if ssim_threshold <= 0:
        return False
    if histogram_distance(a, b) <= HISTOGRAM_THRESHOLD or thumbnail_ssim(a, b) >= ssim_threshold:
        return False
    ssim, colour = compensated_measures(a, b)
    return ssim < ssim_threshold or colour > HISTOGRAM_THRESHOLD


def is_duplicate(a: Thumbnail, b: Thumbnail) -> bool:
    """``b`` repeats ``a``: the grey thumbnails differ by < 0.1 levels on average and < 6 anywhere."""
    if a.grey.shape != b.grey.shape:
        return False
    difference = np.abs(a.grey - b.grey)
    return float(difference.mean()) < DUPLICATE_MEAN and float(difference.max()) < DUPLICATE_MAX
