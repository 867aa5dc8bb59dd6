"""SIFT keypoints and descriptor matching between two keyframes (OpenCV), with Lowe's ratio test.

Images are numpy arrays ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8, uint16 or float in [0, 1]; points are
``(x, y)`` pixels with the centre of the top-left pixel at ``(0, 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError, ShapeError

__all__ = ["Matches", "sift_matches", "to_grey"]


@dataclass(frozen=True, eq=False)
class Matches:
    """Candidate correspondences: ``starts`` in keyframe 0 match ``ends`` in keyframe 1.

    Attributes:
        starts, ends: ``(N, 2)`` float64 xy pixels of the full-size keyframes.
        ratio: ``(N,)`` distance to the best match over distance to the second best (lower is more distinctive).
        size: ``(N,)`` the keypoint's diameter in keyframe 0 (pixels).
        width, height: the keyframes' size.
    """

    starts: np.ndarray
    ends: np.ndarray
    ratio: np.ndarray
    size: np.ndarray
    width: int
    height: int

    def __len__(self) -> int:
        return len(self.starts)

    def subset(self, keep: np.ndarray) -> Matches:
        """The matches selected by a boolean mask or index array."""
        return Matches(self.starts[keep], self.ends[keep], self.ratio[keep], self.size[keep], self.width, self.height)


def to_grey(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` uint8, uint16 or float in [0, 1] -> ``(H, W)`` uint8 luma (alpha ignored)."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        shape = getattr(image, "shape", image)
        raise ShapeError(f"An image must be a numpy array (H, W) or (H, W, C), not {shape!r}.")
    if image.dtype == np.uint8:
        scaled = image
    elif image.dtype == np.uint16:
        scaled = (image.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif image.dtype.kind == "f":
        scaled = (np.clip(image, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    else:
        raise InputError(f"An image must be uint8, uint16 or float in [0, 1], not {image.dtype}.")
    if scaled.ndim == 3:
        if scaled.shape[2] == 1:
            return np.ascontiguousarray(scaled[:, :, 0])
        if scaled.shape[2] not in (3, 4):
            raise ShapeError(f"An image must have 1, 3 or 4 channels, not {scaled.shape[2]}.")
        return cv2.cvtColor(np.ascontiguousarray(scaled[:, :, :3]), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(scaled)


def _detect(grey: np.ndarray, max_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keypoint positions ``(K, 2)``, sizes ``(K,)`` and descriptors ``(K, 128)`` float32."""
    sift = cv2.SIFT_create(nfeatures=max_features)
    keypoints, descriptors = sift.detectAndCompute(grey, None)
    if descriptors is None or len(keypoints) == 0:
        return np.zeros((0, 2)), np.zeros(0), np.zeros((0, 128), np.float32)
    points = np.array([k.pt for k in keypoints], np.float64)
    sizes = np.array([k.size for k in keypoints], np.float64)
    return points, sizes, descriptors.astype(np.float32)


def sift_matches(
    image0: np.ndarray,
    image1: np.ndarray,
    ratio: float = 0.75,
    max_features: int = 8000,
    max_side: int = 1600,
    mutual: bool = True,
) -> Matches:
    """Match SIFT keypoints of two keyframes: brute-force kNN (k = 2) with Lowe's ratio test.

    Args:
        image0, image1: keyframes of one size (see the module docstring).
        ratio: keep a match when its descriptor distance is below ``ratio`` times the second-best distance
            (Lowe's test; the Framer release used 0.5, which keeps very few matches on real footage).
        max_features: most keypoints detected per keyframe (the strongest).
        max_side: keyframes with a longer side are matched on a copy scaled down to it (for speed); points are
            given in full-size pixels.
        mutual: keep only matches that are also each other's nearest neighbour from keyframe 1 to keyframe 0.

    Returns:
        The matches passing the tests, in descriptor-distance order.
    """
    if not (0.0 < ratio <= 1.0):
        raise InputError(f"`ratio` must be in (0, 1] but is {ratio!r}.")
    if isinstance(max_features, bool) or not isinstance(max_features, int) or max_features < 2:
        raise InputError(f"`max_features` must be an integer >= 2 but is {max_features!r}.")
    grey0, grey1 = to_grey(image0), to_grey(image1)
    if grey0.shape != grey1.shape:
        raise ShapeError(f"Keyframes must have one size to be matched, not {grey0.shape} and {grey1.shape}.")
    height, width = grey0.shape
    factor = max(height, width) / max_side if max(height, width) > max_side else 1.0
    if factor > 1.0:
        size = (round(width / factor), round(height / factor))
        grey0 = cv2.resize(grey0, size, interpolation=cv2.INTER_AREA)
        grey1 = cv2.resize(grey1, size, interpolation=cv2.INTER_AREA)
        factor = width / size[0]
    points0, sizes0, desc0 = _detect(grey0, max_features)
    points1, _, desc1 = _detect(grey1, max_features)
    empty = Matches(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), np.zeros(0), width, height)
    if len(points0) < 2 or len(points1) < 2:
        return empty
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    pairs = [pair for pair in matcher.knnMatch(desc0, desc1, k=2) if len(pair) == 2]
    best = np.array([[p[0].queryIdx, p[0].trainIdx] for p in pairs], np.int64).reshape(-1, 2)
    distances = np.array([[p[0].distance, p[1].distance] for p in pairs], np.float64).reshape(-1, 2)
    ratios = distances[:, 0] / np.maximum(distances[:, 1], 1e-9)
    keep = ratios < ratio
    if mutual and keep.any():
        backward = {m.queryIdx: m.trainIdx for m in matcher.match(desc1, desc0)}
        keep &= np.array([backward.get(int(j)) == int(i) for i, j in best])
    order = np.argsort(distances[keep, 0], kind="stable")
    best, ratios = best[keep][order], ratios[keep][order]
    # Scaled-down pixel centres back to full-size pixels: x_full + 0.5 = (x_small + 0.5) * factor.
    starts = (points0[best[:, 0]] + 0.5) * factor - 0.5
    ends = (points1[best[:, 1]] + 0.5) * factor - 0.5
    return Matches(starts, ends, ratios, sizes0[best[:, 0]] * factor, width, height)
