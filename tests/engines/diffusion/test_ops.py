"""Diffusion engine, model-free parts: heatmaps, point updating, clip length, guidance, architecture on meta."""

from __future__ import annotations

import hashlib
import math
import sys

import pytest
import torch

import framer.engines
from framer.engines.diffusion import ControlNetSVD, FramerUNet, clip_length, gaussian_heatmaps, working_size
from framer.engines.diffusion._deps import EXTRA_HINT, check_extra
from framer.engines.diffusion.configs import RELEASE_CONTROLNET_CONFIG, RELEASE_UNET_CONFIG
from framer.engines.diffusion.points import refit_tracks, update_points, upsampled_at
from framer.errors import MissingExtraError, ShapeError

# sha256 of the sorted "name:shape" lines of the release-config models' state dicts
UNET_SHA256 = "3a1811e58362f99d6e201d45db660cbbb8de541992fbd837d71ae52437aa9124"
CONTROLNET_SHA256 = "d71fca1c2c33d1bb57e0ee35e33073c91452c24d8dd9d9c2286c80218cbdf14c"


def _fingerprint(model: torch.nn.Module) -> tuple[int, str]:
    state = model.state_dict()
    listing = "\n".join(f"{key}:{tuple(value.shape)}" for key, value in sorted(state.items()))
    return sum(value.numel() for value in state.values()), hashlib.sha256(listing.encode()).hexdigest()


def test_diffusion_architecture_matches_release_configs():
    with torch.device("meta"):
        unet = FramerUNet(**RELEASE_UNET_CONFIG)
        controlnet = ControlNetSVD(**RELEASE_CONTROLNET_CONFIG)
    unet_count, unet_hash = _fingerprint(unet)
    controlnet_count, controlnet_hash = _fingerprint(controlnet)
    assert unet_count == 1_524_625_966  # the released 1.52 B
    assert controlnet_count == 682_024_417  # the released 0.68 B
    assert unet_hash == UNET_SHA256
    assert controlnet_hash == CONTROLNET_SHA256
    assert unet.mask_token.shape == (1, 1, 4, 1, 1)
    assert unet.conv_in.weight.shape == (320, 9, 3, 3)
    assert controlnet.conv_in.weight.shape == (320, 9, 3, 3)
    assert len(controlnet.controlnet_down_blocks) == 12
    assert controlnet.controlnet_cond_embedding.conv_out.weight.shape == (320, 256, 3, 3)


