"""The flow engine: drives an IFNet (padding, colour order, times, devices); the network itself sees tensors only."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from framer.checks import check_frame_pair, check_times
from framer.device import resolve_device
from framer.engines import register_engine
from framer.engines.base import Capabilities, Engine, ScoredFrame
from framer.engines.flow.architectures import BuiltNetwork, build_network
from framer.engines.flow.backends import (
    make_runner,
    resolve_backend,
    tune_allocator,
)
from framer.engines.flow.drag import plan_drag, steer_frame
from framer.engines.flow.model import PYRAMID_SCALES, IFNetOutput
from framer.errors import InputError
from framer.io.tensors import tensor_to_float_image
from framer.motion import Alignment, compose_flow, compose_frame, warp_pair
from framer.ops.pad import pad_to_multiple, unpad
from framer.ops.quality import confidence_from_error, flow_error
from framer.registry import ModelEntry, default_model, get_model_entry
from framer.weights import check_local_weights, check_state_dict, load_state_dict, resolve_weights

__all__ = ["FlowEngine"]

logger = logging.getLogger(__name__)

# Peak host memory of one interpolation with the v4.25 weights, measured by benchmarks/speed.py over 448x256 to
# 1920x1088 (torch backend, allocator kept from returning memory by backends.tune_allocator, 1 thread, 2026-12-03):
# RSS after model load ~320 MiB, then 650-720 bytes per padded pixel at 720p and 1080p (1010 at 448x256, where
# the fixed costs weigh more); 900 leaves room for more threads and the allocator's fragmentation.
_BYTES_PER_PIXEL = 900
_BASELINE_BYTES = 350 * 2**20


def _build_network(entry: ModelEntry) -> BuiltNetwork:
    return build_network(entry)  # the network of entry.architecture, its colour order and capabilities


@register_engine("flow")
class FlowEngine(Engine):
    """Interpolates with a registered flow model (default ``rife.v4_25``); the model loads once.

    Args:
        model: registered model name (``framer models`` lists them); None for the default.
        weights: a local weight file; None fetches the registered weights into the cache on first use.
        device: ``cpu``, ``cuda``, ``mps`` or ``auto``.
        threads: CPU threads for PyTorch (process-wide); None keeps PyTorch's choice.
        download: allow fetching missing weights with pip.
        scale: pyramid scale of the network, one of 0.25, 0.5, 1.0 (upstream RIFE's ``scale``): below 1 the
            network estimates the motion at a reduced resolution, which reaches further (for large motion or 4K
            input) but loses detail; 1.0 is the network as trained.
        strict_weights: refuse a ``weights`` file whose SHA-256 differs from the registered model's weights; by
            default such a file (fine-tuned, or damaged) is used with a warning.
        backend: where the network runs (:mod:`framer.engines.flow.backends`): ``torch``, ``onnxruntime`` or
            ``openvino`` (CPU; the network exported to ONNX once per size and cached), or ``auto``, the fastest
            installed one by a measured table. The exported backends run single RGB pairs; other calls use PyTorch.
        precision: ``fp32``; ``bf16`` runs the convolutions in bfloat16 (CPU with AVX-512 BF16 or AMX, or CUDA),
            ``fp16`` in float16 (CUDA); flows, warps and the blend stay float32 (torch backend).
    """

    name = "flow"
    capabilities = Capabilities(tracks=True, alignment=True, correspondences=True, tiles=True)

    def __init__(
        self,
        model: str | None = None,
        weights: str | os.PathLike | None = None,
        device: str | torch.device | None = "cpu",
        threads: int | None = None,
        download: bool = True,
        scale: float = 1.0,
        strict_weights: bool = False,
        backend: str = "auto",
        precision: str = "fp32",
    ) -> None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or float(scale) not in PYRAMID_SCALES:
            choices = ", ".join(f"{choice:g}" for choice in PYRAMID_SCALES)
            raise InputError(f"`scale` must be one of {choices} but is {scale!r}.")
        self.scale = float(scale)
        if not isinstance(strict_weights, bool):
            raise InputError(f"`strict_weights` must be True or False but is {strict_weights!r}.")
        self.entry = get_model_entry(model, engine="flow") if model else default_model("flow")
        self.device = resolve_device(device)
        self.backend, self.precision = resolve_backend(backend, precision, self.device), precision
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InputError(f"`threads` must be an integer >= 1 but is {threads!r}.")
            torch.set_num_threads(threads)
        path = resolve_weights(self.entry.weights, self.entry.name, weights, download=download)
        if weights is not None:  # the cached file was verified when fetched; a user's file is checked here
            check_local_weights(path, self.entry.weights, self.entry.name, strict=strict_weights)
        self.net, self.channel_order, self.capabilities = _build_network(self.entry)
        drop = self.entry.weights.drop_prefixes if self.entry.weights else ()
        self._load(path, drop)
        self.net.eval().requires_grad_(False).to(self.device)
        # The architecture declares the backends and precisions its network runs on.
        if precision not in self.capabilities.precisions:
            raise InputError(f"Model {self.entry.name} runs in fp32 only, not in `precision` {precision}.")
        if self.backend not in self.capabilities.backends:
            if backend != "auto":
                name = self.entry.name
                raise InputError(f"Model {name} runs on the torch backend only, not on `backend` {backend}.")
            self.backend = "torch"
        if self.device.type == "cpu":
            tune_allocator()
        self._runner = make_runner(self.net, self.backend, precision, self.scale, self.entry.name)

    def identity(self) -> dict:
        """Engine, model and device; the pyramid scale, backend and precision when not the defaults (they change
        the in-betweens' pixels, if only slightly)."""
        identity = {"engine": self.name, "model": self.entry.name, "device": str(self.device)}
        if self.scale != 1.0:
            identity["scale"] = self.scale
        if self.backend != "torch":
            identity["backend"] = self.backend
        if self.precision != "fp32":
            identity["precision"] = self.precision
        return identity

    def _load(self, path: os.PathLike, drop_prefixes: tuple[str, ...]) -> None:
        state = load_state_dict(path, drop_prefixes)
        check_state_dict(state, self.net.state_dict(), path, f"model {self.entry.name}")
        self.net.load_state_dict(state, strict=True)

    def memory_needed(self, height: int, width: int) -> int:
        multiple = self.pad_multiple
        padded = (-(-height // multiple) * multiple) * (-(-width // multiple) * multiple)
        return _BASELINE_BYTES + _BYTES_PER_PIXEL * padded

    @property
    def pad_multiple(self) -> int:
        """Frames are padded to multiples of this before the network sees them (64, or 128 at scale 0.5)."""
        return self.net.config.pad_multiple_at(self.scale)

    def _to_network(self, frame: torch.Tensor) -> torch.Tensor:
        frame = frame.to(self.device, torch.float32)
        if self.channel_order == "bgr":
            frame = torch.cat((frame[:, :3].flip(1), frame[:, 3:]), 1)
        return pad_to_multiple(frame, self.pad_multiple, zero_channels=3)

    def _from_network(self, frame: torch.Tensor, height: int, width: int) -> torch.Tensor:
        frame = unpad(frame, height, width)
        if self.channel_order == "bgr":
            frame = torch.cat((frame[:, :3].flip(1), frame[:, 3:]), 1)
        return frame.clamp_(0.0, 1.0)

    def _net(self, x0: torch.Tensor, x1: torch.Tensor, t: float, **features: torch.Tensor):
        """The network at this engine's pyramid scale, on its backend and precision."""
        return self._runner(x0, x1, t, **features)

    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
    ) -> Iterator[torch.Tensor]:
        """Yield ``(B, C, H, W)`` float frames in [0, 1] at each time; any H, W (padded inside, cropped back).

        Args:
            tracks: optional drag trajectories ``(N, len(times) + 2, 2)``, xy pixels, sampled at times
                ``0, *times, 1``: the content under each start point is moved along its track (B must be 1).
            alignment: optional motion model for large motion (:func:`framer.motion.fit_alignment`):
                at each time both keyframes are pre-aligned to that time and the network finds only the residual
                motion (B must be 1; not together with ``tracks``).
        """
        for scored in self._iter(frame0, frame1, times, tracks, alignment, score=False):
            yield scored.frame

    def iter_scored(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
        **options,
    ) -> Iterator[ScoredFrame]:
        """The frames of :meth:`iter_frames`, each with a confidence from the network's own flows.

        The confidence comes from :func:`framer.ops.quality.flow_error` of the network's final flows: how far the
        two (pre-aligned) keyframes warped to t disagree, how far the keyframes differ at all, and how far t is
        from the nearer keyframe. Its cost is one extra warp per frame (not paid by :meth:`iter_frames`). With drag
        tracks it scores the network's frame before steering.
        """
        if options:
            raise InputError(f"The flow engine takes no options {sorted(options)}.")
        return self._iter(frame0, frame1, times, tracks, alignment, score=True)

    @torch.inference_mode()
    def _iter(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None,
        alignment: Alignment | None,
        score: bool,
    ) -> Iterator[ScoredFrame]:
        """The frames at ``times``; each with its confidence when ``score``, else NaN (not computed)."""
        check_frame_pair(frame0, frame1)
        times = check_times(times)
        if alignment is not None:
            yield from self._iter_aligned(frame0, frame1, times, alignment, tracks, score)
            return
        height, width = frame0.shape[-2:]
        x0, x1 = self._to_network(frame0), self._to_network(frame1)
        # Frame features do not depend on t: computed once for all in-betweens of the pair, and the frame the last
        # pair ended with (a video's next pair starts with it) is not encoded again.
        features0, features1 = self._runner.features(x0), self._runner.features(x1)
        plan = None
        if tracks is not None:
            tracks = check_tracks(tracks, len(times), frame0)
            forward = self._net(x0, x1, 0.0, features0=features0, features1=features1).flow[:, 2:4]
            image0, image1 = tensor_to_float_image(frame0), tensor_to_float_image(frame1)
            plan = plan_drag(image0, image1, tensor_to_float_image(unpad(forward, height, width)), tracks)
        for index, t in enumerate(times):
            out = self._net(x0, x1, t, features0=features0, features1=features1)
            frame = self._from_network(out.frame, height, width)
            if plan is not None:
                flow = tensor_to_float_image(unpad(out.flow, height, width))
                current, at = tensor_to_float_image(frame), tracks[:, index + 1]
                steered = steer_frame(plan, image0, image1, current, flow[..., :2], flow[..., 2:], t, at)
                frame = torch.from_numpy(steered).permute(2, 0, 1).unsqueeze(0)
            confidence = _confidence(x0, x1, out, t, height, width) if score else math.nan
            yield ScoredFrame(frame.to(frame0.device), confidence)

    def _iter_aligned(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: list[float],
        alignment: Alignment,
        tracks: np.ndarray | None,
        score: bool,
    ) -> Iterator[ScoredFrame]:
        """The frames at ``times``, the keyframe pair pre-aligned to each frame's time (see :mod:`framer.motion`)."""
        check_alignment(alignment, frame0, tracks)
        height, width = frame0.shape[-2:]
        source0, source1 = frame0.to(self.device, torch.float32), frame1.to(self.device, torch.float32)
        for t in times:
            map0, map1 = alignment.maps(t)
            warped0, warped1 = warp_pair(source0, source1, map0, map1)
            x0, x1 = self._to_network(warped0), self._to_network(warped1)
            out = self._net(x0, x1, t)
            flow, mask = unpad(out.flow, height, width), unpad(out.mask, height, width)
            frame = compose_frame(source0, source1, warped0, warped1, map0, map1, flow, mask, alignment.sampling)
            confidence = _confidence(x0, x1, out, t, height, width) if score else math.nan
            yield ScoredFrame(frame.clamp_(0.0, 1.0).to(frame0.device), confidence)

    @torch.inference_mode()
    def correspondence_maps(
        self, frame0: torch.Tensor, frame1: torch.Tensor, alignment: Alignment, t: float = 0.5
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense correspondences through the frame at time ``t``, found by the network on the pre-aligned pair.

        The network runs twice, on the pair in both orders; the two answers are averaged and their disagreement
        tells where they can be trusted (a forward-backward check).

        Returns:
            ``(to0, to1, disagreement)``: for each pixel of the frame at ``t``, ``(H, W, 2)`` float32 its position
            in keyframe 0 and in keyframe 1, and ``(H, W)`` the largest distance (px) between the two runs' answers.
        """
        check_frame_pair(frame0, frame1)
        check_alignment(alignment, frame0, None)
        check_times([t])
        height, width = frame0.shape[-2:]
        source0, source1 = frame0.to(self.device, torch.float32), frame1.to(self.device, torch.float32)
        map0, map1 = alignment.maps(t)
        warped0, warped1 = warp_pair(source0, source1, map0, map1)
        x0, x1 = self._to_network(warped0), self._to_network(warped1)
        forward = tensor_to_float_image(unpad(self._net(x0, x1, t).flow, height, width))
        backward = tensor_to_float_image(unpad(self._net(x1, x0, 1.0 - t).flow, height, width))
        grid = np.stack(np.meshgrid(np.arange(width), np.arange(height)), axis=-1).astype(np.float32)
        to0 = [compose_flow(map0, flow) + grid for flow in (forward[..., :2], backward[..., 2:])]
        to1 = [compose_flow(map1, flow) + grid for flow in (forward[..., 2:], backward[..., :2])]
        disagreement = np.maximum(np.linalg.norm(to0[0] - to0[1], axis=-1), np.linalg.norm(to1[0] - to1[1], axis=-1))
        return 0.5 * (to0[0] + to0[1]), 0.5 * (to1[0] + to1[1]), disagreement


def _confidence(x0: torch.Tensor, x1: torch.Tensor, out: IFNetOutput, t: float, height: int, width: int) -> float:
    """The confidence of one network output at ``t`` on the (padded) pair ``x0``, ``x1``, scored unpadded."""
    crop = [unpad(x, height, width) for x in (x0, x1, out.flow)]
    return float(confidence_from_error(flow_error(*crop, t)).min())


def check_alignment(alignment: Alignment, frame0: torch.Tensor, tracks: np.ndarray | None) -> None:
    """Check an alignment fits a single ``(1, C, H, W)`` frame pair and comes without drag tracks."""
    if not isinstance(alignment, Alignment):
        raise InputError(f"`alignment` must be an Alignment (from fit_alignment), not {type(alignment).__name__}.")
    if tracks is not None:
        raise InputError("Give either `tracks` (drag steering) or `alignment` (pre-alignment), not both.")
    if frame0.shape[0] != 1:
        raise InputError(f"Pre-alignment needs a batch of one frame pair but got a batch of {frame0.shape[0]}.")
    height, width = frame0.shape[-2:]
    if (alignment.width, alignment.height) != (width, height):
        raise InputError(
            f"`alignment` was fitted to {alignment.width}x{alignment.height} keyframes but the keyframes are "
            f"{width}x{height}."
        )


def check_tracks(tracks: np.ndarray, num_times: int, frame0: torch.Tensor) -> np.ndarray:
    """Check drag tracks ``(N, num_times + 2, 2)`` are finite and fit a single ``(1, C, H, W)`` frame pair."""
    tracks = np.asarray(tracks, dtype=np.float64)
    if frame0.shape[0] != 1:
        raise InputError(f"Drag trajectories need a batch of one frame pair but got a batch of {frame0.shape[0]}.")
    if tracks.ndim != 3 or tracks.shape[1] != num_times + 2 or tracks.shape[2] != 2 or len(tracks) == 0:
        raise InputError(
            f"`tracks` must have shape (N, {num_times + 2}, 2) (points at t = 0, each time, 1) but has {tracks.shape}."
        )
    if not np.isfinite(tracks).all():
        raise InputError("`tracks` holds NaN or infinite coordinates.")
    return tracks
