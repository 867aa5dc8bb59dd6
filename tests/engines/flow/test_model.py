"""IFNet's shortcuts compute the plain network: per-pair work done once, warps at the pixels a resize reads, the
last block without its unused outputs, full-size inputs convolved part by part (each made only when its turn
comes), and warps resized by 1/2 made band by band.

A small v4.25-layout IFNet (five levels, 16 to 1, few channels) with seeded random weights is checked against the
network written out plainly here, as upstream RIFE runs it.
"""

from __future__ import annotations

import weakref

import pytest
import torch
import torch.nn.functional as F

from framer.engines.flow import model
from framer.engines.flow.backends import FlowRunner
from framer.engines.flow.model import IFNet, IFNetConfig
from framer.ops.warp import backward_warp


@pytest.fixture(scope="module")
def net() -> IFNet:
    torch.manual_seed(0)
    config = IFNetConfig(block_channels=(12, 10, 8, 8, 8), encoder_channels=4, num_res_blocks=1)
    return IFNet(config).eval().requires_grad_(False)


def _pair(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    coarse = torch.rand(2, 3, height // 16, width // 16, generator=generator)
    frames = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    return frames[:1], frames[1:]


def _resize(tensor: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(tensor, scale_factor=factor, mode="bilinear", align_corners=False)


def _plain(net: IFNet, x0: torch.Tensor, x1: torch.Tensor, t: float, scale: float = 1.0) -> model.IFNetOutput:
    """The network without shortcuts: every block's whole input at full size, resized, every output channel."""
    f0, f1 = net.encode_frames(x0), net.encode_frames(x1)
    time_plane = torch.full_like(x0[:, :1], t)
    flow = mask = hidden = None
    for block, level in zip(net.blocks, net.config.level_scales(scale), strict=True):
        if flow is None:
            x = torch.cat((x0, x1, f0, f1, time_plane), 1)
        else:
            w0 = backward_warp(torch.cat((x0, f0), 1), flow[:, :2])
            w1 = backward_warp(torch.cat((x1, f1), 1), flow[:, 2:4])
            x = torch.cat((w0[:, :3], w1[:, :3], w0[:, 3:], w1[:, 3:], time_plane, mask, hidden), 1)
        if level != 1:
            x = _resize(x, 1 / level)
        if flow is not None:
            x = torch.cat((x, _resize(flow, 1 / level) / level if level != 1 else flow), 1)
        out = block.lastconv(block.convblock(block.conv0(x)))
        if level != 1:
            out = _resize(out, level)
        delta, mask, hidden = out[:, :4] * level, out[:, 4:5], out[:, 5:]
        flow = delta if flow is None else flow + delta
    w0, w1 = backward_warp(x0, flow[:, :2]), backward_warp(x1, flow[:, 2:4])
    weight = torch.sigmoid(mask)
    return model.IFNetOutput(frame=torch.lerp(w1, w0, weight), flow=flow, mask=weight)


@pytest.mark.parametrize("level", [4, 8, 16])
def test_taps_are_all_that_resizing_reads(level):
    x = torch.rand(1, 5, 64, 96, generator=torch.Generator().manual_seed(level))
    taps = model._Taps.of(level, 64, 96, x.device)

    assert taps is not None and taps.gather(x).shape[-2:] == (2 * 64 // level, 2 * 96 // level)
    assert torch.equal(_resize(taps.gather(x), 0.5), _resize(x, 1 / level))
    assert torch.equal(taps.gather(x), x[:, :, taps.rows][:, :, :, taps.cols])


@pytest.mark.parametrize("level", [1, 2, 3, 6.5])
def test_no_taps_where_resizing_reads_every_pixel_or_the_level_is_odd(level):
    assert model._Taps.of(level, 64, 96, torch.device("cpu")) is None


def test_a_warp_at_some_pixels_equals_the_whole_warp_there():
    generator = torch.Generator().manual_seed(2)
    image, flow = torch.rand(2, 7, 32, 48, generator=generator), 6 * torch.randn(2, 2, 32, 48, generator=generator)
    taps = model._Taps.of(8, 32, 48, image.device)

    at = backward_warp(image, taps.gather(flow), at=(taps.rows, taps.cols))

    assert torch.equal(at, taps.gather(backward_warp(image, flow)))


@pytest.mark.parametrize("t", [0.25, 0.5])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_the_network_equals_the_plain_network(net, t, scale):
    x0, x1 = _pair(128, 256)
    with torch.inference_mode():
        ours, plain = net(x0, x1, t, scale=scale), _plain(net, x0, x1, t, scale)

    # The same values up to float rounding: each block's flow, mask and hidden inputs are upsampled straight to its
    # resolution (or its taps) rather than upsampled in full and resized back.
    assert not torch.equal(ours.flow, plain.flow)  # the shortcut did run
    torch.testing.assert_close(ours.flow, plain.flow, rtol=0, atol=1e-4)
    torch.testing.assert_close(ours.mask, plain.mask, rtol=0, atol=1e-5)
    torch.testing.assert_close(ours.frame, plain.frame, rtol=0, atol=1e-5)


def test_part_by_part_convolution_equals_the_plain_network_up_to_rounding(net, monkeypatch):
    monkeypatch.setattr(model, "_SPLIT_PIXELS", 1)  # every full-size input convolved part by part
    monkeypatch.setattr(model, "_BAND_ROWS", 48)  # the level-2 warp in three bands, the last a short one
    x0, x1 = _pair(128, 192)
    with torch.inference_mode():
        ours, plain = net(x0, x1, 0.5), _plain(net, x0, x1, 0.5)

    assert not torch.equal(ours.flow, plain.flow)  # the split path did run (sums in another order)
    torch.testing.assert_close(ours.flow, plain.flow, rtol=0, atol=1e-4)
    torch.testing.assert_close(ours.frame, plain.frame, rtol=0, atol=1e-5)


@pytest.mark.parametrize(("height", "band"), [(32, 8), (40, 16), (64, 128)])
def test_a_warp_resized_by_half_band_by_band_equals_the_whole_warp_resized(height, band, monkeypatch):
    monkeypatch.setattr(model, "_BAND_ROWS", band)
    generator = torch.Generator().manual_seed(3)
    sources = torch.rand(2, 7, height, 48, generator=generator).contiguous(memory_format=torch.channels_last)
    flow = 5 * torch.randn(2, 2, height, 48, generator=generator)

    halved = model._warped_halved(sources, flow)

    assert torch.equal(halved, _resize(backward_warp(sources, flow), 0.5))


@pytest.mark.parametrize("split_pixels", [1, 1 << 30])
def test_deferred_parts_are_made_one_at_a_time_and_let_go_at_full_size(split_pixels, monkeypatch):
    monkeypatch.setattr(model, "_SPLIT_PIXELS", split_pixels)  # 1: every input is full size; 1 << 30: none is
    torch.manual_seed(4)
    block = model.IFBlock(9, 8, 1, 8).eval().requires_grad_(False)
    x = torch.rand(1, 9, 64, 64)
    made, alive = [], []

    def first() -> tuple[torch.Tensor, ...]:
        part = x[:, :4].clone()
        views = part[:, :3], part[:, 3:]  # two parts from one tensor
        made.extend(weakref.ref(view) for view in views)
        return views

    def last() -> tuple[torch.Tensor, ...]:
        alive.append(any(ref() is not None for ref in made))  # the first deferred parts, when this one is made
        return (x[:, 6:].clone(),)

    parts = [model.Deferred(first, (1, 4, 64, 64), x.dtype, x.device), x[:, 4:6],
             model.Deferred(last, (1, 3, 64, 64), x.dtype, x.device)]  # fmt: skip
    with torch.inference_mode():
        split = block(parts)
        whole = block(x)

    assert alive == [split_pixels != 1]  # let go first at full size; below it the parts are concatenated
    torch.testing.assert_close(split, whole, rtol=0, atol=1e-5)


def test_the_runner_does_the_pair_work_once_per_pair(net, monkeypatch):
    x0, x1 = _pair(64, 128)
    runner = FlowRunner(net)
    with torch.inference_mode():
        expected = [runner.net(x0, x1, t).frame for t in (0.25, 0.5, 0.75)]
    calls = []
    pair_context = runner.net.pair_context
    monkeypatch.setattr(runner.net, "pair_context", lambda *args: calls.append(args) or pair_context(*args))
    with torch.inference_mode():
        f0, f1 = runner.encode(x0), runner.encode(x1)
        frames = [runner(x0, x1, t, f0, f1).frame for t in (0.25, 0.5, 0.75)]
        assert len(calls) == 1
        runner(x1, x0, 0.5, f1, f0)  # another pair: its own context
        assert len(calls) == 2
        runner(x0, x1, 0.5)  # no features given: nothing kept (the network makes its own each call)
        runner(x0, x1, 0.5)
        assert len(calls) == 4

    assert all(torch.equal(a, b) for a, b in zip(frames, expected, strict=True))


@pytest.mark.parametrize("factor", [2, 4, 8, 16])
def test_upsampling_at_some_pixels_equals_the_whole_upsampling_there(factor):
    coarse = torch.randn(2, 4, 6, 5, generator=torch.Generator().manual_seed(factor))
    whole = _resize(coarse, factor)
    rows, cols = torch.tensor([0, 1, 5, 6, 6 * factor - 1]), torch.tensor([2, 3, 5 * factor - 2, 5 * factor - 1])

    at = model._upsample_at(coarse, factor, rows, cols)

    torch.testing.assert_close(at, whole[:, :, rows][:, :, :, cols], rtol=0, atol=1e-6)


def test_the_flow_sum_resized_to_a_level_equals_the_full_flow_resized():
    generator = torch.Generator().manual_seed(3)
    flow = model._FlowSum()
    for level in (16, 8, 4):
        flow.add(torch.randn(1, 4, 64 // level, 96 // level, generator=generator), level)
    full = flow.full()

    assert full.shape == (1, 4, 64, 96)
    # at 1/2 every delta is upsampled straight (even ratios); at 1/4 the last one (ratio 1) takes the two steps
    for level in (2, 4):
        torch.testing.assert_close(flow.at_level(level), _resize(full, 1 / level), rtol=0, atol=1e-5)
    assert model._straight(8, 2) and model._straight(4, 2) and not model._straight(4, 4) and not model._straight(6, 2)
    taps = model._Taps.of(8, 64, 96, full.device)
    torch.testing.assert_close(flow.at(taps.rows, taps.cols), taps.gather(full), rtol=0, atol=1e-5)


def test_the_runner_stores_the_blocks_channels_last_at_the_same_values(net):
    x0, x1 = _pair(128, 256)
    runner = FlowRunner(net)
    with torch.inference_mode():
        ours, plain = runner(x0, x1, 0.5), net(x0, x1, 0.5)

    assert runner.net is not net and runner.source_net is net  # a copy: the caller's network is left as it was
    assert all(b.conv0[0][0].weight.is_contiguous(memory_format=torch.channels_last) for b in runner.net.blocks)
    assert not any(b.conv0[0][0].weight.is_contiguous(memory_format=torch.channels_last) for b in net.blocks)
    assert runner.net.encode.cnn1.weight.is_contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        torch.testing.assert_close(runner.encode(x0), net.encode_frames(x0), rtol=0, atol=1e-6)
    torch.testing.assert_close(ours.flow, plain.flow, rtol=0, atol=1e-4)
    torch.testing.assert_close(ours.frame, plain.frame, rtol=0, atol=1e-5)
