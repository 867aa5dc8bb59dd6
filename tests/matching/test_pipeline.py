"""Matching for the autopilot: SIFT + ratio test, geometric verification, confidence, spread selection, decisions."""

from __future__ import annotations

import numpy as np
import pytest

from framer.errors import InputError
from framer.matching import (
    AutopilotConfig,
    find_correspondences,
    local_deviation,
    match_confidence,
    plan_autopilot,
    select_spread,
    sift_matches,
    verify_matches,
)
from framer.motion import apply_homography
from framer.synthetic.large_motion import make_large_motion_case


@pytest.fixture(scope="module")
def rotated():
    return make_large_motion_case("rotate", 128, width=320, height=192, num_frames=1)


def test_sift_matches_follow_the_true_motion(rotated):
    matches = sift_matches(rotated.keyframes[0], rotated.keyframes[1])
    assert len(matches) >= 100
    assert (matches.ratio < 0.75).all()
    error = np.linalg.norm(apply_homography(rotated.transforms[-1], matches.starts) - matches.ends, axis=1)
    assert np.median(error) < 1.0


def test_matching_a_large_keyframe_on_a_smaller_copy_gives_full_size_points(rotated):
    full = sift_matches(rotated.keyframes[0], rotated.keyframes[1])
    small = sift_matches(rotated.keyframes[0], rotated.keyframes[1], max_side=200)
    assert (small.width, small.height) == (320, 192)
    error = np.linalg.norm(apply_homography(rotated.transforms[-1], small.starts) - small.ends, axis=1)
    assert np.median(error) < 2.0 and len(small) < len(full)


def _scene(rng, count, depth_range):
    """Points of a 3-D scene seen by two pinhole cameras 0.3 units apart (a parallax pair) -> pixel pairs."""
    world = np.column_stack(
        [rng.uniform(-1, 1, count), rng.uniform(-0.6, 0.6, count), rng.uniform(*depth_range, count)]
    )
    focal, centre = 300.0, np.array([320.0, 200.0])
    first = world[:, :2] / world[:, 2:] * focal + centre
    moved = world + np.array([0.3, 0.05, 0.0])
    second = moved[:, :2] / moved[:, 2:] * focal + centre
    return first, second


def test_verification_picks_a_fundamental_matrix_for_parallax_and_a_homography_for_a_plane():
    rng = np.random.default_rng(0)
    starts, ends = _scene(rng, 300, (2.0, 8.0))  # deep scene: parallax
    result = verify_matches(starts, ends, 640, 400, threshold=1.0)
    assert result.model == "fundamental" and result.inliers.mean() > 0.95
    starts, ends = _scene(rng, 300, (4.0, 4.0))  # one plane
    result = verify_matches(starts, ends, 640, 400, threshold=1.0)
    assert result.model == "homography" and result.inliers.mean() > 0.95
    assert np.allclose(apply_homography(result.homography, starts), ends, atol=0.5)


def test_verification_rejects_outliers_and_keeps_a_second_motion():
    rng = np.random.default_rng(1)
    background = rng.uniform([0, 0], [640, 400], (200, 2))
    mover = rng.uniform([100, 100], [220, 220], (40, 2))
    outliers = rng.uniform([0, 0], [640, 400], (30, 2))
    starts = np.concatenate([background, mover, outliers])
    elsewhere = rng.uniform([0, 0], [640, 400], (30, 2))
    ends = np.concatenate([background + np.array([12.0, -3.0]), mover + np.array([-80.0, 40.0]), elsewhere])
    result = verify_matches(starts, ends, 640, 400, threshold=2.0)
    assert result.model == "homography"
    assert result.inliers[:240].all() and not result.inliers[240:].any()
    assert set(result.groups[:200]) == {0} and set(result.groups[200:240]) == {1}


def test_verification_of_too_few_matches_says_none():
    result = verify_matches(np.zeros((3, 2)), np.ones((3, 2)), 100, 100)
    assert result.model == "none" and not result.inliers.any()


def test_confidence_terms_and_local_deviation():
    starts = np.array([[x, y] for x in range(0, 100, 20) for y in range(0, 100, 20)], np.float64)
    ends = starts + np.array([5.0, 0.0])
    ends[7, 0] += 40.0  # one match moving unlike its neighbours
    deviation = local_deviation(starts, ends)
    assert deviation[7] == pytest.approx(40.0) and np.delete(deviation, 7).max() < 1e-9
    confidence = match_confidence(np.full(25, 0.3), np.zeros(25), deviation, max_ratio=0.75, threshold=2.0)
    assert ((confidence >= 0) & (confidence <= 1)).all() and confidence.argmin() == 7
    assert match_confidence([0.0], [0.0], [0.0], 0.75, 2.0)[0] == pytest.approx(1.0)
    assert match_confidence([0.1], [np.inf], [0.0], 0.75, 2.0)[0] == 0.0


def test_spread_selection_keeps_matches_apart():
    rng = np.random.default_rng(2)
    crowded = rng.normal([20, 20], 3, (500, 2))  # many strong matches in one corner
    scattered = rng.uniform([0, 0], [400, 300], (100, 2))
    points = np.concatenate([crowded, scattered])
    scores = np.concatenate([np.full(500, 0.99), np.full(100, 0.5)])
    chosen = select_spread(points, scores, 20)
    assert len(chosen) == 20 and len(set(chosen.tolist())) == 20
    assert (np.linalg.norm(points[chosen] - [20, 20], axis=1) < 15).sum() <= 2
    assert len(select_spread(points[:5], scores[:5], 20)) == 5
    with pytest.raises(InputError, match="count"):
        select_spread(points, scores, 0)


def test_correspondences_and_decisions(rotated):
    found = find_correspondences(rotated.keyframes[0], rotated.keyframes[1], AutopilotConfig(count=16))
    assert found.shown == 16 and len(found) >= 16 and found.model == "homography"
    assert ((found.confidence > 0) & (found.confidence <= 1)).all()
    error = np.linalg.norm(apply_homography(rotated.transforms[-1], found.starts) - found.ends, axis=1)
    assert error.max() < 3.0
    assert found.motion > 64.0
    trajectories = found.trajectories()
    assert len(trajectories) == 16 and trajectories[0].name == "match 00"
    assert [t.confidence for t in trajectories] == pytest.approx(found.confidence[:16].tolist())

    assert plan_autopilot(rotated.keyframes[0], rotated.keyframes[1]).decision == "align"
    still = plan_autopilot(rotated.keyframes[0], rotated.keyframes[0])
    assert still.decision == "small-motion" and "not needed" in still.reason
    flat = np.full((192, 320, 3), 128, np.uint8)
    empty = plan_autopilot(flat, flat)
    assert empty.decision == "too-few-matches" and "fewer than" in empty.reason
    strict = plan_autopilot(rotated.keyframes[0], rotated.keyframes[1], AutopilotConfig(min_confidence=1.0))
    assert strict.decision == "unreliable-matches"


def test_config_checks_its_values():
    with pytest.raises(InputError, match="count"):
        AutopilotConfig(count=0)
    with pytest.raises(InputError, match="ratio"):
        AutopilotConfig(ratio=1.5)
    with pytest.raises(InputError, match="min_motion"):
        AutopilotConfig(min_motion=-1)
