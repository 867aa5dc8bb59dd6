"""Measures for the drag checks: trajectory adherence, PSNR to ground truth, background PSNR.

Frames are ``(T, H, W, 3)`` uint8 RGB (or a list of ``(H, W, 3)``), as :func:`framer.interpolate` returns them.

Adherence finds each sprite in each output frame by masked template matching (normalised correlation over the
sprite's opaque pixels, searched over the whole frame so a sprite left elsewhere is found where it is, not near
where it was asked to be), refined to sub-pixel position and, for turning sprites, sub-degree angle. The dragged
points are then placed on the found pose and compared with the requested positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError, ShapeError
from framer.synthetic.generator import DragCase, point_on_pose, render_layer
from framer.synthetic.textures import Sprite
from framer.trajectory.model import sample_trajectories

__all__ = [
    "Adherence",
    "Pose",
    "background_mask",
    "background_psnr",
    "linear_blend",
    "locate_sprite",
    "psnr",
    "trajectory_adherence",
]

_COARSE_STEP = 6.0  # degrees between rotated templates in the whole-frame search
_FINE_STEP = 1.0  # degrees between rotated templates around the best coarse angle
_OPAQUE = 0.98  # template pixels at least this opaque are matched (edges blend with the background)


@dataclass(frozen=True)
class Pose:
    """Where a sprite was found: centre ``(x, y)`` in pixels, ``angle`` in degrees, match ``score`` in [-1, 1]."""

    x: float
    y: float
    angle: float
    score: float

    def as_array(self) -> np.ndarray:
        """``(3,)`` x, y, angle."""
        return np.array([self.x, self.y, self.angle])


@dataclass(frozen=True)
class Adherence:
    """How closely output frames put the dragged points where they were asked to be.

    Attributes:
        achieved: ``(N, T, 2)`` measured xy of each point in each frame.
        requested: ``(N, T, 2)`` the trajectories sampled at the frames' times.
        distances: ``(N, T)`` pixels between the two.
        visible: ``(N, T)`` which entries count (points the ground truth shows unoccluded).
        scores: ``(S, T)`` match score of each sprite in each frame (1 is a perfect match).
    """

    achieved: np.ndarray
    requested: np.ndarray
    distances: np.ndarray
    visible: np.ndarray
    scores: np.ndarray

    @property
    def median(self) -> float:
        """Median distance in pixels over visible points and frames."""
        return float(np.median(self.distances[self.visible])) if self.visible.any() else math.nan


def _as_frames(frames: Sequence[np.ndarray] | np.ndarray, name: str) -> np.ndarray:
    """``(T, H, W, 3)`` from a list or array of RGB frames (alpha dropped)."""
    array = np.asarray(frames) if not isinstance(frames, np.ndarray) else frames
    if array.ndim != 4 or array.shape[3] not in (3, 4):
        raise ShapeError(f"`{name}` must be frames of shape (T, H, W, 3) but has shape {array.shape}.")
    return array[..., :3]


def _template(
    sprite: Sprite, angle: float, scale: float = 1.0, phase: tuple[float, float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray, float]:
    """The sprite turned by ``angle`` on a square canvas: colour ``(D, D, 3)``, mask ``(D, D)``, centre coordinate.

    The sprite's centre sits at ``centre + phase``: rendering the template at the sub-pixel phase where the sprite
    is expected gives it the same resampling blur as a sprite drawn there, which removes a bias of the match.
    """
    if scale != 1.0:
        sprite = Sprite(
            cv2.resize(sprite.rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
            cv2.resize(sprite.alpha, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
        )
    size = 2 * math.ceil(math.hypot(*sprite.alpha.shape) / 2.0) + 3
    centre = (size - 1) / 2.0
    colour, alpha = render_layer(sprite, np.array([centre + phase[0], centre + phase[1], angle]), size, size)
    mask = (alpha >= _OPAQUE).astype(np.float32)
    return colour / np.maximum(alpha, 1e-6)[:, :, None] * mask[:, :, None], mask, centre


def _match(image: np.ndarray, template: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Masked normalised correlation of ``template`` over ``image`` (both colour or both grey); NaN -> -1."""
    if template.ndim == 3:
        mask = np.repeat(mask[:, :, None], template.shape[2], axis=2)
    scores = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED, mask=mask)
    return np.nan_to_num(scores, nan=-1.0, posinf=-1.0, neginf=-1.0)


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _peak_offset(left: float, centre: float, right: float) -> float:
    """Sub-sample offset in [-0.5, 0.5] of the vertex of the parabola through three scores."""
    curvature = left - 2.0 * centre + right
    return 0.0 if curvature >= 0 else float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _best_in_window(image: np.ndarray, sprite: Sprite, angle: float, x: float, y: float, reach: int) -> tuple:
    """Score and sub-pixel centre of the best match of the sprite at ``angle`` within ``reach`` px of ``(x, y)``."""
    phase = (x - round(x), y - round(y))
    colour, mask, c = _template(sprite, angle, phase=phase)
    size = colour.shape[0]
    height, width = image.shape[:2]
    # Top-left corners to try: centre - c, within reach; the crop must hold them plus the template.
    left = int(np.clip(round(x - c) - reach, 0, max(0, width - size)))
    top = int(np.clip(round(y - c) - reach, 0, max(0, height - size)))
    right = int(np.clip(round(x - c) + reach, 0, max(0, width - size)))
    bottom = int(np.clip(round(y - c) + reach, 0, max(0, height - size)))
    crop = image[top : bottom + size, left : right + size]
    scores = _match(crop, colour, mask)
    row, col = np.unravel_index(int(np.argmax(scores)), scores.shape)
    dx = (
        _peak_offset(scores[row, col - 1], scores[row, col], scores[row, col + 1])
        if 0 < col < scores.shape[1] - 1
        else 0.0
    )
    dy = (
        _peak_offset(scores[row - 1, col], scores[row, col], scores[row + 1, col])
        if 0 < row < scores.shape[0] - 1
        else 0.0
    )
    return float(scores[row, col]), left + col + dx + c + phase[0], top + row + dy + c + phase[1]


