"""Parity with upstream RIFE v4.25: framer's PSNR on real samples matches the committed upstream figures.

The figures in ``benchmarks/reference/upstream_rife_v4_25.json`` were measured by running the unmodified upstream
code with the same weights (``benchmarks/parity.py --write-reference``; see ``benchmarks/README.md``).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import framer
from helpers import REPO

REFERENCE = REPO / "benchmarks" / "reference" / "upstream_rife_v4_25.json"
SAMPLES = json.loads(REFERENCE.read_text())["samples"]
TOLERANCE_DB = 0.05


def _psnr(output: np.ndarray, target: np.ndarray) -> float:
    """PSNR in dB of two uint8 images, on values scaled to [0, 1]."""
    mse = np.mean((output.astype(np.float64) / 255.0 - target.astype(np.float64) / 255.0) ** 2)
    return math.inf if mse == 0 else -10.0 * math.log10(mse)


def test_reference_covers_vimeo_and_rubberwhale():
    assert sorted(sample["name"] for sample in SAMPLES) == [
        "rubberwhale_08",
        "rubberwhale_10",
        "rubberwhale_12",
        "vimeo_eggs",
        "vimeo_runner",
    ]


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample["name"] for sample in SAMPLES])
def test_flow_engine_psnr_matches_upstream(sample, flow_engine, shared_data):
    folder = shared_data / sample["folder"]
    keyframes = [folder / sample["frame0"], folder / sample["frame1"]]
    (frame,) = framer.interpolate(keyframes, times=[sample["t"]], engine=flow_engine)
    target = framer.read_image(folder / sample["target"])

    ours = _psnr(frame, target)

    assert frame.shape == target.shape and frame.dtype == np.uint8
    assert abs(ours - sample["upstream_psnr"]) <= TOLERANCE_DB, (
        f"{sample['name']}: ours {ours:.4f} dB, upstream {sample['upstream_psnr']:.4f} dB"
    )
    # The learned interpolation beats a plain cross-fade on every sample.
    assert ours > sample["blend_psnr"]
