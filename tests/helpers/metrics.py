"""Paths of the committed metric references (tests/data/metrics) and the crops they were computed on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from helpers import DATA

METRICS_DATA = DATA / "metrics"
REFERENCE_VALUES = METRICS_DATA / "reference_values.json"  # PSNR, SSIM, LPIPS and DISTS of the official code


def load_pair(shared_data: Path, pair: dict, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The pair's crop as two ``(1, 3, h, w)`` tensors in [0, 1]."""
    left, top, width, height = pair["box"]
    images = []
    for name in (pair["first"], pair["second"]):
        with Image.open(shared_data / name) as image:
            array = np.array(image.convert("RGB").crop((left, top, left + width, top + height)))
        images.append(torch.from_numpy(array).permute(2, 0, 1)[None].to(dtype) / 255)
    return images[0], images[1]
