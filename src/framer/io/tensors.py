"""The one home of numpy image <-> torch tensor conversion.

Images are numpy arrays ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8, uint16 or float in [0, 1]; engine
tensors are ``(1, C, H, W)`` float32 in [0, 1]; metric batches are ``(T, 3, H, W)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from framer.io.images import ImageFormat

__all__ = ["image_to_tensor", "images_to_batch", "tensor_to_float_image", "tensor_to_image"]


def _scale(dtype: np.dtype) -> float:
    return 255.0 if dtype == np.uint8 else 65535.0 if dtype == np.uint16 else 1.0


def image_to_tensor(image: np.ndarray, fmt: ImageFormat | None = None) -> torch.Tensor:
    """Image ``(H, W[, C])`` -> ``(1, 3 or 4, H, W)`` float32 in [0, 1].

    Grey becomes three equal channels; with ``fmt`` of four channels, an image without alpha gains an opaque one.
    """
    x = torch.from_numpy(np.ascontiguousarray(image)).float().div_(_scale(image.dtype))
    x = x[:, :, None] if x.ndim == 2 else x  # (H, W, C)
    if x.shape[2] == 1:
        x = x.expand(-1, -1, 3)
    if fmt is not None and fmt.channels == 4 and x.shape[2] == 3:
        x = torch.cat((x, torch.ones_like(x[:, :, :1])), 2)
    return x.permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_image(x: torch.Tensor, fmt: ImageFormat) -> np.ndarray:
    """``(3 or 4, H, W)`` float in [0, 1] -> image in ``fmt`` (grey, RGB or RGBA; 8 or 16 bit), rounded."""
    scale = 65535.0 if fmt.bit_depth == 16 else 255.0
    if fmt.channels == 1:
        x = x[:3].mean(0, keepdim=True)
    array = x.clamp(0, 1).mul(scale).round_().permute(1, 2, 0).cpu().numpy().astype(fmt.dtype)
    return array[:, :, 0] if fmt.channels == 1 else array


def tensor_to_float_image(x: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` tensor -> ``(H, W, C)`` float32 array (values as they are)."""
    return np.ascontiguousarray(x[0].permute(1, 2, 0).float().cpu().numpy())


def images_to_batch(
    frames: Sequence[np.ndarray], device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``T`` images ``(H, W, 3)`` uint8 -> ``(T, 3, H, W)`` in [0, 1] of ``dtype`` on ``device`` (for metrics)."""
    stacked = torch.from_numpy(np.ascontiguousarray(np.stack(frames))).permute(0, 3, 1, 2)
    return stacked.to(device=device, dtype=dtype).div_(255.0)
