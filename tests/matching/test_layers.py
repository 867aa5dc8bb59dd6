"""Motion layers, the moving-content decision and the measured choice (``framer.matching``)."""

from __future__ import annotations

import numpy as np
import pytest

from framer.errors import InputError
from framer.matching import AutopilotConfig, choose, motion_layers, plan_autopilot, warp_error
from framer.synthetic.mixed import make_mixed_case


def test_sequential_ransac_splits_two_motions_and_leaves_outliers_out():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 300, (90, 2))
    ends = starts.copy()
    ends[:50] += [40.0, 5.0]  # background
    ends[50:80] -= [120.0, 10.0]  # object
    ends[80:] = rng.uniform(0, 300, (10, 2))  # mismatches
    layers = motion_layers(starts, ends, threshold=2.0, min_members=8)
    assert [len(layer.starts) for layer in layers] == [50, 30]
    np.testing.assert_array_equal(np.sort(layers[0].starts, axis=0), np.sort(starts[:50], axis=0))
    np.testing.assert_allclose(layers[1].homography[:2, 2], [-120.0, -10.0], atol=1e-4)
    assert layers[1].motion == pytest.approx(np.hypot(120.0, 10.0))


def test_a_subject_moving_far_over_a_still_background_switches_the_autopilot_on():
    case = make_mixed_case(pan=0, object_motion=96, width=448, height=256, num_frames=1, object_size=0.15)
    plan = plan_autopilot(case.keyframes[0], case.keyframes[1])
    assert plan.decision == "align" and "2 layer(s)" in plan.reason
    assert plan.correspondences.motion < 32  # the whole-frame percentile hides the subject ...
    assert plan_autopilot(case.keyframes[0], case.keyframes[1], AutopilotConfig(method="global")).decision == (
        "small-motion"  # ... so the global method alone never switched on
    )


def test_warp_error_is_zero_on_true_correspondences_and_marks_pixels_off_the_frame():
    rng = np.random.default_rng(1)
    image0 = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    image1 = np.roll(image0, 5, axis=1)
    xs, ys = np.meshgrid(np.arange(60, dtype=np.float32), np.arange(40, dtype=np.float32))
    grid = np.stack([xs, ys], axis=-1)
    error, valid = warp_error(image0, image1, grid, grid + np.array([5.0, 0.0], np.float32))
    assert valid[:, :55].all() and not valid[:, 58:].any()
    assert float(error[:, :55].max()) == 0.0  # (up to 2 px past the edge counts as on the frame)
    wrong, _ = warp_error(image0, image1, grid, grid)
    assert wrong.mean() > 0.2


def test_choice_keeps_plain_unless_a_candidate_is_clearly_better():
    shape = (4, 4)
    ones = np.ones(shape, bool)

    def flat(value):
        return np.full(shape, value), ones

    assert list(choose({"plain": flat(0.1), "align": flat(0.08)}, margin=0.25)) == ["plain", "align"]
    assert next(iter(choose({"plain": flat(0.1), "align": flat(0.07)}, margin=0.25))) == "align"
    half = ones.copy()
    half[:, 2:] = False  # compared only where every candidate is defined
    skewed = np.where(half, 0.05, 1.0)
    means = choose({"plain": (skewed, ones), "align-layers": (np.full(shape, 0.01), half)}, margin=0.25)
    assert list(means) == ["align-layers", "plain"]
    assert means["plain"] == pytest.approx(0.05)
    tiny = np.zeros(shape, bool)
    tiny[0, 0] = True
    assert next(iter(choose({"plain": flat(0.1), "align": (np.zeros(shape), tiny)}, margin=0.25))) == "plain"


def test_pixels_no_candidate_explains_do_not_decide():
    shape = (4, 4)
    ones = np.ones(shape, bool)
    hidden = np.zeros(shape, bool)
    hidden[:, 2:] = True  # content one keyframe hides: every candidate's two samples differ there
    plain, aligned = np.where(hidden, 0.5, 0.05), np.where(hidden, 0.45, 0.02)
    means = choose({"plain": (plain, ones), "align": (aligned, ones)}, margin=0.25)
    assert list(means) == ["align", "plain"] and means["align"] == pytest.approx(0.02)
    hidden[:3] = True  # too little of the frame left explained: all of it is compared
    plain, aligned = np.where(hidden, 0.5, 0.05), np.where(hidden, 0.45, 0.02)
    assert next(iter(choose({"plain": (plain, ones), "align": (aligned, ones)}, margin=0.25))) == "plain"


def test_bad_settings_are_refused_in_the_parameters_words():
    with pytest.raises(InputError, match="`method` must be one of auto, global"):
        AutopilotConfig(method="layers")
    with pytest.raises(InputError, match="`margin`"):
        AutopilotConfig(margin=1.0)
