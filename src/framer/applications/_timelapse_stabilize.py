"""Camera jitter between time-lapse stills: estimated (SIFT matches and a robust similarity; OpenCV ECC where there
are too few matches), smoothed, removed, and the frames cropped to the area every still covers.

Conventions: a camera path is ``(N, 3)`` rows ``(tx, ty, angle)`` of the rigid transform ``P_i`` (3x3) taking the
first still's pixel coordinates to still ``i``'s, so that ``still_i(P_i x) ~ still_0(x)``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["Stabilized", "camera_path", "residual_jitter", "stabilize"]

logger = logging.getLogger(__name__)

_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 200, 1e-6)
_MAX_SIDE = 1024  # ECC estimates on at most this size (faster; the sub-pixel fit is scaled back)
_MIN_MATCHES = 12  # fewer SIFT matches than this between two stills: ECC instead


def _grey(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` float in [0, 1] -> ``(H, W)`` float32 grey."""
    return cv2.cvtColor(np.ascontiguousarray(image, np.float32), cv2.COLOR_RGB2GRAY)


def _rigid(tx: float, ty: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty], [0.0, 0.0, 1.0]])


def _params(matrix: np.ndarray) -> np.ndarray:
    return np.array([matrix[0, 2], matrix[1, 2], math.atan2(matrix[1, 0], matrix[0, 0])])


def phase_shift(reference: np.ndarray, moved: np.ndarray) -> tuple[float, float]:
    """Translation ``(dx, dy)`` of ``moved`` against ``reference`` (greys ``(H, W)`` float32): ``moved(x + d) ~
    reference(x)``; phase correlation, sub-pixel, blind to exposure."""
    window = cv2.createHanningWindow(reference.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(reference, moved, window)
    return dx, dy


def _ecc_step(reference: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The rigid 3x3 ``w`` with ``moved(w x) ~ reference(x)`` by ECC (invariant to gain and offset) started from the
    phase-correlation shift; the shift alone when ECC does not converge."""
    scale = min(1.0, _MAX_SIDE / max(reference.shape))
    if scale < 1.0:
        size = (round(reference.shape[1] * scale), round(reference.shape[0] * scale))
        reference, moved = cv2.resize(reference, size, interpolation=cv2.INTER_AREA), cv2.resize(moved, size)
    dx, dy = phase_shift(reference, moved)
    warp = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    try:
        _, warp = cv2.findTransformECC(reference, moved, warp, cv2.MOTION_EUCLIDEAN, _ECC_CRITERIA, None, 5)
    except cv2.error:
        logger.info("The rigid fit between two stills did not converge; using their shift only.")
    warp = np.vstack([warp.astype(np.float64), [0.0, 0.0, 1.0]])
    warp[:2, 2] /= scale
    return warp


def _step(reference: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The rigid 3x3 ``w`` with ``moved(w x) ~ reference(x)`` (images ``(H, W, 3)`` float in [0, 1]).

    From SIFT matches (:func:`framer.matching.sift_matches`) and a least-median-of-squares similarity
    (:func:`framer.motion.similarity_motion`), so whatever moves in the scene (up to half the matches) does not
    pull the camera with it; by ECC on the whole frame when there are too few matches (a scene without texture).
    """
    from framer.matching import sift_matches
    from framer.motion import similarity_motion

    matches = sift_matches(reference, moved, ratio=0.8)
    if len(matches) >= _MIN_MATCHES:
        return _rigid(*_params(similarity_motion(matches.starts, matches.ends)))
    return _ecc_step(_grey(reference), _grey(moved))


def camera_path(images: Sequence[np.ndarray]) -> np.ndarray:
    """The camera path ``(N, 3)`` of ``images`` (``(H, W, 3)`` float in [0, 1]), chained from consecutive stills."""
    path, matrix = [np.zeros(3)], np.eye(3)
    for previous, current in itertools.pairwise(images):
        matrix = _step(previous, current) @ matrix  # P_i = w_i P_{i-1}
        path.append(_params(matrix))
    return np.array(path)


def smooth_path(path: np.ndarray, sigma: float | None) -> np.ndarray:
    """The path the output follows: held at the mean position (``sigma`` None: a camera on a tripod), or smoothed
    with a Gaussian of ``sigma`` stills (a camera that moves on purpose)."""
    if sigma is None:
        return np.repeat(path.mean(0, keepdims=True), len(path), axis=0)
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(path, sigma, axis=0, mode="nearest")


class Stabilized:
    """Stills with the jitter removed: ``images`` ``(H', W', 3)`` float32, cropped by ``margins`` ``(x, y)`` pixels
    on each side; ``path`` the measured camera path and ``smoothed`` the one kept."""

    def __init__(self, images: list[np.ndarray], margins: tuple[int, int], path: np.ndarray, smoothed: np.ndarray):
        self.images, self.margins, self.path, self.smoothed = images, margins, path, smoothed


def _margins(corrections: Sequence[np.ndarray], width: int, height: int) -> tuple[int, int]:
    """Pixels to crop on each side so every corrected still covers the frame: the largest displacement of an image
    corner under any correction (a displacement linear in x, so its largest size is at a corner)."""
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [0, height - 1, 1], [width - 1, height - 1, 1]], np.float64)
    reach = np.zeros(2)
    for matrix in corrections:
        moved = corners @ matrix[:2].T - corners[:, :2]
        reach = np.maximum(reach, np.abs(moved).max(0))
    mx, my = (math.ceil(r - 1e-6) for r in reach)
    if 2 * mx >= width - 1 or 2 * my >= height - 1:
        raise ValueError("the stills move more than half the frame")
    return mx, my


