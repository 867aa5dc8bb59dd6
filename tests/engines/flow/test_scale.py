"""The flow engine's pyramid ``scale`` (upstream RIFE's ``scale``): 1.0 is the network as trained and as before;
0.5 and 0.25 run its coarse-to-fine levels at reduced resolution (levels ``16 / scale, ..., 1 / scale``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import framer
from framer.engines.flow.model import IFNet
from framer.errors import InputError
from framer.io.images import read_image
from framer.motion import fit_alignment
from framer.ops.pad import pad_to_multiple

TINY = "vimeo_septuplet_lr_tiny"  # 112x64


@pytest.fixture(scope="module")
def tiny_pair(shared_data) -> tuple[np.ndarray, np.ndarray]:
    return read_image(shared_data / TINY / "im1.png"), read_image(shared_data / TINY / "im3.png")


@pytest.fixture(scope="module")
def half_engine():
    return framer.create_engine("flow", device="cpu", scale=0.5)


def _network_input(image: np.ndarray, multiple: int) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(1, 3, H', W')`` float32 in [0, 1], zero-padded to ``multiple``."""
    return pad_to_multiple(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0, multiple)


def test_scale_one_is_the_network_as_before(flow_engine, tiny_pair):
    config = flow_engine.net.config
    assert flow_engine.scale == 1.0 and flow_engine.pad_multiple == config.pad_multiple == 64
    assert config.level_scales(1.0) is config.scales  # the same integer levels, not a float copy
    same = framer.create_engine("flow", device="cpu", scale=1.0)
    times = [0.5]
    ours = framer.interpolate(list(tiny_pair), times=times, engine=same)
    default = framer.interpolate(list(tiny_pair), times=times, engine=flow_engine)
    for a, b in zip(ours, default, strict=True):
        assert np.array_equal(a, b)
    x0, x1 = (_network_input(image, 64) for image in tiny_pair)
    with torch.inference_mode():
        plain, scaled = flow_engine.net(x0, x1, 0.5), flow_engine.net(x0, x1, 0.5, scale=1.0)
    assert torch.equal(plain.frame, scaled.frame) and torch.equal(plain.flow, scaled.flow)


def test_half_scale_is_the_pyramid_at_twice_the_levels(flow_engine, half_engine, tiny_pair):
    """``scale=0.5`` equals a network whose levels are 32, 16, 8, 4, 2 with the same weights, bit for bit."""
    config = flow_engine.net.config
    assert config.level_scales(0.5) == (32, 16, 8, 4, 2) and half_engine.pad_multiple == 128
    coarse = IFNet(replace(config, scales=(32, 16, 8, 4, 2)))
    coarse.load_state_dict(flow_engine.net.state_dict())
    coarse.eval()
    x0, x1 = (_network_input(image, 128) for image in tiny_pair)
    with torch.inference_mode():
        ours = half_engine.net(x0, x1, 0.5, scale=0.5)
        expected = coarse(x0, x1, 0.5)
        full = flow_engine.net(x0, x1, 0.5)
    assert torch.equal(ours.frame, expected.frame) and torch.equal(ours.flow, expected.flow)
    assert not torch.equal(ours.flow, full.flow)  # the levels really changed


def test_reduced_scale_pads_more_and_crops_back(flow_engine, half_engine, tiny_pair):
    (frame,) = framer.interpolate(list(tiny_pair), times=[0.5], engine=half_engine)
    assert frame.shape == tiny_pair[0].shape and frame.dtype == np.uint8
    # 436 rows pad to 512 at pyramid scale 0.5 (multiple 128), to 448 at 1.0 (multiple 64).
    assert half_engine.memory_needed(436, 1024) > flow_engine.memory_needed(436, 1024)


def test_reduced_scale_with_pre_alignment(half_engine, tiny_pair):
    height, width = tiny_pair[0].shape[:2]
    starts = np.array([[20.0, 20.0], [90.0, 20.0], [20.0, 50.0], [90.0, 50.0]])
    alignment = fit_alignment(starts, starts + np.array([3.0, 1.0]), width, height)
    frame0, frame1 = (torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0 for image in tiny_pair)
    (frame,) = half_engine.iter_frames(frame0, frame1, [0.5], alignment=alignment)
    assert frame.shape == (1, 3, height, width) and torch.isfinite(frame).all()


@pytest.mark.parametrize("scale", [0.3, 2.0, 0.0, True, "0.5", None])
def test_scale_must_be_offered(scale):
    with pytest.raises(InputError, match=r"`scale` must be one of 0\.25, 0\.5, 1 "):
        framer.create_engine("flow", scale=scale)
