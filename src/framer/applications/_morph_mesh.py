"""The dense warp of ``framer morph``: a triangle mesh over the correspondences and the frame's border.

Every correspondence is a landmark with a position in keyframe 0 (``starts``), in keyframe 1 (``ends``) and, at
each time t, in the frame being made (on the straight line between them, or along a user's trajectory). The
landmarks and fixed points around the border are triangulated once (Delaunay, OpenCV's ``Subdiv2D``) at their mean
shape; at time t each triangle maps affinely onto the same triangle in each keyframe, which gives the two sampling
maps of :meth:`MorphMesh.maps` (as :meth:`framer.motion.Alignment.maps`). The warp is exact at every landmark and
continuous everywhere; a landmark whose triangles would fold over in either keyframe (a wrong match) is dropped
before the mesh is used.

Conventions as in :mod:`framer.motion.alignment`: ``(x, y)`` pixels, the centre of the top-left pixel at ``(0, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError
from framer.trajectory import Trajectory

__all__ = ["WARPS", "MorphMesh", "border_points", "build_mesh"]

WARPS = ("spline", "mesh")

_BORDER_STEPS = 4  # fixed points per side of the frame (corners included once)
_MIN_SEPARATION = 1.0  # landmarks closer than this (px, at the mean shape) are merged: Subdiv2D needs distinct points
_SPLINE_STEP = 4  # px between the nodes the spline is evaluated at
_FOLD_PASSES = 200  # at most this many landmarks are dropped, one a round, for folding triangles


def border_points(width: int, height: int, steps: int = _BORDER_STEPS) -> np.ndarray:
    """``(4 * steps, 2)`` points evenly spaced around the frame's edge (its outermost pixel centres)."""
    right, bottom = float(width - 1), float(height - 1)
    along = np.linspace(0.0, 1.0, steps, endpoint=False)
    top = np.stack([along * right, np.zeros(steps)], 1)
    side = np.stack([np.full(steps, right), along * bottom], 1)
    base = np.stack([right - along * right, np.full(steps, bottom)], 1)
    left = np.stack([np.zeros(steps), bottom - along * bottom], 1)
    return np.concatenate([top, side, base, left])


