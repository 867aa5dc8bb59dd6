"""The engine interface every interpolation engine implements, and what an engine declares it can do.

Callers never inspect an engine's signature or attributes: they read :attr:`Engine.capabilities` (what guidance
it takes) and :meth:`Engine.identity` (what makes its output differ, for resume and caching).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from framer.errors import InputError

if TYPE_CHECKING:
    import torch

    from framer.motion import Alignment

__all__ = ["Capabilities", "Engine", "ScoredFrame"]


class ScoredFrame(NamedTuple):
    """One in-between with how far the engine's own signals trust it.

    Attributes:
        frame: ``(B, C, H, W)`` float in [0, 1].
        confidence: in [0, 1]; 1 = fully trusted, near 0 = the engine's signals say it is likely wrong (for a batch,
            the least confident of its frames).
    """

    frame: torch.Tensor
    confidence: float


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond plain in-betweens of a keyframe pair.

    Attributes:
        tracks: follows drag tracks ``(N, len(times) + 2, 2)`` given to :meth:`Engine.iter_frames`.
        alignment: interpolates a keyframe pair pre-aligned by a :class:`framer.motion.Alignment`.
        correspondences: has ``correspondence_maps(frame0, frame1, alignment, t)``: dense, forward-backward checked
            correspondences the autopilot refines its matches with.
        refines_tracks: improves tracks that are estimates (the autopilot's matches) while generating; guidance
            then passes ``refine_tracks=True`` for them.
        track_limit: how many tracks it steers with at most (None: any number); the autopilot keeps that many of
            its most confident, spread matches.
        tiles: can interpolate a frame tile by tile (its output at a pixel depends on a bounded neighbourhood).
        backends: the ``backend=`` values it takes (runtimes of its network; empty: no choice).
        precisions: the ``precision=`` values it takes (empty: no choice).
    """

    tracks: bool = False
    alignment: bool = False
    correspondences: bool = False
    refines_tracks: bool = False
    track_limit: int | None = None
    tiles: bool = False
    backends: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()


class Engine(ABC):
    """Turns two keyframes into the frames between them.

    Frames are ``(B, C, H, W)`` float in [0, 1] with C >= 3 (RGB, then optional extra channels such as alpha,
    which are carried along with the motion); times are in (0, 1).
    """

    name: str = ""
    device: torch.device
    capabilities: Capabilities = Capabilities()

    @abstractmethod
    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
    ) -> Iterator[torch.Tensor]:
        """Yield the frame ``(B, C, H, W)`` for each time in ``times``, in order.

        ``tracks`` (engines with ``capabilities.tracks``) are drag trajectories ``(N, len(times) + 2, 2)`` (xy
        pixels at t = 0, each time, 1): the content under each start point follows its track. ``alignment``
        (engines with ``capabilities.alignment``) pre-aligns the pair to each time before interpolating.
        """

    def iter_scored(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
        **options,
    ) -> Iterator[ScoredFrame]:
        """The frames of :meth:`iter_frames` (same arguments), each with a confidence in [0, 1].

        This default needs nothing from the engine but its frames: it scores how well each frame's content is found
        in the keyframes nearby (:func:`framer.ops.quality.keyframe_support`). Engines with better signals of their
        own (the flow engine: how well its two warped keyframes agree) override it.
        """
        from framer.ops.quality import confidence_from_error, keyframe_support

        guidance = {name: value for name, value in (("tracks", tracks), ("alignment", alignment)) if value is not None}
        for frame in self.iter_frames(frame0, frame1, times, **guidance, **options):
            error = keyframe_support(frame, frame0.to(frame), frame1.to(frame))
            yield ScoredFrame(frame, float(confidence_from_error(error).min()))

    def interpolate(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tracks: np.ndarray | None = None
    ) -> torch.Tensor:
        """All in-betweens at once: ``(B, T, C, H, W)`` for ``T = len(times)``."""
        import torch

        return torch.stack(list(self.iter_frames(frame0, frame1, times, tracks)), dim=1)

    def memory_needed(self, height: int, width: int) -> int:
        """Estimated peak bytes of host memory to interpolate one ``height x width`` pair (0: unknown)."""
        return 0

    def identity(self) -> dict:
        """What makes this engine's frames differ from another's (a resume or cache key): JSON-able values."""
        return {"engine": self.name, "device": str(getattr(self, "device", "cpu"))}

    def require(self, tracks: bool = False, alignment: bool = False) -> None:
        """Refuse guidance this engine cannot take, in one sentence (the one rule for every caller)."""
        if tracks and not self.capabilities.tracks:
            raise InputError(f"Drag trajectories need an engine that follows them (flow), not {self.name!r}.")
        if alignment and not self.capabilities.alignment:
            raise InputError(f"Pre-alignment needs an engine that pre-aligns keyframes (flow), not {self.name!r}.")
