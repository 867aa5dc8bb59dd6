"""Synthetic large-motion cases: a textured scene shifted, rotated or zoomed far between the keyframes.

Each case renders the same seeded texture through a camera whose motion is known at every time, so the frames
between the keyframes are exact ground truth. The motion's size is the largest displacement of any pixel of the
first keyframe between the two keyframes (for rotation and zoom about the frame's centre, that of its corners):

- ``shift-D``: translation by D px, mostly to the right (direction 14 degrees below the x axis), constant speed;
- ``rotate-D``: rotation about the frame's centre at constant angular speed, the corners travelling a chord of D px;
- ``zoom-D``: magnification about the centre, growing linearly with t, the corners moving D px outwards.

Frames are rendered at 2x and averaged down, so every frame (keyframes included) is equally sharp.

>>> from framer.synthetic.large_motion import make_large_motion_case
>>> case = make_large_motion_case("shift", 128, width=160, height=96, num_frames=3)
>>> case.keyframes.shape, case.frames.shape, case.times.tolist()
((2, 96, 160, 3), (3, 96, 160, 3), [0.25, 0.5, 0.75])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError
from framer.synthetic.textures import background_texture

__all__ = [
    "MAGNITUDES",
    "MOTIONS",
    "LargeMotionCase",
    "content_motion",
    "list_large_motion_cases",
    "make_large_motion_case",
]

MOTIONS = ("shift", "rotate", "zoom")
MAGNITUDES = (64, 128, 192, 256)

_SUPERSAMPLE = 2
_SHIFT_DIRECTION = math.atan2(1.0, 4.0)  # mostly horizontal, so a 256 px shift keeps part of a 448x256 frame


@dataclass(frozen=True, eq=False)
class LargeMotionCase:
    """One case: keyframes, ground-truth in-betweens and the motion that made them.

    Attributes:
        name: ``"<motion>-<magnitude>"``, e.g. ``"rotate-128"``.
        motion, magnitude: the kind of motion and its size in px.
        keyframes: ``(2, H, W, 3)`` uint8 RGB, at t = 0 and t = 1.
        frames: ``(T, H, W, 3)`` uint8 RGB ground truth at ``times``.
        times: ``(T,)`` evenly spaced in (0, 1).
        transforms: ``(T + 2, 3, 3)`` homographies mapping keyframe-0 pixels to pixels of the frame at
            ``0, *times, 1``.
    """

    name: str
    motion: str
    magnitude: float
    keyframes: np.ndarray
    frames: np.ndarray
    times: np.ndarray
    transforms: np.ndarray


def content_motion(motion: str, magnitude: float, width: int, height: int, t: float) -> np.ndarray:
    """3x3 homography taking keyframe-0 pixels to the frame at time ``t`` for a ``motion`` of ``magnitude`` px."""
    if motion not in MOTIONS:
        raise InputError(f"`motion` must be one of {', '.join(MOTIONS)}, not {motion!r}.")
    if not (math.isfinite(magnitude) and magnitude >= 0):
        raise InputError(f"`magnitude` must be a finite number of pixels >= 0, not {magnitude!r}.")
    centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    radius = float(np.hypot(*centre))  # distance of the corners from the centre
    if motion == "shift":
        shift = t * magnitude * np.array([math.cos(_SHIFT_DIRECTION), math.sin(_SHIFT_DIRECTION)])
        return np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]], [0.0, 0.0, 1.0]])
    if motion == "rotate":
        if magnitude > 2 * radius:
            raise InputError(
                f"A rotation moves corners at most {2 * radius:.0f} px on a {width}x{height} frame, not {magnitude}."
            )
        angle = t * 2.0 * math.asin(magnitude / (2.0 * radius))
        linear = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    else:
        linear = (1.0 + t * magnitude / radius) * np.eye(2)
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = centre - linear @ centre
    return out


def _extent(motion: str, magnitude: float, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box (min xy, max xy) in keyframe-0 pixels of everything any frame shows."""
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [0, height - 1, 1], [width - 1, height - 1, 1]], np.float64)
    seen = []
    for t in np.linspace(0.0, 1.0, 33):
        back = np.linalg.inv(content_motion(motion, magnitude, width, height, float(t))) @ corners.T
        seen.append((back[:2] / back[2]).T)
    seen = np.concatenate(seen)
    return seen.min(0) - 8.0, seen.max(0) + 8.0


def _render(world: np.ndarray, origin: np.ndarray, to_frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """The frame whose pixels map to keyframe-0 pixels by ``inv(to_frame)``, rendered at 2x and averaged down."""
    s = _SUPERSAMPLE
    offset = (s - 1) / 2.0
    # hi-res frame pixel -> frame pixel -> keyframe-0 pixel -> world pixel (the world is drawn at s x).
    hi_to_frame = np.array([[1 / s, 0, -offset / s], [0, 1 / s, -offset / s], [0, 0, 1]])
    keyframe_to_world = np.array([[s, 0, -s * origin[0] + offset], [0, s, -s * origin[1] + offset], [0, 0, 1]])
    matrix = keyframe_to_world @ np.linalg.inv(to_frame) @ hi_to_frame
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    hi = cv2.warpPerspective(world, matrix, (width * s, height * s), flags=flags, borderMode=cv2.BORDER_REFLECT)
    frame = cv2.resize(hi, (width, height), interpolation=cv2.INTER_AREA)
    return np.clip(np.round(frame), 0, 255).astype(np.uint8)


def make_large_motion_case(
    motion: str, magnitude: float, width: int = 448, height: int = 256, num_frames: int = 7, seed: int = 0
) -> LargeMotionCase:
    """Render one case (see the module docstring); equal arguments give equal pixels."""
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
        raise InputError(f"`num_frames` must be an integer >= 1 but is {num_frames!r}.")
    if min(width, height) < 16:
        raise InputError(f"Frames must be at least 16x16 pixels, not {width}x{height}.")
    times = np.arange(1, num_frames + 1, dtype=np.float64) / (num_frames + 1)
    low, high = _extent(motion, magnitude, width, height)
    size = np.ceil(high - low).astype(int) + 1
    rng = np.random.default_rng([seed, MOTIONS.index(motion), int(magnitude), width, height])
    world = background_texture(rng, int(size[0]) * _SUPERSAMPLE, int(size[1]) * _SUPERSAMPLE)
    transforms = np.stack(
        [content_motion(motion, magnitude, width, height, float(t)) for t in (0.0, *times.tolist(), 1.0)]
    )
    rendered = np.stack([_render(world, low, matrix, width, height) for matrix in transforms])
    return LargeMotionCase(
        name=f"{motion}-{magnitude:g}",
        motion=motion,
        magnitude=float(magnitude),
        keyframes=rendered[[0, -1]],
        frames=rendered[1:-1],
        times=times,
        transforms=transforms,
    )


def list_large_motion_cases() -> list[tuple[str, int]]:
    """Every (motion, magnitude) pair of the benchmark."""
    return [(motion, magnitude) for motion in MOTIONS for magnitude in MAGNITUDES]
