"""The trajectory model: sampling, interpolation between points, timing, and the rules a trajectory must keep."""

from __future__ import annotations

import re

import numpy as np
import pytest

from framer.errors import InputError
from framer.trajectory import INTERPOLATIONS, Trajectory, TrajectoryError, sample_trajectories


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_two_points_give_a_straight_line_at_constant_speed(interpolation):
    trajectory = Trajectory([(10.0, 20.0), (110.0, 70.0)], interpolation=interpolation)
    t = np.linspace(0.0, 1.0, 11)
    expected = np.array([10.0, 20.0]) + t[:, None] * np.array([100.0, 50.0])
    np.testing.assert_allclose(trajectory.sample(t), expected, atol=1e-9)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("times", [None, [0.0, 0.2, 0.7, 1.0]])
def test_the_path_passes_through_every_point_at_its_time(interpolation, times):
    points = np.array([(5.0, 5.0), (40.0, 60.0), (90.0, 10.0), (120.0, 80.0)])
    trajectory = Trajectory(points, times, interpolation=interpolation)
    np.testing.assert_allclose(trajectory.sample(trajectory.knot_times), points, atol=1e-9)
    np.testing.assert_allclose(trajectory.sample(0.0), trajectory.start)
    np.testing.assert_allclose(trajectory.sample(1.0), trajectory.end)
    np.testing.assert_allclose(trajectory.waypoints, points[1:-1])


def test_without_times_points_are_spread_by_distance():
    trajectory = Trajectory([(0.0, 0.0), (30.0, 0.0), (30.0, 10.0)])  # legs of 30 and 10 px
    np.testing.assert_allclose(trajectory.knot_times, [0.0, 0.75, 1.0])


def test_catmull_rom_reproduces_constant_acceleration_exactly():
    # y = 200 t^2 (a thrown ball), x = 100 t: a parabola in time, sampled at uneven times.
    knots = np.array([0.0, 0.15, 0.5, 0.6, 1.0])
    trajectory = Trajectory(np.stack([100 * knots, 200 * knots**2], 1), knots)
    t = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(trajectory.sample(t), np.stack([100 * t, 200 * t**2], 1), atol=1e-9)


def test_catmull_rom_follows_a_circular_arc_closely():
    angle = np.linspace(0.0, np.pi / 2, 5)  # a quarter circle of radius 100 px, four points in time
    trajectory = Trajectory(np.stack([100 * np.cos(angle), 100 * np.sin(angle)], 1), np.linspace(0, 1, 5))
    radius = np.linalg.norm(trajectory.sample(np.linspace(0, 1, 201)), axis=1)
    assert np.abs(radius - 100.0).max() < 0.1


def test_monotone_interpolation_never_overshoots_in_time():
    # x rises in steps, then stays: a curve free to overshoot would pass 100 or go back below 90.
    times = [0.0, 0.3, 0.35, 0.9, 1.0]
    trajectory = Trajectory([(0, 0), (90, 10), (100, 12), (100, 40), (100, 41)], times, interpolation="monotone")
    x = trajectory.sample(np.linspace(0.0, 1.0, 1001))[:, 0]
    assert np.all(np.diff(x) >= -1e-9)
    assert x.max() <= 100.0 + 1e-9
    overshooting = Trajectory([(0, 0), (90, 10), (100, 12), (100, 40), (100, 41)], times)
    assert overshooting.sample(np.linspace(0.0, 1.0, 1001))[:, 0].max() > 100.0  # why "monotone" exists


def test_sample_shapes_and_clamping():
    trajectory = Trajectory([(0.0, 0.0), (10.0, 0.0)])
    assert trajectory.sample(0.5).shape == (2,)
    assert trajectory.sample([0.1, 0.2, 0.3]).shape == (3, 2)
    np.testing.assert_allclose(trajectory.sample([-1.0, 2.0]), [[0.0, 0.0], [10.0, 0.0]])


def test_many_trajectories_sample_to_tracks_and_visibility():
    rng = np.random.default_rng(0)
    trajectories = [Trajectory(rng.uniform(0, 200, (int(rng.integers(2, 6)), 2))) for _ in range(12)]
    times = np.linspace(0.0, 1.0, 14)
    tracks, visible = sample_trajectories(trajectories, times)
    assert tracks.shape == (12, 14, 2) and visible.shape == (12, 14) and visible.all()
    np.testing.assert_allclose(tracks[:, 0], [t.start for t in trajectories])
    np.testing.assert_allclose(tracks[:, -1], [t.end for t in trajectories])
    empty_tracks, empty_visible = sample_trajectories([], times)
    assert empty_tracks.shape == (0, 14, 2) and empty_visible.shape == (0, 14)


