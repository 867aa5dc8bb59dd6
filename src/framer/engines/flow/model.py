"""IFNet, the intermediate-flow network of RIFE (v4.25 layout), written for framer.

The network sees tensors only: padding, colour order, batching over times and weight loading live in
:mod:`framer.engines.flow.engine`. Parameter names follow the released v4.25 state dict so it loads strictly.

Architecture (facts from the public RIFE v4.25 release): a small encoder (``encode``) turns each frame into 4
feature channels at full resolution; five ``IFBlock``s refine a bidirectional flow ``(B, 4, H, W)`` (t -> frame0
in channels 0-1, t -> frame1 in channels 2-3), a fusion-mask logit and 8 hidden channels, coarse to fine at
scales 16, 8, 4, 2, 1; the frame at time t is the mask-weighted blend of both frames warped by the final flow.

Pyramid scale (as upstream's ``scale`` option, ``scale_list = [16 / scale, ..., 1 / scale]``): with ``scale`` 0.5
every block runs at half its usual resolution (levels 32, 16, 8, 4, 2), so the coarsest level reaches twice as far
at the cost of detail in the final flow; upstream advises it for 4K input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from framer.ops.warp import backward_warp

__all__ = ["PYRAMID_SCALES", "IFNet", "IFNetConfig", "IFNetOutput"]

PYRAMID_SCALES = (0.25, 0.5, 1.0)  # the pyramid scales offered (upstream also has 2 and 4, for small input)


@dataclass(frozen=True)
class IFNetConfig:
    """Hyper-parameters of IFNet; defaults are those of RIFE v4.25."""

    block_channels: tuple[int, ...] = (192, 128, 96, 64, 32)
    scales: tuple[int, ...] = (16, 8, 4, 2, 1)
    encoder_channels: int = 16
    feature_channels: int = 4
    hidden_channels: int = 8
    num_res_blocks: int = 8

    @property
    def pad_multiple(self) -> int:
        """Input sides must be multiples of this: the coarsest scale times the block's 4x downsampling."""
        return self.pad_multiple_at(1.0)

    def level_scales(self, scale: float = 1.0) -> tuple[float, ...]:
        """Each block's downsampling at pyramid ``scale``: ``scales / scale`` (``scales`` itself at 1.0)."""
        return self.scales if scale == 1.0 else tuple(level / scale for level in self.scales)

    def pad_multiple_at(self, scale: float = 1.0) -> int:
        """:attr:`pad_multiple` at pyramid ``scale`` (e.g. 128 at 0.5)."""
        return round(max(self.level_scales(scale)) * 4)

    def to_dict(self) -> dict:
        return asdict(self)


def _conv_act(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.LeakyReLU(0.2, inplace=True))


class FrameEncoder(nn.Module):
    """Per-frame features: ``(B, 3, H, W)`` -> ``(B, feature_channels, H, W)`` (H, W even)."""

    def __init__(self, width: int, out_channels: int) -> None:
        super().__init__()
        self.cnn0 = nn.Conv2d(3, width, 3, 2, 1)
        self.cnn1 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn2 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn3 = nn.ConvTranspose2d(width, out_channels, 4, 2, 1)
        self.relu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.cnn0(x))
        x = self.relu(self.cnn1(x))
        x = self.relu(self.cnn2(x))
        return self.cnn3(x)


class ResidualConv(nn.Module):
    """``act(conv(x) * beta + x)`` with a learned per-channel scale ``beta``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.relu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(torch.addcmul(x, self.conv(x), self.beta))


class IFBlock(nn.Module):
    """One refinement level: inputs at 1/scale, 4x further down inside, outputs upsampled back to full size.

    Output channels: 4 flow + 1 mask logit + ``hidden_channels`` features, hence ``4 * (5 + hidden)`` before the
    pixel shuffle.
    """

    def __init__(self, in_channels: int, width: int, num_res_blocks: int, hidden_channels: int) -> None:
        super().__init__()
        out_channels = 5 + hidden_channels
        self.conv0 = nn.Sequential(_conv_act(in_channels, width // 2, 2), _conv_act(width // 2, width, 2))
        self.convblock = nn.Sequential(*[ResidualConv(width) for _ in range(num_res_blocks)])
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(width, 4 * out_channels, 4, 2, 1), nn.PixelShuffle(2))

    def forward(
        self, x: torch.Tensor, flow: torch.Tensor | None, scale: float, compute_dtype: torch.dtype | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``x`` ``(B, C, H, W)``, ``flow`` ``(B, 4, H, W)`` or None -> flow delta, mask logit, hidden features.

        ``compute_dtype`` (e.g. ``torch.bfloat16``) runs the convolutions alone in that precision (autocast); what
        they return is cast back to float32 before it becomes a flow, so flows and warp coordinates stay float32.
        """
        if scale != 1:
            x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            if scale != 1:
                flow = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear", align_corners=False) / scale
            x = torch.cat((x, flow), 1)
        if compute_dtype is None or compute_dtype == x.dtype:
            out = self.lastconv(self.convblock(self.conv0(x)))
        else:
            with torch.autocast(x.device.type, dtype=compute_dtype):
                out = self.lastconv(self.convblock(self.conv0(x)))
            out = out.to(x.dtype)
        if scale != 1:
            out = F.interpolate(out, scale_factor=scale, mode="bilinear", align_corners=False)
        return out[:, :4] * scale, out[:, 4:5], out[:, 5:]


