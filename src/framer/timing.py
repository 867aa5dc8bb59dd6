"""Timing curves: which moment of the motion each output frame shows.

A curve maps clock time ``u`` in [0, 1] (when the frame is shown) to content time ``t`` in [0, 1] (how far the
motion has progressed). ``linear`` keeps the motion even; ``ease-in`` starts slow, ``ease-out`` ends slow and
``ease-in-out`` does both (cubic smoothstep), as in animation software.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from framer.checks import check_num_frames, check_times
from framer.errors import UnknownNameError

__all__ = ["TIMING_CURVES", "apply_timing", "sequence_times", "uniform_times"]

TIMING_CURVES: dict[str, Callable[[float], float]] = {
    "linear": lambda u: u,
    "ease-in": lambda u: u * u,
    "ease-out": lambda u: 1.0 - (1.0 - u) * (1.0 - u),
    "ease-in-out": lambda u: u * u * (3.0 - 2.0 * u),
}


def uniform_times(num_frames: int) -> list[float]:
    """Times of ``num_frames`` in-betweens spaced evenly strictly inside (0, 1): ``i / (num_frames + 1)``."""
    check_num_frames(num_frames)
    return [i / (num_frames + 1) for i in range(1, num_frames + 1)]


def apply_timing(times: Sequence[float], timing: str = "linear") -> list[float]:
    """Map clock times in (0, 1) through the named timing curve to content times in (0, 1)."""
    if timing not in TIMING_CURVES:
        close = difflib.get_close_matches(str(timing), TIMING_CURVES, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else f" Choose one of {', '.join(TIMING_CURVES)}."
        raise UnknownNameError(f"Unknown timing curve {timing!r}.{hint}")
    curve = TIMING_CURVES[timing]
    return [curve(u) for u in check_times(times)]


def sequence_times(num_keyframes: int, times: Sequence[float], include_keyframes: bool) -> list[float]:
    """Where each output frame lies on the whole sequence, 0 (first keyframe) to 1 (last keyframe).

    Drag trajectories are parametrised by this time, so with more than two keyframes a trajectory runs through all
    gaps, gap ``g`` of ``G`` covering ``[g / G, (g + 1) / G]``.
    """
    gaps = num_keyframes - 1
    result: list[float] = []
    for gap in range(gaps):
        if include_keyframes:
            result.append(gap / gaps)
        result.extend((gap + t) / gaps for t in times)
    if include_keyframes:
        result.append(1.0)
    return result
