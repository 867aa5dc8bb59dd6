"""CLIP preprocessing of the keyframes, step for step as the release (SVD's pipeline in diffusers 0.24) does it.

The release maps the image to [-1, 1], blurs it with a Gaussian (sigma ``(factor - 1) / 2`` per axis, kernel
``max(4 sigma, 3)`` rounded up to odd, reflect padding; skimage's anti-aliasing rule), resizes it bicubically with
``align_corners=True``, maps it back to [0, 1] and normalises it with CLIP's mean and std; no clamping.
PyTorch's own ``antialias=True`` bicubic (clamped) differs from this by up to 0.11-0.25 on real 512x320 frames
(0.003-0.010 on average), mostly at edges: ``align_corners=True`` moves the sampling grid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from framer.checks import check_shape

__all__ = ["clip_preprocess", "release_resize"]


def _gaussian_kernel(size: int, sigma: torch.Tensor) -> torch.Tensor:
    """Normalised 1-D Gaussian of odd ``size`` taps: ``(size,)`` in ``sigma``'s dtype."""
    x = torch.arange(size, dtype=sigma.dtype) - size // 2
    gauss = torch.exp(-x.pow(2.0) / (2 * sigma.pow(2.0)))
    return gauss / gauss.sum()


def _blur(images: torch.Tensor, kernel: torch.Tensor, vertical: bool) -> torch.Tensor:
    """Depthwise 1-D convolution of ``images (B, C, H, W)`` with reflect padding along one axis."""
    channels = images.shape[1]
    taps = len(kernel)
    weight = kernel.to(images.device, images.dtype).view(1, 1, *((taps, 1) if vertical else (1, taps)))
    before, after = (taps - 1) // 2, taps - 1 - (taps - 1) // 2
    padded = F.pad(images, (0, 0, before, after) if vertical else (before, after, 0, 0), mode="reflect")
    return F.conv2d(padded, weight.expand(channels, 1, -1, -1).contiguous(), groups=channels)


def release_resize(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """diffusers 0.24's ``_resize_with_antialiasing``: Gaussian blur, then bicubic with ``align_corners=True``.

    Args:
        images: ``(B, C, H, W)`` float.
        size: ``(height, width)`` of the result.

    Returns:
        ``(B, C, height, width)``.
    """
    height, width = images.shape[-2:]
    sigmas = [max((old / new - 1.0) / 2.0, 0.001) for old, new in ((height, size[0]), (width, size[1]))]
    taps = [int(max(2.0 * 2 * s, 3)) for s in sigmas]
    taps = [t + 1 if t % 2 == 0 else t for t in taps]  # odd
    sigma_y, sigma_x = torch.tensor(sigmas, dtype=images.dtype)
    blurred = _blur(images, _gaussian_kernel(taps[1], sigma_x), vertical=False)  # x first, as the release
    blurred = _blur(blurred, _gaussian_kernel(taps[0], sigma_y), vertical=True)
    return F.interpolate(blurred, size=size, mode="bicubic", align_corners=True)


def clip_preprocess(
    images: torch.Tensor, size: tuple[int, int], mean: tuple[float, ...], std: tuple[float, ...]
) -> torch.Tensor:
    """CLIP's pixel values from ``images (B, 3, H, W)`` float in [0, 1]: ``(B, 3, size[0], size[1])`` float32.

    The release's order of operations, kept for bit-for-bit agreement: ``x * 2 - 1``, :func:`release_resize`,
    ``(x + 1) / 2``, ``(x - mean) / std``.
    """
    check_shape(images, "B 3 H W", "images")
    x = images.float() * 2.0 - 1.0
    x = (release_resize(x, size) + 1.0) / 2.0
    mean_t = torch.tensor(mean, dtype=torch.float32, device=x.device).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32, device=x.device).view(1, -1, 1, 1)
    return (x - mean_t) / std_t
