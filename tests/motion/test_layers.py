"""Layered pre-alignment (``framer.motion.layers``): each motion layer moves only its own region."""

from __future__ import annotations

import math

import numpy as np
import pytest

from framer.matching import AutopilotConfig, plan_autopilot
from framer.motion import LayeredMotion, layer_regions
from framer.synthetic.mixed import make_mixed_case

PAN, MOTION = 64.0, 128.0
DIRECTION = np.array([math.cos(math.atan2(1.0, 6.0)), math.sin(math.atan2(1.0, 6.0))])  # as framer.synthetic.mixed


@pytest.fixture(scope="module")
def layered() -> tuple[LayeredMotion, np.ndarray]:
    case = make_mixed_case(PAN, MOTION, width=320, height=192, num_frames=1)
    plan = plan_autopilot(case.keyframes[0], case.keyframes[1], AutopilotConfig())
    found = plan.correspondences.layers
    homographies = [layer.homography for layer in found]
    layers = layer_regions(*case.keyframes, homographies, [f.starts for f in found], [f.ends for f in found])
    start = np.array([(320 - 1) / 2.0, (192 - 1) / 2.0]) + 0.5 * MOTION * DIRECTION  # the object's centre at t = 0
    return layers, start


def test_each_layer_owns_its_content_and_the_object_is_in_front(layered):
    layers, start = layered
    assert len(layers.homographies) == 2
    front, back = layers.homographies
    np.testing.assert_allclose(front[:2, 2], -MOTION * DIRECTION, atol=1.5)  # the object, smaller, first
    np.testing.assert_allclose(back[:2, 2], PAN * DIRECTION, atol=1.5)
    x, y = np.round(start).astype(int)
    assert layers.regions0[0, y, x] and not layers.regions0[1, y, x]
    assert layers.regions0[1, 10, 10] and not layers.regions0[0, 10, 10]
    # the background is the camera's: it turns about the frame's middle, following what it sees there; the object
    # turns about its own middle, which moves straight
    assert layers.follows == ("content", "view")
    np.testing.assert_allclose(layers.centres[1], [(320 - 1) / 2.0, (192 - 1) / 2.0])
    np.testing.assert_allclose(layers.centres[0], start, atol=3.0)


def test_maps_carry_object_and_background_each_along_its_own_motion(layered):
    layers, start = layered
    t = 0.5
    map0, map1 = layers.maps(t)
    assert map0.shape == map1.shape == (192, 320, 2) and map0.dtype == np.float32
    x, y = np.round(start - t * MOTION * DIRECTION).astype(int)  # the object's centre at t
    np.testing.assert_allclose(map0[y, x], [x, y] + t * MOTION * DIRECTION, atol=1.5)
    np.testing.assert_allclose(map1[y, x], [x, y] - (1 - t) * MOTION * DIRECTION, atol=1.5)
    np.testing.assert_allclose(map0[20, 100], [100, 20] - t * PAN * DIRECTION, atol=1.5)  # background, far away
    np.testing.assert_allclose(map1[20, 100], [100, 20] + (1 - t) * PAN * DIRECTION, atol=1.5)


def _two_layers(front0: slice, front1: slice, width: int = 80, height: int = 40) -> LayeredMotion:
    """A front layer moving 20 px right over a still back layer, owning columns ``front0`` of keyframe 0 and
    ``front1`` of keyframe 1 (the back layer owns the rest)."""
    regions0, regions1 = np.zeros((2, height, width), np.uint8), np.zeros((2, height, width), np.uint8)
    regions0[0][:, front0], regions1[0][:, front1] = 1, 1
    regions0[1], regions1[1] = 1 - regions0[0], 1 - regions1[0]
    shift = np.array([[1.0, 0.0, 20.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return LayeredMotion(np.stack([shift, np.eye(3)]), np.zeros((2, 2)), regions0, regions1)


def test_a_front_region_grown_onto_background_the_other_keyframe_shows_is_not_moved_with_it():
    # The object covers columns 20-39 in keyframe 0 and 40-59 in keyframe 1; keyframe 0's region also took the
    # background of columns 40-49 beside it, which keyframe 1 shows at 60-69 as background, not as the object.
    layers = _two_layers(slice(20, 50), slice(40, 60))
    map0, map1 = layers.maps(0.5)
    np.testing.assert_allclose(map0[10, 30], [20, 10])  # the object itself moves with it
    np.testing.assert_allclose(map1[10, 30], [40, 10])
    np.testing.assert_allclose(map0[10, 55], [55, 10])  # the band stays where it is: the still background
    assert map1[10, 55, 0] < -1000  # keyframe 1 hides it behind the object: taken from keyframe 0 alone


def test_a_front_layer_keeps_what_leaves_the_frame():
    layers = _two_layers(slice(65, 80), slice(0, 0))  # the object leaves keyframe 1 to the right
    map0, map1 = layers.maps(0.5)
    np.testing.assert_allclose(map0[10, 78], [68, 10])
    assert map1[10, 78, 0] < -1000  # only keyframe 0 shows it


def _turn_about(point: np.ndarray, degrees: float, shift: np.ndarray | tuple = (0.0, 0.0)) -> np.ndarray:
    """3x3: turn by ``degrees`` about ``point``, then shift by ``shift``."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    out = np.eye(3)
    out[:2, :2] = [[c, -s], [s, c]]
    out[:2, 2] = point - out[:2, :2] @ point + shift
    return out


def test_a_layer_on_a_parent_moves_with_it_and_turns_about_its_joint_in_the_parent_s_frame():
    """A body turns 20 degrees about its centre while it moves 30 px; an arm on it turns 40 degrees more about the
    shoulder. At every t the arm's layer carries the shoulder where the body's layer does, and its tip where the arm
    turned by t's share on the body moved by t's share has it (a rigged cut-out); at t = 1 it is the arm's own
    motion. Interpolated alone about its own fixed point, the arm's motion put the shoulder 4.7 px off the body at
    t = 0.5."""
    centre, shoulder, tip = np.array([40.0, 30.0]), np.array([60.0, 24.0]), np.array([90.0, 10.0])
    shift = np.array([30.0, 12.0])
    body = _turn_about(centre, 20.0, shift)
    arm = body @ _turn_about(shoulder, 40.0)
    regions = np.zeros((3, 48, 96), np.uint8)
    layers = LayeredMotion(np.stack([arm, body, np.eye(3)]), np.stack([shoulder, centre, centre]), regions, regions,
                           parents=(1, -1, -1))  # fmt: skip
    for t in (0.25, 0.5, 0.75):
        on_body, on_arm = (layers.motion_at(layer, t) for layer in (1, 0))
        moved = _turn_about(centre, 20.0 * t, t * shift)
        np.testing.assert_allclose(on_arm[:2] @ [*shoulder, 1.0], moved[:2] @ [*shoulder, 1.0], atol=1e-9)
        np.testing.assert_allclose(on_body, moved, atol=1e-9)
        true_tip = moved @ _turn_about(shoulder, 40.0 * t) @ [*tip, 1.0]
        np.testing.assert_allclose(on_arm @ [*tip, 1.0], true_tip, atol=1e-9)
    np.testing.assert_allclose(layers.motion_at(0, 1.0), arm, atol=1e-9)
