"""Heatmaps: our default drawing equals the released Framer code's, value for value (0..255).

Golden numbers (``golden/heatmaps_release.npz``) came from the release's own ``models_diffusers/utils.py``
(aim-uofa/Framer @ d0ba81f: ``gen_gaussian_heatmap`` and ``generate_gassian_heatmap``) run unchanged in a throwaway
environment outside the repo (diffusers 0.24.0, transformers 4.27.0, OpenCV 5.1, torch 2.13 CPU) on fixed tracks:
20 points at 512x320 over 4 frames (fractional, overlapping pairs, points at or near each border and corner,
points off the image, the same points in reverse order) and 12 random points at 256x160 over 3 frames. Stored:
the tracks ``(N, F, 2)``, channel 0 of the release's ``(F, 3, H, W)`` uint8 maps (its 3 channels are equal), and
its 200 px template. Only numbers are kept here, no code of the release.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from framer.engines.diffusion.heatmaps import RELEASE_SCALE, gaussian_heatmaps, release_heatmaps, release_template
from framer.engines.diffusion.pipeline import FramerPipeline, SamplingOptions
from framer.errors import InputError

GOLDEN = np.load(Path(__file__).parent / "golden" / "heatmaps_release.npz")


def test_template_is_the_release_template():
    assert np.array_equal(release_template(), GOLDEN["template"])
    assert release_template().dtype == np.uint8 and release_template()[100, 100] == 255


@pytest.mark.parametrize("case", ["release_512x320", "release_256x160"])
def test_heatmaps_equal_the_release(case):
    tracks, expected = torch.from_numpy(GOLDEN[f"{case}_tracks"]), GOLDEN[f"{case}_maps"]
    frames, height, width = expected.shape
    maps = gaussian_heatmaps(tracks, height, width)
    assert maps.shape == (frames, 3, height, width)
    scaled = maps * RELEASE_SCALE  # what the pipeline hands the ControlNet
    assert torch.equal(scaled, torch.from_numpy(expected).float()[:, None].expand_as(scaled))  # exact, all pixels
    assert expected.any(axis=(1, 2)).all()  # every frame draws something


def test_pipeline_hands_the_controlnet_the_release_values():
    tracks = torch.from_numpy(GOLDEN["release_512x320_tracks"])
    stub = SimpleNamespace(device=torch.device("cpu"), dtype=torch.float16)
    control = FramerPipeline.heatmaps(stub, tracks, 320, 512, SamplingOptions())
    assert control.shape == (1, 4, 3, 320, 512) and control.dtype == torch.float16
    expected = torch.from_numpy(GOLDEN["release_512x320_maps"]).to(torch.float16)
    assert torch.equal(control[0, :, 1], expected)  # 0..255, exact in fp16 too


def test_last_drawn_point_wins_corners_included():
    first, second = torch.tensor([[[40.0, 40.0]]]), torch.tensor([[[52.0, 40.0]]])
    both = gaussian_heatmaps(torch.cat((first, second)), 80, 96)[0, 0]
    alone = gaussian_heatmaps(second, 80, 96)[0, 0]
    box = (slice(20, 60), slice(32, 72))  # the second point's whole 40 px box
    assert torch.equal(both[box], alone[box])  # pasted over the first: not a maximum
    covered = (gaussian_heatmaps(first, 80, 96)[0, 0][box] > 0) & (alone[box] == 0)  # the box's empty corners
    assert covered.any() and both[box][covered].eq(0).all()  # they hide the first blob
    reverse = gaussian_heatmaps(torch.cat((second, first)), 80, 96)[0, 0]
    assert not torch.equal(both, reverse)


def test_border_squeezes_the_template_and_off_image_points_draw_nothing():
    maps = release_heatmaps(np.array([[[5.0, 30.0], [-0.5, 30.0], [64.0, 30.0]]]), 64, 64)  # 1 point, 3 frames
    assert maps[1:].max() == 0  # x = -0.5 and x = 64 lie outside a 64 px wide image
    near = maps[0]
    drawn = np.flatnonzero(near.max(axis=0))
    assert drawn.min() >= 1 and drawn.max() < 25  # box [max(5 - 20, 1), 5 + 20) = [1, 25): the template squeezed
    assert near[:, 0].max() == 0  # column 0 is never drawn (the release clips boxes to [1, W - 1))
    hidden = release_heatmaps(np.array([[[30.0, 30.0]]]), 64, 64, visible=np.array([[False]]))
    assert hidden.max() == 0


def test_truncation_to_whole_pixels():
    a = gaussian_heatmaps(torch.tensor([[[40.0, 30.0]]]), 64, 96)
    b = gaussian_heatmaps(torch.tensor([[[40.99, 30.7]]]), 64, 96)
    assert torch.equal(a, b)


def test_release_drawing_fixes_sigma_to_the_box():
    with pytest.raises(InputError, match=r"`sigma` must be 0.4 x `radius`"):
        gaussian_heatmaps(torch.zeros(1, 2, 2), 32, 32, sigma=3.0)
    with pytest.raises(InputError, match="`drawing` must be one of release, smooth"):
        gaussian_heatmaps(torch.zeros(1, 2, 2), 32, 32, drawing="max")
    small = gaussian_heatmaps(torch.tensor([[[16.0, 16.0]]]), 32, 32, sigma=4.0, radius=10.0)[0, 0]
    assert np.flatnonzero(small.max(0).values.numpy()).size <= 20  # a 20 px box


def test_smooth_drawing_differs_from_the_release_where_the_issue_says():
    """The issue's figures: two points 30 px apart, and a point at x = 5, drawn by our old (smooth) drawing."""
    pair = torch.tensor([[[200.0, 150.0]], [[230.0, 150.0]]])
    release = gaussian_heatmaps(pair, 320, 512) * 255
    smooth = gaussian_heatmaps(pair, 320, 512, drawing="smooth") * 255
    assert (release - smooth).abs().max() > 100  # the release pastes boxes; the smooth drawing takes the maximum
    edge = torch.tensor([[[5.0, 150.0]]])
    columns = torch.arange(512, dtype=torch.float32)
    centre = [float((m[0, 0, 150] * columns).sum() / m[0, 0, 150].sum()) for m in
              (gaussian_heatmaps(edge, 320, 512), gaussian_heatmaps(edge, 320, 512, drawing="smooth"))]  # fmt: skip
    assert abs(centre[0] - centre[1]) > 4  # the squeezed template sits about 4.6 px from the clipped blob
