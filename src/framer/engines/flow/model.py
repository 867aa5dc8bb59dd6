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

Less work for the same pictures (the frame differs from the network run plainly by float rounding at most):
the work that depends on the pair only (:class:`PairContext`) is done once for all its times; a block that
resizes its input by 1/16, 1/8 or 1/4 gets warps at only the pixels that resizing reads (:class:`_Taps`); each
block's output stays at its own resolution and is upsampled only where and when it is read (:class:`_FlowSum`:
straight to the next block's resolution or its taps; in full for the warps of the blocks that read every pixel);
the last block computes only the flow and mask it returns; full-size inputs are not concatenated but convolved
part by part, each made only when its turn comes (:class:`Deferred`), and a full-size warp resized by 1/2 is made
a band of rows at a time, which keeps the peak memory down; the frames are warped from channels-last copies on the
CPU, where the blocks may also be stored channels-last (:meth:`IFNet.with_blocks_in`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from framer.ops.warp import backward_warp

__all__ = ["PYRAMID_SCALES", "IFNet", "IFNetConfig", "IFNetOutput", "PairContext"]

PYRAMID_SCALES = (0.25, 0.5, 1.0)  # the pyramid scales offered (upstream also has 2 and 4, for small input)
# Block inputs from this many pixels on are resized and convolved part by part rather than concatenated first
# (measured at 720p, 1 thread: the full-size concatenation cost more than the extra convolution calls).
_SPLIT_PIXELS = 1 << 18
# Full-size warps that are resized by 1/2 right away are made this many rows at a time (an even number).
_BAND_ROWS = 128


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


@dataclass(frozen=True)
class Deferred:
    """Block input parts made only when the block's first convolution reaches them: at full size the parts are
    convolved one after the other, so deferred ones never exist together (at 1080p a full-size channel is 8 MB).

    ``make`` returns one or more parts (consecutive along the channels, e.g. views of one tensor made in one go);
    ``shape`` (their concatenation's), ``dtype`` and ``device`` describe them.
    """

    make: Callable[[], tuple[torch.Tensor, ...]]
    shape: tuple[int, ...]
    dtype: torch.dtype
    device: torch.device


Part = torch.Tensor | Deferred


def _made(part: Part) -> tuple[torch.Tensor, ...]:
    return part.make() if isinstance(part, Deferred) else (part,)


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
        self,
        x: torch.Tensor | Sequence[Part],
        order: tuple[int, ...] | None = None,
        compute_dtype: torch.dtype | None = None,
        last: bool = False,
    ) -> torch.Tensor:
        """``x`` ``(B, C, h, w)`` the block's input at its resolution (flow channels in pixels of that resolution)
        -> ``(B, 5 + hidden, h, w)``: flow delta (in pixels of the full size once upsampled and multiplied by the
        block's level), mask logit, hidden features; the caller upsamples what it needs, where it needs it.

        ``x`` may also come as the list of its parts along the channels, which saves making it at full size: there
        the first convolution runs on each part and sums (a :class:`Deferred` part is made just before its turn).
        ``order``: the block's input channel that each channel of the parts' concatenation holds (default: in
        order), so that parts can be whole tensors (e.g. a frame warped with its features) rather than slices.

        ``compute_dtype`` (e.g. ``torch.bfloat16``) runs the convolutions alone in that precision (autocast, or, when
        the block's weights are stored in it, the whole block on its input converted once); what they return is
        cast back to float32 before it becomes a flow, so flows and warp coordinates stay float32.
        ``last``: no block follows, so the hidden features (8 of the 13 output channels) are not computed.
        """
        parts = [x] if torch.is_tensor(x) else list(x)
        dtype = parts[0].dtype
        weight, layout = self.lastconv[0].weight, self.layout
        if weight.dtype == (compute_dtype or dtype) and (weight.dtype != dtype or layout == torch.channels_last):
            # stored in that precision and layout (IFNet.with_blocks_in): the input made in it once, no casts inside
            features = self._conv0(parts, order, weight.dtype, layout)
            out = self._upsample(self.convblock(features), last)
            return out.to(dtype, memory_format=torch.contiguous_format)
        if compute_dtype is None or compute_dtype == dtype:
            return self._upsample(self.convblock(self._conv0(parts, order)), last)
        with torch.autocast(parts[0].device.type, dtype=compute_dtype):
            out = self._upsample(self.convblock(self._conv0(parts, order)), last)
        return out.to(dtype)

    def _conv0(
        self,
        parts: list[Part],
        order: tuple[int, ...] | None,
        dtype: torch.dtype | None = None,
        layout: torch.memory_format = torch.contiguous_format,
    ) -> torch.Tensor:
        """``conv0`` of the concatenation of ``parts`` (input channels ``order``), its first convolution's input made
        in ``dtype`` (default the parts') and ``layout`` at once.

        At full size the concatenation is not made: a convolution is a sum over its input channels, so each part's
        convolution with its slice of the weights adds up to the whole one (up to float rounding), in the parts'
        precision; the 4x smaller sum is then converted (cheaper than converting every input).
        """
        first, act = self.conv0[0]
        weight = first.weight if order is None else first.weight[:, list(order)]
        if len(parts) == 1 or not _full_size(parts):
            dtype = dtype or parts[0].dtype
            made = [tensor for part in parts for tensor in _made(part)]
            x = made[0].to(dtype, memory_format=layout) if len(made) == 1 else _stack((tuple(made),), layout, dtype)
            return self.conv0[1](act(F.conv2d(x, weight, first.bias, first.stride, first.padding)))
        out, start = None, 0
        for part in parts:  # a deferred part is let go (on the helper's return) before the next is made
            out, start = _convolve_parts(_made(part), weight, first, out, start)
        out = act(out.add_(first.bias.to(out.dtype).view(1, -1, 1, 1)))
        return self.conv0[1](out.to(dtype or out.dtype, memory_format=layout))

    @property
    def layout(self) -> torch.memory_format:
        """The memory format its weights are stored in (:meth:`IFNet.with_blocks_in`)."""
        return _layout_of(self.lastconv[0].weight)

    def _upsample(self, features: torch.Tensor, last: bool) -> torch.Tensor:
        """``lastconv``; with ``last`` only its flow and mask channels (the pixel shuffle takes 4 per channel)."""
        if not last:
            return self.lastconv(features)
        deconv, shuffle = self.lastconv
        keep = 4 * 5  # flow (4) and mask (1), 4 sub-pixel phases each: the first 20 deconvolution outputs
        out = F.conv_transpose2d(features, deconv.weight[:, :keep], deconv.bias[:keep], deconv.stride, deconv.padding)
        return shuffle(out)


