"""framer.timing: evenly spaced times and the timing curves that map clock time to content time."""

from __future__ import annotations

import itertools
import math

import pytest

from framer.errors import InputError, UnknownNameError
from framer.timing import TIMING_CURVES, apply_timing, uniform_times


@pytest.mark.parametrize(
    ("num_frames", "expected"),
    [(1, [0.5]), (3, [0.25, 0.5, 0.75]), (4, [0.2, 0.4, 0.6, 0.8])],
)
def test_uniform_times_are_evenly_spaced_inside_the_gap(num_frames, expected):
    assert uniform_times(num_frames) == pytest.approx(expected)


@pytest.mark.parametrize("num_frames", [0, -1, 2.5, True, "3", None])
def test_uniform_times_refuses_anything_but_a_positive_integer(num_frames):
    with pytest.raises(InputError, match="num_frames"):
        uniform_times(num_frames)


@pytest.mark.parametrize("timing", sorted(TIMING_CURVES))
def test_every_curve_is_monotonic_and_stays_inside_the_gap(timing):
    clock = [i / 100 for i in range(1, 100)]
    content = apply_timing(clock, timing)
    assert all(0.0 < t < 1.0 for t in content)
    assert all(a < b for a, b in itertools.pairwise(content))


def test_linear_timing_is_the_identity():
    clock = [0.1, 0.3, 0.5, 0.9]
    assert apply_timing(clock, "linear") == clock


@pytest.mark.parametrize(
    ("timing", "u", "expected"),
    [
        ("ease-in", 0.5, 0.25),  # u^2
        ("ease-in", 0.2, 0.04),
        ("ease-out", 0.5, 0.75),  # 1 - (1 - u)^2
        ("ease-out", 0.2, 0.36),
        ("ease-in-out", 0.5, 0.5),  # smoothstep 3u^2 - 2u^3
        ("ease-in-out", 0.25, 0.15625),
        ("ease-in-out", 0.75, 0.84375),
    ],
)
def test_curve_values(timing, u, expected):
    assert apply_timing([u], timing) == pytest.approx([expected])


def test_ease_in_frames_sit_nearer_the_first_keyframe_and_ease_out_nearer_the_last():
    clock = uniform_times(5)
    ease_in, ease_out = apply_timing(clock, "ease-in"), apply_timing(clock, "ease-out")
    assert all(e < u for e, u in zip(ease_in, clock, strict=True))
    assert all(e > u for e, u in zip(ease_out, clock, strict=True))
    assert apply_timing(clock, "ease-in-out") == pytest.approx(
        [1 - t for t in reversed(apply_timing(clock, "ease-in-out"))]
    )


def test_unknown_timing_suggests_close_names():
    with pytest.raises(UnknownNameError, match=r"Unknown timing curve 'ease_in'\. Did you mean ease-in") as info:
        apply_timing([0.5], "ease_in")
    assert "\n" not in str(info.value)


def test_unknown_timing_without_close_name_lists_all():
    with pytest.raises(UnknownNameError, match="Choose one of linear, ease-in, ease-out, ease-in-out"):
        apply_timing([0.5], "bounce")


@pytest.mark.parametrize("times", [[0.0], [1.0], [-0.5], [1.5], [math.nan], [math.inf], [0.5, math.nan], []])
def test_times_outside_the_open_interval_are_refused(times):
    with pytest.raises(InputError, match="`times`"):
        apply_timing(times, "linear")
