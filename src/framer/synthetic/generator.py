"""Synthetic drag benchmark: textured sprites moving along known curves over a textured background.

Each case renders two keyframes (t = 0 and t = 1), the ground-truth in-betweens at ``times``, the true tracks of
the points a user would drag, and the trajectories that user would draw: the start, evenly timed waypoints on the
true path and the end. The number of waypoints is the smallest (from 2) whose trajectory stays within
``tolerance`` pixels of the true path at every t, so the requested positions can be trusted as ground truth.

Cases (``list_cases()``), each at 256x256 and 512x512:

- ``arc-s40``, ``arc-s80``, ``arc-s120``: one sprite along a circular arc with that sagitta in pixels.
- ``s-curve``: one sprite along a full sine period (an S) across the frame.
- ``rotation``: a square sprite turning 90 degrees while it moves along an arc; trajectories on two corners.
- ``crossing``: two sprites on mirrored arcs whose paths cross in the middle (the second passes over the first).

Convention:
    Poses are ``(x, y, angle)``: the sprite's centre in frame pixels (centre of the top-left pixel at (0, 0)) and
    its rotation in degrees, positive turning +x towards +y (clockwise on screen). Point offsets are xy from the
    sprite's centre, in its own unrotated pixels.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError, UnknownNameError
from framer.synthetic.textures import Sprite, background_texture, make_sprite
from framer.trajectory.model import Trajectory

__all__ = [
    "CASE_NAMES",
    "SIZES",
    "DragCase",
    "Mover",
    "arc_motion",
    "list_cases",
    "make_benchmark",
    "make_case",
    "point_on_pose",
    "render_layer",
    "s_curve_motion",
]

CASE_NAMES = ("arc-s40", "arc-s80", "arc-s120", "s-curve", "rotation", "crossing")
SIZES = (256, 512)

Motion = Callable[[float], tuple[float, float, float]]  # t -> (x, y, angle in degrees)


@dataclass(frozen=True, eq=False)
class Mover:
    """A sprite, its true motion over t in [0, 1], and the offsets of its points users drag ``(P, 2)``."""

    sprite: Sprite
    motion: Motion
    offsets: np.ndarray

    def pose(self, t: float) -> np.ndarray:
        """``(3,)`` x, y, angle at time ``t``."""
        return np.asarray(self.motion(float(t)), dtype=np.float64)

    def linear_pose(self, t: float) -> np.ndarray:
        """``(3,)`` the pose at ``t`` on the straight line between the keyframe poses (what plain flow produces)."""
        return (1.0 - t) * self.pose(0.0) + t * self.pose(1.0)

    @property
    def rotates(self) -> bool:
        """Whether the sprite turns between the keyframes."""
        return abs(self.pose(1.0)[2] - self.pose(0.0)[2]) > 1e-9


@dataclass(frozen=True, eq=False)
class DragCase:
    """One benchmark case. ``T`` in-betweens, ``N`` trajectories, ``S`` sprites, frames ``H x W``.

    Attributes:
        name: ``"<case>@<size>"``, e.g. ``"arc-s80@256"``.
        kind: the case name without the size.
        curved: whether the true paths bend (a straight-line in-between misses them).
        keyframes: ``(2, H, W, 3)`` uint8 RGB, at t = 0 and t = 1.
        times: ``(T,)`` in-between times in (0, 1).
        frames: ``(T, H, W, 3)`` uint8 RGB ground-truth in-betweens.
        trajectories: ``N`` trajectories a user would draw (start, waypoints on the true path, end, with times).
        tracks: ``(N, T, 2)`` true xy of each dragged point at ``times``.
        visible: ``(N, T)`` whether each point (and most of its sprite) is unoccluded at ``times``.
        masks: ``(T, H, W)`` bool, pixels any sprite covers (alpha >= 0.5) in each in-between.
        keyframe_masks: ``(2, H, W)`` the same for the keyframes.
        motion_region: ``(H, W)`` bool, pixels any sprite touches at any t, on its true path or on the straight
            line between its keyframe poses (outputs of any engine may put the sprite in either place).
        movers: the ``S`` sprites with their motions.
        point_sprite: ``(N,)`` index of the sprite each trajectory is on.
        point_offsets: ``(N, 2)`` offset of each point from its sprite's centre (see the module's Convention).
        poses: ``(S, T, 3)`` true poses at ``times``.
        model_error: ``(N,)`` largest distance in pixels between each trajectory and its true path over t.
    """

    name: str
    kind: str
    curved: bool
    keyframes: np.ndarray
    times: np.ndarray
    frames: np.ndarray
    trajectories: list[Trajectory]
    tracks: np.ndarray
    visible: np.ndarray
    masks: np.ndarray
    keyframe_masks: np.ndarray
    motion_region: np.ndarray
    movers: list[Mover]
    point_sprite: np.ndarray
    point_offsets: np.ndarray
    poses: np.ndarray
    model_error: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the frames."""
        return int(self.keyframes.shape[2]), int(self.keyframes.shape[1])


