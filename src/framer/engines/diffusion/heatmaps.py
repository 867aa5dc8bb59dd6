"""Trajectory heatmaps: the ControlNet's input, one grey Gaussian-blob image per frame, copied to 3 channels.

Convention:
    Points are ``(x, y)`` pixels with the centre of the top-left pixel at ``(0, 0)`` (as :mod:`framer.trajectory`).
    Values lie in [0, 1]; the released ControlNet was trained on the same maps scaled to 0..255 (``RELEASE_SCALE``).

Two drawings:
    ``release`` (default, what the released ControlNet was trained on; the release's ``utils.py``): a 200 px
    Gaussian template (sigma 40 px, cut to its inscribed disc, 0..255 uint8) is resized with OpenCV into the box
    ``[x - radius, x + radius) x [y - radius, y + radius)`` at the point truncated to whole pixels, the box clipped
    to ``[1, width - 1) x [1, height - 1)`` so the whole template is squeezed into it near a border; each box is
    pasted over the earlier ones (the last point drawn wins, corners included) and points outside the image are
    skipped. The blob's sigma is ``0.4 * radius`` by construction (8 px in a 40 px box).
    ``smooth``: ``exp(-d^2 / (2 sigma^2))`` at every pixel centre within ``radius`` of the sub-pixel point, 0
    farther out, blobs combined by maximum; symmetric and sub-pixel, but not what the ControlNet saw.
    (The release's peak is 254, not 255: OpenCV's bilinear 5x shrink samples the template 2 px beside its centre.)
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
import torch

from framer.checks import check_shape
from framer.errors import InputError

__all__ = [
    "DEFAULT_RADIUS",
    "DEFAULT_SIGMA",
    "DRAWINGS",
    "RELEASE_SCALE",
    "gaussian_heatmaps",
    "release_heatmaps",
    "release_template",
]

DEFAULT_SIGMA = 8.0
DEFAULT_RADIUS = 20.0
RELEASE_SCALE = 255.0
DRAWINGS = ("release", "smooth")
TEMPLATE_SIZE = 200  # the release's template: 200 px, sigma 40 px
TEMPLATE_SIGMA = 40.0


@functools.cache
def release_template() -> np.ndarray:
    """The release's ``gen_gaussian_heatmap()``: ``(200, 200)`` uint8, 255 at its centre ``(100, 100)``."""
    size, sigma = TEMPLATE_SIZE, TEMPLATE_SIGMA
    disc = cv2.circle(np.zeros((size, size), np.float32), (size // 2, size // 2), size // 2, 1, -1)
    i, j = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    exponent = -1 / 2 * ((i - size / 2) ** 2 / sigma**2 + (j - size / 2) ** 2 / sigma**2)
    gauss = 1 / 2 / np.pi / sigma**2 * np.exp(exponent)  # the release's expression, term for term
    template = gauss.astype(np.float32) * disc
    template = (template / np.max(template)).astype(np.float32)
    template = (template / np.max(template) * 255).astype(np.uint8)
    template.flags.writeable = False
    return template


@functools.lru_cache(maxsize=4096)
def _resized_template(width: int, height: int) -> np.ndarray:
    """The template squeezed into a ``width x height`` box as the release does (``cv2.resize``, bilinear)."""
    resized = cv2.resize(release_template(), (width, height))
    resized.flags.writeable = False
    return resized


def release_heatmaps(
    tracks: np.ndarray, height: int, width: int, radius: float = DEFAULT_RADIUS, visible: np.ndarray | None = None
) -> np.ndarray:
    """The release's drawing (module docstring) of ``tracks (N, F, 2)`` xy pixels: ``(F, height, width)`` uint8.

    ``visible (N, F)`` bool: hidden points draw nothing. Points are drawn in order, so a later one covers an
    earlier one where their boxes overlap. Non-finite points count as outside the image.
    """
    frames = tracks.shape[1]
    maps = np.zeros((frames, height, width), np.uint8)
    for k in range(frames):
        for n in range(tracks.shape[0]):  # the paste order matters (last wins): a loop, ~1 us a point
            x, y = float(tracks[n, k, 0]), float(tracks[n, k, 1])
            if not (0 <= x < width and 0 <= y < height) or (visible is not None and not visible[n, k]):
                continue
            x1, x2 = int(max(x - radius, 1)), int(min(x + radius, width - 1))
            y1, y2 = int(max(y - radius, 1)), int(min(y + radius, height - 1))
            if x2 - x1 < 1 or y2 - y1 < 1:
                continue
            maps[k, y1:y2, x1:x2] = _resized_template(x2 - x1, y2 - y1)
    return maps


def _smooth_heatmaps(
    tracks: torch.Tensor, height: int, width: int, sigma: float, radius: float, visible: torch.Tensor | None
) -> torch.Tensor:
    """Sub-pixel blobs combined by maximum: ``(F, height, width)`` float in [0, 1]."""
    dtype = tracks.dtype
    frames = tracks.shape[1]
    ys = torch.arange(height, device=tracks.device, dtype=dtype).view(1, height, 1)
    xs = torch.arange(width, device=tracks.device, dtype=dtype).view(1, 1, width)
    maps = torch.zeros(frames, height, width, device=tracks.device, dtype=dtype)
    for index in range(tracks.shape[0]):  # one point at a time keeps memory at one (F, H, W) map
        point = tracks[index]  # (F, 2)
        distance2 = (xs - point[:, 0].view(frames, 1, 1)) ** 2 + (ys - point[:, 1].view(frames, 1, 1)) ** 2
        blob = torch.exp(-distance2 / (2.0 * sigma**2)) * (distance2 <= radius**2)
        if visible is not None:
            blob = blob * visible[index].to(dtype).view(frames, 1, 1)
        maps = torch.maximum(maps, blob)
    return maps


def gaussian_heatmaps(
    tracks: torch.Tensor,
    height: int,
    width: int,
    sigma: float = DEFAULT_SIGMA,
    radius: float = DEFAULT_RADIUS,
    visible: torch.Tensor | None = None,
    drawing: str = "release",
) -> torch.Tensor:
    """Heatmaps of ``N`` points over ``F`` frames.

    Args:
        tracks: ``(N, F, 2)`` float xy pixels; N may be 0 (all-zero maps).
        height, width: size of the maps.
        sigma: standard deviation of each blob (px); with the ``release`` drawing it must be ``0.4 * radius``.
        radius: half the side of the pasted box (``release``), or the cut-off distance (``smooth``), px.
        visible: optional ``(N, F)`` bool; hidden points draw nothing.
        drawing: ``release`` (default) or ``smooth`` (see the module docstring).

    Returns:
        ``(F, 3, height, width)`` float in [0, 1] (``release``: multiples of 1/255), on the device and (floating)
        dtype of ``tracks``.

    >>> maps = gaussian_heatmaps(torch.tensor([[[40.7, 30.2]]]), 64, 64)
    >>> maps.shape, round(float(maps[0, 0, 30, 40]) * 255), round(float(maps.max()) * 255)
    (torch.Size([1, 3, 64, 64]), 254, 254)
    """
    check_shape(tracks, "N F 2", "tracks")
    if drawing not in DRAWINGS:
        raise InputError(f"`drawing` must be one of {', '.join(DRAWINGS)} but is {drawing!r}.")
    if not (sigma > 0 and radius > 0):
        raise InputError(f"`sigma` and `radius` must be positive but are {sigma!r} and {radius!r}.")
    dtype = tracks.dtype if tracks.is_floating_point() else torch.float32
    frames = tracks.shape[1]
    if drawing == "release":
        if not math.isclose(sigma, radius * TEMPLATE_SIGMA / TEMPLATE_SIZE * 2, rel_tol=1e-9):
            raise InputError(
                f"With the release's drawing `sigma` must be 0.4 x `radius` (its template's shape) but `sigma` is "
                f"{sigma!r} and `radius` {radius!r}; use drawing='smooth' for other blobs."
            )
        seen = None if visible is None else visible.detach().cpu().numpy()
        drawn = release_heatmaps(tracks.detach().cpu().double().numpy(), height, width, radius, seen)
        maps = torch.from_numpy(drawn).to(tracks.device, dtype) / RELEASE_SCALE
    else:
        maps = _smooth_heatmaps(tracks.to(dtype), height, width, sigma, radius, visible)
    # [F, H, W] -> [F, 3, H, W]: the same grey map in every channel
    return maps.unsqueeze(1).expand(frames, 3, height, width).contiguous()
