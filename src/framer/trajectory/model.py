"""The trajectory model: points the user drags from the first keyframe to the last, sampled at any time t.

Convention:
    Points are ``(x, y)`` in pixels of the keyframes, x to the right, y down, with the centre of the top-left
    pixel at ``(0, 0)``; a point is inside a ``W x H`` frame when ``0 <= x <= W - 1`` and ``0 <= y <= H - 1``.
    Time ``t`` runs from 0 (first keyframe) to 1 (last keyframe). Many trajectories sampled at ``T`` times make
    ``tracks`` of shape ``(N, T, 2)`` and ``visible`` of shape ``(N, T)``.

A trajectory holds a start point (at t = 0), optional waypoints and an end point (at t = 1), with optional
per-point times. Without times, points are spread in time in proportion to the distance between them, so the
point moves at a steady speed along the polyline. Between points the path is a cubic Hermite curve in time per
coordinate: ``catmull-rom`` (tangents from the parabola through each point and its neighbours, which follows
arcs closely) or ``monotone`` (Fritsch-Carlson tangents: x and y never overshoot the points, as PCHIP). Two
points give a straight line at constant speed with either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from framer.errors import InputError

__all__ = [
    "INTERPOLATIONS",
    "Trajectory",
    "TrajectoryError",
    "check_confidence",
    "check_in_frame",
    "check_points",
    "check_times",
    "chord_times",
    "sample_trajectories",
]

INTERPOLATIONS = ("catmull-rom", "monotone")


class TrajectoryError(InputError):
    """A trajectory breaks a rule: too few points, a non-finite value, times out of order, outside the frame."""


def _label(index: int | None, name: str | None) -> str:
    """``"Trajectory 2 ('hand')"``: how errors name a trajectory."""
    text = "Trajectory" if index is None else f"Trajectory {index}"
    return f"{text} ({name!r})" if name else text


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_points(points: object, label: str = "Trajectory") -> np.ndarray:
    """Check a sequence of ``(x, y)`` pairs of finite numbers, at least two; returns them as ``(K, 2)`` float64.

    Raises:
        TrajectoryError: naming ``label`` and the offending point.
    """
    if isinstance(points, np.ndarray) and points.ndim == 2 and points.shape[1] == 2 and points.dtype.kind in "iuf":
        rows: Sequence = points.tolist()
    elif isinstance(points, (str, bytes)) or not isinstance(points, (Sequence, np.ndarray)):
        raise TrajectoryError(f"{label}: points must be a list of [x, y] pairs, not {points!r}.")
    else:
        rows = points
    checked = []
    for j, point in enumerate(rows):
        if isinstance(point, (str, bytes)) or not isinstance(point, (Sequence, np.ndarray)) or len(point) != 2:
            raise TrajectoryError(f"{label}, point {j}: {point!r} is not an [x, y] pair of numbers.")
        for axis, value in zip("xy", point, strict=True):
            if not _is_number(value):
                raise TrajectoryError(f"{label}, point {j}: {axis} = {value!r} is not a number.")
            if not math.isfinite(float(value)):
                raise TrajectoryError(f"{label}, point {j}: {axis} = {float(value)} is not a finite number.")
        checked.append((float(point[0]), float(point[1])))
    if len(checked) < 2:
        raise TrajectoryError(
            f"{label} has {len(checked)} point{'s' if len(checked) != 1 else ''}, but a trajectory needs at least 2 "
            "(a start in the first keyframe and an end in the last)."
        )
    return np.asarray(checked, dtype=np.float64).reshape(-1, 2)


def check_times(times: object, num_points: int, label: str = "Trajectory") -> np.ndarray:
    """Check per-point times: one finite number per point, 0 first, 1 last, strictly increasing; returns ``(K,)``.

    Raises:
        TrajectoryError: naming ``label`` and the offending point.
    """
    if isinstance(times, (str, bytes)) or not isinstance(times, (Sequence, np.ndarray)):
        raise TrajectoryError(f"{label}: times must be a list of numbers, one per point, not {times!r}.")
    values = list(times.tolist() if isinstance(times, np.ndarray) else times)
    if len(values) != num_points:
        raise TrajectoryError(f"{label} has {num_points} points but {len(values)} times; give one time per point.")
    checked: list[float] = []
    for j, value in enumerate(values):
        if not _is_number(value):
            raise TrajectoryError(f"{label}, point {j}: time {value!r} is not a number.")
        t = float(value)
        if not math.isfinite(t):
            raise TrajectoryError(f"{label}, point {j}: time {t} is not a finite number.")
        if checked and t <= checked[-1]:
            raise TrajectoryError(
                f"{label}, point {j}: time {t} is not greater than the time of point {j - 1} ({checked[-1]}); "
                "times must increase strictly."
            )
        checked.append(t)
    if checked[0] != 0.0:
        raise TrajectoryError(f"{label}, point 0: the start must be at time 0 (the first keyframe), not {checked[0]}.")
    if checked[-1] != 1.0:
        raise TrajectoryError(
            f"{label}, point {num_points - 1}: the end must be at time 1 (the last keyframe), not {checked[-1]}."
        )
    return np.asarray(checked, dtype=np.float64)


def check_confidence(confidence: object, label: str = "Trajectory") -> float | None:
    """Check a trajectory's confidence: None, or a finite number in [0, 1]; returns it as a float (or None).

    Raises:
        TrajectoryError: naming ``label`` and the value.
    """
    if confidence is None:
        return None
    if not _is_number(confidence):
        raise TrajectoryError(f"{label}: confidence {confidence!r} is not a number (give a number in [0, 1]).")
    value = float(confidence)
    if not math.isfinite(value):
        raise TrajectoryError(f"{label}: confidence {value} is not a finite number (give a number in [0, 1]).")
    if not 0.0 <= value <= 1.0:
        raise TrajectoryError(f"{label}: confidence {value:g} is outside [0, 1].")
    return value


def check_in_frame(trajectory: Trajectory, width: int, height: int, index: int | None = None) -> None:
    """Check every point of ``trajectory`` lies inside a ``width x height`` frame (see the module's Convention).

    Raises:
        TrajectoryError: naming the trajectory (``index``, name) and the first point outside.
    """
    label = _label(index, trajectory.name)
    for j, (x, y) in enumerate(trajectory.points):
        if not (0.0 <= x <= width - 1 and 0.0 <= y <= height - 1):
            raise TrajectoryError(
                f"{label}, point {j}: ({x:g}, {y:g}) lies outside the {width}x{height} frame "
                f"(x must be in [0, {width - 1}] and y in [0, {height - 1}])."
            )


def chord_times(points: np.ndarray, label: str = "Trajectory") -> np.ndarray:
    """Times ``(K,)`` in proportion to the distance travelled along the points (steady speed).

    A trajectory whose points all coincide gets equal steps.

    Raises:
        TrajectoryError: a point repeats the one before it in a moving trajectory (its time would not be later).
    """
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)  # (K - 1,)
    total = float(lengths.sum())
    if total == 0.0:
        return np.linspace(0.0, 1.0, len(points))
    repeated = np.flatnonzero(lengths == 0.0)
    if repeated.size:
        j = int(repeated[0]) + 1
        raise TrajectoryError(
            f"{label}, point {j}: it repeats point {j - 1}, so its time cannot follow from the distance travelled; "
            "give explicit times or drop the repeated point."
        )
    times = np.concatenate(([0.0], np.cumsum(lengths) / total))
    times[-1] = 1.0
    return times


def _catmull_rom_tangents(knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Tangents ``(K, 2)``: the slope at each knot of the parabola through it and its two neighbours.

    This is Catmull-Rom for knots spread unevenly in time (exact for quadratic motion); the end tangents come from
    the parabola through the first (last) three points. Two points give the straight line's slope.
    """
    h = np.diff(knots)[:, None]  # (K - 1, 1)
    slopes = np.diff(values, axis=0) / h  # (K - 1, 2)
    if len(knots) == 2:
        return np.repeat(slopes, 2, axis=0)
    tangents = np.empty_like(values)
    tangents[1:-1] = (h[1:] * slopes[:-1] + h[:-1] * slopes[1:]) / (h[:-1] + h[1:])
    tangents[0] = ((2 * h[0] + h[1]) * slopes[0] - h[0] * slopes[1]) / (h[0] + h[1])
    tangents[-1] = ((2 * h[-1] + h[-2]) * slopes[-1] - h[-1] * slopes[-2]) / (h[-1] + h[-2])
    return tangents


def _monotone_tangents(knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson tangents ``(K, 2)``: each coordinate stays monotone wherever its points are."""
    h = np.diff(knots)[:, None]  # (K - 1, 1)
    slopes = np.diff(values, axis=0) / h  # (K - 1, 2)
    if len(knots) == 2:
        return np.repeat(slopes, 2, axis=0)
    tangents = np.zeros_like(values)
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same_sign = slopes[:-1] * slopes[1:] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / slopes[:-1] + w2 / slopes[1:])
    tangents[1:-1] = np.where(same_sign, harmonic, 0.0)
    for end, (d0, d1, h0, h1) in (
        (0, (slopes[0], slopes[1], h[0], h[1])),
        (-1, (slopes[-1], slopes[-2], h[-1], h[-2])),
    ):
        m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
        m = np.where(np.sign(m) != np.sign(d0), 0.0, m)
        m = np.where((np.sign(d0) != np.sign(d1)) & (np.abs(m) > 3 * np.abs(d0)), 3 * d0, m)
        tangents[end] = m
    return tangents


def _hermite(knots: np.ndarray, values: np.ndarray, tangents: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Evaluate the piecewise cubic Hermite curve through ``values (K, 2)`` at times ``t (T,)`` -> ``(T, 2)``."""
    seg = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)  # (T,)
    h = (knots[seg + 1] - knots[seg])[:, None]
    s = ((t - knots[seg])[:, None]) / h  # (T, 1) in [0, 1]
    s2, s3 = s * s, s * s * s
    h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
    return h00 * values[seg] + h10 * h * tangents[seg] + h01 * values[seg + 1] + h11 * h * tangents[seg + 1]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One dragged point: start (t = 0), optional waypoints, end (t = 1), optional per-point times.

    Args:
        points: ``(K, 2)`` xy in pixels, K >= 2 (see the module's Convention).
        times: ``(K,)`` strictly increasing from 0 to 1, or None for steady speed along the points.
        name: an optional label, kept in files and shown in error messages.
        interpolation: ``catmull-rom`` or ``monotone`` (see the module docstring).
        confidence: how much to trust the trajectory, a number in [0, 1] (the autopilot's match confidence), or
            None when nobody rated it (a drawn drag). Kept in files; sampling and drawing ignore it.

    >>> Trajectory([(10, 20), (50, 20)]).sample(0.25).tolist()
    [20.0, 20.0]
    """

    points: np.ndarray
    times: np.ndarray | None = None
    name: str | None = None
    interpolation: str = "catmull-rom"
    confidence: float | None = None
    _knots: np.ndarray = field(init=False, repr=False)
    _tangents: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        label = _label(None, self.name)
        if self.name is not None and not isinstance(self.name, str):
            raise TrajectoryError(f"{label}: name must be a string, not {self.name!r}.")
        if self.interpolation not in INTERPOLATIONS:
            raise TrajectoryError(
                f"{label}: interpolation must be one of {', '.join(INTERPOLATIONS)}, not {self.interpolation!r}."
            )
        object.__setattr__(self, "confidence", check_confidence(self.confidence, label))
        points = check_points(self.points, label)
        times = None if self.times is None else check_times(self.times, len(points), label)
        points.flags.writeable = False
        object.__setattr__(self, "points", points)
        if times is not None:
            times.flags.writeable = False
        object.__setattr__(self, "times", times)
        knots = times if times is not None else chord_times(points, label)
        tangent_fn = _catmull_rom_tangents if self.interpolation == "catmull-rom" else _monotone_tangents
        object.__setattr__(self, "_knots", knots)
        object.__setattr__(self, "_tangents", tangent_fn(knots, points))

    @property
    def start(self) -> np.ndarray:
        """``(2,)`` the point in the first keyframe."""
        return self.points[0]

    @property
    def end(self) -> np.ndarray:
        """``(2,)`` the point in the last keyframe."""
        return self.points[-1]

    @property
    def waypoints(self) -> np.ndarray:
        """``(K - 2, 2)`` the points between start and end."""
        return self.points[1:-1]

    @property
    def knot_times(self) -> np.ndarray:
        """``(K,)`` the time of each point: the given times, or those of steady speed along the points."""
        return self._knots.copy()

    def sample(self, t: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """Position at time ``t`` (clamped to [0, 1]): ``(2,)`` for a number, ``(T, 2)`` for ``T`` times."""
        scalar = np.ndim(t) == 0
        ts = np.clip(np.atleast_1d(np.asarray(t, dtype=np.float64)), 0.0, 1.0)
        if np.isnan(ts).any():
            raise TrajectoryError(f"{_label(None, self.name)}: sample time {t!r} is not a number.")
        xy = _hermite(self._knots, self.points, self._tangents, ts)
        return xy[0] if scalar else xy

    def polyline(self, max_step: float = 2.0) -> np.ndarray:
        """``(M, 2)`` points along the whole path, at most about ``max_step`` pixels apart (for drawing)."""
        coarse = self.sample(np.linspace(0.0, 1.0, 8 * len(self.points)))
        length = float(np.linalg.norm(np.diff(coarse, axis=0), axis=1).sum())
        count = max(2, min(20000, math.ceil(length / max_step) + 1))
        return self.sample(np.union1d(np.linspace(0.0, 1.0, count), self._knots))

    def resized(self, size: tuple[int, int], new_size: tuple[int, int], index: int | None = None) -> Trajectory:
        """The same trajectory on keyframes resized from ``size`` to ``new_size`` (both ``(width, height)``).

        Pixel centres map onto pixel centres (``x' + 0.5 = (x + 0.5) * W' / W``); points are then kept inside the
        new frame, which they can leave by up to half a pixel when shrinking. ``index`` only labels errors.

        Raises:
            TrajectoryError: two consecutive points that differ fall on one point once rescaled (the drag would be
                lost or, without times, have no time of its own).
        """
        scale = np.array([new_size[0] / size[0], new_size[1] / size[1]])
        points = (self.points + 0.5) * scale - 0.5
        points = np.clip(points, 0.0, np.array([new_size[0] - 1, new_size[1] - 1], dtype=np.float64))
        moved = np.any(np.diff(self.points, axis=0) != 0, axis=1)  # (K - 1,) consecutive points that differ
        merged = np.flatnonzero(moved & np.all(np.diff(points, axis=0) == 0, axis=1))
        if merged.size:
            j = int(merged[0]) + 1
            x, y = points[j]
            raise TrajectoryError(
                f"{_label(index, self.name)}, point {j}: scaled from the {size[0]}x{size[1]} frame it was drawn on to "
                f"{new_size[0]}x{new_size[1]}, it falls on point {j - 1} at ({x:g}, {y:g}); draw the points farther "
                "apart or on keyframes of this size."
            )
        return Trajectory(points, self.times, self.name, self.interpolation, self.confidence)

    def __repr__(self) -> str:
        times = None if self.times is None else [float(t) for t in self.times]
        points = [[float(x), float(y)] for x, y in self.points]
        text = f"Trajectory(points={points}, times={times}, name={self.name!r}, interpolation={self.interpolation!r}"
        return text + ("" if self.confidence is None else f", confidence={self.confidence!r}") + ")"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trajectory):
            return NotImplemented
        same_times = (self.times is None and other.times is None) or (
            self.times is not None and other.times is not None and np.array_equal(self.times, other.times)
        )
        return (
            np.array_equal(self.points, other.points)
            and same_times
            and self.name == other.name
            and self.interpolation == other.interpolation
            and self.confidence == other.confidence
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking arrays inside: not hashable


def sample_trajectories(
    trajectories: Sequence[Trajectory], times: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``N`` trajectories at ``T`` times.

    Returns:
        ``tracks (N, T, 2)`` float64 xy in pixels and ``visible (N, T)`` bool (a dragged point is always visible).
    """
    ts = np.asarray(times, dtype=np.float64).reshape(-1)
    tracks = (
        np.stack([trajectory.sample(ts) for trajectory in trajectories]) if trajectories else np.zeros((0, len(ts), 2))
    )
    return tracks.reshape(len(trajectories), len(ts), 2), np.ones((len(trajectories), len(ts)), dtype=bool)
