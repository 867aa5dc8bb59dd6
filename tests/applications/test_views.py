"""framer.applications.views: the two-plane check (issue 17, check 5), the layers' order, the stream, refusals."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import framer
from framer.applications._views_cases import make_views_case
from framer.applications.views import (
    _GuidedFilter,
    _sampling_insensitive,
    _searched_layer,
    iter_views,
    view_alignment,
    views,
)
from framer.errors import InputError, ShapeError
from framer.synthetic import psnr, render_layer


@pytest.fixture(scope="module")
def far():
    return make_views_case(64, width=256, height=176)


def test_truth_renders_the_given_views(far):
    assert np.array_equal(far.truth(0.0), far.left) and np.array_equal(far.truth(1.0), far.right)


def test_layers_front_first_and_the_front_region_is_the_near_plane(far):
    alignment = view_alignment(far.left, far.right)
    layers = alignment.layers
    assert layers is not None and len(layers.homographies) == 2
    shifts = layers.homographies[:, 0, 2]
    assert shifts[0] == pytest.approx(-far.front_shift, abs=1.0)  # the near plane moves most and is in front
    assert shifts[1] == pytest.approx(-far.back_shift, abs=1.0)
    near = far.truth(0.0)  # where the near plane is in the left view: its square
    x, y = far.front_at
    half = far.front.alpha.shape[0] / 2
    square = np.zeros(near.shape[:2], bool)
    square[round(y - half) : round(y + half), round(x - half) : round(x + half)] = True
    region = layers.regions0[0] > 0
    assert (region & square).sum() / (region | square).sum() > 0.85


def test_front_regions_follow_the_near_plane_to_the_pixel(far):
    """Both views: at most 2% of the near plane's area is given to the wrong layer, nearly all of it on the edge."""
    layers = view_alignment(far.left, far.right).layers
    x, y = far.front_at
    for region, shift in ((layers.regions0[0], 0.0), (layers.regions1[0], far.front_shift)):
        _, alpha = render_layer(far.front, np.array([x - shift, y, 0.0]), far.left.shape[1], far.left.shape[0])
        near = (alpha > 0.5).astype(np.uint8)
        inside = cv2.distanceTransform(near, cv2.DIST_L2, 5)
        outside = cv2.distanceTransform(1 - near, cv2.DIST_L2, 5)
        off_edge = np.where(near > 0, inside, outside) > 2.0  # more than 2 px from the plane's edge
        wrong = (region > 0) != (near > 0)
        assert wrong.sum() <= 0.02 * near.sum() and (wrong & off_edge).sum() <= 0.005 * near.sum()


@pytest.mark.parametrize(("across", "view"), [(0.2, 0), (0.8, 1)])
def test_a_near_plane_leaving_the_frame_keeps_its_part_out_of_frame(across, view):
    """The near plane cut by the frame's edge in one view: in the other, the part that leaves stays with it (at most
    12% of its area given to the wrong layer; without that part about half of it is)."""
    case = make_views_case(64, width=256, height=176, across=across)
    layers = view_alignment(case.left, case.right).layers
    region = (layers.regions0, layers.regions1)[view][0] > 0
    x, y = case.front_at
    _, alpha = render_layer(case.front, np.array([x - view * case.front_shift, y, 0.0]), 256, 176)
    near = alpha > 0.5
    assert (region != near).sum() <= 0.12 * near.sum()


@pytest.mark.parametrize(("across", "parallax", "view"), [(0.32, 48, 0), (0.7, 40, 1)])
def test_a_near_plane_inside_both_views_takes_no_background_beside_the_edge(across, parallax, view):
    """The near plane stays inside both views but moves towards an edge: the background between it and that edge,
    which its motion carries out of the other view, is not its content leaving the frame (it does not reach the
    edge in the other view). At most 2% of its area is claimed outside it (before the exit rule: 15% and 8%)."""
    case = make_views_case(parallax, width=256, height=176, across=across)
    layers = view_alignment(case.left, case.right).layers
    region = (layers.regions0, layers.regions1)[view][0] > 0
    x, y = case.front_at
    _, alpha = render_layer(case.front, np.array([x - view * case.front_shift, y, 0.0]), 256, 176)
    near = alpha > 0.5
    assert not (near[:, :8].any() or near[:, -8:].any())  # inside, off the edges
    assert (region & ~near).sum() <= 0.02 * near.sum()