@dataclass
class PairContext:
    """The work of :meth:`IFNet.forward` that depends on the frame pair only, done once for all its times.

    Attributes:
        sources: ``(2B, 3 + F, H, W)`` both frames' RGB with their features, frame0's first (what the blocks warp).
        frames: ``(2B, C, H, W)`` both frames, all channels (what the final blend warps).
        first_input: ``(B, 6 + 2F, H / s, W / s)`` the first block's input but its time plane, already resized to
            that block's level ``s`` (resizing is per channel, so this equals resizing the whole input).
        scale: the pyramid scale it was made for.
    """

    sources: torch.Tensor
    frames: torch.Tensor
    first_input: torch.Tensor
    scale: float


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

    def with_blocks_in(self, dtype: torch.dtype, layout: torch.memory_format = torch.channels_last) -> IFNet:
        """A copy whose blocks store their weights in ``dtype`` and ``layout`` (the encoder in ``layout``, float32).

        With :meth:`forward`'s ``compute_dtype`` equal to ``dtype`` each block then converts its input once and
        runs in that precision and layout throughout, rather than autocast casting every convolution's input and
        weights (and promoting the residual sums back to float32): on a CPU with AVX-512 BF16, bfloat16 blocks in
        channels-last measured 1.3x faster than under autocast at 720p, and the whole network 1.3-1.5x faster than
        float32. On the CPU float32 blocks in channels-last (``dtype`` float32) are also faster than in the default
        layout, by 4-9% of the whole network's time at 448x256 to 1920x1080 on 2 threads, at the same values.
        """
        copy = IFNet(self.config)
        copy.load_state_dict(self.state_dict())
        copy.eval().requires_grad_(False).to(next(self.parameters()).device)
        for block in copy.blocks:
            block.to(dtype=dtype, memory_format=layout)
        copy.encode.to(memory_format=layout)  # in float32: 1.4x faster in channels-last at 720p, same values
        return copy

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, C>=3, H, W)`` -> features ``(B, feature_channels, H, W)`` of the first 3 channels."""
        return self.encode(frames[:, :3])

    def pair_context(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        features0: torch.Tensor,
        features1: torch.Tensor,
        scale: float = 1.0,
    ) -> PairContext:
        """The per-pair part of :meth:`forward` (frames and features as there), to pass to it for every time."""
        rgb0, rgb1 = frame0[:, :3], frame1[:, :3]
        # On the CPU the warps read channels-last copies (all channels of a pixel together: measured 1.7x faster at
        # 720p), written in place rather than concatenated and then converted.
        layout = torch.channels_last if frame0.device.type == "cpu" else torch.contiguous_format
        sources = _stack(((rgb0, features0), (rgb1, features1)), layout)
        # RGB frames are the sources' first channels (a view: no second copy at full size)
        frames = sources[:, :3] if frame0.shape[1] == 3 else _stack(((frame0,), (frame1,)), layout)
        parts = (rgb0, rgb1, features0, features1)
        level = self.config.level_scales(scale)[0]
        taps = _Taps.of(level, *frame0.shape[-2:], frame0.device)
        if taps is not None:  # the pixels the resizing reads, resized by 1/2: the same values (see _Taps)
            first_input = _resize(torch.cat([taps.gather(part) for part in parts], 1), 0.5)
        else:
            first_input = torch.cat(parts, 1)
            first_input = first_input if level == 1 else _resize(first_input, 1 / level)
        return PairContext(sources=sources, frames=frames, first_input=first_input, scale=scale)

    def forward(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        t: torch.Tensor | float = 0.5,
        features0: torch.Tensor | None = None,
        features1: torch.Tensor | None = None,
        scale: float = 1.0,
        compute_dtype: torch.dtype | None = None,
        context: PairContext | None = None,
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
            context: optional :meth:`pair_context` of this pair, features and ``scale`` (reused across times;
                ``features0`` and ``features1`` are then not looked at).
        """
        batch = frame0.shape[0]
        if context is None:
            if features0 is None:
                features0 = self.encode_frames(frame0)
            if features1 is None:
                features1 = self.encode_frames(frame1)
            context = self.pair_context(frame0, frame1, features0, features1, scale)
        if not torch.is_tensor(t):
            t = torch.tensor([float(t)], dtype=frame0.dtype, device=frame0.device)
        times = t.to(frame0).view(-1, 1, 1, 1)
        sources = context.sources  # (2B, 3 + F, H, W): one grid_sample warps both frames with their features
        levels = self.config.level_scales(scale)
        flow = _FlowSum()
        out = None  # the previous block's output at its own resolution
        order = _frame_major(self.config)
        for index, (block, level) in enumerate(zip(self.blocks, levels, strict=True)):
            last = index == len(levels) - 1
            if out is None:  # resizing a constant plane gives the constant: only the time plane is made per call
                first = context.first_input
                out = block(torch.cat((first, times.expand(batch, 1, *first.shape[-2:])), 1), None, compute_dtype)
            elif level == 1 and _streamed(sources):
                parts = _full_size_parts(sources, times, out[:, 4:], levels[index - 1], flow, block.layout)
                out = block(parts, order, compute_dtype, last)
                del parts
            else:
                # each frame warped with its features is one part; the time plane, the last mask logit and hidden
                # features and the flow (in pixels of this level) another
                rest = _rest(times, out[:, 4:], levels[index - 1], flow, level)  # first: its temporaries go
                warped = self._warped_sources(sources, flow, level)  # (2B, 3 + F, H / level, W / level)
                out = block([warped[:batch], warped[batch:], rest], order, compute_dtype, last)
                del warped, rest
            flow.add(out[:, :4], level)
        mask = out[:, 4:5] if levels[-1] == 1 else _resize(out[:, 4:5], levels[-1])
        final_flow = flow.full()
        warped = backward_warp(context.frames, _split_flow(final_flow))
        weight = torch.sigmoid(mask)
        frame = torch.lerp(warped[batch:], warped[:batch], weight)  # weight * w0 + (1 - weight) * w1
        return IFNetOutput(frame=frame, flow=final_flow, mask=weight)

    @staticmethod
    def _warped_sources(sources: torch.Tensor, flow: _FlowSum, level: float) -> torch.Tensor:
        """Both frames with their features warped by ``flow`` and resized by ``1 / level``, as a block reads them.

        A block at level >= 4 resizes bilinearly by 1/level, which reads 2 of every ``level`` rows and columns:
        only those are warped (the flow evaluated there, see :class:`_Taps`) and resized by 1/2, same values.
        """
        height, width = sources.shape[-2:]
        taps = _Taps.of(level, height, width, sources.device)
        if taps is not None:
            at = (taps.rows, taps.cols)
            return _resize(backward_warp(sources, _split_flow(flow.at(*at)), at=at), 0.5)
        if level == 2 and _streamed(sources):
            return _warped_halved(sources, _split_flow(flow.full()))
        warped = backward_warp(sources, _split_flow(flow.full()))
        return warped if level == 1 else _resize(warped, 1 / level)