def _triangulate(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(T, 3)`` vertex indices of the Delaunay triangles of ``points`` ``(N, 2)`` (all inside the frame)."""
    subdiv = cv2.Subdiv2D((-2, -2, width + 4, height + 4))
    index = {}
    for i, (x, y) in enumerate(points.astype(np.float32)):
        subdiv.insert((float(x), float(y)))
        index[(float(x), float(y))] = i
    triangles = []
    for x0, y0, x1, y1, x2, y2 in subdiv.getTriangleList():
        corners = [index.get((float(x), float(y))) for x, y in ((x0, y0), (x1, y1), (x2, y2))]
        if None not in corners:  # a triangle touching Subdiv2D's virtual outer vertices
            triangles.append(corners)
    return np.asarray(triangles, np.int64).reshape(-1, 3)


def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Thin-plate kernel ``r^2 log r^2`` between points ``a`` ``(N, 2)`` and ``b`` ``(M, 2)``: ``(N, M)``."""
    r2 = np.sum((a[:, None] - b[None]) ** 2, axis=2)
    return np.where(r2 > 0, r2 * np.log(np.maximum(r2, 1e-300)), 0.0)


def _fit_spline(points: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin-plate spline through ``values`` ``(N, D)`` at ``points`` ``(N, 2)``: kernel weights ``(N, D)`` and the
    affine part ``(3, D)``."""
    count = len(points)
    basis = np.concatenate([np.ones((count, 1)), points], axis=1)  # (N, 3)
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = _kernel(points, points)
    system[:count, count:], system[count:, :count] = basis, basis.T
    solution = np.linalg.lstsq(system, np.concatenate([values, np.zeros((3, values.shape[1]))]), rcond=None)[0]
    return solution[:count], solution[count:]


def _eval_spline(points: np.ndarray, weights: np.ndarray, affine: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The spline of :func:`_fit_spline` at ``query`` ``(M, 2)``: ``(M, D)``."""
    basis = np.concatenate([np.ones((len(query), 1)), query], axis=1)
    return _kernel(query, points) @ weights + basis @ affine


def _signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(T,)`` twice the signed area of each triangle."""
    a, b, c = points[triangles[:, 0]], points[triangles[:, 1]], points[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


@dataclass(frozen=True, eq=False)
class MorphMesh:
    """A triangle mesh moving from keyframe 0 to keyframe 1 (see the module docstring).

    Attributes:
        width, height: the keyframes' size.
        starts, ends: ``(N, 2)`` the vertices in keyframe 0 and keyframe 1 (landmarks, then border points).
        triangles: ``(T, 3)`` vertex indices.
        paths: optional per-vertex trajectories giving its position at time t; None: straight lines.
        landmarks: how many of the vertices, from the first, are landmarks (the rest are border points).
    """

    width: int
    height: int
    starts: np.ndarray
    ends: np.ndarray
    triangles: np.ndarray
    paths: tuple[Trajectory | None, ...] | None = None
    landmarks: int = 0
    warp: str = "spline"

    def points_at(self, t: float) -> np.ndarray:
        """``(N, 2)`` the vertices at time ``t``."""
        points = (1.0 - t) * self.starts + t * self.ends
        if self.paths is not None:
            for i, path in enumerate(self.paths):
                if path is not None:
                    points[i] = path.sample(float(t))
        return points

    def maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """``(map0, map1)``, each ``(H, W, 2)`` float32: where to sample each keyframe for the frame at ``t``."""
        if self.warp == "spline":
            return self._spline_maps(t)
        at_t = self.points_at(t)
        labels = self._labels(at_t)
        pixels = np.stack(np.meshgrid(np.arange(self.width), np.arange(self.height)), -1).astype(np.float64)
        homogeneous = np.concatenate([pixels, np.ones((self.height, self.width, 1))], -1)  # (H, W, 3)
        maps = []
        for target in (self.starts, self.ends):
            affines = np.stack(
                [
                    cv2.getAffineTransform(at_t[tri].astype(np.float32), target[tri].astype(np.float32))
                    for tri in self.triangles
                ]
            )  # (T, 2, 3)
            per_pixel = affines[labels]  # (H, W, 2, 3)
            maps.append(np.einsum("hwij,hwj->hwi", per_pixel, homogeneous).astype(np.float32))
        return maps[0], maps[1]

    def _spline_maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """The maps of a thin-plate spline through the vertices: smooth everywhere, exact at the vertices.

        The spline is evaluated every ``_SPLINE_STEP`` px and interpolated bilinearly between (its curvature over a
        few pixels is far below a pixel's worth).
        """
        at_t = self.points_at(t)
        offsets = np.concatenate([self.starts - at_t, self.ends - at_t], axis=1)  # (N, 4)
        scale = float(max(self.width, self.height))
        weights, affine = _fit_spline(at_t / scale, offsets)
        xs = np.arange(0, self.width - 1 + _SPLINE_STEP, _SPLINE_STEP, dtype=np.float64)
        ys = np.arange(0, self.height - 1 + _SPLINE_STEP, _SPLINE_STEP, dtype=np.float64)
        nodes = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
        coarse = _eval_spline(at_t / scale, weights, affine, nodes / scale).reshape(len(ys), len(xs), 4)
        pixels = np.stack(np.meshgrid(np.arange(self.width), np.arange(self.height)), -1).astype(np.float32)
        grid = pixels / _SPLINE_STEP
        field = cv2.remap(coarse.astype(np.float32), grid[..., 0], grid[..., 1], cv2.INTER_LINEAR)  # (H, W, 4)
        return pixels + field[..., :2], pixels + field[..., 2:]

    def _labels(self, points: np.ndarray) -> np.ndarray:
        """``(H, W)`` int: the triangle each pixel lies in at vertex positions ``points`` (pixels that rounding left
        uncovered take the nearest triangle's)."""
        labels = np.full((self.height, self.width), -1, np.int32)
        for k, tri in enumerate(self.triangles):
            cv2.fillConvexPoly(labels, np.round(points[tri] * 16).astype(np.int32), k, cv2.LINE_8, shift=4)
        missing = (labels < 0).astype(np.uint8)
        if missing.any():
            _, nearest = cv2.distanceTransformWithLabels(missing, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
            covered = labels[missing == 0]  # in raster order, as the pixel labels number them from 1
            labels = np.where(missing > 0, covered[nearest - 1], labels)
        return labels


def build_mesh(
    starts: np.ndarray,
    ends: np.ndarray,
    width: int,
    height: int,
    paths: Sequence[Trajectory | None] | None = None,
    warp: str = "spline",
) -> MorphMesh:
    """The mesh over landmarks ``starts`` -> ``ends`` ``(N, 2)`` and the frame's border (fixed in place).

    Landmarks are clipped to the frame, merged when closer than a pixel, and, while some triangle folds over in
    either keyframe (its orientation differs from the mean shape's), the landmark in most folded triangles is
    dropped. ``paths``, one per landmark or None, give a landmark's position at each time instead of the straight
    line. ``warp``: ``"spline"`` or ``"mesh"`` (see the module docstring).
    """
    if warp not in WARPS:
        raise InputError(f"`warp` must be one of {', '.join(WARPS)} but is {warp!r}.")
    limit = np.array([width - 1, height - 1], np.float64)
    starts = np.clip(np.asarray(starts, np.float64).reshape(-1, 2), 0.0, limit)
    ends = np.clip(np.asarray(ends, np.float64).reshape(-1, 2), 0.0, limit)
    paths = list(paths) if paths is not None else [None] * len(starts)
    border = border_points(width, height)
    keep = _distinct((starts + ends) / 2.0, border)
    for _ in range(_FOLD_PASSES):
        triangles, folded = _fold_check(starts[keep], ends[keep], border, width, height)
        corners = triangles[folded].ravel()
        corners = corners[corners < len(keep)]  # border points stay
        if len(corners) == 0:
            break
        keep = np.delete(keep, np.bincount(corners).argmax())  # the landmark in most folded triangles
    triangles, _ = _fold_check(starts[keep], ends[keep], border, width, height)
    chosen = [paths[i] for i in keep] + [None] * len(border)
    return MorphMesh(
        width=width,
        height=height,
        starts=np.concatenate([starts[keep], border]),
        ends=np.concatenate([ends[keep], border]),
        triangles=triangles,
        paths=tuple(chosen) if any(p is not None for p in chosen) else None,
        landmarks=len(keep),
        warp=warp,
    )


def _fold_check(
    starts: np.ndarray, ends: np.ndarray, border: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Delaunay triangles ``(T, 3)`` of the landmarks plus ``border`` at their mean shape, and ``(T,)`` whether each
    folds over (changes orientation) in keyframe 0 or keyframe 1."""
    vertices0, vertices1 = np.concatenate([starts, border]), np.concatenate([ends, border])
    mean = (vertices0 + vertices1) / 2.0
    triangles = _triangulate(mean, width, height)
    sign = np.sign(_signed_areas(mean, triangles))
    folded = (np.sign(_signed_areas(vertices0, triangles)) != sign) | (
        np.sign(_signed_areas(vertices1, triangles)) != sign
    )
    return triangles, folded


def _distinct(points: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Indices of ``points`` ``(N, 2)`` at least ``_MIN_SEPARATION`` from each other and from ``border``."""
    kept: list[int] = []
    taken = [tuple(p) for p in np.round(border / _MIN_SEPARATION).astype(int)]
    seen = set(taken)
    for i, point in enumerate(np.round(points / _MIN_SEPARATION).astype(int)):
        key = tuple(point)
        if key not in seen:
            seen.add(key)
            kept.append(i)
    return np.asarray(kept, np.int64)
