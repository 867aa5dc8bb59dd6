"""Pre-alignment for large motion (``framer.motion``) and the flow engine's aligned path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from framer.errors import InputError
from framer.motion import (
    apply_homography,
    compose_flow,
    evaluate_field,
    fit_alignment,
    fit_smooth_field,
    interpolate_homography,
    motion_centre,
    similarity_motion,
    warp_pair,
)
from framer.synthetic.large_motion import content_motion, make_large_motion_case

WIDTH, HEIGHT = 320, 192
CENTRE = np.array([(WIDTH - 1) / 2, (HEIGHT - 1) / 2])


def _grid_points(step: int = 24) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(8, WIDTH - 8, step), np.arange(8, HEIGHT - 8, step))
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)


@pytest.mark.parametrize("motion", ["shift", "rotate", "zoom"])
def test_interpolated_homography_is_the_motion_at_each_time(motion):
    full = content_motion(motion, 128, WIDTH, HEIGHT, 1.0)
    centre = motion_centre(full, np.array([40.0, 30.0]), reach=1000.0)
    np.testing.assert_allclose(interpolate_homography(full, 0.0, centre), np.eye(3), atol=1e-12)
    np.testing.assert_allclose(interpolate_homography(full, 1.0, centre), full, atol=1e-9)
    for t in (0.25, 0.5, 0.75):  # constant angular speed, linear zoom, straight shift
        np.testing.assert_allclose(
            interpolate_homography(full, t, centre), content_motion(motion, 128, WIDTH, HEIGHT, t), atol=1e-6
        )


def _travelling_camera(t: float) -> np.ndarray:
    """Content motion keyframe 0 -> frame at t of a camera whose view of the frame's middle runs straight across
    the scene (90, -40 px) while it rolls 12 degrees about that point and the content grows linearly to 1.3x."""
    angle, scale = math.radians(12.0) * t, 1.0 + 0.3 * t
    linear = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) / scale
    pose = np.eye(3)  # frame pixel -> keyframe-0 pixel
    pose[:2, :2], pose[:2, 2] = linear, CENTRE + t * np.array([90.0, -40.0]) - linear @ CENTRE
    return np.linalg.inv(pose)


def test_a_travelling_rolling_camera_is_followed_where_it_looks():
    full = _travelling_camera(1.0)
    for t in (0.25, 0.5, 0.75):
        truth = _travelling_camera(t)
        np.testing.assert_allclose(interpolate_homography(full, t, CENTRE, "view"), truth, atol=1e-9)
        # following the content at the middle instead swings the frame off by pixels
        assert np.abs(apply_homography(interpolate_homography(full, t, CENTRE), _grid_points())
                      - apply_homography(truth, _grid_points())).max() > 5.0  # fmt: skip
    starts = _grid_points()
    alignment = fit_alignment(starts, apply_homography(full, starts), WIDTH, HEIGHT)
    np.testing.assert_allclose(alignment.global_at(0.5), _travelling_camera(0.5), atol=1e-3)
    with pytest.raises(ValueError, match="follow"):
        interpolate_homography(full, 0.5, CENTRE, "object")


def test_rotation_is_interpolated_as_a_rotation_not_a_blend():
    half_turn = content_motion("rotate", 2 * math.hypot(*CENTRE), WIDTH, HEIGHT, 1.0)  # 180 degrees
    middle = interpolate_homography(half_turn, 0.5, CENTRE)
    assert abs(np.linalg.det(middle[:2, :2]) - 1.0) < 1e-9  # a blend of entries would collapse to a point


def test_smooth_field_reproduces_a_smooth_motion_and_stays_bounded():
    points = _grid_points()
    field = np.column_stack([0.05 * points[:, 0] + 3.0, -0.03 * points[:, 1] + 0.0001 * points[:, 0] ** 2])
    dense = evaluate_field(fit_smooth_field(points, field, WIDTH, HEIGHT), WIDTH, HEIGHT)
    x, y = np.meshgrid(np.arange(WIDTH), np.arange(HEIGHT))
    truth = np.stack([0.05 * x + 3.0, -0.03 * y + 0.0001 * x**2], axis=-1)
    error = np.abs(dense - truth)[8:177, 8:297]  # inside the points' hull
    assert error.mean() < 0.05 and error.max() < 0.5
    one = evaluate_field(fit_smooth_field([[50.0, 50.0]], [[10.0, 0.0]], WIDTH, HEIGHT), WIDTH, HEIGHT)
    np.testing.assert_allclose(one[..., 0], 10.0, atol=0.2)  # one point: a constant field, no tilt or overshoot
    assert not evaluate_field(fit_smooth_field(np.zeros((0, 2)), np.zeros((0, 2)), WIDTH, HEIGHT), WIDTH, HEIGHT).any()


def test_similarity_motion_ignores_a_minority_moving_otherwise():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 300, (60, 2))
    truth = content_motion("rotate", 40, WIDTH, HEIGHT, 1.0)
    ends = apply_homography(truth, starts)
    ends[:20] += 35.0
    np.testing.assert_allclose(similarity_motion(starts, ends), truth, atol=1e-3)
    np.testing.assert_allclose(similarity_motion(starts[:1], ends[:1])[:2, 2], ends[0] - starts[0])
    np.testing.assert_array_equal(similarity_motion(np.zeros((0, 2)), np.zeros((0, 2))), np.eye(3))


def test_maps_bring_both_keyframes_to_each_time():
    full = content_motion("rotate", 96, WIDTH, HEIGHT, 1.0)
    starts = _grid_points(32)
    alignment = fit_alignment(starts, apply_homography(full, starts), WIDTH, HEIGHT, homography=full)
    map0, map1 = alignment.maps(0.0)
    x, y = np.meshgrid(np.arange(WIDTH, dtype=np.float32), np.arange(HEIGHT, dtype=np.float32))
    np.testing.assert_array_equal(map0, np.stack([x, y], axis=-1))
    for t in (0.3, 0.7):
        map0, map1 = alignment.maps(t)
        at_t = content_motion("rotate", 96, WIDTH, HEIGHT, t)
        pixels = np.stack([x, y], axis=-1).astype(np.float64)
        back = apply_homography(np.linalg.inv(at_t), pixels)
        assert np.abs(map0 - back).max() < 0.05
        assert np.abs(map1 - apply_homography(full, back)).max() < 0.05


def test_user_paths_set_the_positions_in_time():
    from framer.trajectory import Trajectory

    path = Trajectory([(50, 50), (150, 20), (250, 50)], [0.0, 0.5, 1.0])
    alignment = fit_alignment([[50, 50]], [[250, 50]], WIDTH, HEIGHT, paths=[path])
    np.testing.assert_allclose(alignment.points_at(0.5), [[150, 20]])
    map0, _ = alignment.maps(0.5)
    np.testing.assert_allclose(map0[20, 150], [50, 50], atol=0.5)
    with pytest.raises(InputError, match="paths"):
        fit_alignment([[50, 50]], [[250, 50]], WIDTH, HEIGHT, paths=[path, path])


def test_warp_pair_fills_what_one_keyframe_lacks_from_the_other():
    frame0 = torch.zeros(1, 3, 8, 8)
    frame1 = torch.ones(1, 3, 8, 8)
    x, y = np.meshgrid(np.arange(8, dtype=np.float32), np.arange(8, dtype=np.float32))
    inside = np.stack([x, y], axis=-1)
    outside = inside + np.float32(20.0)
    warped0, warped1 = warp_pair(frame0, frame1, outside, inside)
    assert torch.equal(warped0, frame1) and torch.equal(warped1, frame1)
    warped0, warped1 = warp_pair(frame0, frame1, inside, outside)
    assert torch.equal(warped0, frame0) and torch.equal(warped1, frame0)


def test_compose_frame_samples_a_thin_line_between_pixels_sharper_bicubic():
    """A 1 px dark line on white, the maps a quarter pixel off: bilinear spreads it over two pixels (0.75 and 0.25
    of its darkness), bicubic keeps more of it in one; a linear ramp comes out within a grey level both ways
    (PyTorch's cubic, a = -0.75, is not exact on ramps: 0.8 levels of 255 here); an unknown kernel is refused in
    one sentence."""
    from framer.motion import compose_frame

    image = torch.ones(1, 3, 8, 16)
    image[..., 8] = 0.0
    x, y = np.meshgrid(np.arange(16, dtype=np.float32), np.arange(8, dtype=np.float32))
    maps = np.stack([x + 0.25, y], axis=-1)
    warped = warp_pair(image, image, maps, maps)
    flow, mask = torch.zeros(1, 4, 8, 16), torch.ones(1, 1, 8, 16)
    frames = {
        mode: compose_frame(image, image, *warped, maps, maps, flow, mask, mode) for mode in ("bilinear", "bicubic")
    }
    darkest = {mode: float(1.0 - frame[0, :, 4, 4:12].min()) for mode, frame in frames.items()}
    assert darkest["bilinear"] == pytest.approx(0.75, abs=1e-5)
    assert darkest["bicubic"] > darkest["bilinear"] + 0.1
    ramp = torch.linspace(0, 1, 16).expand(1, 3, 8, 16).contiguous()
    warped = warp_pair(ramp, ramp, maps, maps)
    made = [compose_frame(ramp, ramp, *warped, maps, maps, flow, mask, mode) for mode in ("bilinear", "bicubic")]
    assert torch.allclose(made[0][..., 2:-2], made[1][..., 2:-2], atol=1 / 255)
    with pytest.raises(InputError, match="`sampling` must be one of bilinear, bicubic"):
        compose_frame(image, image, *warped, maps, maps, flow, mask, "nearest")


def test_compose_flow_follows_the_map():
    x, y = np.meshgrid(np.arange(16, dtype=np.float32), np.arange(12, dtype=np.float32))
    sample_map = np.stack([x + 30.0, y - 5.0], axis=-1)
    flow = np.zeros((12, 16, 2), np.float32)
    flow[..., 0] = 2.0
    np.testing.assert_allclose(compose_flow(sample_map, flow)[2:-2, 2:-4], np.broadcast_to([32.0, -5.0], (8, 10, 2)))


def test_fit_alignment_checks_its_inputs():
    with pytest.raises(InputError, match="same shape"):
        fit_alignment(np.zeros((3, 2)), np.zeros((2, 2)), WIDTH, HEIGHT)
    with pytest.raises(InputError, match="NaN"):
        fit_alignment([[np.nan, 0.0]], [[0.0, 0.0]], WIDTH, HEIGHT)
    with pytest.raises(InputError, match="homography"):
        fit_alignment([[0.0, 0.0]], [[1.0, 1.0]], WIDTH, HEIGHT, homography=np.zeros((3, 3)))


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0).float() / 255.0


def test_engine_interpolates_the_prealigned_pair(flow_engine):
    case = make_large_motion_case("shift", 128, width=WIDTH, height=HEIGHT, num_frames=1)
    full = case.transforms[-1]
    starts = _grid_points(40)
    alignment = fit_alignment(starts, apply_homography(full, starts), WIDTH, HEIGHT)
    frame0, frame1 = _tensor(case.keyframes[0]), _tensor(case.keyframes[1])
    aligned = next(flow_engine.iter_frames(frame0, frame1, [0.5], alignment=alignment))
    plain = next(flow_engine.iter_frames(frame0, frame1, [0.5]))
    truth = _tensor(case.frames[0])
    error = lambda x: float((x - truth).square().mean())  # noqa: E731
    assert error(aligned) < 0.2 * error(plain)  # 7 dB better

    to0, to1, disagreement = flow_engine.correspondence_maps(frame0, frame1, alignment)
    trusted = disagreement < 1.0
    assert trusted.mean() > 0.5
    shift = full[:2, 2]
    error = np.linalg.norm((to1 - to0)[trusted] - shift, axis=-1)  # the network's correspondences: the true motion
    assert np.percentile(error, 99) < 0.5 and error.max() < 3.0

    with pytest.raises(InputError, match="not both"):
        next(flow_engine.iter_frames(frame0, frame1, [0.5], tracks=np.zeros((1, 3, 2)), alignment=alignment))
    with pytest.raises(InputError, match="fitted to"):
        next(flow_engine.iter_frames(frame0[..., :-8], frame1[..., :-8], [0.5], alignment=alignment))
    with pytest.raises(InputError, match="batch"):
        next(flow_engine.iter_frames(frame0.repeat(2, 1, 1, 1), frame1.repeat(2, 1, 1, 1), [0.5], alignment=alignment))