class _FlowSum:
    """The flow as the sum of every block's delta, each kept at its block's resolution and upsampled only where and
    when a later block or the output reads it: in full at a block that reads every pixel (and for the output), at
    a coarser block's resolution or at its taps otherwise.

    The full-size flow is the running sum ``upsample(delta_0) * level_0 + upsample(delta_1) * level_1 + ...`` in
    that order, as the network adds them; resizing that sum by 1/level gives the sum of each delta upsampled to
    1/level, which is what :meth:`at_level` computes (same values up to float rounding: every part is linear
    between two samples of its delta, see :func:`_upsample_at`).
    """

    def __init__(self) -> None:
        self.deltas: list[tuple[torch.Tensor, float]] = []
        self._full: torch.Tensor | None = None
        self._summed = 0  # deltas already in _full

    def add(self, delta: torch.Tensor, level: float) -> None:
        """A block's flow delta ``(B, 4, H / level, W / level)`` (in full-size pixels once multiplied by level)."""
        self.deltas.append((delta, level))

    def full(self) -> torch.Tensor:
        """``(B, 4, H, W)``."""
        for delta, level in self.deltas[self._summed :]:
            term = (delta if level == 1 else _resize(delta, level)) * level
            self._full = term if self._full is None else self._full + term
        self._summed = len(self.deltas)
        assert self._full is not None
        return self._full

    def at_level(self, level: float) -> torch.Tensor:
        """The full-size flow resized by ``1 / level``: ``(B, 4, H / level, W / level)`` (the full one at 1)."""
        if level == 1:
            return self.full()
        return functools.reduce(operator.add, (_between(delta, own, level) * own for delta, own in self.deltas))

    def at(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """The full-size flow at pixels ``rows`` x ``cols``: ``(B, 4, len(rows), len(cols))``."""
        terms = (_upsample_at(delta, level, rows, cols) * level for delta, level in self.deltas)
        return functools.reduce(operator.add, terms)


def _straight(level: float, target: float) -> bool:
    """Whether upsampling from 1/``level`` to full size and resizing by 1/``target`` equals upsampling by
    ``level / target`` straight away (up to rounding): when that ratio is an even integer, each pair of full-size
    pixels the resizing averages lies between the same two samples, where the upsampling is linear."""
    ratio = level / target
    return ratio == int(ratio) and int(ratio) % 2 == 0


def _between(tensor: torch.Tensor, level: float, target: float) -> torch.Tensor:
    """``tensor`` at 1/``level`` upsampled to full size and resized by 1/``target``, straight where that is the same
    (:func:`_straight`)."""
    if _straight(level, target):
        return _resize(tensor, level / target)
    return _resize(_resize(tensor, level), 1 / target)


def _upsample_at(tensor: torch.Tensor, factor: float, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Bilinear upsampling of ``tensor`` ``(B, C, h, w)`` by ``factor`` (align_corners False, as :func:`_resize`)
    evaluated only at output ``rows`` x ``cols``: ``(B, C, len(rows), len(cols))``, one axis after the other."""
    return _interpolate_along(_interpolate_along(tensor, 2, rows, factor), 3, cols, factor)


def _interpolate_along(tensor: torch.Tensor, dim: int, index: torch.Tensor, factor: float) -> torch.Tensor:
    size = tensor.shape[dim]
    source = ((index.to(torch.float32) + 0.5) / factor - 0.5).clamp_min(0.0)
    low = source.floor()
    weight = (source - low).to(tensor.dtype)
    low = low.long().clamp_max(size - 1)
    high = (low + 1).clamp_max(size - 1)
    shape = [1] * tensor.dim()
    shape[dim] = -1
    return torch.lerp(tensor.index_select(dim, low), tensor.index_select(dim, high), weight.view(shape))


@dataclass(frozen=True)
class _Taps:
    """The rows and columns that bilinear resizing by ``1 / level`` (align_corners False) reads.

    Output pixel ``i`` sits at input coordinate ``level * i + level / 2 - 0.5``: halfway between pixels
    ``level * i + level / 2 - 1`` and ``level * i + level / 2``, so for an even integer level >= 4 those two of
    every ``level`` rows (and columns) are all it reads; resizing just them by 1/2 reads them with the same
    weights (1/2 each), so the result is the same.
    """

    level: int
    rows: torch.Tensor
    cols: torch.Tensor

    @staticmethod
    def of(level: float, height: int, width: int, device: torch.device) -> _Taps | None:
        """The taps of resizing by ``1 / level``, or None where it reads every pixel (or levels below 4)."""
        if level < 4 or level != int(level) or int(level) % 2:
            return None
        step = int(level)

        def taps(size: int) -> torch.Tensor:
            first = torch.arange(step // 2 - 1, size, step, device=device)
            return torch.stack((first, first + 1), 1).flatten()

        return _Taps(step, taps(height), taps(width))

    def gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor``'s pixels at the taps ``(B, C, 2 H / level, 2 W / level)`` (strided views, one copy each)."""
        step, first = self.level, self.level // 2 - 1
        rows = tensor.unflatten(2, (-1, step))[:, :, :, first : first + 2].flatten(2, 3)
        return rows.unflatten(3, (-1, step))[..., first : first + 2].flatten(3, 4)


def _stack(
    rows: tuple[tuple[torch.Tensor, ...], ...], layout: torch.memory_format, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """``torch.cat([torch.cat(row, 1) for row in rows], 0)`` made in memory format ``layout`` (and ``dtype``, default
    the parts') in one pass: no copy in the parts' layout or precision first."""
    first = rows[0][0]
    dtype = dtype or first.dtype
    if torch.jit.is_tracing() or (layout == torch.contiguous_format and dtype == first.dtype):
        return torch.cat([torch.cat(row, 1) for row in rows], 0).to(dtype)  # an ONNX export has no memory formats
    channels = sum(part.shape[1] for part in rows[0])
    size = (first.shape[0] * len(rows), channels, *first.shape[2:])
    out = torch.empty(size, dtype=dtype, device=first.device, memory_format=layout)
    for index, row in enumerate(rows):
        start, batch = 0, slice(index * first.shape[0], (index + 1) * first.shape[0])
        for part in row:
            out[batch, start : start + part.shape[1]] = part
            start += part.shape[1]
    return out


def _resize(tensor: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(tensor, scale_factor=factor, mode="bilinear", align_corners=False)


def _rest(times: torch.Tensor, state: torch.Tensor, state_level: float, flow: _FlowSum, level: float) -> torch.Tensor:
    """A later block's input after the warped frames: the time plane, the previous block's mask logit and hidden
    features ``state`` (at 1/``state_level``) and the flow in pixels of ``level``, at 1/``level``."""
    state = _between(state, state_level, level)
    plane = times.expand(state.shape[0], 1, *state.shape[-2:])
    flow_in = flow.at_level(level)
    return torch.cat((plane, state, flow_in / level if level != 1 else flow_in), 1)


def _convolve_parts(
    parts: tuple[torch.Tensor, ...], weight: torch.Tensor, conv: nn.Conv2d, out: torch.Tensor | None, start: int
) -> tuple[torch.Tensor, int]:
    """``out`` plus ``conv`` without its bias on ``parts``, the input channels from ``start`` on (``weight``'s
    columns in that order); returns the sum and the next channel."""
    for part in parts:
        end = start + part.shape[1]
        y = F.conv2d(part, weight[:, start:end].to(part.dtype), None, conv.stride, conv.padding)
        out = y if out is None else out.add_(y)
        start = end
    assert out is not None
    return out, start


def _full_size_parts(
    sources: torch.Tensor,
    times: torch.Tensor,
    state: torch.Tensor,
    state_level: float,
    flow: _FlowSum,
    layout: torch.memory_format,
) -> list[Part]:
    """A full-size block's input in the order of :func:`_frame_major`, made as the block reads it: both frames
    warped with their features (one warp for both: frame by frame it was 1.6x slower, grid_sample's threads going by
    frame), the time plane (a view), the previous block's mask logit and hidden features upsampled (straight into
    the block's ``layout``, which its convolution would otherwise copy them to), and the flow (made already). At
    1080p the warped frames (112 MB), the concatenated rest (117 MB) and the convolution's channels-last copy of it
    (117 MB) no longer exist together."""
    batch, channels, height, width = sources.shape
    batch //= 2
    full = flow.full()  # (B, 4, H, W)

    def warped() -> tuple[torch.Tensor, ...]:
        both = backward_warp(sources, _split_flow(full))
        return both[:batch], both[batch:]

    def upsampled() -> tuple[torch.Tensor, ...]:
        return (_between(state.contiguous(memory_format=layout), state_level, 1),)

    return [
        Deferred(warped, (batch, 2 * channels, height, width), sources.dtype, sources.device),
        times.expand(batch, 1, height, width),
        Deferred(upsampled, (batch, state.shape[1], height, width), state.dtype, state.device),
        full,
    ]


def _frame_major(config: IFNetConfig) -> tuple[int, ...]:
    """The later blocks' input channels frame by frame: frame0's colours and features, frame1's, then the time
    plane, mask logit, hidden features and flow (the released order has both frames' colours first)."""
    feat, hidden = config.feature_channels, config.hidden_channels
    frame0 = (0, 1, 2, *range(6, 6 + feat))
    frame1 = (3, 4, 5, *range(6 + feat, 6 + 2 * feat))
    return (*frame0, *frame1, *range(6 + 2 * feat, 6 + 2 * feat + 2 + hidden + 4))


def _full_size(parts: Sequence[Part]) -> bool:
    """Whether a block's input parts are big enough that concatenating them costs more than a convolution each."""
    return parts[0].shape[-2] * parts[0].shape[-1] >= _SPLIT_PIXELS


def _streamed(sources: torch.Tensor) -> bool:
    """Whether full-size work on ``sources`` is made a part or a band at a time (:func:`_full_size_parts`,
    :func:`_warped_halved`) to keep the peak memory down; not in an exported graph, whose runtime plans its own."""
    return _full_size([sources]) and not torch.jit.is_tracing()


def _split_flow(flow: torch.Tensor) -> torch.Tensor:
    """``(B, 4, H, W)`` bidirectional flow -> ``(2B, 2, H, W)`` with frame0's flows first (a view for one pair)."""
    return flow.unflatten(1, (2, 2)).transpose(0, 1).flatten(0, 1)


def _warped_halved(sources: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``backward_warp(sources, flow)`` resized by 1/2 (``(N, C, H / 2, W / 2)``), made a band of rows at a time.

    Resizing by 1/2 reads input rows ``2i`` and ``2i + 1`` for output row ``i`` and nothing else, so each band of an
    even number of rows gives its own output rows, with the same values as the whole: the full-size warp
    (112 MB at 1080p) never exists at once.
    """
    height, width = sources.shape[-2:]
    cols = torch.arange(width, device=sources.device)
    out = None
    for top in range(0, height, _BAND_ROWS):
        bottom = min(height, top + _BAND_ROWS)
        rows = torch.arange(top, bottom, device=sources.device)
        part = _resize(backward_warp(sources, flow[:, :, top:bottom], at=(rows, cols)), 0.5)
        if out is None:
            out = part.new_empty((*part.shape[:2], height // 2, width // 2))
        out[:, :, top // 2 : bottom // 2] = part
    assert out is not None
    return out


def _layout_of(tensor: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if tensor.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