def stabilize(images: Sequence[np.ndarray], sigma: float | None = None) -> Stabilized:
    """Remove the camera's jitter from ``images`` (``(H, W, 3)`` float in [0, 1], one size) and crop all alike.

    Each still ``i`` is resampled at ``P_i S_i^-1 z`` (``S_i`` the smoothed path), so the output follows ``S``;
    the crop is the same for every still (the size shrinks by twice the margins; nothing is scaled or padded).
    """
    path = camera_path(images)
    smoothed = smooth_path(path, sigma)
    corrections = [_rigid(*p) @ np.linalg.inv(_rigid(*s)) for p, s in zip(path, smoothed, strict=True)]
    height, width = images[0].shape[:2]
    mx, my = _margins(corrections, width, height)
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    out = []
    for image, matrix in zip(images, corrections, strict=True):
        warped = cv2.warpAffine(np.ascontiguousarray(image, np.float32), matrix[:2], (width, height), flags=flags,
                                borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        out.append(np.clip(warped[my : height - my, mx : width - mx], 0.0, 1.0))
    return Stabilized(out, (mx, my), path, smoothed)


def residual_jitter(images: Sequence[np.ndarray]) -> np.ndarray:
    """Shift ``(N, 2)`` of each frame (``(H, W, 3)`` float in [0, 1] or uint8) against the first: what is left of the
    camera's motion (the check of ``--stabilize``).

    ECC translation (blind to exposure) started from phase correlation; ECC alone recovers known sub-pixel shifts of
    the synthetic stills within 0.06 px where phase correlation alone was seen up to 0.6 px off under clipping.
    """
    greys = [_grey(np.asarray(image, np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)) for image in images]
    shifts = []
    for grey in greys:
        dx, dy = phase_shift(greys[0], grey)
        warp = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        with contextlib.suppress(cv2.error):  # not converged: the phase-correlation shift is kept
            _, warp = cv2.findTransformECC(greys[0], grey, warp, cv2.MOTION_TRANSLATION, _ECC_CRITERIA, None, 5)
        shifts.append(warp[:, 2].astype(np.float64))
    return np.array(shifts)
