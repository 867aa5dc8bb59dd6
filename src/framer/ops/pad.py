"""Padding frames to the size a network needs, and cropping back."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["pad_to_multiple", "unpad"]


def pad_to_multiple(x: torch.Tensor, multiple: int, zero_channels: int | None = None) -> torch.Tensor:
    """Pad ``x`` of shape ``(B, C, H, W)`` on the right and bottom so H and W are multiples of ``multiple``.

    The first ``zero_channels`` channels (all by default) are padded with zeros, the convention RIFE was run with
    (results depend on it by up to 0.2 dB); the others (e.g. alpha) repeat their edge, so that content flowing in from
    the padding does not change them.
    """
    height, width = x.shape[-2:]
    pad_h = (multiple - height % multiple) % multiple
    pad_w = (multiple - width % multiple) % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    zero_channels = x.shape[1] if zero_channels is None else zero_channels
    zeros = F.pad(x[:, :zero_channels], (0, pad_w, 0, pad_h))
    if zero_channels >= x.shape[1]:
        return zeros
    edges = F.pad(x[:, zero_channels:], (0, pad_w, 0, pad_h), mode="replicate")
    return torch.cat((zeros, edges), 1)


def unpad(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop ``(B, C, H', W')`` back to the top-left ``(B, C, height, width)``."""
    return x[..., :height, :width]
