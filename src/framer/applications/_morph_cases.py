"""A synthetic morph pair with known correspondences, and the measures of the morph check (issue 17, check 1).

Keyframe B is keyframe A's texture bent by a known smooth warp (zero at the border) and recoloured, so every point
of A has a known place in B. Magenta discs mark landmarks at known places in both (drawn after the warp, so they
stay round); on the straight-line morph a landmark is at the middle of its two places at t = 0.5. The morph is
given other correspondences (a grid of drawn points, or what the matcher finds), never the markers themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from framer.synthetic import background_texture
from framer.trajectory import Trajectory

__all__ = ["MorphCase", "edge_count", "find_markers", "make_morph_case"]

_MARKER = (255.0, 0.0, 255.0)
_MARKER_RADIUS = 3


@dataclass(frozen=True, eq=False)
class MorphCase:
    """Keyframes ``image0``/``image1`` ``(H, W, 3)`` uint8; ``markers0``/``markers1`` ``(K, 2)`` the landmarks' true
    places; ``drawn``: grid correspondences A -> B as trajectories (not at the markers)."""

    image0: np.ndarray
    image1: np.ndarray
    markers0: np.ndarray
    markers1: np.ndarray
    drawn: list[Trajectory]

    def markers_at(self, t: float) -> np.ndarray:
        """``(K, 2)`` where the straight-line morph puts the landmarks at time ``t``."""
        return (1.0 - t) * self.markers0 + t * self.markers1


def _bend(points: np.ndarray, size: int, amplitude: float) -> np.ndarray:
    """The known warp: for points ``(..., 2)`` of B, their place in A (zero displacement on the border)."""
    x, y = points[..., 0] / (size - 1), points[..., 1] / (size - 1)
    window = np.sin(math.pi * x) * np.sin(math.pi * y)
    dx = amplitude * window * np.sin(3.0 * math.pi * y + 0.4)
    dy = amplitude * window * np.cos(3.0 * math.pi * x - 0.3)
    return points + np.stack([dx, dy], -1)


def _spread(rng: np.random.Generator, count: int, low: float, high: float, apart: float) -> np.ndarray:
    """``(count, 2)`` random points in ``[low, high]^2`` at least ``apart`` px from each other (as many as fit)."""
    points: list[np.ndarray] = []
    for _ in range(100 * count):
        point = rng.uniform(low, high, 2)
        if all(np.linalg.norm(point - other) >= apart for other in points):
            points.append(point)
            if len(points) == count:
                break
    return np.array(points)


def make_morph_case(
    size: int = 256, amplitude: float = 24.0, markers: int = 16, grid: int = 10, seed: int = 0
) -> MorphCase:
    """A ``size x size`` pair bent by up to about ``amplitude`` px, with ``markers`` landmarks and a ``grid x grid``
    of drawn correspondences (see the module docstring)."""
    rng = np.random.default_rng(seed)
    texture = background_texture(rng, size, size)
    centre = (size // 2, size // 2)
    cv2.ellipse(texture, centre, (size // 4, size // 5), 20.0, 0, 360, (30.0, 40.0, 60.0), 5, cv2.LINE_AA)
    pixels = np.stack(np.meshgrid(np.arange(size), np.arange(size)), -1).astype(np.float64)
    source = _bend(pixels, size, amplitude).astype(np.float32)
    bent = cv2.remap(texture, source[..., 0], source[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    recoloured = np.clip(bent * np.array([0.8, 1.0, 1.15], np.float32) + 10.0, 0.0, 255.0)
    markers1 = _spread(rng, markers, 0.2 * size, 0.8 * size, 0.12 * size)
    markers0 = _bend(markers1, size, amplitude)
    image0, image1 = texture.copy(), recoloured.copy()
    for image, places in ((image0, markers0), (image1, markers1)):
        for x, y in places:
            cv2.circle(image, (round(x * 16), round(y * 16)), _MARKER_RADIUS * 16, _MARKER, -1, cv2.LINE_AA, 4)
    knots = np.linspace(0.1 * size, 0.9 * size, grid)
    ends = np.stack(np.meshgrid(knots, knots), -1).reshape(-1, 2)
    starts = _bend(ends, size, amplitude)
    drawn = [Trajectory(np.stack([s, e]), np.array([0.0, 1.0])) for s, e in zip(starts, ends, strict=True)]
    as_uint8 = [np.clip(np.round(image), 0, 255).astype(np.uint8) for image in (image0, image1)]
    return MorphCase(as_uint8[0], as_uint8[1], markers0, markers1, drawn)


def find_markers(frame: np.ndarray, expected: np.ndarray, reach: int = 10) -> np.ndarray:
    """``(K, 2)`` centroid of the magenta in ``frame`` ``(H, W, 3)`` uint8 within ``reach`` px of each expected
    place ``(K, 2)``, weighted by how magenta each pixel is (a ghost of half strength counts half); NaN where none."""
    colour = frame.astype(np.float32)
    magenta = np.clip(np.minimum(colour[..., 0], colour[..., 2]) - colour[..., 1] - 60.0, 0.0, None)
    found = np.full((len(expected), 2), np.nan)
    height, width = magenta.shape
    for k, (x, y) in enumerate(expected):
        x0, x1 = max(0, round(x) - reach), min(width, round(x) + reach + 1)
        y0, y1 = max(0, round(y) - reach), min(height, round(y) + reach + 1)
        window = magenta[y0:y1, x0:x1]
        if window.sum() > 0:
            ys, xs = np.mgrid[y0:y1, x0:x1]
            found[k] = [(xs * window).sum() / window.sum(), (ys * window).sum() / window.sum()]
    return found


def edge_count(frame: np.ndarray) -> int:
    """Canny edge pixels of ``frame`` ``(H, W, 3)`` uint8: double (ghost) edges raise it, blur lowers it.

    The grey image is smoothed with a Gaussian of sigma 1 px first (the smoothing step of Canny's detector, which
    OpenCV leaves to the caller), then OpenCV's Canny with thresholds 50 and 150.
    """
    grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
    return int(np.count_nonzero(cv2.Canny(grey, 50, 150)))
