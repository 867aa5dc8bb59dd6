"""The synthetic drag benchmark generator: deterministic cases whose trajectories, tracks and masks agree."""

from __future__ import annotations

import numpy as np
import pytest

from framer.errors import InputError, UnknownNameError
from framer.synthetic import CASE_NAMES, arc_motion, list_cases, make_case, point_on_pose, s_curve_motion
from framer.trajectory import check_trajectories, sample_trajectories


@pytest.fixture(scope="module")
def cases():
    return {kind: make_case(kind, 256) for kind in CASE_NAMES}


def test_the_same_seed_gives_the_same_case_and_another_seed_another():
    a, b, c = (
        make_case("crossing", 128, 3, seed=5),
        make_case("crossing", 128, 3, seed=5),
        make_case("crossing", 128, 3, 6),
    )
    for name in ("keyframes", "frames", "tracks", "visible", "masks", "motion_region"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.trajectories == b.trajectories
    assert not np.array_equal(a.keyframes, c.keyframes)


def test_shapes_and_types(cases):
    assert list_cases() == list(CASE_NAMES)
    for case in cases.values():
        n, t = len(case.trajectories), len(case.times)
        assert case.size == (256, 256)
        assert case.keyframes.shape == (2, 256, 256, 3) and case.keyframes.dtype == np.uint8
        assert case.frames.shape == (t, 256, 256, 3) and case.frames.dtype == np.uint8
        assert case.tracks.shape == (n, t, 2) and case.visible.shape == (n, t)
        assert case.masks.shape == (t, 256, 256) and case.keyframe_masks.shape == (2, 256, 256)
        np.testing.assert_allclose(case.times, np.arange(1, 8) / 8)
    assert len(cases["rotation"].trajectories) == 2 and len(cases["crossing"].movers) == 2


def test_trajectories_start_and_end_on_the_keyframe_points_and_follow_the_true_tracks(cases):
    for case in cases.values():
        check_trajectories(case.trajectories, *case.size)  # inside the frame, as a user must draw them
        requested, _ = sample_trajectories(case.trajectories, case.times)
        assert np.linalg.norm(requested - case.tracks, axis=2).max() <= 0.5
        assert case.model_error.max() <= 0.5
        for n, trajectory in enumerate(case.trajectories):
            mover, offset = case.movers[case.point_sprite[n]], case.point_offsets[n]
            np.testing.assert_allclose(trajectory.start, point_on_pose(mover.pose(0.0), offset), atol=1e-9)
            np.testing.assert_allclose(trajectory.end, point_on_pose(mover.pose(1.0), offset), atol=1e-9)
            assert trajectory.times is not None and len(trajectory.points) >= 4  # start, >= 2 waypoints, end


def test_masks_cover_the_sprites_and_the_background_is_static(cases):
    case = cases["arc-s80"]
    for i in range(len(case.times)):
        x, y = np.round(case.tracks[0, i]).astype(int)
        assert case.masks[i, y, x]
    assert case.keyframe_masks[0][tuple(np.round(case.trajectories[0].start[::-1]).astype(int))]
    outside = ~case.motion_region
    assert outside.any() and all((frame[outside] == case.keyframes[0][outside]).all() for frame in case.frames)
    assert case.motion_region[case.masks.any(axis=0)].all()


def test_the_paths_bend_by_their_sagitta(cases):
    for kind, sagitta in (("arc-s40", 40), ("arc-s80", 80), ("arc-s120", 120)):
        path = np.stack([cases[kind].movers[0].pose(t)[:2] for t in np.linspace(0, 1, 2001)])
        p0, p1 = path[0], path[-1]
        normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / np.linalg.norm(p1 - p0)
        assert np.abs((path - p0) @ normal).max() == pytest.approx(sagitta, abs=0.05)


def test_arc_motion_bulges_left_of_travel_and_keeps_constant_speed():
    for sagitta in (30.0, 120.0, -50.0):  # under and over a half circle, and to the right
        motion = arc_motion((0.0, 100.0), (100.0, 100.0), sagitta)
        mid = np.array(motion(0.5)[:2])
        np.testing.assert_allclose(mid, [50.0, 100.0 - sagitta], atol=1e-9)  # left of a rightward move is up
        np.testing.assert_allclose(motion(1.0)[:2], [100.0, 100.0], atol=1e-9)
        steps = np.linalg.norm(np.diff([motion(t)[:2] for t in np.linspace(0, 1, 101)], axis=0), axis=1)
        assert steps.max() - steps.min() < 1e-9
    turning = arc_motion((0, 0), (10, 0), 3.0, (0.0, 90.0))
    assert turning(0.5)[2] == pytest.approx(45.0)
    wave = s_curve_motion((0, 0), (100, 0), 20.0)
    assert wave(0.25)[1] == pytest.approx(-20.0) and wave(0.75)[1] == pytest.approx(20.0)


def test_crossing_sprites_occlude_and_hide_points(cases):
    case = cases["crossing"]
    assert not case.visible[0].all() and case.visible[1].all()  # the second sprite passes over the first


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="Unknown synthetic case 'arc'"):
        make_case("arc")
    with pytest.raises(InputError, match="`size` must be an integer >= 64"):
        make_case("arc-s40", 32)
    with pytest.raises(InputError, match="`num_frames` must be an integer >= 1"):
        make_case("arc-s40", 128, 0)
