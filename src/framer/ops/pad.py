"""Padding frames to the size a network needs, and cropping back."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["pad_to_multiple", "unpad"]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Zero-pad ``x`` of shape ``(B, C, H, W)`` on the right and bottom so H and W are multiples of ``multiple``.

    Right/bottom zero padding is the convention RIFE was run with; results depend on it by up to 0.2 dB.
    """
    height, width = x.shape[-2:]
    pad_h = (multiple - height % multiple) % multiple
    pad_w = (multiple - width % multiple) % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(x, (0, pad_w, 0, pad_h))


def unpad(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop ``(B, C, H', W')`` back to the top-left ``(B, C, height, width)``."""
    return x[..., :height, :width]