def test_diffusion_missing_extra_is_one_sentence(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)
    with pytest.raises(MissingExtraError, match=r"diffusers.*pip install \"framer-vfi\[diffusion\]\"") as info:
        check_extra()
    assert EXTRA_HINT in str(info.value) and str(info.value).count(". ") == 0
    # through the registry, as a user meets it: the engine's package is imported afresh and stops at the check
    for name in [n for n in sys.modules if n.startswith("framer.engines.diffusion")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(framer.engines._ENGINES, "diffusion", raising=False)
    with pytest.raises(MissingExtraError, match=r"pip install \"framer-vfi\[diffusion\]\""):
        framer.engines.create_engine("diffusion")


def test_diffusion_heatmap_golden():
    """The ``smooth`` drawing (the default is the release's: test_heatmaps_release.py)."""
    sigma, radius = 3.0, 7.0
    maps = gaussian_heatmaps(torch.tensor([[[10.0, 6.0], [11.0, 6.0]]]), 16, 24, sigma, radius, drawing="smooth")
    assert maps.shape == (2, 3, 16, 24)
    assert torch.equal(maps[:, 0], maps[:, 1]) and torch.equal(maps[:, 0], maps[:, 2])
    first = maps[0, 0]
    assert first[6, 10] == 1.0 and first.max() == 1.0  # peak exactly at the point (x = 10, y = 6)
    assert math.isclose(float(first[6, 12]), math.exp(-4 / (2 * sigma**2)), rel_tol=1e-6)  # sigma
    assert math.isclose(float(first[9, 14]), math.exp(-25 / (2 * sigma**2)), rel_tol=1e-6)  # 3-4-5 distance
    assert first[6, 18] == 0.0 and first[6, 2] == 0.0  # beyond the radius (7 px)
    assert math.isclose(float(first[6, 17]), math.exp(-49 / (2 * sigma**2)), rel_tol=1e-6)  # on it: kept
    assert maps[1, 0, 6, 11] == 1.0 and maps[1, 0, 6, 10] < 1.0  # the second frame's point moved one pixel
    # a fractional point: peak shared by the two pixels it lies between
    half = gaussian_heatmaps(torch.tensor([[[4.5, 3.0]]]), 8, 10, sigma, radius, drawing="smooth")[0, 0]
    assert torch.allclose(half[3, 4], half[3, 5]) and half[3, 4] < 1.0


def test_diffusion_heatmaps_combine_by_max():
    """The ``smooth`` drawing takes the maximum (the release's pastes: test_heatmaps_release.py)."""
    a = torch.tensor([[[8.0, 8.0]]])
    b = torch.tensor([[[12.0, 8.0]]])
    both = gaussian_heatmaps(torch.cat((a, b)), 16, 24, 4.0, 10.0, drawing="smooth")
    assert torch.equal(
        both,
        torch.maximum(
            gaussian_heatmaps(a, 16, 24, 4.0, 10.0, drawing="smooth"),
            gaussian_heatmaps(b, 16, 24, 4.0, 10.0, drawing="smooth"),
        ),
    )
    assert both.max() == 1.0  # not summed
    assert gaussian_heatmaps(torch.zeros(0, 3, 2), 8, 8).abs().sum() == 0
    with pytest.raises(ShapeError, match="tracks"):
        gaussian_heatmaps(torch.zeros(3, 2), 8, 8)


def _moving_texture(shifts: list[int], channels: int = 8, size: int = 16) -> torch.Tensor:
    """Features ``(F, C, size, size)``: one random texture moved right by ``shifts[k]`` cells in frame k."""
    texture = torch.rand(channels, size, size, generator=torch.Generator().manual_seed(3))
    return torch.stack([torch.roll(texture, shifts=s, dims=-1) for s in shifts])


def test_diffusion_point_update_finds_the_motion():
    shifts = [0, 1, 2, 2, 2]  # fast then still: a straight line misses it by 2 to 4 px (the search reaches 5 px)
    features = _moving_texture(shifts)  # grid 16x16 cells over a 64x64 frame: 4 px a cell
    start = torch.tensor([18.0, 30.0])
    truth = torch.stack([start + torch.tensor([4.0 * s, 0.0]) for s in shifts])[None]  # (1, 5, 2)
    straight = torch.stack([start + (truth[0, -1] - start) * k / 4 for k in range(5)])[None]
    positions, accepted = update_points(features, straight, radius=5, tolerance=2.0, size=(64, 64))
    assert accepted[0, 1:-1].all() and not accepted[0, 0] and not accepted[0, -1]
    assert torch.allclose(positions, truth)
    refit = refit_tracks(positions, accepted)
    assert torch.allclose(refit, truth, atol=1e-5)
    before = gaussian_heatmaps(straight, 64, 64)
    after = gaussian_heatmaps(refit, 64, 64)
    assert not torch.equal(before[1:-1], after[1:-1]) and torch.equal(before[[0, -1]], after[[0, -1]])
    assert after[1, 0, 30, 22] * 255 == 254  # frame 1's blob (peak 254) now sits on the texture point (18 + 4, 30)


def test_diffusion_point_update_rejects_disagreement():
    features = torch.rand(5, 8, 16, 16, generator=torch.Generator().manual_seed(1))  # no consistent motion
    tracks = torch.tensor([[[8.0, 8.0], [18.5, 18.5], [29.0, 29.0], [39.5, 39.5], [50.0, 50.0]]])
    positions, accepted = update_points(features, tracks, tolerance=0.5, size=(64, 64))
    assert torch.equal(positions[~accepted], tracks[~accepted])
    refit = refit_tracks(tracks, torch.zeros(1, 5, dtype=torch.bool))  # no anchors: the straight line
    assert torch.allclose(refit, tracks, atol=1e-5)


def test_diffusion_upsampled_features_at_pixels():
    features = torch.arange(16.0).view(1, 4, 4)  # value = 4 * row + column, one pixel per cell
    values = upsampled_at(features, torch.tensor([0, 1, 2]), torch.tensor([0, 3, 1]), (4, 4))
    assert values[0].tolist() == [0.0, 7.0, 9.0]
    # upsampled 2x (align_corners=False): pixel (row 3, col 5) samples cell (1.25, 2.25); pixel (0, 0) clamps to 0
    values = upsampled_at(features, torch.tensor([3, 0]), torch.tensor([5, 0]), (8, 8))
    assert values[0].tolist() == [7.25, 0.0]


def test_diffusion_clip_length_and_working_size():
    assert clip_length([k / 13 for k in range(1, 13)]) == (14, True)  # -n 12: the release's clip
    assert clip_length([0.25, 0.5, 0.75]) == (13, True)
    assert clip_length([k / 8 for k in range(1, 8)]) == (17, True)
    assert clip_length([0.5]) == (13, True)
    assert clip_length([0.123456]) == (14, False)
    assert working_size(448, 256) == (512, 320)
    assert working_size(320, 512) == (320, 512)
    assert working_size(1920, 1080) == (512, 320)