def point_on_pose(pose: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Frame xy of a point at ``offset (..., 2)`` from the centre of a sprite in ``pose (3,)`` -> ``(..., 2)``."""
    angle = math.radians(float(pose[2]))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return np.asarray(offset, dtype=np.float64) @ rotation.T + pose[:2]


def _affine(sprite: Sprite, pose: np.ndarray) -> np.ndarray:
    """``(2, 3)`` matrix mapping sprite pixels to frame pixels for ``pose``."""
    angle = math.radians(float(pose[2]))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return np.hstack([rotation, (pose[:2] - rotation @ sprite.centre)[:, None]])


def render_layer(sprite: Sprite, pose: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The sprite placed at ``pose`` in a ``width x height`` frame (bilinear, so sub-pixel poses are exact).

    Returns:
        ``premultiplied (H, W, 3)`` float32 colour times alpha, and ``alpha (H, W)`` float32 in [0, 1].
    """
    matrix = _affine(sprite, pose)
    rgba = np.concatenate([sprite.rgb * sprite.alpha[:, :, None], sprite.alpha[:, :, None]], axis=2)
    placed = cv2.warpAffine(rgba, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return placed[:, :, :3], placed[:, :, 3]


def _compose(background: np.ndarray, movers: Sequence[Mover], poses: Sequence[np.ndarray]) -> tuple:
    """Frame ``(H, W, 3)`` uint8 and sprite alphas ``(S, H, W)``: the sprites drawn in order over ``background``."""
    height, width = background.shape[:2]
    image = background.copy()
    alphas = []
    for mover, pose in zip(movers, poses, strict=True):
        colour, alpha = render_layer(mover.sprite, pose, width, height)
        image = image * (1.0 - alpha[:, :, None]) + colour
        alphas.append(alpha)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), np.stack(alphas)


def _visible(alphas: np.ndarray, sprite_index: int, point: np.ndarray, min_fraction: float = 0.5) -> bool:
    """A point is visible when no later sprite covers it and at least ``min_fraction`` of its sprite shows."""
    own = alphas[sprite_index]
    cover = 1.0 - np.prod(1.0 - alphas[sprite_index + 1 :], axis=0) if sprite_index + 1 < len(alphas) else 0.0
    shown = float((own * (1.0 - cover)).sum()) / max(float(own.sum()), 1e-6)
    x, y = (round(float(v)) for v in point)
    height, width = own.shape
    inside = 0 <= x < width and 0 <= y < height
    covered = inside and np.ndim(cover) == 2 and float(cover[y, x]) >= 0.5
    return inside and not covered and shown >= min_fraction


def _user_trajectory(path: Callable[[float], np.ndarray], tolerance: float, name: str) -> tuple[Trajectory, float]:
    """The trajectory with the fewest evenly timed waypoints (2..16) within ``tolerance`` px of ``path``."""
    dense = np.linspace(0.0, 1.0, 257)
    truth = np.stack([path(t) for t in dense])  # (257, 2)
    for count in range(2, 17):
        knots = np.linspace(0.0, 1.0, count + 2)
        trajectory = Trajectory(np.stack([path(t) for t in knots]), knots, name)
        error = float(np.linalg.norm(trajectory.sample(dense) - truth, axis=1).max())
        if error <= tolerance:
            break
    return trajectory, error


def arc_motion(
    start: Sequence[float], end: Sequence[float], sagitta: float, angles: tuple[float, float] = (0.0, 0.0)
) -> Motion:
    """Constant-speed motion along the circular arc from ``start`` to ``end`` bulging ``sagitta`` px to the left.

    "Left" is the left of the direction of travel on screen (y down), i.e. upward for a left-to-right move; a
    negative sagitta bulges to the right. The angle turns linearly from ``angles[0]`` to ``angles[1]``.
    """
    p0, p1 = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    chord = float(np.linalg.norm(p1 - p0))
    direction = (p1 - p0) / chord
    left = np.array([direction[1], -direction[0]])  # left of travel with y pointing down
    s = abs(sagitta)
    radius = (chord * chord / 4.0 + s * s) / (2.0 * s)
    side = math.copysign(1.0, sagitta)
    centre = (p0 + p1) / 2.0 - left * side * (radius - s)  # the bulge lies on the far side of the centre
    a0 = math.atan2(*(p0 - centre)[::-1])
    a1 = math.atan2(*(p1 - centre)[::-1])
    sweep = (a1 - a0 + math.pi) % (2 * math.pi) - math.pi  # short way round ...
    if s > chord / 2.0:  # ... unless the arc is more than a half circle
        sweep -= math.copysign(2 * math.pi, sweep)
    # Travel through the bulge: it must pass the midpoint of the arc, on the `left * side` side.
    mid = centre + radius * np.array([math.cos(a0 + sweep / 2), math.sin(a0 + sweep / 2)])
    if float(np.dot(mid - (p0 + p1) / 2.0, left * side)) < 0:
        sweep -= math.copysign(2 * math.pi, sweep)

    def motion(t: float) -> tuple[float, float, float]:
        a = a0 + sweep * t
        return (
            centre[0] + radius * math.cos(a),
            centre[1] + radius * math.sin(a),
            angles[0] + (angles[1] - angles[0]) * t,
        )

    return motion


def s_curve_motion(start: Sequence[float], end: Sequence[float], amplitude: float) -> Motion:
    """Motion from ``start`` to ``end`` swinging ``amplitude`` px to the left then the right (one sine period)."""
    p0, p1 = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    direction = (p1 - p0) / float(np.linalg.norm(p1 - p0))
    left = np.array([direction[1], -direction[0]])

    def motion(t: float) -> tuple[float, float, float]:
        x, y = p0 + (p1 - p0) * t + left * amplitude * math.sin(2 * math.pi * t)
        return float(x), float(y), 0.0

    return motion


def _movers(kind: str, size: int, rng: np.random.Generator) -> tuple[list[Mover], bool]:
    """The sprites and motions of case ``kind`` at ``size x size``, and whether the paths are curved."""
    sprite_size = round(size * 0.16)
    centre_offset = np.zeros((1, 2))
    if kind.startswith("arc-s"):
        sagitta = float(kind.removeprefix("arc-s"))
        tilt = {"arc-s40": 0.0, "arc-s80": 0.12, "arc-s120": -0.08}[kind] * size  # vary the chord's direction
        start, end = (0.15 * size, 0.72 * size + tilt), (0.85 * size, 0.72 * size - tilt)
        return [Mover(make_sprite(rng, sprite_size), arc_motion(start, end, sagitta), centre_offset)], True
    if kind == "s-curve":
        motion = s_curve_motion((0.15 * size, 0.5 * size), (0.85 * size, 0.5 * size), 0.15 * size)
        return [Mover(make_sprite(rng, sprite_size), motion, centre_offset)], True
    if kind == "rotation":
        side = round(size * 0.19)
        inset = side / 2.0 - max(2.0, side / 16)  # corners a little inside the edge stay on the sprite
        corners = np.array([[-inset, -inset], [inset, inset]])
        motion = arc_motion((0.28 * size, 0.62 * size), (0.72 * size, 0.62 * size), 0.2 * size, (0.0, 90.0))
        return [Mover(make_sprite(rng, side, square=True), motion, corners)], True
    if kind == "crossing":
        first = arc_motion((0.15 * size, 0.28 * size), (0.85 * size, 0.72 * size), 0.08 * size)
        second = arc_motion((0.15 * size, 0.72 * size), (0.85 * size, 0.28 * size), -0.08 * size)
        sprites = [make_sprite(rng, sprite_size), make_sprite(rng, sprite_size)]
        return [Mover(sprites[0], first, centre_offset), Mover(sprites[1], second, centre_offset)], True
    raise UnknownNameError(f"Unknown synthetic case {kind!r}; choose one of {', '.join(CASE_NAMES)}.")


def _touched(region: np.ndarray, sprite: Sprite, pose: np.ndarray) -> None:
    """Mark in ``region (H, W)`` the pixels the sprite at ``pose`` covers at all (alpha > 0), in place."""
    height, width = region.shape
    reach = math.ceil(math.hypot(*sprite.alpha.shape) / 2.0) + 2
    left, top = max(0, math.floor(pose[0]) - reach), max(0, math.floor(pose[1]) - reach)
    right, bottom = min(width, math.floor(pose[0]) + reach + 1), min(height, math.floor(pose[1]) + reach + 1)
    if right <= left or bottom <= top:
        return
    matrix = _affine(sprite, pose) - np.array([[0.0, 0.0, left], [0.0, 0.0, top]])  # into the crop's pixels
    alpha = cv2.warpAffine(sprite.alpha, matrix, (right - left, bottom - top), flags=cv2.INTER_LINEAR)
    region[top:bottom, left:right] |= alpha > 0.0


def _motion_region(movers: Sequence[Mover], times: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixels any sprite touches on its true path or on the straight line between its keyframe poses, any t.

    Poses are sampled so no sprite pixel moves more than a pixel between samples, plus the in-between times; the
    union is grown by one pixel.
    """
    region = np.zeros((height, width), dtype=bool)
    grid = np.linspace(0.0, 1.0, 201)
    for mover in movers:
        radius = math.hypot(*mover.sprite.alpha.shape) / 2.0
        for pose_at in (mover.pose, mover.linear_pose):
            poses = np.stack([pose_at(t) for t in grid])  # (201, 3)
            # farthest any sprite pixel moves per grid step: the centre's move plus the turn at the sprite's radius
            moves = np.linalg.norm(np.diff(poses[:, :2], axis=0), axis=1)
            moves += radius * np.radians(np.abs(np.diff(poses[:, 2])))
            count = math.ceil(float(moves.max()) * (len(grid) - 1)) + 2  # samples at most a pixel apart
            for t in np.union1d(np.linspace(0.0, 1.0, count), times):
                _touched(region, mover.sprite, pose_at(t))
    return cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _case_seed(seed: int, kind: str, size: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"{kind}@{size}".encode())])


def make_case(kind: str, size: int = 256, num_frames: int = 7, seed: int = 0, tolerance: float = 0.5) -> DragCase:
    """Render one benchmark case (deterministic for equal arguments).

    Args:
        kind: one of :data:`CASE_NAMES`.
        size: frames are ``size x size`` (the benchmark uses 256 and 512; 64 or more works).
        num_frames: in-betweens, at ``times = i / (num_frames + 1)``.
        seed: picks the textures and colours.
        tolerance: the largest distance in pixels allowed between a user trajectory and the true path.
    """
    if kind not in CASE_NAMES:
        raise UnknownNameError(f"Unknown synthetic case {kind!r}; choose one of {', '.join(CASE_NAMES)}.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 64:
        raise InputError(f"`size` must be an integer >= 64 (pixels), not {size!r}.")
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
        raise InputError(f"`num_frames` must be an integer >= 1, not {num_frames!r}.")
    rng = _case_seed(seed, kind, size)
    background = background_texture(rng, size, size)
    movers, curved = _movers(kind, size, rng)
    times = np.arange(1, num_frames + 1, dtype=np.float64) / (num_frames + 1)

    # 1. Keyframes and ground-truth in-betweens.
    def render(t: float) -> tuple[np.ndarray, np.ndarray]:
        return _compose(background, movers, [mover.pose(t) for mover in movers])

    keyframes, keyframe_alphas = zip(*(render(t) for t in (0.0, 1.0)), strict=True)
    frames, alphas = zip(*(render(t) for t in times), strict=True)

    # 2. Points, their true tracks and visibility, and the trajectories a user would draw.
    point_sprite = np.array([s for s, mover in enumerate(movers) for _ in mover.offsets], dtype=np.int64)
    point_offsets = np.concatenate([mover.offsets for mover in movers]).astype(np.float64)
    poses = np.stack([[mover.pose(t) for t in times] for mover in movers])  # (S, T, 3)
    tracks = np.array(
        [
            [point_on_pose(pose, offset) for pose in poses[s]]
            for s, offset in zip(point_sprite, point_offsets, strict=True)
        ]
    ).reshape(len(point_sprite), len(times), 2)
    trajectories, model_error = [], []
    for n, (s, offset) in enumerate(zip(point_sprite, point_offsets, strict=True)):
        mover = movers[s]
        trajectory, error = _user_trajectory(
            lambda t, m=mover, o=offset: point_on_pose(m.pose(t), o), tolerance, f"p{n}"
        )
        trajectories.append(trajectory)
        model_error.append(error)
    visible = np.array(
        [[_visible(alphas[i], s, tracks[n, i]) for i in range(len(times))] for n, s in enumerate(point_sprite)],
        dtype=bool,
    ).reshape(len(point_sprite), len(times))

    return DragCase(
        name=f"{kind}@{size}",
        kind=kind,
        curved=curved,
        keyframes=np.stack(keyframes),
        times=times,
        frames=np.stack(frames),
        trajectories=trajectories,
        tracks=tracks,
        visible=visible,
        masks=np.stack([(a >= 0.5).any(axis=0) for a in alphas]),
        keyframe_masks=np.stack([(a >= 0.5).any(axis=0) for a in keyframe_alphas]),
        motion_region=_motion_region(movers, times, size, size),
        movers=movers,
        point_sprite=point_sprite,
        point_offsets=point_offsets,
        poses=poses,
        model_error=np.asarray(model_error),
    )


def list_cases() -> list[str]:
    """Names of the benchmark cases (each comes at every size in :data:`SIZES`)."""
    return list(CASE_NAMES)


def make_benchmark(
    kinds: Sequence[str] | None = None, sizes: Sequence[int] = SIZES, num_frames: int = 7, seed: int = 0
) -> list[DragCase]:
    """All cases (or ``kinds``) at every size in ``sizes``: 256x256 first, then 512x512."""
    return [make_case(kind, size, num_frames, seed) for size in sizes for kind in (kinds or CASE_NAMES)]
