"""Trajectory heatmaps: the ControlNet's input, one grey Gaussian-blob image per frame, copied to 3 channels.

Convention:
    Points are ``(x, y)`` pixels with the centre of the top-left pixel at ``(0, 0)`` (as :mod:`framer.trajectory`).
    A point at ``(x, y)`` adds ``exp(-d^2 / (2 sigma^2))`` at every pixel centre within ``radius`` pixels of it
    (``d`` its distance), 0 farther out; blobs of several points combine by maximum. Values lie in [0, 1]; the
    released ControlNet was trained on the same maps scaled to 0..255 (``RELEASE_SCALE``), with ``sigma`` 8 px
    and a 40 px box (``radius`` 20 px) at 512x320.
"""

from __future__ import annotations

import torch

from framer.checks import check_shape
from framer.errors import InputError

__all__ = ["DEFAULT_RADIUS", "DEFAULT_SIGMA", "RELEASE_SCALE", "gaussian_heatmaps"]

DEFAULT_SIGMA = 8.0
DEFAULT_RADIUS = 20.0
RELEASE_SCALE = 255.0


def gaussian_heatmaps(
    tracks: torch.Tensor,
    height: int,
    width: int,
    sigma: float = DEFAULT_SIGMA,
    radius: float = DEFAULT_RADIUS,
    visible: torch.Tensor | None = None,
) -> torch.Tensor:
    """Heatmaps of ``N`` points over ``F`` frames.

    Args:
        tracks: ``(N, F, 2)`` float xy pixels; N may be 0 (all-zero maps).
        height, width: size of the maps.
        sigma: standard deviation of each blob (px).
        radius: blobs are cut to 0 beyond this distance (px).
        visible: optional ``(N, F)`` bool; hidden points draw nothing.

    Returns:
        ``(F, 3, height, width)`` float in [0, 1], on the device and (floating) dtype of ``tracks``.

    >>> maps = gaussian_heatmaps(torch.tensor([[[4.0, 2.0]]]), 8, 8)
    >>> maps.shape, float(maps[0, 0, 2, 4])
    (torch.Size([1, 3, 8, 8]), 1.0)
    """
    check_shape(tracks, "N F 2", "tracks")
    if not (sigma > 0 and radius > 0):
        raise InputError(f"`sigma` and `radius` must be positive but are {sigma!r} and {radius!r}.")
    dtype = tracks.dtype if tracks.is_floating_point() else torch.float32
    frames = tracks.shape[1]
    ys = torch.arange(height, device=tracks.device, dtype=dtype).view(1, 1, height, 1)
    xs = torch.arange(width, device=tracks.device, dtype=dtype).view(1, 1, 1, width)
    maps = torch.zeros(frames, height, width, device=tracks.device, dtype=dtype)
    for index in range(tracks.shape[0]):  # one point at a time keeps memory at one (F, H, W) map
        point = tracks[index].to(dtype)  # (F, 2)
        distance2 = (xs - point[:, 0].view(frames, 1, 1, 1)) ** 2 + (ys - point[:, 1].view(frames, 1, 1, 1)) ** 2
        blob = torch.exp(-distance2 / (2.0 * sigma**2)) * (distance2 <= radius**2)
        if visible is not None:
            blob = blob * visible[index].to(dtype).view(frames, 1, 1, 1)
        maps = torch.maximum(maps, blob[:, 0])
    # [F, H, W] -> [F, 3, H, W]: the same grey map in every channel
    return maps.unsqueeze(1).expand(frames, 3, height, width).contiguous()
