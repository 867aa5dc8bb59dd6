"""Helpers shared by the benchmarks: frames read the way upstream RIFE reads them, hashes, machine description.

Importing this module loads neither PyTorch nor OpenCV, so the speed benchmark's parent process stays small.
"""

from __future__ import annotations

import hashlib
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["bgr_to_tensor", "machine_description", "read_bgr", "sha256_of", "tensor_to_bgr"]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_bgr(path: str | Path) -> np.ndarray:
    """``cv2.imread`` as upstream reads frames: ``(H, W, 3)`` uint8, BGR order."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"Cannot read image {path}.")
    return image


def bgr_to_tensor(image: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(1, 3, H, W)`` float32 in [0, 1], channel order unchanged."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0).unsqueeze(0)


def tensor_to_bgr(frame: torch.Tensor) -> np.ndarray:
    """``(1, 3, H, W)`` float in [0, 1] -> ``(H, W, 3)`` uint8 with upstream's rounding ``(x * 255).round()``."""
    return (frame[0] * 255.0).round().clamp_(0, 255).byte().permute(1, 2, 0).numpy()


def machine_description() -> str:
    """CPU model, logical CPU count and OS, for the records."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        model = names[0] if names else model
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"