def test_resized_maps_pixel_centres_and_stays_in_the_frame():
    trajectory = Trajectory([(0.0, 0.0), (99.0, 49.0)], [0.0, 1.0], name="a")
    doubled = trajectory.resized((100, 50), (200, 100))
    np.testing.assert_allclose(doubled.points, [[0.5, 0.5], [198.5, 98.5]])
    halved = trajectory.resized((100, 50), (50, 25))
    assert halved.points.min() >= 0.0 and halved.points[1, 0] <= 49.0 and halved.points[1, 1] <= 24.0
    assert halved.name == "a" and np.array_equal(halved.times, trajectory.times)


def test_equality_and_immutability():
    a = Trajectory([(1, 2), (3, 4)], name="n")
    assert a == Trajectory(np.array([[1.0, 2.0], [3.0, 4.0]]), name="n")
    assert a != Trajectory([(1, 2), (3, 5)], name="n")
    with pytest.raises(ValueError):
        a.points[0, 0] = 7.0


@pytest.mark.parametrize(
    ("points", "times", "message"),
    [
        ([(1.0, 2.0)], None, "has 1 point, but a trajectory needs at least 2"),
        ([], None, "has 0 points"),
        ([(1.0, 2.0), (float("nan"), 3.0)], None, "point 1: x = nan is not a finite number"),
        ([(1.0, 2.0), (3.0, float("inf"))], None, "point 1: y = inf is not a finite number"),
        ([(1.0, 2.0), (3.0, "4")], None, "point 1: y = '4' is not a number"),
        ([(1.0, 2.0), (True, 4.0)], None, "point 1: x = True is not a number"),
        ([(1.0, 2.0), (3.0,)], None, "point 1: (3.0,) is not an [x, y] pair"),
        ([(0, 0), (5, 5), (9, 9)], [0.0, 0.6, 0.5], "point 2: time 0.5 is not greater than the time of point 1"),
        ([(0, 0), (5, 5), (9, 9)], [0.0, 0.5, 0.5], "times must increase strictly"),
        ([(0, 0), (5, 5)], [0.1, 1.0], "point 0: the start must be at time 0"),
        ([(0, 0), (5, 5)], [0.0, 0.9], "point 1: the end must be at time 1"),
        ([(0, 0), (5, 5)], [0.0, float("nan")], "point 1: time nan is not a finite number"),
        ([(0, 0), (5, 5)], [0.0], "has 2 points but 1 times"),
        ([(0, 0), (0, 0), (5, 5)], None, "point 1: it repeats point 0"),
    ],
)
def test_broken_rules_name_the_point(points, times, message):
    with pytest.raises(TrajectoryError, match=re.escape(message)):
        Trajectory(points, times, name="hand")


def test_errors_are_input_errors_and_name_the_trajectory():
    with pytest.raises(InputError, match=r"Trajectory \('hand'\), point 1"):
        Trajectory([(0, 0), (float("nan"), 1)], name="hand")
    with pytest.raises(ValueError, match="interpolation must be one of catmull-rom, monotone"):
        Trajectory([(0, 0), (1, 1)], interpolation="bezier")


def test_a_still_point_and_a_waiting_point_are_allowed():
    still = Trajectory([(5.0, 5.0), (5.0, 5.0)])
    np.testing.assert_allclose(still.sample([0.0, 0.5, 1.0]), [[5, 5]] * 3)
    waiting = Trajectory([(0, 0), (10, 0), (10, 0), (20, 0)], [0, 0.25, 0.75, 1], interpolation="monotone")
    np.testing.assert_allclose(waiting.sample(0.5), [10.0, 0.0])


def test_points_that_fall_together_when_rescaled_are_refused_naming_the_sizes():
    """A moving drag must not turn into a still point (or lose a point's time) by rescaling."""
    drawn = Trajectory([(0, 0), (5, 0), (900, 700)], name="hand")
    with pytest.raises(TrajectoryError, match=re.escape("Trajectory 3 ('hand'), point 1: scaled from the 1000x1000")):
        drawn.resized((1000, 1000), (10, 10), index=3)
    with pytest.raises(TrajectoryError, match="falls on point 0"):
        Trajectory([(0, 0), (5, 0)], [0, 1]).resized((65536, 65536), (64, 64))
    still = Trajectory([(5.0, 5.0), (5.0, 5.0)]).resized((100, 100), (10, 10))  # still before: still allowed
    np.testing.assert_allclose(still.points, [[0.05, 0.05], [0.05, 0.05]])
    assert drawn.resized((1000, 1000), (500, 500)).points.tolist() == [[0.0, 0.0], [2.25, 0.0], [449.75, 349.75]]
