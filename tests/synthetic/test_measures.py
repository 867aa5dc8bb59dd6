"""The drag measures are trustworthy: ~0 px on ground truth, large on a cross-fade, sub-pixel on known poses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from framer.errors import ShapeError
from framer.synthetic import (
    background_mask,
    background_psnr,
    linear_blend,
    locate_sprite,
    make_case,
    make_sprite,
    psnr,
    render_layer,
    trajectory_adherence,
)


@pytest.fixture(scope="module")
def arc():
    return make_case("arc-s80", 256)


@pytest.fixture(scope="module")
def rotation():
    return make_case("rotation", 256)


@pytest.mark.parametrize("kind", ["arc-s80", "arc-s120", "s-curve", "crossing"])
def test_adherence_on_ground_truth_is_near_zero_and_on_a_cross_fade_large(kind):
    case = make_case(kind, 256)
    truth = trajectory_adherence(case.frames, case)
    assert truth.median < 0.5  # includes the trajectories' own distance from the true path (<= 0.5 px)
    measured_error = np.linalg.norm(truth.achieved - case.tracks, axis=2)[case.visible]
    assert np.median(measured_error) < 0.25 and measured_error.max() < 0.5
    blend = trajectory_adherence(linear_blend(case), case)
    assert blend.median > 20.0


def test_adherence_tracks_corners_of_a_turning_sprite(rotation):
    truth = trajectory_adherence(rotation.frames, rotation)
    assert truth.median < 0.5 and truth.distances[truth.visible].max() < 1.0
    assert np.linalg.norm(truth.achieved - rotation.tracks, axis=2).max() < 0.5
    assert trajectory_adherence(linear_blend(rotation), rotation).median > 20.0


def test_adherence_follows_a_sprite_that_is_off_its_path(arc):
    # Frames showing the sprite where the keyframes have it: every point is off by exactly that distance.
    still = np.repeat(arc.keyframes[:1], len(arc.times), axis=0)
    result = trajectory_adherence(still, arc)
    expected = np.linalg.norm(result.requested - arc.trajectories[0].start, axis=2)
    np.testing.assert_allclose(result.distances, expected, atol=0.5)


def test_adherence_checks_the_frames_it_is_given(arc):
    with pytest.raises(ShapeError, match="must be 7 frames of 256x256"):
        trajectory_adherence(arc.frames[:3], arc)


@pytest.mark.parametrize(("x", "y", "angle"), [(60.3, 71.8, 0.0), (100.55, 40.2, 33.4), (20.0, 110.7, -71.0)])
def test_locate_sprite_recovers_a_known_sub_pixel_pose(x, y, angle):
    rng = np.random.default_rng(3)
    sprite = make_sprite(rng, 31)
    frame = np.full((128, 128, 3), 90.0, np.float32) + rng.normal(0, 20, (128, 128, 3)).astype(np.float32)
    colour, alpha = render_layer(sprite, np.array([x, y, angle]), 128, 128)
    frame = frame * (1 - alpha[:, :, None]) + colour
    pose = locate_sprite(frame, sprite, None if angle == 0 else (-90.0, 90.0))
    assert math.hypot(pose.x - x, pose.y - y) < 0.1
    assert abs(pose.angle - angle) < 0.4 and pose.score > 0.99


def test_psnr():
    a = np.zeros((2, 8, 8, 3), np.uint8)
    b = a.copy()
    assert psnr(a, b) == math.inf
    b[0] = 1  # frame 0: MSE 1 -> 48.13 dB; frame 1 equal -> inf; mean of per-frame PSNR is inf
    b[1] = 2
    assert psnr(a, b) == pytest.approx((20 * math.log10(255) + 20 * math.log10(255 / 2)) / 2)
    with pytest.raises(ShapeError):
        psnr(a, b[:1])


def test_background_mask_keeps_away_from_every_sprite_position(arc):
    mask = background_mask(arc, margin=16)
    assert 0.2 < mask.mean() < 0.9
    assert not (mask & arc.motion_region).any()
    # the kept pixels nearest to any place a sprite can be are more than 16 px from it (checked on a sample)
    region = np.argwhere(arc.motion_region)
    kept = np.argwhere(mask)[np.random.default_rng(0).choice(int(mask.sum()), 300, replace=False)]
    nearest = min(float(np.min(np.linalg.norm(region - point, axis=1))) for point in kept)
    assert nearest > 16.0
    assert background_mask(arc, margin=4).sum() > mask.sum()


def test_background_psnr(arc):
    mask = background_mask(arc)
    assert background_psnr(arc.frames, arc.frames, mask) == math.inf
    assert background_psnr(linear_blend(arc), arc.frames, mask) == math.inf  # the background never changes
    noisy = np.where(arc.frames >= 3, arc.frames - 3, arc.frames + 3).astype(np.uint8)  # off by 3 everywhere
    assert background_psnr(noisy, arc.frames, mask) == pytest.approx(20 * math.log10(255 / 3))
    with pytest.raises(ShapeError):
        background_psnr(arc.frames, arc.frames, mask[:10])
