"""Peak signal-to-noise ratio, per image, on RGB in [0, 1] (the Vimeo-90K convention of the interpolation papers)."""

from __future__ import annotations

import torch

from framer.metrics._checks import check_image_pair, work_dtype

__all__ = ["psnr"]


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image of ``pred`` against ``target``, with peak 1: ``-10 log10(MSE)``.

    The mean squared error is taken over the three channels and all pixels of one image, in float64 (float32 on
    MPS); identical images give ``inf``. Benchmarks report the mean of these values over images, not the PSNR of
    the pooled error. Quantize predictions to 8 bits first (``(x * 255).round() / 255``) to match figures that
    were measured on saved frames.

    Args:
        pred: ``(B, 3, H, W)`` float in [0, 1].
        target: ``(B, 3, H, W)`` float in [0, 1].

    Returns:
        ``(B,)`` PSNR in dB, in the dtype of ``pred``.

    >>> x = torch.full((1, 3, 4, 4), 0.5)
    >>> psnr(x + 0.1, x)  # MSE 0.01 -> 20 dB
    tensor([20.0000])
    """
    check_image_pair(pred, target)
    dtype = work_dtype(pred)
    # [B, 3, H, W] -> [B]
    mse = (pred.to(dtype) - target.to(dtype)).square().flatten(1).mean(dim=1)
    return (-10.0 * torch.log10(mse)).to(pred.dtype)