def locate_sprite(frame: np.ndarray, sprite: Sprite, angles: tuple[float, float] | None = None) -> Pose:
    """Find ``sprite`` in ``frame (H, W, 3)``, anywhere in the frame.

    Args:
        frame: RGB uint8 or float.
        sprite: the sprite to find.
        angles: ``(low, high)`` range of angles in degrees to search, or None for an unturned sprite.

    Returns:
        The pose with the best normalised correlation, to sub-pixel position and sub-degree angle.
    """
    # Pad by half a template (an even number, so half resolution keeps its grid) so sprites at the edge match.
    pad = 2 * (math.ceil(math.hypot(*sprite.alpha.shape) / 4.0) + 3)
    image = cv2.copyMakeBorder(
        np.ascontiguousarray(frame[..., :3], dtype=np.float32), pad, pad, pad, pad, cv2.BORDER_REPLICATE
    )
    # 1. Coarse: whole frame at half resolution; for a turning sprite, grey templates every few degrees.
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    if angles is None:
        candidates, convert = [0.0], (lambda x: x)
    else:
        candidates, convert = list(np.arange(angles[0], angles[1] + _COARSE_STEP / 2, _COARSE_STEP)), _grey
        small = _grey(small)
    best = (-np.inf, 0.0, 0.0, 0.0)
    for angle in candidates:
        colour, mask, c = _template(sprite, float(angle), scale=0.5)
        scores = _match(small, convert(colour), mask)
        row, col = np.unravel_index(int(np.argmax(scores)), scores.shape)
        if scores[row, col] > best[0]:
            # half-resolution pixel centres sit at 2 i + 0.5 in full-resolution pixels
            best = (float(scores[row, col]), 2 * (col + c) + 0.5, 2 * (row + c) + 0.5, float(angle))
    _, x, y, angle = best
    _, x, y = _best_in_window(image, sprite, angle, x, y, 3)
    # 2. Fine angle, twice: templates around the best angle so far, each at its best nearby position, then the
    #    vertex of the parabola through the best score and its neighbours.
    if angles is not None:
        for span, step in ((_COARSE_STEP, _FINE_STEP), (_FINE_STEP / 2, _FINE_STEP / 4)):
            fine = angle + np.arange(-span, span + step / 2, step)
            results = [_best_in_window(image, sprite, float(a), x, y, 2) for a in fine]
            k = int(np.argmax([r[0] for r in results]))
            inner = 0 < k < len(fine) - 1
            offset = _peak_offset(results[k - 1][0], results[k][0], results[k + 1][0]) if inner else 0.0
            angle, x, y = float(fine[k] + offset * step), results[k][1], results[k][2]
    # 3. Sub-pixel position at the final angle, twice so the template's phase settles on the sprite's.
    for _ in range(2):
        score, x, y = _best_in_window(image, sprite, angle, x, y, 2)
    x, y = x - pad, y - pad
    return Pose(x, y, angle, score)


