"""Structural similarity as the MATLAB reference code of Wang et al. computes it (Gaussian window, valid region).

Convention (``ssim_index.m`` of Wang, Bovik, Sheikh and Simoncelli, 2004, as the interpolation papers use it):

- window: 11x11 Gaussian, sigma 1.5, normalized to sum 1 (``fspecial('gaussian', 11, 1.5)``);
- constants: ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2`` with ``L = 1`` for images in [0, 1];
- local statistics are Gaussian-weighted means with the population (biased) variance, computed only where the
  window lies inside the image (``filter2(..., 'valid')``), so the map is ``(H - 10, W - 10)``;
- the score of an image is the mean of its map; colour images are scored on each RGB channel and the three scores
  averaged (the default, as the interpolation papers report it), or on the BT.601 luma Y (``channel="y"``, as
  MATLAB's ``rgb2ycbcr`` and the super-resolution papers compute it);
- no automatic downsampling: ``ssim.m`` (2009) shrinks images larger than 256 pixels on the short side first; that
  variant is not implemented, and it changes nothing for Vimeo-90K's 448x256 frames.

It equals ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1)`` (checked against committed values in the tests).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from framer.errors import InputError
from framer.metrics._checks import check_image_pair, work_dtype

__all__ = ["WINDOW_SIGMA", "WINDOW_SIZE", "rgb_to_y", "ssim"]

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1 = 0.01
K2 = 0.03

# ITU-R BT.601 luma for RGB in [0, 1], in [16, 235] / 255 (MATLAB's rgb2ycbcr on doubles).
_Y_WEIGHTS = (65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0)
_Y_OFFSET = 16.0 / 255.0


def rgb_to_y(images: torch.Tensor) -> torch.Tensor:
    """BT.601 luma of ``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 1, H, W)`` in [16/255, 235/255]."""
    weights = torch.tensor(_Y_WEIGHTS, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True) + _Y_OFFSET


def _gaussian_1d(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``(11,)`` Gaussian taps, sigma 1.5, summing to 1; its outer product is ``fspecial('gaussian', 11, 1.5)``."""
    offsets = torch.arange(WINDOW_SIZE, dtype=dtype, device=device) - (WINDOW_SIZE - 1) / 2
    taps = torch.exp(-offsets.square() / (2 * WINDOW_SIGMA**2))
    return taps / taps.sum()


def _filter_valid(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter of each channel, valid region only: ``(N, C, H, W)`` -> ``(N, C, H-10, W-10)``."""
    channels = x.shape[1]
    rows = taps.view(1, 1, 1, -1).expand(channels, 1, 1, WINDOW_SIZE)
    cols = taps.view(1, 1, -1, 1).expand(channels, 1, WINDOW_SIZE, 1)
    return F.conv2d(F.conv2d(x, rows, groups=channels), cols, groups=channels)


def ssim_map(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SSIM map of each channel, ``(B, C, H, W)`` -> ``(B, C, H-10, W-10)`` (inputs unchecked, range 1)."""
    taps = _gaussian_1d(pred.dtype, pred.device)
    c1, c2 = K1**2, K2**2
    # [B, C, H, W] x 5 -> [5B, C, H, W]: one filtering pass for all local moments.
    moments = _filter_valid(torch.cat([pred, target, pred * pred, target * target, pred * target]), taps)
    mu_x, mu_y, xx, yy, xy = moments.chunk(5)
    var_x = xx - mu_x.square()
    var_y = yy - mu_y.square()
    cov = xy - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    denominator = (mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2)
    return numerator / denominator


def ssim(pred: torch.Tensor, target: torch.Tensor, channel: Literal["rgb", "y"] = "rgb") -> torch.Tensor:
    """SSIM of each image of ``pred`` against ``target`` (MATLAB/Wang variant, see the module docstring).

    Statistics are computed in float64 (float32 on MPS).

    Args:
        pred: ``(B, 3, H, W)`` float in [0, 1], H and W >= 11.
        target: ``(B, 3, H, W)`` float in [0, 1].
        channel: ``"rgb"`` averages the scores of the three channels; ``"y"`` scores the BT.601 luma only.

    Returns:
        ``(B,)`` SSIM in [-1, 1] (1 for identical images), in the dtype of ``pred``.
    """
    if channel not in ("rgb", "y"):
        raise InputError(f"`channel` must be 'rgb' or 'y' but is {channel!r}.")
    check_image_pair(pred, target, min_size=WINDOW_SIZE)
    dtype = work_dtype(pred)
    x, y = pred.to(dtype), target.to(dtype)
    if channel == "y":
        x, y = rgb_to_y(x), rgb_to_y(y)
    # [B, C, H-10, W-10] -> [B]: the mean over channels of per-channel means is the mean of the whole map.
    return ssim_map(x, y).flatten(1).mean(dim=1).to(pred.dtype)