def _two_planes(back: np.ndarray, back_shift: float, front_shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Two 176x256 float views: ``back`` (a larger texture) moving down ``back_shift`` px, a noise square in front
    of it (64 px, rows 30-94 in the left view) moving down ``front_shift`` px."""
    rng = np.random.default_rng(1)
    square = cv2.resize(rng.random((16, 16, 3)).astype(np.float32), (64, 64), interpolation=cv2.INTER_NEAREST)
    views_ = []
    for s in (0.0, 1.0):
        top = round(100 - s * back_shift)
        view = back[top : top + 176, 16 : 16 + 256].copy()
        row = round(30 + s * front_shift)
        view[row : row + 64, 96:160] = square
        views_.append(view)
    return views_[0], views_[1]


@pytest.mark.parametrize("enlarge", [1, 3])
def test_a_plane_without_matches_is_found_by_searching_its_shift(enlarge):
    """A smooth back plane (no features to match) behind a square whose motion the matches gave: the search finds
    the back's shift from what the square's motion leaves unexplained; views larger than 640 px are searched shrunk
    and the layer given in their own pixels."""
    rng = np.random.default_rng(0)
    smooth = cv2.GaussianBlur(rng.random((400, 300, 3)).astype(np.float32), (0, 0), 6)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    left, right = (cv2.resize(v, None, fx=enlarge, fy=enlarge) for v in _two_planes(smooth, 24, 72))
    front = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 72.0 * enlarge], [0.0, 0.0, 1.0]])
    searched = _searched_layer(left, right, front)
    assert searched is not None
    homography, starts, ends = searched
    assert homography[:2, 2] == pytest.approx([0.0, 24.0 * enlarge], abs=1.0 * enlarge)
    assert len(starts) > 50 and np.allclose(ends - starts, homography[:2, 2])
    inside = (starts >= 0).all() and (starts < [256 * enlarge, 176 * enlarge]).all()
    assert inside and starts[:, 0].max() > 200 * enlarge  # in the views' own pixels


def test_a_searched_plane_that_grows_is_refined_to_a_similarity():
    """The camera also moves forward: the smooth back plane grows by 6% about the middle as it shifts; the searched
    shift is refined (ECC) to that similarity, not left a shift that is pixels off at the plane's edges."""
    rng = np.random.default_rng(0)
    smooth = cv2.GaussianBlur(rng.random((176, 256, 3)).astype(np.float32), (0, 0), 6)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    grows = np.array([[1.06, 0.0, -0.06 * 128 + 4.0], [0.0, 1.06, -0.06 * 88 + 20.0], [0.0, 0.0, 1.0]])
    left = smooth.copy()
    right = cv2.warpPerspective(smooth, grows, (256, 176), borderMode=cv2.BORDER_REFLECT)
    rng = np.random.default_rng(1)
    square = cv2.resize(rng.random((16, 16, 3)).astype(np.float32), (64, 64), interpolation=cv2.INTER_NEAREST)
    left[30:94, 96:160], right[102:166, 96:160] = square, square
    front = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 72.0], [0.0, 0.0, 1.0]])
    searched = _searched_layer(left, right, front)
    assert searched is not None
    corners = np.array([[0.0, 0.0], [255.0, 0.0], [0.0, 175.0], [255.0, 175.0]])
    placed = cv2.perspectiveTransform(corners[None], searched[0])[0]
    assert np.abs(placed - cv2.perspectiveTransform(corners[None], grows)[0]).max() < 1.5


