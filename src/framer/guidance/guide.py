"""One per-gap guidance object for every caller: what steers each gap, decided once, then handed to the engine.

:class:`Guide` is made once per job with the engine, the drag trajectories and the autopilot settings, refusing what
the engine cannot do (from its declared :class:`framer.engines.Capabilities`). For each gap, :meth:`Guide.plan`
returns a :class:`GapPlan`: drag ``tracks``, a pre-``alignment`` (from the trajectories or the autopilot), or
nothing, with the decision and one sentence saying why; :meth:`Guide.frames` runs the engine with it. The guide
counts its decisions (:meth:`Guide.counts`) instead of logging; callers log what they want to show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from framer.engines import Engine, ScoredFrame
from framer.errors import InputError
from framer.guidance.autopilot import autopilot_alignment, autopilot_tracks
from framer.guidance.drags import Drags, Span
from framer.matching import AutopilotConfig, AutopilotPlan
from framer.motion import Alignment
from framer.trajectory import Trajectory

__all__ = ["FALLBACKS", "GapPlan", "Guide"]

FALLBACKS = ("too-few-matches", "unreliable-matches")  # autopilot decisions that fell back to plain interpolation


@dataclass(frozen=True, eq=False)
class GapPlan:
    """What guides one gap.

    Attributes:
        decision: ``"plain"`` (no guidance asked for), ``"steered"`` (drag tracks), ``"trajectories"`` (pre-aligned
            with the drag trajectories), ``"tracks"`` (the autopilot's matches as tracks), or the autopilot's
            decision: ``"align"`` (global pre-alignment), ``"align-layers"`` (layered pre-alignment),
            ``"plain-measured"`` (large motion, but measured no better than plain), ``"small-motion"``,
            ``"too-few-matches"``, ``"unreliable-matches"``.
        reason: one sentence saying why ("" for plain and drag gaps).
        tracks: ``(N, len(times) + 2, 2)`` drag tracks for the engine, or None.
        alignment: the pre-alignment for the engine, or None.
        refine_tracks: the tracks are estimates the engine may refine (autopilot tracks).
        found: the autopilot's matches as trajectories (shown in overlays), empty otherwise.
    """

    decision: str
    reason: str = ""
    tracks: np.ndarray | None = None
    alignment: Alignment | None = None
    refine_tracks: bool = False
    found: list[Trajectory] = field(default_factory=list)

    def engine_options(self) -> dict:
        """Keyword arguments for :meth:`Engine.iter_frames`."""
        if self.alignment is not None:
            return {"alignment": self.alignment}
        if self.tracks is not None:
            return {"tracks": self.tracks, "refine_tracks": True} if self.refine_tracks else {"tracks": self.tracks}
        return {}


class Guide:
    """Plans and runs the gaps of one job with its drag trajectories and autopilot settings.

    Args:
        engine: the engine; its capabilities decide how guidance reaches it.
        drags: drag trajectories in sequence time (:mod:`framer.guidance.drags`), or None.
        autopilot: autopilot settings, or None for off. With drags as well, the drags are the correspondences.

    Raises:
        InputError: the engine cannot take the guidance asked for.
    """

    def __init__(self, engine: Engine, drags: Drags | None = None, autopilot: AutopilotConfig | None = None) -> None:
        can = engine.capabilities
        if autopilot is not None and not (can.alignment or can.tracks):
            raise InputError(f"`autopilot` needs an engine that pre-aligns or follows tracks, not {engine.name!r}.")
        if drags is not None and not (autopilot is not None and can.alignment):
            engine.require(tracks=True)  # steered by the drags themselves
        self.engine, self.drags, self.autopilot = engine, drags, autopilot
        self.decisions: Counter[str] = Counter()

    @property
    def aligns(self) -> bool:
        """True when the autopilot works by pre-alignment (else, with the autopilot on, by tracks)."""
        return self.autopilot is not None and self.engine.capabilities.alignment

    def plan(
        self,
        image0: np.ndarray,
        image1: np.ndarray,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        span: Span | None = None,
        known: AutopilotPlan | None = None,
    ) -> GapPlan:
        """The guidance of one gap.

        Args:
            image0, image1: the gap's keyframes as images ``(H, W[, C])`` (for matching).
            frame0, frame1: the same as engine tensors ``(1, C, H, W)``.
            times: the gap's output times in (0, 1).
            span: where the gap lies in the drag trajectories' time; None: the drags do not cover it.
            known: the autopilot's plan for this pair, if already made (e.g. by a scene-cut check).
        """
        plan = self._plan(image0, image1, frame0, frame1, list(times), span, known)
        self.decisions[plan.decision] += 1
        return plan

    def _plan(self, image0, image1, frame0, frame1, times, span, known) -> GapPlan:
        if self.drags is not None and span is not None:
            if self.aligns:
                width, height = frame0.shape[-1], frame0.shape[-2]
                return GapPlan("trajectories", alignment=self.drags.alignment(span, width, height))
            return GapPlan("steered", tracks=self.drags.tracks(span, times))
        if self.autopilot is None:
            return GapPlan("plain")
        if not self.aligns:
            limit = self.engine.capabilities.track_limit
            tracks, reason = autopilot_tracks(image0, image1, self.autopilot, limit, times)
            decision = "tracks" if tracks is not None else "too-few-matches"
            return GapPlan(decision, reason, tracks=tracks, refine_tracks=self.engine.capabilities.refines_tracks)
        plan, alignment = autopilot_alignment(self.engine, image0, image1, self.autopilot, frame0, frame1, known)
        found = plan.correspondences.trajectories(alignment)
        return GapPlan(plan.decision, plan.reason, alignment=alignment, found=found)

    def frames(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], plan: GapPlan
    ) -> Iterator[ScoredFrame]:
        """The engine's in-betweens ``(1, C, H, W)`` of one gap at ``times`` with its plan, each with the engine's
        confidence (:meth:`Engine.iter_scored`)."""
        return self.engine.iter_scored(frame0, frame1, times, **plan.engine_options())

    def counts(self) -> dict[str, int]:
        """Guided or autopilot gaps per decision (only decisions that occurred; plain gaps are not counted)."""
        return {name: count for name, count in self.decisions.items() if count and name != "plain"}
