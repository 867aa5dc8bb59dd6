"""End-to-end smoke tests: the API and the CLI on the sample pair."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import framer


def test_interpolate_returns_frames_between_keyframes(street_pair, flow_engine):
    frames = framer.interpolate(list(street_pair), num_frames=3, engine=flow_engine)
    assert len(frames) == 3
    first = framer.read_image(street_pair[0]).astype(float)
    last = framer.read_image(street_pair[1]).astype(float)
    for frame in frames:
        assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
    # The middle in-between is nearer to the blend of the keyframes than either keyframe is.
    middle = frames[1].astype(float)
    assert np.abs(middle - (first + last) / 2).mean() < np.abs(first - last).mean()


def test_cli_tween_writes_mp4(street_pair, tmp_path):
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "framer", "tween", *map(str, street_pair), "-n", "3", "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