@dataclass
class IFNetOutput:
    """Result of :meth:`IFNet.forward`.

    Attributes:
        frame: ``(B, C, H, W)`` the blended frame at time t, all input channels (alpha included).
        flow: ``(B, 4, H, W)`` pixels; channels 0-1 sample frame0, 2-3 sample frame1.
        mask: ``(B, 1, H, W)`` in [0, 1], weight of warped frame0 in the blend.
    """

    frame: torch.Tensor
    flow: torch.Tensor
    mask: torch.Tensor


class IFNet(nn.Module):
    """RIFE's intermediate-flow network (v4.25 layout)."""

    def __init__(self, config: IFNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or IFNetConfig()
        feat, hidden = config.feature_channels, config.hidden_channels
        first_in = 3 + 3 + 2 * feat + 1  # frame0, frame1, features of both, time plane
        later_in = first_in + 1 + hidden + 4  # + mask logit, hidden features, previous flow
        for index, width in enumerate(config.block_channels):
            in_channels = first_in if index == 0 else later_in
            self.add_module(f"block{index}", IFBlock(in_channels, width, config.num_res_blocks, hidden))
        self.encode = FrameEncoder(config.encoder_channels, feat)

    @property
    def blocks(self) -> list[IFBlock]:
        return [getattr(self, f"block{i}") for i in range(len(self.config.block_channels))]

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, C>=3, H, W)`` -> features ``(B, feature_channels, H, W)`` of the first 3 channels."""
        return self.encode(frames[:, :3])

    def forward(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        t: torch.Tensor | float = 0.5,
        features0: torch.Tensor | None = None,
        features1: torch.Tensor | None = None,
        scale: float = 1.0,
        compute_dtype: torch.dtype | None = None,
    ) -> IFNetOutput:
        """Synthesise the frame at time ``t`` between ``frame0`` (t=0) and ``frame1`` (t=1).

        Args:
            frame0, frame1: ``(B, C, H, W)`` float in [0, 1], C >= 3 (channels past the third, e.g. alpha, are
                warped and blended but not looked at); H and W multiples of ``config.pad_multiple``.
            t: float or ``(B,)`` tensor of times in [0, 1].
            features0, features1: optional precomputed :meth:`encode_frames` outputs (reused across times).
            scale: pyramid scale (module docstring); H and W must then be multiples of
                ``config.pad_multiple_at(scale)``.
            compute_dtype: optional reduced precision of the blocks' convolutions (``torch.bfloat16`` on CPU,
                ``torch.float16`` or ``torch.bfloat16`` on CUDA); the encoder, flows, warps and blend stay float32.
        """
        batch, _, height, width = frame0.shape
        if features0 is None:
            features0 = self.encode_frames(frame0)
        if features1 is None:
            features1 = self.encode_frames(frame1)
        if not torch.is_tensor(t):
            t = torch.tensor([float(t)], dtype=frame0.dtype, device=frame0.device)
        time_plane = t.to(frame0).view(-1, 1, 1, 1).expand(batch, 1, height, width)

        rgb0, rgb1 = frame0[:, :3], frame1[:, :3]
        # Both frames with their features, stacked on the batch axis so one grid_sample warps all of them:
        # (2B, 3 + F, H, W)
        sources = torch.cat((torch.cat((rgb0, features0), 1), torch.cat((rgb1, features1), 1)), 0)

        flow = mask = hidden = None
        for block, level in zip(self.blocks, self.config.level_scales(scale), strict=True):
            if flow is None:
                x = torch.cat((rgb0, rgb1, features0, features1, time_plane), 1)
                flow, mask, hidden = block(x, None, level, compute_dtype)
            else:
                warped = backward_warp(sources, _split_flow(flow))  # (2B, 3 + F, H, W)
                warped0, warped1 = warped[:batch], warped[batch:]
                parts = [warped0[:, :3], warped1[:, :3], warped0[:, 3:], warped1[:, 3:], time_plane, mask, hidden]
                del warped, warped0, warped1  # peak memory: the full-size warps are not needed past the concatenation
                if level == 1:  # the block would append the flow unchanged: do it here, in one full-size copy
                    x = torch.cat((*parts, flow), 1)
                    del parts
                    delta, mask, hidden = block(x, None, level, compute_dtype)
                else:
                    x = torch.cat(parts, 1)
                    del parts
                    delta, mask, hidden = block(x, flow, level, compute_dtype)
                del x
                flow = flow + delta
        assert flow is not None and mask is not None  # at least one block
        warped = backward_warp(torch.cat((frame0, frame1), 0), _split_flow(flow))
        weight = torch.sigmoid(mask)
        frame = torch.lerp(warped[batch:], warped[:batch], weight)  # weight * w0 + (1 - weight) * w1
        return IFNetOutput(frame=frame, flow=flow, mask=weight)


def _split_flow(flow: torch.Tensor) -> torch.Tensor:
    """``(B, 4, H, W)`` bidirectional flow -> ``(2B, 2, H, W)`` with frame0's flows first."""
    return torch.cat((flow[:, :2], flow[:, 2:4]), 0)
