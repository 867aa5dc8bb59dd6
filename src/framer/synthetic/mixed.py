"""Synthetic mixed-motion cases: a textured object moving one way over a background the camera pans the other way.

The case a single global pre-alignment gets wrong: two motions, both too large for the flow network alone. The
background is a crop of a larger seeded texture moving ``pan`` px (mostly horizontally) between the keyframes; a
textured sprite crosses it, moving ``object_motion`` px in the opposite direction, both at constant speed, so the
frames between the keyframes are exact ground truth.

>>> from framer.synthetic.mixed import make_mixed_case
>>> case = make_mixed_case(pan=64, object_motion=96, width=192, height=128, num_frames=3)
>>> case.keyframes.shape, case.frames.shape, case.times.tolist()
((2, 128, 192, 3), (3, 128, 192, 3), [0.25, 0.5, 0.75])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError
from framer.synthetic.generator import render_layer
from framer.synthetic.textures import background_texture, make_sprite

__all__ = ["MixedCase", "make_mixed_case"]

_DIRECTION = math.atan2(1.0, 6.0)  # the pan's direction, slightly below the x axis; the object moves against it


@dataclass(frozen=True, eq=False)
class MixedCase:
    """One case: keyframes, ground-truth in-betweens and the two motions that made them.

    Attributes:
        name: ``"mixed-<pan>-<object_motion>"``.
        keyframes: ``(2, H, W, 3)`` uint8 RGB, at t = 0 and t = 1.
        frames: ``(T, H, W, 3)`` uint8 RGB ground truth at ``times``.
        times: ``(T,)`` evenly spaced in (0, 1).
        pan, object_motion: the background's and the object's displacement between the keyframes (px).
    """

    name: str
    keyframes: np.ndarray
    frames: np.ndarray
    times: np.ndarray
    pan: float
    object_motion: float


def _check(name: str, value: float, limit: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= limit):
        raise InputError(f"`{name}` must be a number of pixels in [0, {limit:g}] but is {value!r}.")


def make_mixed_case(
    pan: float = 96.0,
    object_motion: float = 160.0,
    width: int = 448,
    height: int = 256,
    num_frames: int = 7,
    seed: int = 0,
    object_size: float = 0.4,
) -> MixedCase:
    """Render one case (see the module docstring); equal arguments give equal pixels.

    Args:
        pan: how far the background moves between the keyframes (px).
        object_motion: how far the object moves, against the pan (px); it stays inside the frame.
        width, height: frame size.
        num_frames: in-betweens.
        seed: texture seed.
        object_size: the object's size as a fraction of the frame's height.
    """
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
        raise InputError(f"`num_frames` must be an integer >= 1 but is {num_frames!r}.")
    if min(width, height) < 32:
        raise InputError(f"Frames must be at least 32x32 pixels, not {width}x{height}.")
    if not (0.05 <= object_size <= 0.8):
        raise InputError(f"`object_size` must be a fraction of the height in [0.05, 0.8] but is {object_size!r}.")
    size = max(8, int(object_size * height))
    _check("pan", float(pan), float(width))
    _check("object_motion", float(object_motion), float(width - size - 8))
    rng = np.random.default_rng([seed, int(pan), int(object_motion), width, height])
    direction = np.array([math.cos(_DIRECTION), math.sin(_DIRECTION)])
    margin = math.ceil(pan) + 8
    world = background_texture(rng, width + 2 * margin, height + 2 * margin)
    sprite = make_sprite(rng, size)
    start = np.array([(width - 1) / 2.0, (height - 1) / 2.0]) + 0.5 * object_motion * direction
    times = np.arange(1, num_frames + 1, dtype=np.float64) / (num_frames + 1)
    rendered = []
    for t in (0.0, *times.tolist(), 1.0):
        shift = t * pan * direction  # content moves by +shift: the crop's origin moves by -shift
        matrix = np.array([[1.0, 0.0, shift[0] - margin], [0.0, 1.0, shift[1] - margin]])
        background = cv2.warpAffine(world, matrix, (width, height), flags=cv2.INTER_CUBIC)
        colour, alpha = render_layer(sprite, np.array([*(start - t * object_motion * direction), 0.0]), width, height)
        image = background * (1.0 - alpha[..., None]) + colour
        rendered.append(np.clip(np.round(image), 0, 255).astype(np.uint8))
    rendered = np.stack(rendered)
    return MixedCase(
        name=f"mixed-{pan:g}-{object_motion:g}",
        keyframes=rendered[[0, -1]],
        frames=rendered[1:-1],
        times=times,
        pan=float(pan),
        object_motion=float(object_motion),
    )
