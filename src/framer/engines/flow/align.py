"""Pre-alignment for large motion: a motion model fitted to correspondences, and the warps it gives at each time t.

A flow network only finds displacements up to its receptive field. Correspondences (the autopilot's matches, or
user trajectories) tell how far things moved; this module turns them into a motion model and, for each output time
t, into two sampling maps that bring both keyframes close to the frame at t. The network then interpolates the
pre-aligned pair at time t and only has to find the small residual motion.

Motion model (keyframe 0 -> keyframe 1):

1. **Global**: a homography ``H``, interpolated in time as a motion rather than entry by entry. Its affine part at
   the motion's centre is split into rotation, stretch and translation (polar decomposition); rotation angle,
   stretch and translation grow linearly with t, and the perspective rest is blended linearly. So a rotation by
   60 degrees passes through 30 degrees at t = 0.5 (a blend of matrix entries would shrink the image instead), and
   a zoom to 2x passes through 1.5x.
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

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from framer.errors import InputError
from framer.ops.warp import backward_warp
from framer.trajectory import Trajectory, sample_trajectories

__all__ = [
    "Alignment",
    "apply_homography",
    "compose_flow",
    "compose_frame",
    "evaluate_field",
    "fit_alignment",
    "fit_alignment_along",
    "fit_smooth_field",
    "interpolate_homography",
    "similarity_motion",
    "warp_pair",
]

_CELLS = 24  # grid nodes along the longer side of the frame for the local field
_STIFFNESS = 2.0  # weight of the bending penalty against one correspondence of weight 1
_MEMBRANE = 0.02  # weight of the slope penalty against bending: far from the data the field levels off
_PULL = 1e-6  # weight of a pull towards zero per node (keeps the fit well posed without data)
_MODE = "bilinear"


# ----------------------------------------------------------------------------------------------------------------
# Homographies


def apply_homography(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map ``points`` ``(..., 2)`` through a 3x3 homography -> ``(..., 2)`` float64."""
    points = np.asarray(points, np.float64)
    flat = points.reshape(-1, 2)
    mapped = flat @ homography[:, :2].T + homography[:, 2]  # (M, 3)
    w = mapped[:, 2:3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return (mapped[:, :2] / w).reshape(points.shape)


def _jacobian(homography: np.ndarray, point: np.ndarray) -> np.ndarray:
    """2x2 derivative of the homography at ``point``."""
    u = homography @ np.array([point[0], point[1], 1.0])
    image = u[:2] / u[2]
    return (homography[:2, :2] - np.outer(image, homography[2, :2])) / u[2]


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def _affine3(linear: np.ndarray, offset: np.ndarray) -> np.ndarray:
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = offset
    return out


def motion_centre(homography: np.ndarray, fallback: np.ndarray, reach: float) -> np.ndarray:
    """The point the homography's rotation turns about, or ``fallback`` when it barely rotates.

    The fixed point of the affine approximation at ``fallback``; used only when the rotation exceeds one degree and
    the point lies within ``reach`` pixels of ``fallback`` (a pan with a slight roll turns about a far point, and
    there an arc and a straight line hardly differ).
    """
    jac = _jacobian(homography, fallback)
    image = apply_homography(homography, fallback)
    u, _, vt = np.linalg.svd(jac)
    rot = u @ vt
    if np.linalg.det(rot) < 0 or abs(math.atan2(rot[1, 0], rot[0, 0])) < math.radians(1.0):
        return np.asarray(fallback, np.float64)
    try:
        fixed = np.linalg.solve(np.eye(2) - jac, image - jac @ fallback)
    except np.linalg.LinAlgError:
        return np.asarray(fallback, np.float64)
    if not np.isfinite(fixed).all() or np.linalg.norm(fixed - fallback) > reach:
        return np.asarray(fallback, np.float64)
    return fixed


def interpolate_homography(homography: np.ndarray, t: float, centre: np.ndarray) -> np.ndarray:
    """The global motion at time ``t``: ``G_0 = I``, ``G_1 = homography`` (3x3, keyframe 0 -> frame at t).

    Rotation angle, stretch and the motion of ``centre`` grow linearly with t (see the module docstring); the
    perspective rest is blended linearly. A mirroring homography is blended entry by entry.
    """
    homography = homography / homography[2, 2]
    if t <= 0.0:
        return np.eye(3)
    if t >= 1.0:
        return homography.copy()
    centre = np.asarray(centre, np.float64)
    jac = _jacobian(homography, centre)
    shift = apply_homography(homography, centre) - centre
    u, sigma, vt = np.linalg.svd(jac)
    rot = u @ vt
    if np.linalg.det(rot) < 0:
        return (1.0 - t) * np.eye(3) + t * homography
    stretch = vt.T @ np.diag(sigma) @ vt  # symmetric positive: jac = rot @ stretch
    angle = math.atan2(rot[1, 0], rot[0, 0])

    def affine_at(s: float) -> np.ndarray:
        linear = _rotation(s * angle) @ ((1.0 - s) * np.eye(2) + s * stretch)
        return _affine3(linear, centre + s * shift - linear @ centre)

    rest = homography @ np.linalg.inv(affine_at(1.0))
    rest = rest / rest[2, 2]
    return ((1.0 - t) * np.eye(3) + t * rest) @ affine_at(t)


# ----------------------------------------------------------------------------------------------------------------
# Smooth residual field on a coarse grid


@dataclass(frozen=True)
class _Grid:
    """Bilinear grid nodes covering the frame plus one cell on each side."""

    width: int
    height: int
    step_x: float
    step_y: float
    nodes_x: int
    nodes_y: int

    @classmethod
    def for_frame(cls, width: int, height: int) -> _Grid:
        step = max(width - 1, height - 1, 1) / _CELLS
        nodes_x = max(2, math.ceil((width - 1) / step) + 1) + 2
        nodes_y = max(2, math.ceil((height - 1) / step) + 1) + 2
        step_x = max(width - 1, 1) / (nodes_x - 3)
        step_y = max(height - 1, 1) / (nodes_y - 3)
        return cls(width, height, step_x, step_y, nodes_x, nodes_y)

    def coordinates(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(N, 2)`` -> fractional node coordinates (node 1 is the frame's first pixel), clamped."""
        gx = np.clip(points[:, 0] / self.step_x + 1.0, 0.0, self.nodes_x - 1.000001)
        gy = np.clip(points[:, 1] / self.step_y + 1.0, 0.0, self.nodes_y - 1.000001)
        return gx, gy

    def interpolation_matrix(self, points: np.ndarray) -> np.ndarray:
        """``(N, nodes)`` bilinear weights of each point on the nodes."""
        gx, gy = self.coordinates(points)
        x0, y0 = np.floor(gx).astype(int), np.floor(gy).astype(int)
        fx, fy = gx - x0, gy - y0
        matrix = np.zeros((len(points), self.nodes_x * self.nodes_y))
        rows = np.arange(len(points))
        for dy, wy in ((0, 1.0 - fy), (1, fy)):
            for dx, wx in ((0, 1.0 - fx), (1, fx)):
                np.add.at(matrix, (rows, (y0 + dy) * self.nodes_x + x0 + dx), wy * wx)
        return matrix

    def bending(self) -> np.ndarray:
        """Sum of squared second differences (xx, yy and twice xy) as a quadratic form ``(nodes, nodes)``."""
        return self._quadratic_form(second=True)

    def membrane(self) -> np.ndarray:
        """Sum of squared first differences (x and y) as a quadratic form ``(nodes, nodes)``."""
        return self._quadratic_form(second=False)

    def _quadratic_form(self, second: bool) -> np.ndarray:
        nx, ny = self.nodes_x, self.nodes_y
        index = np.arange(nx * ny).reshape(ny, nx)
        rows = []

        def add(stencil: list[tuple[int, int, float]], y_range: range, x_range: range) -> None:
            for y in y_range:
                for x in x_range:
                    row = np.zeros(nx * ny)
                    for dy, dx, w in stencil:
                        row[index[y + dy, x + dx]] += w
                    rows.append(row)

        if second:
            add([(0, -1, 1.0), (0, 0, -2.0), (0, 1, 1.0)], range(ny), range(1, nx - 1))
            add([(-1, 0, 1.0), (0, 0, -2.0), (1, 0, 1.0)], range(1, ny - 1), range(nx))
            s = math.sqrt(2.0)
            add([(0, 0, s), (0, 1, -s), (1, 0, -s), (1, 1, s)], range(ny - 1), range(nx - 1))
        else:
            add([(0, 0, -1.0), (0, 1, 1.0)], range(ny), range(nx - 1))
            add([(0, 0, -1.0), (1, 0, 1.0)], range(ny - 1), range(nx))
        operator = np.stack(rows)
        return operator.T @ operator


_PENALTIES: dict[tuple[int, int], np.ndarray] = {}


def _penalty(grid: _Grid) -> np.ndarray:
    """Bending plus a weak membrane term (``_MEMBRANE``), per unit of stiffness; cached per grid."""
    key = (grid.nodes_x, grid.nodes_y)
    if key not in _PENALTIES:
        if len(_PENALTIES) > 8:
            _PENALTIES.clear()
        _PENALTIES[key] = grid.bending() + _MEMBRANE * grid.membrane()
    return _PENALTIES[key]


def fit_smooth_field(
    points: np.ndarray,
    values: np.ndarray,
    width: int,
    height: int,
    weights: np.ndarray | None = None,
    stiffness: float = _STIFFNESS,
) -> np.ndarray:
    """A smooth field through ``values`` at ``points``, on a coarse grid over a ``width x height`` frame.

    Args:
        points: ``(N, 2)`` xy pixels where the field is known (points off the frame count at its edge).
        values: ``(N, D)`` the field's values there (D = 2 for a displacement, or more columns solved at once).
        weights: ``(N,)`` confidence of each value; ones by default.
        stiffness: weight of the bending penalty; larger is smoother.

    Returns:
        ``(nodes_y, nodes_x, D)`` node values; :func:`evaluate_field` turns them into a per-pixel field.
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    values = np.asarray(values, np.float64)
    values = values.reshape(len(points), values.shape[-1] if values.ndim == 2 else -1)
    grid = _Grid.for_frame(width, height)
    nodes = grid.nodes_x * grid.nodes_y
    if len(points) == 0:
        return np.zeros((grid.nodes_y, grid.nodes_x, values.shape[1]))
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    basis = grid.interpolation_matrix(points)  # (N, nodes)
    weighted = basis * weights[:, None]
    normal = weighted.T @ basis + stiffness * _penalty(grid) + _PULL * np.eye(nodes)
    solution = np.linalg.solve(normal, weighted.T @ values)  # (nodes, D)
    return solution.reshape(grid.nodes_y, grid.nodes_x, -1)


def evaluate_field(nodes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Per-pixel field ``(H, W, D)`` float32 from the node values of :func:`fit_smooth_field` (bilinear)."""
    grid = _Grid.for_frame(width, height)
    if nodes.shape[:2] != (grid.nodes_y, grid.nodes_x):
        raise InputError(
            f"`nodes` must have shape ({grid.nodes_y}, {grid.nodes_x}, D) for a {width}x{height} frame but has "
            f"{nodes.shape}."
        )
    gx = np.arange(width, dtype=np.float64) / grid.step_x + 1.0
    gy = np.arange(height, dtype=np.float64) / grid.step_y + 1.0
    x0 = np.minimum(np.floor(gx).astype(int), grid.nodes_x - 2)
    y0 = np.minimum(np.floor(gy).astype(int), grid.nodes_y - 2)
    fx = (gx - x0)[None, :, None]
    fy = (gy - y0)[:, None, None]
    top = nodes[y0][:, x0] * (1.0 - fx) + nodes[y0][:, x0 + 1] * fx
    bottom = nodes[y0 + 1][:, x0] * (1.0 - fx) + nodes[y0 + 1][:, x0 + 1] * fx
    return (top * (1.0 - fy) + bottom * fy).astype(np.float32)


# ----------------------------------------------------------------------------------------------------------------
# The alignment


@dataclass(frozen=True, eq=False)
class Alignment:
    """A motion model from keyframe 0 to keyframe 1, made by :func:`fit_alignment`.

    Attributes:
        width, height: the keyframes' size.
        homography: 3x3, keyframe 0 -> keyframe 1 (the global motion).
        centre: ``(2,)`` the point the global motion's rotation and stretch are taken about.
        starts, ends: ``(N, 2)`` the correspondences, in keyframe 0 and keyframe 1.
        weights: ``(N,)`` their confidence in [0, 1].
        paths: optional trajectories giving each correspondence's position at time t (user paths); None moves each
            start along the global motion plus a linearly growing local offset.
        stiffness: bending weight of the local field.
    """

    width: int
    height: int
    homography: np.ndarray
    centre: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    weights: np.ndarray
    paths: tuple[Trajectory, ...] | None = None
    stiffness: float = _STIFFNESS

    def global_at(self, t: float) -> np.ndarray:
        """3x3 global motion from keyframe 0 to the frame at time ``t``."""
        return interpolate_homography(self.homography, t, self.centre)

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


def fit_alignment(
    starts: np.ndarray,
    ends: np.ndarray,
    width: int,
    height: int,
    weights: np.ndarray | None = None,
    homography: np.ndarray | None = None,
    paths: Sequence[Trajectory] | None = None,
    stiffness: float = _STIFFNESS,
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
    middle = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    fallback = starts.mean(0) if len(starts) else middle
    centre = motion_centre(homography, fallback, reach=2.0 * math.hypot(width, height))
    return Alignment(
        width, height, homography, centre, starts, ends, weights, None if paths is None else tuple(paths), stiffness
    )


def similarity_motion(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """3x3 similarity (rotation, uniform scale, translation) taking ``starts`` ``(N, 2)`` to ``ends``.

    Least median of squares for 2 or more points (robust to up to half of them moving otherwise), a translation for
    one, the identity for none.
    """
    import cv2

    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    ends = np.asarray(ends, np.float64).reshape(-1, 2)
    if len(starts) == 0:
        return np.eye(3)
    if len(starts) >= 2:
        similarity, _ = cv2.estimateAffinePartial2D(
            np.ascontiguousarray(starts, np.float32), np.ascontiguousarray(ends, np.float32), method=cv2.LMEDS
        )
        if similarity is not None and np.isfinite(similarity).all():
            return np.vstack([similarity, [0.0, 0.0, 1.0]])
    return _affine3(np.eye(2), np.median(ends - starts, axis=0))


# ----------------------------------------------------------------------------------------------------------------
# Warping tensors


def _sample(image: torch.Tensor, sample_map: torch.Tensor) -> torch.Tensor:
    """``image`` ``(1, C, H, W)`` sampled at ``sample_map`` ``(H', W', 2)`` pixels (bilinear, edge padding)."""
    height, width = image.shape[-2:]
    scale = sample_map.new_tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)])
    grid = (sample_map * scale - 1.0).unsqueeze(0).to(image.dtype)
    return F.grid_sample(image, grid, mode=_MODE, padding_mode="border", align_corners=True)


def _inside(sample_map: torch.Tensor, width: int, height: int, margin: float = 0.5) -> torch.Tensor:
    """``(H, W)`` bool: the map points inside the frame (up to ``margin`` px beyond the edge pixels' centres)."""
    x, y = sample_map[..., 0], sample_map[..., 1]
    return (x >= -margin) & (x <= width - 1 + margin) & (y >= -margin) & (y <= height - 1 + margin)


def warp_pair(
    frame0: torch.Tensor, frame1: torch.Tensor, map0: np.ndarray, map1: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both keyframes sampled for the frame at time t, each filled from the other where it has no content.

    Args:
        frame0, frame1: ``(1, C, H, W)`` float keyframes.
        map0, map1: ``(H, W, 2)`` from :meth:`Alignment.maps`.

    Returns:
        ``(warped0, warped1)``, ``(1, C, H, W)`` each, in the input's dtype and device.
    """
    height, width = frame0.shape[-2:]
    m0 = torch.from_numpy(np.ascontiguousarray(map0)).to(frame0.device, torch.float32)
    m1 = torch.from_numpy(np.ascontiguousarray(map1)).to(frame0.device, torch.float32)
    warped0, warped1 = _sample(frame0, m0), _sample(frame1, m1)
    inside0, inside1 = _inside(m0, width, height), _inside(m1, width, height)
    only1 = (~inside0 & inside1)[None, None]
    only0 = (inside0 & ~inside1)[None, None]
    return torch.where(only1, warped1, warped0), torch.where(only0, warped0, warped1)


def _map_tensor(sample_map: np.ndarray, device: torch.device) -> torch.Tensor:
    """``(H, W, 2)`` numpy map -> ``(1, 2, H, W)`` float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(sample_map, np.float32)).permute(2, 0, 1).unsqueeze(0).to(device)


def _follow(
    own: torch.Tensor,
    other: torch.Tensor,
    own_map: torch.Tensor,
    other_map: torch.Tensor,
    from_other: torch.Tensor,
    buffer: torch.Tensor,
    residual: torch.Tensor,
) -> torch.Tensor:
    """One pre-aligned keyframe moved by the network's residual flow, sampled once from the original keyframe.

    The pre-aligned buffer holds ``own`` sampled through ``own_map``, except where ``from_other`` (then ``other``
    through ``other_map``). Following the residual flow, each pixel's position in the original keyframe is the map
    sampled at ``p + residual(p)``; the keyframe is sampled there directly (one interpolation instead of two).
    Where the residual flow lands on the seam between the two sources, the buffer itself is warped.
    """
    share = backward_warp(from_other.to(residual.dtype), residual)  # (1, 1, H, W): fraction from `other`
    own_positions = backward_warp(own_map, residual)[0].permute(1, 2, 0)  # (H, W, 2)
    other_positions = backward_warp(other_map, residual)[0].permute(1, 2, 0)
    seam = backward_warp(buffer, residual)
    single = torch.where(share == 0, _sample(own, own_positions), _sample(other, other_positions))
    return torch.where((share == 0) | (share == 1), single, seam)


def compose_frame(
    frame0: torch.Tensor,
    frame1: torch.Tensor,
    warped0: torch.Tensor,
    warped1: torch.Tensor,
    map0: np.ndarray,
    map1: np.ndarray,
    flow: torch.Tensor,
    mask: torch.Tensor,
) -> torch.Tensor:
    """The frame at time t from the network's output on the pair pre-aligned to t, the motions composed.

    The network's residual flows are composed with the pre-alignment maps, and each keyframe is sampled once at the
    composed positions and blended with the network's mask, as the network blends its own warps; sampling the
    pre-aligned pair again would blur fine texture a second time.

    Args:
        frame0, frame1: ``(1, C, H, W)`` the original keyframes.
        warped0, warped1: ``(1, C, H, W)`` the pre-aligned pair from :func:`warp_pair`.
        map0, map1: ``(H, W, 2)`` the maps that made it.
        flow: ``(1, 4, H, W)`` the network's residual flows on the pre-aligned pair (channels 0-1 sample warped0,
            2-3 warped1; target to source).
        mask: ``(1, 1, H, W)`` the network's weight of warped0 in [0, 1].

    Returns:
        ``(1, C, H, W)`` the frame at t.
    """
    height, width = frame0.shape[-2:]
    m0, m1 = _map_tensor(map0, frame0.device), _map_tensor(map1, frame0.device)
    inside0 = _inside(m0[0].permute(1, 2, 0), width, height)
    inside1 = _inside(m1[0].permute(1, 2, 0), width, height)
    from_other0 = (~inside0 & inside1)[None, None]
    from_other1 = (inside0 & ~inside1)[None, None]
    flow = flow.to(frame0.dtype)
    final0 = _follow(frame0, frame1, m0, m1, from_other0, warped0, flow[:, 0:2])
    final1 = _follow(frame1, frame0, m1, m0, from_other1, warped1, flow[:, 2:4])
    return torch.lerp(final1, final0, mask.to(frame0.dtype))


def compose_flow(sample_map: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Total flow ``(H, W, 2)`` of a flow ``flow`` ``(H, W, 2)`` found on a pre-aligned frame sampled through
    ``sample_map``: pixel p's content is at ``sample_map(p + flow(p))`` in the keyframe, so the flow is that minus p.
    """
    import cv2

    height, width = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    at = cv2.remap(
        np.ascontiguousarray(sample_map, dtype=np.float32),
        xs + flow[..., 0].astype(np.float32),
        ys + flow[..., 1].astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return at - np.stack([xs, ys], axis=-1)


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
