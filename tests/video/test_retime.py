"""Re-timing plans: exact times for non-integer ratios and variable frame rates, cuts, repeats, slow motion."""

from __future__ import annotations

from fractions import Fraction

import pytest

from framer.errors import InputError
from framer.video.retime import Retimer, count_output_frames, plan_rates, retime


def _cfr(rate: Fraction, count: int) -> list[Fraction]:
    return [Fraction(i) / rate for i in range(count)]


def _check_plan(plan, times, rate):
    """Every output frame k shows content time k / rate, between its two source frames, with the exact t."""
    for k, frame in enumerate(plan):
        assert frame.index == k
        content = Fraction(k) / rate
        if frame.is_copy:
            assert frame.a == frame.b
            continue
        assert times[frame.a] < content < times[frame.b]
        assert frame.t == (content - times[frame.a]) / (times[frame.b] - times[frame.a])


@pytest.mark.parametrize(
    ("source", "target"),
    [(Fraction(24), Fraction(60)), (Fraction(24000, 1001), Fraction(60000, 1001)), (Fraction(25), Fraction(30))],
)
def test_non_integer_ratio_is_exact(source, target):
    count = 96
    times = _cfr(source, count)
    end = Fraction(count) / source
    plan = retime(times, end, target)
    assert len(plan) == count_output_frames(end, target)
    assert abs(len(plan) - end * target) < 1  # the frames whose time is before the end
    assert [frame.time for frame in plan] == [Fraction(k) / target for k in range(len(plan))]
    _check_plan(plan, times, target)
    # 24 -> 60 is 2.5 output frames per source frame: the times repeat with period 5.
    if target / source == Fraction(5, 2):
        assert [frame.t for frame in plan[:5]] == [0, Fraction(2, 5), Fraction(4, 5), Fraction(1, 5), Fraction(3, 5)]


def test_variable_frame_rate_uses_timestamps():
    times = [Fraction(ms, 1000) for ms in (0, 40, 90, 130, 200, 260, 300)]
    plan = retime(times, Fraction(340, 1000), Fraction(50))
    assert len(plan) == 17
    _check_plan(plan, times, Fraction(50))
    # 0.1 s lies 1/4 of the way from 0.09 to 0.13.
    assert (plan[5].a, plan[5].b, plan[5].t) == (2, 3, Fraction(1, 4))


def test_multi_gives_n_minus_one_inbetweens_per_gap():
    rates = plan_rates(Fraction(30), multi=4)
    times = _cfr(Fraction(30), 10)
    plan = retime(times, Fraction(10, 30), rates.content, rates.output)
    assert len(plan) == 40
    assert [frame.t for frame in plan[:4]] == [0, Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)]
    assert all(frame.is_copy for frame in plan[-4:])  # after the last source frame: copies of it


def test_slowmo_keeps_rate_and_slows_content():
    rates = plan_rates(Fraction(24), slowmo=Fraction(4))
    assert rates.output == 24 and rates.content == 96 and rates.slowdown == 4
    plan = retime(_cfr(Fraction(24), 24), Fraction(1), rates.content, rates.output)
    assert len(plan) == 96
    assert plan[10].time == Fraction(10, 24)
    assert (plan[10].a, plan[10].t) == (2, Fraction(1, 2))


def test_cut_copies_the_nearer_frame():
    times = _cfr(Fraction(10), 4)
    plan = retime(times, Fraction(4, 10), Fraction(40), cuts=[2])
    gap = [frame for frame in plan if Fraction(1, 10) <= frame.time < Fraction(2, 10)]
    assert [(frame.a, frame.t) for frame in gap] == [(1, 0), (1, 0), (2, 0), (2, 0)]
    assert all(frame.is_copy for frame in gap)
    assert not plan[1].is_copy and not plan[-5].is_copy  # gaps away from the cut are interpolated


def test_repeated_frames_copied_or_dropped():
    # Anime "on twos": frame 1 repeats 0, 3 repeats 2.
    times = _cfr(Fraction(12), 5)
    kept = retime(times, Fraction(5, 12), Fraction(24), duplicates=[1, 3])
    # Gap 0 -> 1 ends in a repeat: copies; gap 1 -> 2 is interpolated.
    assert [(frame.a, frame.is_copy) for frame in kept[:4]] == [(0, True), (0, True), (1, True), (1, False)]
    even = retime(times, Fraction(5, 12), Fraction(24), duplicates=[1, 3], dedupe=True)
    assert len(even) == len(kept) == 10
    # With the repeats dropped, 0 -> 2 spans two source intervals: four evenly spaced steps.
    assert [(frame.a, frame.b, frame.t) for frame in even[:4]] == [
        (0, 0, 0),
        (0, 2, Fraction(1, 4)),
        (0, 2, Fraction(1, 2)),
        (0, 2, Fraction(3, 4)),
    ]


def test_streaming_equals_whole_plan():
    times = [Fraction(ms, 1000) for ms in (0, 33, 67, 100, 150, 170)]
    whole = retime(times, Fraction(200, 1000), Fraction(60), cuts=[4])
    retimer = Retimer(Fraction(60))
    streamed = []
    for index, time in enumerate(times):
        streamed += retimer.push(index, time, cut=index == 4)
    streamed += retimer.finish(Fraction(200, 1000))
    assert streamed == whole


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"multi": 1}, "`multi` must be an integer >= 2"),
        ({"fps": Fraction(24)}, "must be above the source's 24 fps"),
        ({"fps": Fraction(20)}, "must be above"),
        ({"slowmo": Fraction(1)}, "`slowmo` must be a factor > 1"),
        ({"multi": 2, "fps": Fraction(60)}, "exactly one of"),
        ({}, "exactly one of"),
    ],
)
def test_unsupported_targets_are_one_sentence(options, message):
    with pytest.raises(InputError, match=message):
        plan_rates(Fraction(24), **options)
