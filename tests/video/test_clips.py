"""Checks of the video test helpers (helpers/video.py): the clips they write and the linear-blend engine."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from helpers.video import BlendEngine, decode_video, ramp_frames, write_clip


def test_write_clip_keeps_variable_timestamps(tmp_path):
    time_base = Fraction(1, 1000)
    pts = [0, 40, 90, 130, 200, 260]
    frames = ramp_frames([Fraction(p, 1000) for p in pts], Fraction(300, 1000))
    times, images = decode_video(write_clip(tmp_path / "vfr.mp4", frames, pts=pts, time_base=time_base))
    assert times == [Fraction(p, 1000) for p in pts]
    for written, read in zip(frames, images, strict=True):
        assert np.abs(written.astype(int) - read.astype(int)).max() <= 6


def test_blend_engine_is_linear():
    engine = BlendEngine()
    a, b = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    out = list(engine.iter_frames(a, b, [0.25, 0.5]))
    assert [float(x.mean()) for x in out] == pytest.approx([0.25, 0.5])
