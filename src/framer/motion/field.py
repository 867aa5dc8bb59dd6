"""A smooth field through scattered values on a coarse bilinear grid (thin-plate bending + weak slope penalty).

Used for the local part of a motion model: offsets the global motion leaves at the correspondences, spread smoothly
over the frame so that the field levels off, rather than growing, away from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from framer.errors import InputError

__all__ = ["STIFFNESS", "evaluate_field", "fit_smooth_field"]

_CELLS = 24  # grid nodes along the longer side of the frame for the local field
STIFFNESS = 2.0  # weight of the bending penalty against one correspondence of weight 1
_MEMBRANE = 0.02  # weight of the slope penalty against bending: far from the data the field levels off
_PULL = 1e-6  # weight of a pull towards zero per node (keeps the fit well posed without data)


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
    stiffness: float = STIFFNESS,
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
