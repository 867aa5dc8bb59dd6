"""Seeded textures for the synthetic drag benchmark: a busy background and distinct, high-contrast sprites.

Images here are float32 RGB in [0, 255], ``(H, W, 3)``; alpha is float32 in [0, 1], ``(H, W)``. Everything is drawn
from the ``numpy.random.Generator`` passed in, so equal seeds give equal pixels.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Sprite", "background_texture", "make_sprite"]

_SUPERSAMPLE = 4  # alpha is drawn at 4x and averaged down, for anti-aliased edges


@dataclass(frozen=True, eq=False)
class Sprite:
    """A textured sprite: ``rgb (h, w, 3)`` float32 in [0, 255] and ``alpha (h, w)`` float32 in [0, 1].

    Its centre, the point poses refer to, is ``((w - 1) / 2, (h - 1) / 2)`` in its own pixel coordinates.
    """

    rgb: np.ndarray
    alpha: np.ndarray

    @property
    def centre(self) -> np.ndarray:
        """``(2,)`` xy of the sprite's centre in its own pixels."""
        h, w = self.alpha.shape
        return np.array([(w - 1) / 2.0, (h - 1) / 2.0])


def _noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Gaussian-blurred white noise rescaled to unit standard deviation, ``shape`` float32."""
    field = rng.standard_normal(shape).astype(np.float32)
    if sigma > 0:
        field = cv2.GaussianBlur(field, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    field = field.reshape(shape)
    return (field - field.mean()) / max(float(field.std()), 1e-6)


def _random_rgb(rng: np.random.Generator, saturation: float, value: float) -> np.ndarray:
    r, g, b = colorsys.hsv_to_rgb(float(rng.random()), saturation, value)
    return np.array([r, g, b], dtype=np.float32) * 255.0


def background_texture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A muted, textured background ``(H, W, 3)`` float32 in [0, 255]: smooth colour, fine grain and shapes.

    The texture has detail at every scale so flow and template matching find structure everywhere, and no period
    (so nothing matches itself at an offset).
    """
    scale = min(width, height)
    image = np.empty((height, width, 3), dtype=np.float32)
    image[:] = _random_rgb(rng, 0.25, 0.55)
    image += 35.0 * _noise(rng, (height, width, 3), scale / 10)  # large blotches of colour
    image += 18.0 * _noise(rng, (height, width), 3.0)[:, :, None]  # mid-scale grain, grey
    image += 6.0 * _noise(rng, (height, width, 3), 0.8)  # fine grain
    for _ in range(max(12, scale // 12)):
        color = tuple(float(c) for c in _random_rgb(rng, 0.3, 0.3 + 0.5 * float(rng.random())))
        x, y = (int(v) for v in rng.integers(0, (width, height)))
        if rng.random() < 0.5:
            axes = (int(rng.integers(3, scale // 14 + 4)), int(rng.integers(3, scale // 14 + 4)))
            cv2.ellipse(image, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, color, -1, cv2.LINE_AA)
        else:
            x2, y2 = x + int(rng.integers(-scale // 5, scale // 5)), y + int(rng.integers(-scale // 5, scale // 5))
            cv2.line(image, (x, y), (x2, y2), color, int(rng.integers(1, 4)), cv2.LINE_AA)
    image = cv2.GaussianBlur(image, (0, 0), 0.7)
    return np.clip(image, 0.0, 255.0)


def _shape_alpha(size: int, exponent: float, aspect: float) -> np.ndarray:
    """Anti-aliased superellipse ``|x/a|^p + |y/b|^p <= 1`` filling a ``size x size`` box, ``(size, size)``."""
    n = size * _SUPERSAMPLE
    coords = (np.arange(n, dtype=np.float64) + 0.5) / _SUPERSAMPLE - size / 2.0
    x, y = np.meshgrid(coords, coords)
    a, b = size / 2.0 - 0.5, (size / 2.0 - 0.5) * aspect
    if np.isinf(exponent):
        inside = (np.abs(x) <= a) & (np.abs(y) <= b)
    else:
        inside = np.abs(x / a) ** exponent + np.abs(y / b) ** exponent <= 1.0
    # average each 4x4 block: (n, n) -> (size, 4, size, 4) -> (size, size)
    return inside.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3)).astype(np.float32)


def make_sprite(rng: np.random.Generator, size: int, square: bool = False) -> Sprite:
    """A saturated, high-contrast textured sprite about ``size`` pixels across.

    Args:
        rng: the seeded generator.
        size: width and height of the sprite's box in pixels.
        square: a sharp-cornered square (for cases that track its corners); otherwise a rounded blob.
    """
    exponent = np.inf if square else float(rng.uniform(2.5, 4.0))
    aspect = 1.0 if square else float(rng.uniform(0.75, 1.0))
    alpha = _shape_alpha(size, exponent, aspect)
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = _random_rgb(rng, 0.8, 0.85)
    rgb += 55.0 * _noise(rng, (size, size), 1.5)[:, :, None]  # bright and dark speckles
    rgb += 30.0 * _noise(rng, (size, size, 3), 3.0)  # colour variation
    for _ in range(4):  # a few crisp marks break any symmetry of the shape
        centre = tuple(int(v) for v in rng.integers(size // 5, size - size // 5, 2))
        color = tuple(float(c) for c in _random_rgb(rng, 0.9, float(rng.choice([0.15, 1.0]))))
        cv2.circle(rgb, centre, max(2, size // 10), color, -1, cv2.LINE_AA)
    # A dark rim just inside the edge makes the outline visible on any background.
    rim = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, size // 24))
    rgb[(alpha > 0.5) & (rim == 0)] *= 0.25
    return Sprite(np.clip(rgb, 0.0, 255.0), alpha)
