"""framer.applications.views: the two-plane check (issue 17, check 5), the layers' order, the stream, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import framer
from framer.applications._views_cases import make_views_case
from framer.applications.views import iter_views, view_alignment, views
from framer.errors import InputError, ShapeError
from framer.synthetic import psnr


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


def test_views_beat_plain_interpolation_on_large_parallax(far, flow_engine):
    truth = [far.truth(0.5)]
    made = views(far.left, far.right, 1, engine=flow_engine, include_keyframes=False)
    plain = framer.interpolate([far.left, far.right], 1, engine=flow_engine)
    assert psnr(made, truth) >= psnr(plain, truth) + 3.0


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
