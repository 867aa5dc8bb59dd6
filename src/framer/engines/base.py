"""The engine interface every interpolation engine implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from framer.errors import InputError

__all__ = ["Engine", "resolve_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"cpu"``, ``"cuda[:N]"``, ``"mps"`` or ``"auto"`` -> a device that exists on this machine."""
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"Unknown device {device!r}; use cpu, cuda, cuda:N, mps or auto.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"Device {device!r} was asked for, but this PyTorch build sees no CUDA GPU; use --device cpu."
        )
    if resolved.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise InputError(f"Device {device!r} was asked for, but Apple's MPS is not available here; use --device cpu.")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"Device type {resolved.type!r} is not supported; use cpu, cuda or mps.")
    return resolved


class Engine(ABC):
    """Turns two keyframes into the frames between them.

    Frames are ``(B, C, H, W)`` float in [0, 1] with C >= 3 (RGB, then optional extra channels such as alpha,
    which are carried along with the motion); times are in (0, 1).
    """

    name: str = ""
    device: torch.device

    @abstractmethod
    def iter_frames(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tracks: np.ndarray | None = None
    ) -> Iterator[torch.Tensor]:
        """Yield the frame ``(B, C, H, W)`` for each time in ``times``, in order.

        ``tracks``, when given, are drag trajectories ``(N, len(times) + 2, 2)`` (xy pixels at t = 0, each time, 1):
        the content under each start point follows its track.
        """

    def interpolate(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tracks: np.ndarray | None = None
    ) -> torch.Tensor:
        """All in-betweens at once: ``(B, T, C, H, W)`` for ``T = len(times)``."""
        return torch.stack(list(self.iter_frames(frame0, frame1, times, tracks)), dim=1)

    def memory_needed(self, height: int, width: int) -> int:
        """Estimated peak bytes of host memory to interpolate one ``height x width`` pair (0: unknown)."""
        return 0
