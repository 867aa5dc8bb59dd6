"""Backward warping of images by a dense flow field."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["backward_warp"]

_BASE_GRIDS: dict[tuple, torch.Tensor] = {}


def _base_grid(height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Identity sampling grid ``(1, 2, H, W)`` in normalised coordinates (align_corners=True), cached; it broadcasts
    over the batch."""
    key = (height, width, device, dtype)
    grid = _BASE_GRIDS.get(key)
    if grid is None:
        xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype).view(1, 1, 1, width)
        ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype).view(1, 1, height, 1)
        grid = torch.cat([xs.expand(1, 1, height, width), ys.expand(1, 1, height, width)], dim=1)
        if len(_BASE_GRIDS) > 16:
            _BASE_GRIDS.clear()
        _BASE_GRIDS[key] = grid
    return grid


def backward_warp(
    image: torch.Tensor, flow: torch.Tensor, at: tuple[torch.Tensor, torch.Tensor] | None = None
) -> torch.Tensor:
    """Sample ``image`` at the positions the flow points to (bilinear, border padding).

    Args:
        image: ``(B, C, H, W)`` float.
        flow: ``(B, 2, H, W)`` float, pixels, target to source, ``(x, y)``.
        at: optional ``(rows, cols)`` int64 pixel indices into ``image``: ``flow`` is then given at those target
            pixels only, ``(B, 2, len(rows), len(cols))``, and so is the result; its values are those of warping
            the whole image and taking those pixels.

    Returns:
        ``(B, C, H, W)``: ``out[b, :, y, x] = image[b, :, y + flow_y, x + flow_x]``.

    Convention: pixel centres at integer coordinates; align_corners=True.
    """
    if at is None:
        height, width = flow.shape[-2:]
        grid = _base_grid(height, width, flow.device, flow.dtype)
    else:  # the identity grid's values at those rows and columns
        height, width = image.shape[-2:]
        xs = torch.linspace(-1.0, 1.0, width, device=flow.device, dtype=flow.dtype)[at[1]].view(1, 1, 1, -1)
        ys = torch.linspace(-1.0, 1.0, height, device=flow.device, dtype=flow.dtype)[at[0]].view(1, 1, -1, 1)
        size = (1, 1, len(at[0]), len(at[1]))
        grid = torch.cat([xs.expand(size), ys.expand(size)], dim=1)
    # pixels -> normalised [-1, 1] offsets: (B, 2, H, W), the grid added in place (one full-size temporary)
    scale = flow.new_tensor([(width - 1.0) / 2.0, (height - 1.0) / 2.0]).view(1, 2, 1, 1)
    sample_at = (flow / scale).add_(grid).permute(0, 2, 3, 1)  # (B, H, W, 2)
    return F.grid_sample(image, sample_at, mode="bilinear", padding_mode="border", align_corners=True)
