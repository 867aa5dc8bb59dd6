"""Drag trajectories over a sequence, and each gap's piece of them.

Trajectories run in *sequence time* ``u`` in [0, 1] over the whole sequence of keyframes (``framer tween``) or over
a span of source frames (video mode). A gap from keyframe (or source frame) ``a`` to ``b``, with the trajectories
running from ``first`` (u = 0) to ``last`` (u = 1), is the :class:`Span` ``(a, b, first, last)``; its local time
``t`` in [0, 1] sits at ``u = (a + t (b - a) - first) / (last - first)``. A gap's piece of the trajectories becomes
either an engine's drag ``tracks`` (sampled at the gap's output times) or, with the autopilot, the correspondences
of a pre-alignment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from framer.errors import InputError
from framer.motion import Alignment, fit_alignment_along
from framer.trajectory import (
    Trajectory,
    TrajectoryFile,
    check_trajectories,
    coerce_trajectories,
    load_trajectories,
    sample_trajectories,
)

__all__ = ["Drags", "Span", "load_drags"]

Size = tuple[int, int]

_ALIGN_KNOTS = 9  # samples of a trajectory's piece per gap when it is used as the correspondences of an alignment


class Span(NamedTuple):
    """Where a gap lies in the trajectories' time: from index ``start`` to ``end``, the trajectories running from
    index ``first`` (time 0) to ``last`` (time 1). Keyframe gap ``g`` of ``G`` is ``Span(g, g + 1, 0, G)``."""

    start: int
    end: int
    first: int
    last: int

    def times(self, local: Sequence[float] | np.ndarray) -> np.ndarray:
        """``(T,)`` the trajectories' times at the gap's ``local`` times in [0, 1]."""
        local = np.asarray(local, dtype=np.float64)
        return (self.start + local * (self.end - self.start) - self.first) / (self.last - self.first)

    def covered_by(self, first: int, last: int) -> bool:
        """True when the gap lies inside ``first..last``."""
        return first <= self.start < self.end <= last


def _check_shape(file: TrajectoryFile, frame: Size) -> None:
    """Refuse a trajectory file drawn on a frame of another shape than ``frame``: stretching it would move every
    point off what it was drawn on. Aspects within 1% (a rounded resize) count as the same shape."""
    width, height = frame
    if abs(file.width * height - width * file.height) <= 0.01 * width * file.height:
        return
    raise InputError(
        f"The trajectory file was drawn on a {file.width}x{file.height} frame, another shape than the "
        f"{width}x{height} keyframes; draw it on frames of their shape, or pass `rescale_trajectories=True` to "
        "stretch it onto them."
    )


def load_drags(
    trajectories: object, size: Size, drawn_on: Size | None = None, *, rescale: bool = False
) -> list[Trajectory]:
    """Trajectories as the API takes them, in the pixels of frames of ``size`` ``(width, height)``, checked.

    A trajectory file carries the frame size it was drawn on and is rescaled to ``size``; unless ``rescale`` is
    True, only from a frame of the same shape as ``drawn_on`` (default ``size``). Other trajectories are in the
    pixels of ``drawn_on`` and rescaled from there.

    Args:
        trajectories: :class:`Trajectory` objects, ``"x0,y0:x1,y1:..."`` strings, point lists or objects, a
            :class:`TrajectoryFile`, or a ``.json`` path.

    Raises:
        InputError: one sentence naming the rule broken (empty, a point outside the frame, ...).
    """
    if isinstance(trajectories, os.PathLike) or (isinstance(trajectories, str) and trajectories.endswith(".json")):
        trajectories = load_trajectories(trajectories)
    if isinstance(trajectories, TrajectoryFile):
        if not rescale:
            _check_shape(trajectories, drawn_on or size)
        result = trajectories.for_size(*size)
    else:
        result = coerce_trajectories(trajectories)
        if drawn_on is not None and drawn_on != size:
            result = [trajectory.resized(drawn_on, size) for trajectory in result]
    if not result:
        raise InputError("`trajectories` is empty; give at least one trajectory or leave it out.")
    return check_trajectories(result, *size)


@dataclass(frozen=True)
class Drags:
    """Checked drag trajectories in sequence time; each gap asks for its piece by its :class:`Span`."""

    trajectories: tuple[Trajectory, ...]

    def tracks(self, span: Span, times: Sequence[float]) -> np.ndarray:
        """``(N, len(times) + 2, 2)`` the trajectories at the gap's start, at each of ``times``, at its end."""
        return sample_trajectories(list(self.trajectories), span.times([0.0, *times, 1.0]))[0]

    def alignment(self, span: Span, width: int, height: int) -> Alignment:
        """Pre-alignment of the gap with the trajectories' piece as correspondences (drag + autopilot)."""
        local = np.linspace(0.0, 1.0, _ALIGN_KNOTS)
        return fit_alignment_along(list(self.trajectories), span.times(local), width, height)

    def identity(self) -> list[dict]:
        """Every trajectory's points, times and interpolation (what makes the output differ)."""
        return [
            {
                "points": trajectory.points.tolist(),
                "times": None if trajectory.times is None else trajectory.times.tolist(),
                "interpolation": trajectory.interpolation,
            }
            for trajectory in self.trajectories
        ]