def _angle_range(case: DragCase, sprite_index: int) -> tuple[float, float] | None:
    mover = case.movers[sprite_index]
    if not mover.rotates:
        return None
    a0, a1 = sorted((float(mover.pose(0.0)[2]), float(mover.pose(1.0)[2])))
    return a0 - 45.0, a1 + 45.0  # room for outputs that turn too little or too far


def trajectory_adherence(
    frames: Sequence[np.ndarray] | np.ndarray, case: DragCase, requested: np.ndarray | None = None
) -> Adherence:
    """Measure where ``frames`` (one per ``case.times``) put the case's dragged points.

    Args:
        frames: ``(T, H, W, 3)`` output in-betweens at ``case.times``.
        case: the benchmark case (its sprites, which point sits where on them, and which points are visible).
        requested: ``(N, T, 2)`` positions asked for; default: the case's trajectories sampled at its times.
    """
    array = _as_frames(frames, "frames")
    if array.shape[0] != len(case.times) or array.shape[1:3] != case.frames.shape[1:3]:
        raise ShapeError(
            f"`frames` must be {len(case.times)} frames of {case.size[0]}x{case.size[1]} for case {case.name} "
            f"but has shape {array.shape}."
        )
    if requested is None:
        requested = sample_trajectories(case.trajectories, case.times)[0]
    scores = np.zeros((len(case.movers), len(case.times)))
    achieved = np.zeros_like(case.tracks)
    for i, frame in enumerate(array):
        for s, mover in enumerate(case.movers):
            pose = locate_sprite(frame, mover.sprite, _angle_range(case, s))
            scores[s, i] = pose.score
            for n in np.flatnonzero(case.point_sprite == s):
                achieved[n, i] = point_on_pose(pose.as_array(), case.point_offsets[n])
    distances = np.linalg.norm(achieved - requested, axis=2)
    return Adherence(achieved, np.asarray(requested, dtype=np.float64), distances, case.visible.copy(), scores)


def _frame_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    diff = a.astype(np.float64) - b.astype(np.float64)
    mse = float(np.mean(diff[mask] ** 2)) if mask is not None else float(np.mean(diff**2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(255.0**2 / mse)


def psnr(frames: Sequence[np.ndarray] | np.ndarray, reference: Sequence[np.ndarray] | np.ndarray) -> float:
    """Mean over frames of each frame's PSNR in dB (:func:`framer.metrics.psnr`) against ``reference``; inf when
    equal. Frames are ``(H, W, 3)`` uint8."""
    from framer.io.tensors import images_to_batch
    from framer.metrics import psnr as tensor_psnr

    a, b = _as_frames(frames, "frames"), _as_frames(reference, "reference")
    if a.shape != b.shape:
        raise ShapeError(f"`frames` and `reference` must have the same shape but have {a.shape} and {b.shape}.")

    return float(tensor_psnr(images_to_batch(list(a)), images_to_batch(list(b))).mean())


def background_mask(case: DragCase, margin: float = 16.0) -> np.ndarray:
    """``(H, W)`` bool: pixels farther than ``margin`` px from every sprite, wherever it is at any time.

    "Wherever" covers the true paths and the straight lines between keyframe poses (``case.motion_region``), so
    two outputs that move a sprite differently are compared only where neither can have put it.
    """
    outside = (~case.motion_region).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return distance > margin


def background_psnr(
    frames: Sequence[np.ndarray] | np.ndarray, reference: Sequence[np.ndarray] | np.ndarray, mask: np.ndarray
) -> float:
    """PSNR in dB (peak 255) of ``frames`` against ``reference`` over the pixels of ``mask (H, W)``, all frames pooled.

    ``reference`` may be the ground truth or another output (e.g. drag against no-drag); inf when equal there.
    """
    a, b = _as_frames(frames, "frames"), _as_frames(reference, "reference")
    if a.shape != b.shape or a.shape[1:3] != mask.shape:
        raise ShapeError(f"`frames` {a.shape}, `reference` {b.shape} and `mask` {mask.shape} must agree in size.")
    if not mask.any():
        raise InputError("`mask` selects no pixels: there is no background to compare.")
    return _frame_psnr(a, b, np.broadcast_to(mask[None, :, :, None], a.shape))


def linear_blend(case: DragCase) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 cross-fades of the keyframes at ``case.times``: the crudest in-between, a baseline."""
    k0, k1 = case.keyframes.astype(np.float64)
    blend = [(1.0 - t) * k0 + t * k1 for t in case.times]
    return np.clip(np.round(np.stack(blend)), 0, 255).astype(np.uint8)
