"""Overlap-blended tiles: coverage, smooth weights, equality for a linear engine, no seams with the flow model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from framer.engines.tiling import (
    blend_weights,
    choose_tile,
    iter_tiled,
    seam_ratio,
    tile_boxes,
    tile_edges,
    tile_starts,
)
from framer.io.images import ImageFormat, read_image
from framer.io.tensors import image_to_tensor
from helpers.video import BlendEngine


@pytest.mark.parametrize(
    ("size", "tile", "overlap"), [(1920, 512, 128), (1080, 512, 128), (300, 128, 32), (64, 128, 8)]
)
def test_tiles_cover_the_frame_with_the_overlap(size, tile, overlap):
    starts = tile_starts(size, tile, overlap)
    assert starts[0] == 0 and min(starts[-1] + tile, size) == size
    for left, right in itertools.pairwise(starts):
        assert left + tile - right >= overlap  # neighbours overlap by at least `overlap`


def _weight_sum(height, width, tile, overlap):
    boxes = tile_boxes(height, width, tile, overlap)
    total = torch.zeros(1, 1, height, width)
    for box in boxes:
        top, left, h, w = box
        total[:, :, top : top + h, left : left + w] += blend_weights(box, boxes)
    return boxes, total


def test_weights_are_smooth_and_cover_every_pixel():
    boxes, total = _weight_sum(300, 420, 128, 48)
    assert len(boxes) == 4 * 5
    assert float(total.min()) > 0.9 and float(total.max()) < 1.1  # raised cosines of neighbours add up to ~1
    for box in boxes:
        weights = blend_weights(box, boxes)[0, 0]
        # No jumps: neighbouring weights differ by at most pi / (2 * overlap) (the cosine's steepest slope).
        assert float(weights.diff(dim=0).abs().max()) <= np.pi / (2 * 48) + 1e-6
        assert float(weights.diff(dim=1).abs().max()) <= np.pi / (2 * 48) + 1e-6


def test_tiled_equals_whole_frame_for_a_linear_engine():
    torch.manual_seed(0)
    frame0, frame1 = torch.rand(1, 3, 200, 300), torch.rand(1, 3, 200, 300)
    engine = BlendEngine()
    whole = list(engine.iter_frames(frame0, frame1, [0.25, 0.5]))
    tiled = list(iter_tiled(engine, frame0, frame1, [0.25, 0.5], tile=96, overlap=32))
    for a, b in zip(whole, tiled, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert engine.calls == 1 + len(tile_boxes(200, 300, 96, 32))


def test_choose_tile_fits_the_budget():
    engine = BlendEngine(bytes_per_pixel=1000)
    assert choose_tile(engine, 1080, 1920, budget=3_000_000_000) is None  # 2 GB fits whole frames
    tile = choose_tile(engine, 1080, 1920, budget=300_000_000, overlap=128)
    assert tile % 64 == 0 and engine.memory_needed(tile, tile) <= 300_000_000 < engine.memory_needed(
        tile + 64, tile + 64
    )


def test_flow_engine_tiles_leave_no_seam(flow_engine, shared_data):
    fmt = ImageFormat(channels=3, bit_depth=8)
    pair = [read_image(shared_data / "practical_rife_demo_pair" / name)[:128, 32:288] for name in ("i0.png", "i1.png")]
    frames = [image_to_tensor(image, fmt) for image in pair]
    whole = next(flow_engine.iter_frames(*frames, [0.5]))[0].permute(1, 2, 0).numpy() * 255
    tiled = next(iter_tiled(flow_engine, *frames, [0.5], tile=128, overlap=48))[0].permute(1, 2, 0).numpy() * 255
    psnr = 10 * np.log10(255**2 / np.mean((whole - tiled) ** 2))
    assert psnr > 35  # measured 39.2 dB
    boxes = tile_boxes(128, 256, 128, 48)
    # Measured 1.33; a hard stitch of the same tiles (no blending) scores 1.66 at its joins.
    assert len(boxes) == 3 and seam_ratio(tiled, whole, *tile_edges(boxes, 128, 256)) < 1.5


def test_seam_ratio_finds_a_seam():
    rng = np.random.default_rng(0)
    whole = rng.normal(128, 20, (64, 96))
    smooth = whole + np.linspace(0, 4, 96)[None]  # tiles disagreeing smoothly: no seam
    stitched = whole + np.where(np.arange(96) < 48, 0.0, 4.0)[None] + rng.normal(0, 0.5, (64, 96))  # a step at 48
    assert seam_ratio(smooth, whole, [48], []) < 1.5
    assert seam_ratio(stitched, whole, [48], []) > 3
