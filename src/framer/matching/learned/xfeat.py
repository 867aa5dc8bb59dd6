"""XFeat, accelerated sparse features (Potje et al., CVPR 2024), written for framer.

Facts from the public release (verlab/accelerated_features): the grey image (mean of the channels) is instance
normalised and its sides are resized (bilinear) down to multiples of 32; a small CNN gives 64-channel descriptors,
a reliability heatmap (both at 1/8 resolution) and 65 keypoint logits per 8x8 cell (64 positions and a dustbin)
computed from the raw pixels of the cell. Keypoints are the softmax's cell positions that are local maxima in a
5x5 window and above 0.05, scored by that value times the bilinearly sampled reliability; the best ``top_k`` keep
their bicubically sampled, L2-normalised descriptor. Parameter names follow the released state dict (the fine
matcher of XFeat* is part of it, so it is built, though the sparse path does not use it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["XFeat", "XFeatFeatures", "detect_xfeat"]


class _Basic(nn.Module):
    """Conv (no bias) -> BatchNorm without affine parameters -> ReLU, named ``layer.{0,1,2}`` as released."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.layer = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_channels, affine=False),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)


def _fine_matcher() -> nn.Sequential:
    layers: list[nn.Module] = []
    for width_in in (128, 512, 512, 512):
        layers += [nn.Linear(width_in, 512), nn.BatchNorm1d(512, affine=False), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, nn.Linear(512, 64))


class XFeat(nn.Module):
    """The XFeat network on ``(B, C, H, W)`` images whose sides are multiples of 32."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(1)
        self.skip1 = nn.Sequential(nn.AvgPool2d(4, stride=4), nn.Conv2d(1, 24, 1))
        self.block1 = nn.Sequential(_Basic(1, 4), _Basic(4, 8, stride=2), _Basic(8, 8), _Basic(8, 24, stride=2))
        self.block2 = nn.Sequential(_Basic(24, 24), _Basic(24, 24))
        self.block3 = nn.Sequential(_Basic(24, 64, stride=2), _Basic(64, 64), _Basic(64, 64, 1))
        self.block4 = nn.Sequential(_Basic(64, 64, stride=2), _Basic(64, 64), _Basic(64, 64))
        self.block5 = nn.Sequential(_Basic(64, 128, stride=2), _Basic(128, 128), _Basic(128, 128), _Basic(128, 64, 1))
        self.block_fusion = nn.Sequential(_Basic(64, 64), _Basic(64, 64), nn.Conv2d(64, 64, 1))
        self.heatmap_head = nn.Sequential(_Basic(64, 64, 1), _Basic(64, 64, 1), nn.Conv2d(64, 1, 1), nn.Sigmoid())
        self.keypoint_head = nn.Sequential(*(_Basic(64, 64, 1) for _ in range(3)), nn.Conv2d(64, 65, 1))
        self.fine_matcher = _fine_matcher()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Descriptors ``(B, 64, h, w)``, keypoint logits ``(B, 65, h, w)``, reliability ``(B, 1, h, w)``; h = H/8."""
        x = self.norm(image.mean(dim=1, keepdim=True))
        x2 = self.block2(self.block1(x) + self.skip1(x))
        x3 = self.block3(x2)
        x4 = self.block4(x3)
        x5 = self.block5(x4)
        size = x3.shape[-2:]
        fused = x3 + F.interpolate(x4, size, mode="bilinear") + F.interpolate(x5, size, mode="bilinear")
        features = self.block_fusion(fused)
        # Each 8x8 cell's 64 pixels become channels (row-major within the cell).
        b, _, h, w = x.shape
        cells = x.reshape(b, 1, h // 8, 8, w // 8, 8).permute(0, 1, 3, 5, 2, 4).reshape(b, 64, h // 8, w // 8)
        return features, self.keypoint_head(cells), self.heatmap_head(features)


@dataclass(frozen=True)
class XFeatFeatures:
    """Keypoints ``(N, 2)`` xy in the network's input pixels, scores ``(N,)``, descriptors ``(N, 64)``."""

    keypoints: torch.Tensor
    scores: torch.Tensor
    descriptors: torch.Tensor


def _heatmap(logits: torch.Tensor) -> torch.Tensor:
    """``(B, 65, h, w)`` logits -> ``(B, 1, 8h, 8w)`` keypoint probabilities (the dustbin dropped)."""
    b, _, h, w = logits.shape
    cells = F.softmax(logits, 1)[:, :64].permute(0, 2, 3, 1).reshape(b, h, w, 8, 8)
    return cells.permute(0, 1, 3, 2, 4).reshape(b, 1, h * 8, w * 8)


@torch.inference_mode()
def detect_xfeat(net: XFeat, image: torch.Tensor, top_k: int = 4096, threshold: float = 0.05) -> XFeatFeatures:
    """Sparse keypoints of one ``(1, C, H, W)`` image whose sides are multiples of 32 (see the module docstring)."""
    features, logits, reliability = net(image)
    features = F.normalize(features, dim=1)
    heat = _heatmap(logits)
    peaks = (heat == F.max_pool2d(heat, 5, stride=1, padding=2)) & (heat > threshold)
    points = peaks[0, 0].nonzero().flip(-1)  # (N, 2) xy, row-major order as upstream
    height, width = image.shape[-2:]
    scale = torch.tensor([width - 1, height - 1], dtype=torch.float32)
    grid = (2.0 * points.float() / scale - 1.0)[None, :, None]
    nearest = F.grid_sample(heat, grid, mode="nearest", align_corners=False)[0, 0, :, 0]
    bilinear = F.grid_sample(reliability, grid, mode="bilinear", align_corners=False)[0, 0, :, 0]
    scores = nearest * bilinear
    scores[(points == 0).all(-1)] = -1.0  # upstream's padding marker: a peak at (0, 0) is dropped
    order = torch.argsort(-scores)[:top_k]
    points, scores = points[order], scores[order]
    descriptors = F.grid_sample(features, grid[:, order], mode="bicubic", align_corners=False)[0, :, :, 0].T
    descriptors = F.normalize(descriptors, dim=-1)
    valid = scores > 0
    return XFeatFeatures(points[valid].float(), scores[valid], descriptors[valid])
