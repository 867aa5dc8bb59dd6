"""Pre-alignment for large motion: a motion model fitted to correspondences, and the warps it gives at each time t.

A flow network only finds displacements up to its receptive field. Correspondences (the autopilot's matches, or
user trajectories) tell how far things moved; this module turns them into a motion model and, for each output time
t, into two sampling maps that bring both keyframes close to the frame at t. The network then interpolates the
pre-aligned pair at time t and only has to find the small residual motion.

Motion model (keyframe 0 -> keyframe 1):

1. **Global**: a homography ``H``, the camera's motion, interpolated in time as a motion rather than entry by
   entry. Its affine part at the frame's middle is split into rotation, stretch and translation (polar
   decomposition); rotation angle and stretch grow linearly with t, the scene point seen at the middle moves on a
   straight line (a camera travelling while it rolls about its optical axis), and the perspective rest is blended
   linearly. So a rotation by 60 degrees passes through 30 degrees at t = 0.5 (a blend of matrix entries would
   shrink the image instead), and a zoom to 2x passes through 1.5x.
2. **Local**: the trajectories' positions at time t, ``P_i(t)``, give the points that must land on ``p0_i`` in
   keyframe 0 and on ``p1_i`` in keyframe 1. The offsets the global motion leaves are fitted by a smooth field on a
   coarse grid (bilinear nodes, least squares with a thin-plate bending penalty and a weak slope penalty, so the
   field levels off, rather than growing, away from the trajectories).

Why this composition is right: the network, run at time t on keyframe 0 sampled through ``map0_t`` and keyframe 1
sampled through ``map1_t``, puts a point seen at ``y0`` and ``y1`` in the pre-aligned pair at ``(1 - t) y0 + t y1``.
With a locally constant motion error ``e`` the model places the point at ``y0 = x(t) - t e`` and
``y1 = x(t) + (1 - t) e``, whose blend is the true ``x(t)``: the network corrects what the model got wrong.

Borders: where ``map0_t`` leaves keyframe 0 (content that only keyframe 1 shows), the pre-aligned keyframe 0 takes
the pre-aligned keyframe 1's pixels, and the other way round, so the network sees still content there.

Conventions: images ``(H, W, C)`` or tensors ``(B, C, H, W)``; points and maps are ``(x, y)`` pixels with the
centre of the top-left pixel at ``(0, 0)``; homographies are 3x3 and map column vectors ``(x, y, 1)``; a map
``(H, W, 2)`` holds, for each pixel of the frame at time t, where to sample a keyframe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from framer.errors import InputError
from framer.motion.field import STIFFNESS, evaluate_field, fit_smooth_field
from framer.motion.homography import apply_homography, frame_middle, interpolate_homography, similarity_motion
from framer.motion.layers import LayeredMotion
from framer.trajectory import Trajectory, sample_trajectories

__all__ = ["Alignment", "fit_alignment", "fit_alignment_along"]


@dataclass(frozen=True, eq=False)
class Alignment:
    """A motion model from keyframe 0 to keyframe 1, made by :func:`fit_alignment`.

    Attributes:
        width, height: the keyframes' size.
        homography: 3x3, keyframe 0 -> keyframe 1 (the global motion).
        centre: ``(2,)`` the point the global motion's rotation and stretch are taken about.
        follow: which point moves straight in time (:func:`framer.motion.interpolate_homography`): ``"view"``,
            the scene point seen at ``centre`` (a camera travelling and rolling about its optical axis), or
            ``"content"``, the content at ``centre``.
        starts, ends: ``(N, 2)`` the correspondences, in keyframe 0 and keyframe 1.
        weights: ``(N,)`` their confidence in [0, 1].
        paths: optional trajectories giving each correspondence's position at time t (user paths); None moves each
            start along the global motion plus a linearly growing local offset.
        stiffness: bending weight of the local field.
        layers: optional motion layers (:mod:`framer.motion.layers`); when set, they alone make the sampling maps
            (each layer pre-aligns its own region, the rest is left in place) and the global model above only
            places the correspondences (:meth:`points_at`, overlays).
        sampling: the kernel the engine samples the keyframes with for the frames it makes
            (:func:`framer.motion.compose_frame`): ``"bilinear"`` (as the network warps), or ``"bicubic"`` for line
            art, whose thin strokes bilinear sampling blurs wherever a turning layer puts them between pixels (on
            ``benchmarks/cartoon_scenes.py``, sharpness a median 0.87 of the keyframes' -> 0.97); on photographs and
            noise its sharper errors cost PSNR where the motion is off (``benchmarks/views_scenes.py``: -0.07 dB on
            average, -1.5 dB on fine noise), so it is not the default.
    """

    width: int
    height: int
    homography: np.ndarray
    centre: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    weights: np.ndarray
    paths: tuple[Trajectory, ...] | None = None
    stiffness: float = STIFFNESS
    layers: LayeredMotion | None = None
    follow: str = "content"
    sampling: str = "bilinear"

    def global_at(self, t: float) -> np.ndarray:
        """3x3 global motion from keyframe 0 to the frame at time ``t``."""
        return interpolate_homography(self.homography, t, self.centre, self.follow)

    def points_at(self, t: float) -> np.ndarray:
        """``(N, 2)`` where each correspondence is at time ``t``."""
        if self.paths is not None:
            return np.stack([path.sample(float(t)) for path in self.paths]) if self.paths else np.zeros((0, 2))
        local = self.ends - apply_homography(self.homography, self.starts)
        return apply_homography(self.global_at(t), self.starts) + t * local

    def trajectories(self, times: Sequence[float] = (0.25, 0.5, 0.75), names: Sequence[str] | None = None):
        """The correspondences as :class:`framer.Trajectory` objects with waypoints at ``times`` (the model's path)."""
        knots = [0.0, *[float(t) for t in times], 1.0]
        positions = np.stack([self.points_at(t) for t in knots], axis=1)  # (N, K, 2)
        positions[:, 0], positions[:, -1] = self.starts, self.ends
        limit = np.array([self.width - 1, self.height - 1], np.float64)
        positions = np.clip(positions, 0.0, limit)
        result = []
        for index, points in enumerate(positions):
            name = None if names is None else names[index]
            result.append(Trajectory(points, np.asarray(knots), name, "catmull-rom"))
        return result

    def maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Where to sample each keyframe for the frame at time ``t``: ``(map0, map1)``, each ``(H, W, 2)`` float32.

        ``map0[y, x]`` is the keyframe-0 position of the content at pixel ``(x, y)`` at time t, and ``map1`` the
        keyframe-1 position. At t = 0, ``map0`` is the identity.
        """
        if self.layers is not None:
            return self.layers.maps(t)
        inverse = np.linalg.inv(self.global_at(t))
        xs, ys = np.meshgrid(np.arange(self.width, dtype=np.float64), np.arange(self.height, dtype=np.float64))
        pixels = np.stack([xs, ys], axis=-1)
        base0 = apply_homography(inverse, pixels)  # (H, W, 2)
        base1 = apply_homography(self.homography, base0)
        if len(self.starts) == 0:
            return base0.astype(np.float32), base1.astype(np.float32)
        at_t = self.points_at(t)
        back = apply_homography(inverse, at_t)
        offsets = np.concatenate([self.starts - back, self.ends - apply_homography(self.homography, back)], axis=1)
        nodes = fit_smooth_field(at_t, offsets, self.width, self.height, self.weights, self.stiffness)
        field = evaluate_field(nodes, self.width, self.height)  # (H, W, 4)
        return (base0 + field[..., :2]).astype(np.float32), (base1 + field[..., 2:]).astype(np.float32)

    def largest_motion(self) -> float:
        """Largest displacement (px) the model gives any pixel of keyframe 0 (at a grid of sample points)."""
        xs, ys = np.meshgrid(np.linspace(0, self.width - 1, 17), np.linspace(0, self.height - 1, 9))
        points = np.stack([xs.ravel(), ys.ravel()], axis=1)
        moved = apply_homography(self.homography, points)
        largest = float(np.linalg.norm(moved - points, axis=1).max())
        if len(self.starts):
            largest = max(largest, float(np.linalg.norm(self.ends - self.starts, axis=1).max()))
        return largest


def identity_alignment(width: int, height: int) -> Alignment:
    """The alignment that moves nothing: a pair so pre-aligned is the pair as it is (plain interpolation)."""
    empty = np.zeros((0, 2))
    return Alignment(width, height, np.eye(3), frame_middle(width, height), empty, empty, np.zeros(0))


def fit_alignment(
    starts: np.ndarray,
    ends: np.ndarray,
    width: int,
    height: int,
    weights: np.ndarray | None = None,
    homography: np.ndarray | None = None,
    paths: Sequence[Trajectory] | None = None,
    stiffness: float = STIFFNESS,
) -> Alignment:
    """Fit the motion model to correspondences ``starts`` (keyframe 0) -> ``ends`` (keyframe 1).

    Args:
        starts, ends: ``(N, 2)`` xy pixels.
        width, height: the keyframes' size.
        weights: ``(N,)`` confidence in [0, 1]; ones by default.
        homography: the global motion if already known; otherwise :func:`similarity_motion` of the
            correspondences. A similarity extrapolates tamely where no correspondence is; the local field adds
            what it misses near them.
        paths: optional per-correspondence trajectories (see :class:`Alignment`).
        stiffness: bending weight of the local field.
    """
    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    ends = np.asarray(ends, np.float64).reshape(-1, 2)
    if starts.shape != ends.shape:
        raise InputError(f"`starts` and `ends` must have the same shape but have {starts.shape} and {ends.shape}.")
    if not (np.isfinite(starts).all() and np.isfinite(ends).all()):
        raise InputError("`starts` or `ends` holds NaN or infinite coordinates.")
    weights = np.ones(len(starts)) if weights is None else np.clip(np.asarray(weights, np.float64), 0.0, 1.0)
    if weights.shape != (len(starts),):
        raise InputError(f"`weights` must have shape ({len(starts)},) but has {weights.shape}.")
    if paths is not None and len(paths) != len(starts):
        raise InputError(
            f"`paths` must hold one trajectory per correspondence ({len(starts)}) but holds {len(paths)}."
        )
    if homography is None:
        homography = similarity_motion(starts, ends)
    homography = np.asarray(homography, np.float64)
    if homography.shape != (3, 3) or not np.isfinite(homography).all() or abs(homography[2, 2]) < 1e-12:
        raise InputError(f"`homography` must be a finite 3x3 matrix with a non-zero last entry, not {homography!r}.")
    homography = homography / homography[2, 2]
    # the global motion is the camera's: it travels and rolls about its optical axis, the frame's middle
    paths = None if paths is None else tuple(paths)
    middle = frame_middle(width, height)
    return Alignment(width, height, homography, middle, starts, ends, weights, paths, stiffness, follow="view")


def fit_alignment_along(trajectories: Sequence[Trajectory], times: np.ndarray, width: int, height: int) -> Alignment:
    """Pre-alignment of one gap with user trajectories as the correspondences (drag + autopilot).

    Args:
        trajectories: the trajectories, in their own time (e.g. over a sequence of keyframes or source frames).
        times: ``(K,)`` the trajectories' times at K evenly spaced points of the gap, its start and end included;
            each trajectory's piece sampled there becomes that correspondence's path.
        width, height: the keyframes' size.
    """
    knots = np.linspace(0.0, 1.0, len(times))
    tracks = sample_trajectories(trajectories, np.asarray(times, np.float64))[0]  # (N, K, 2)
    paths = [Trajectory(points, knots, t.name) for points, t in zip(tracks, trajectories, strict=True)]
    return fit_alignment(tracks[:, 0], tracks[:, -1], width, height, paths=paths)
