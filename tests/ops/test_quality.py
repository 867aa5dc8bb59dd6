"""The confidence signals (framer.ops.quality): pure functions on small tensors with known answers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from framer.ops.quality import (
    FLOW_ERROR_FIT,
    MIDPOINT_DB,
    confidence_from_error,
    flow_error,
    flow_signals,
    keyframe_support,
    predicted_psnr,
)


def _texture(seed: int, height: int = 32, width: int = 48, detail: int = 8) -> torch.Tensor:
    """Smooth random colours (detail about ``detail`` px across), ``(1, 3, height, width)``."""
    size = (height // detail + 1, width // detail + 1)
    coarse = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


def test_flow_signals_measure_how_far_the_warps_disagree_and_how_far_the_keyframes_differ():
    scene = _texture(0, 32, 51)
    frame0, frame1 = scene[..., 3:], scene[..., :48]  # the scene moved 3 px right between the keyframes
    flow = torch.zeros(1, 4, 32, 48)
    flow[:, 2] = 3.0  # frame1 sampled 3 px to the right agrees with frame0 except in the last 3 columns
    disagreement, change = flow_signals(frame0, frame1, flow)
    border = (frame0[..., -3:] - frame1[..., -1:]).abs().sum() / frame0.numel()  # sampled at the clamped border
    assert disagreement.item() == pytest.approx(border.item(), rel=1e-4)
    assert change.item() == pytest.approx((frame0 - frame1).square().mean().item(), rel=1e-6)
    wrong = flow_signals(frame0, frame1, torch.zeros(1, 4, 32, 48))[0]  # no motion found: the warps disagree
    assert wrong.item() > 5 * disagreement.item()


def test_flow_error_follows_the_fit_and_grows_with_disagreement():
    frame0, frame1 = torch.zeros(2, 3, 8, 8), torch.full((2, 3, 8, 8), 0.2)
    flow = torch.zeros(2, 4, 8, 8)
    fit = FLOW_ERROR_FIT
    expected = math.exp(fit["log_scale"] + (fit["disagreement"] + fit["change"] * 2) * math.log(0.2)
                        + fit["position"] * math.log(0.25))  # fmt: skip
    assert flow_error(frame0, frame1, flow, 0.5).tolist() == pytest.approx([expected, expected], rel=1e-4)
    closer = flow_error(frame0[:1], torch.full((1, 3, 8, 8), 0.1), flow[:1], 0.5)
    assert closer.item() < expected


def test_flow_error_is_smaller_near_a_keyframe_and_symmetric_in_time():
    frame0, frame1, flow = torch.zeros(3, 3, 8, 8), torch.full((3, 3, 8, 8), 0.2), torch.zeros(3, 4, 8, 8)
    error = flow_error(frame0, frame1, flow, torch.tensor([0.125, 0.5, 0.875]))
    assert error[1].item() / error[0].item() == pytest.approx((0.25 / (0.125 * 0.875)) ** FLOW_ERROR_FIT["position"])
    assert error[0].item() == pytest.approx(error[2].item())
    at_keyframe = flow_error(frame0[:1], frame1[:1], flow[:1], 0.0).item()
    assert 0.0 < at_keyframe == pytest.approx(flow_error(frame0[:1], frame1[:1], flow[:1], 1e-5).item())  # clamped


def test_keyframe_support_finds_moved_content_but_not_a_ghost():
    scene, other = _texture(2, 160, 160, detail=16), _texture(3, 160, 160, detail=16)
    frame0, frame1 = scene[..., 32:128, 32:128], other[..., 32:128, 32:128]
    moved = scene[..., 36:132, 27:123]  # the first keyframe's content moved by (-5, -4) px
    ghost = 0.5 * (frame0 + frame1)  # a cross-fade of two different pictures
    assert keyframe_support(frame0, frame0, frame1).item() == pytest.approx(0.0, abs=1e-9)
    assert keyframe_support(moved, frame0, frame1).item() < keyframe_support(ghost, frame0, frame1).item() / 2


def test_confidence_is_a_logistic_of_the_predicted_psnr_in_0_1():
    errors = torch.tensor([0.0, 1e-4, 10 ** (-MIDPOINT_DB / 10), 1e-1, 1.0])
    confidence = confidence_from_error(errors)
    assert predicted_psnr(torch.tensor([1e-3])).item() == pytest.approx(30.0)
    assert confidence[2].item() == pytest.approx(0.5)
    assert ((confidence >= 0) & (confidence <= 1)).all()
    assert (confidence.diff() < 0).all()  # more expected error, less confidence