def test_a_periodic_plane_gives_no_searched_layer():
    """Stripes repeat every 16 px: many shifts fit alike, so no shift is taken for them."""
    stripes = np.zeros((400, 300, 3), np.float32)
    stripes[(np.arange(400) // 8) % 2 == 1] = 1.0
    left, right = _two_planes(stripes, 24, 72)
    front = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 72.0], [0.0, 0.0, 1.0]])
    assert _searched_layer(left, right, front) is None


@pytest.mark.parametrize(("parallax", "seed"), [(64, 0), (40, 3), (36, 5)])
def test_views_beat_plain_interpolation_on_large_parallax(parallax, seed, flow_engine):
    case = make_views_case(parallax, width=256, height=176, seed=seed)
    truth = [case.truth(t) for t in (0.25, 0.5, 0.75)]
    made = views(case.left, case.right, 3, engine=flow_engine, include_keyframes=False)
    plain = framer.interpolate([case.left, case.right], 3, engine=flow_engine)
    assert psnr(made, truth) >= psnr(plain, truth) + 3.0


def test_small_parallax_is_plain_interpolation(flow_engine):
    case = make_views_case(16, width=256, height=176, seed=2)
    made = views(case.left, case.right, 1, engine=flow_engine, include_keyframes=False)
    plain = framer.interpolate([case.left, case.right], 1, engine=flow_engine)
    assert np.array_equal(made[0], plain[0])


def test_residual_is_blind_to_half_a_pixel_but_not_to_a_colour_change():
    step = np.zeros((8, 16, 3), np.float32)
    step[:, 8:] = 1.0
    shifted = step.copy()
    shifted[:, 7] = 0.5  # the same edge drawn half a pixel to the left (bilinear)
    assert np.abs(step - shifted).max() == 0.5 and _sampling_insensitive(step, shifted).max() == 0.0
    inverted = _sampling_insensitive(step, 1.0 - step)  # full contrast, half of it within half a pixel of the edge
    assert inverted[:, [*range(7), *range(9, 16)]].min() == 1.0 and inverted.min() == 0.5


def test_guided_filter_smooths_up_to_colour_edges_only():
    guide = np.zeros((32, 32, 3), np.float32)
    guide[:, 16:] = (0.9, 0.2, 0.5)
    cost = np.where(guide[..., 0] > 0, 1.0, 0.0).astype(np.float32)
    cost[:, :16] += np.random.default_rng(0).normal(0.0, 0.1, (32, 16)).astype(np.float32)
    smoothed = _GuidedFilter(guide, 3, 1e-3)(cost)
    assert np.abs(smoothed[:, 15] - 0.0).max() < 0.05 and np.abs(smoothed[:, 16] - 1.0).max() < 0.05
    assert smoothed[:, 4:12].std() < 0.5 * cost[:, 4:12].std()


def test_stream_has_the_views_around_the_in_betweens(far, tiny_flow_engine):
    items = list(iter_views(far.left, far.right, 2, engine=tiny_flow_engine, measure=False))
    assert [round(item.t, 3) for item in items] == [0.0, 0.333, 0.667, 1.0]
    assert np.array_equal(items[0].frame, far.left) and np.array_equal(items[-1].frame, far.right)
    assert all(item.frame.shape == far.left.shape and 0.0 <= item.confidence <= 1.0 for item in items)


def test_too_few_matches_say_how_to_look_at_them(tiny_flow_engine):
    rng = np.random.default_rng(0)
    noise0, noise1 = (rng.integers(0, 256, (96, 96, 3), dtype=np.uint8) for _ in range(2))
    with pytest.raises(InputError, match=r"too few to find the camera motion.*framer match"):
        views(noise0, noise1, 2, engine=tiny_flow_engine)


def test_sizes_must_agree_unless_resized(far, tiny_flow_engine):
    with pytest.raises(ShapeError, match="resize"):
        views(far.left, far.right[:, :200], 1, engine=tiny_flow_engine)


def test_an_engine_that_cannot_pre_align_is_refused(far):
    with pytest.raises(InputError, match="`engine` must be"):
        views(far.left, far.right, 1, engine=object())
