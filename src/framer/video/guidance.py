"""Guided in-betweens on video: drag trajectories and the autopilot, per pair of source frames.

Drag trajectories (``docs/trajectory-format.md``, section "Video") run in *sequence time* over a span of source
frames, as they run over the keyframes of ``framer tween``: the gap between source frames ``a`` and ``b`` inside the
span ``first..last`` is the :class:`framer.guidance.Span` ``(a, b, first, last)``; gaps outside the span are not
steered. Every gap is planned by the same :class:`framer.guidance.Guide` as :func:`framer.interpolate` uses; this
module adds what only video has: the span over source frames, the scene-cut check, the tiles, one summary at the end.

Fast camera motion is what the autopilot is for, and also what the scene-cut measure can mistake for a cut (the
colours change as new content enters); with the autopilot on, a cut candidate whose frames the autopilot would
pre-align with many verified matches is one scene moving far, and is interpolated instead of copied. With tiles, the
engine is wrapped in :class:`framer.engines.tiling.TiledEngine`: matching and the motion model use whole frames, and
only the network's residual interpolation runs tile by tile.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import torch

from framer.engines import Engine, ScoredFrame
from framer.engines.tiling import TiledEngine
from framer.errors import InputError
from framer.guidance import Drags, Guide, Span, load_drags
from framer.matching import AutopilotConfig, AutopilotPlan, plan_autopilot
from framer.parsing import parse_span
from framer.video.reader import VideoInfo

__all__ = ["VideoDrags", "VideoGuide", "count_frames", "job_identity", "prepare_drags"]

logger = logging.getLogger(__name__)

_CUT_MATCHES = 3  # verified matches, in multiples of the autopilot's ``min_matches``, that overrule a cut


@dataclasses.dataclass(frozen=True)
class VideoDrags:
    """Drag trajectories over the source frames ``first..last`` (inclusive), in the video's pixels."""

    drags: Drags
    first: int
    last: int

    def span(self, a: int, b: int) -> Span | None:
        """The gap ``a -> b`` in the trajectories' time, or None when it lies outside ``first..last``."""
        span = Span(a, b, self.first, self.last)
        return span if span.covered_by(self.first, self.last) else None

    def identity(self) -> dict:
        """What makes the output differ: the span and every trajectory's points, times and interpolation."""
        return {"frames": [self.first, self.last], "trajectories": self.drags.identity()}


def count_frames(source: Path, info: VideoInfo) -> int:
    """How many frames the source holds: the files of a folder, or the video packets of a file (demuxed only,
    nothing decoded, so this is fast even for long videos)."""
    if info.is_folder and info.num_frames:
        return info.num_frames
    count = 0
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size > 0:
                count += 1
    return count


def prepare_drags(
    trajectories: object, frames: object, info: VideoInfo, num_frames: int, *, rescale: bool = False
) -> VideoDrags:
    """Check trajectories (as ``framer.interpolate`` takes them) and their span of source frames against a video.

    A trajectory file drawn on frames of another size is scaled to the video's size when its shape is the video's
    (or with ``rescale``, stretched to it); other trajectories are in the video's pixels.

    Args:
        trajectories: a list of :class:`Trajectory`, ``--drag`` strings, point lists or objects, a
            :class:`TrajectoryFile`, or a ``.json`` path.
        frames: ``(first, last)`` or ``"FIRST:LAST"`` source frame indices where the trajectories' time is 0 and 1;
            None: the whole video.
        info, num_frames: the video and how many frames it holds.

    Raises:
        InputError: one sentence naming the rule broken (a point outside the frame, a span beyond the video).
    """
    result = load_drags(trajectories, (info.width, info.height), rescale=rescale)
    span = None if frames is None else parse_span(frames)
    if num_frames < 2:
        raise InputError(f"Drag trajectories need a video of at least 2 frames but {info.path} holds {num_frames}.")
    first, last = span if span is not None else (0, num_frames - 1)
    if not 0 <= first < last:
        raise InputError(
            f"The drag frames `trajectory_frames` {first}:{last} must be a first source frame >= 0 "
            "and a later last one."
        )
    if last > num_frames - 1:
        seconds, rate = float(num_frames / info.frame_rate), float(info.frame_rate)
        raise InputError(
            f"The drag frames `trajectory_frames` {first}:{last} end after the video, whose last "
            f"frame is {num_frames - 1} ({num_frames} frames, about {seconds:.2f} s at {rate:g} fps)."
        )
    return VideoDrags(Drags(tuple(result)), first, last)


class VideoGuide:
    """Interpolates the gaps of a video with the options that guide it: drag trajectories and the autopilot.

    ``frames(a, b, image0, image1, frame0, frame1, times)`` is the only entry: the gap is planned by the shared
    :class:`framer.guidance.Guide` (drag steering inside the trajectories' span, pre-alignment from the trajectories
    with the autopilot on, the autopilot's own decision, or plain interpolation) and made by the engine, tiled when
    ``tile`` is set. Call :meth:`log_summary` once at the end.

    Raises:
        InputError: at construction, for guidance the engine (or tiling) cannot take.
    """

    def __init__(
        self,
        engine: Engine,
        tile: int | None,
        overlap: int,
        drags: VideoDrags | None = None,
        pilot: AutopilotConfig | None = None,
    ) -> None:
        if drags is not None and pilot is None and tile:
            raise InputError(
                f"Drag trajectories need whole frames, but the frames are interpolated in tiles of {tile} px; "
                "pass --tile 0 if they fit in memory, --autopilot to pre-align with them instead, or downscale the "
                "video."
            )
        worker = TiledEngine(engine, tile, overlap) if tile else engine
        self.guide = Guide(worker, None if drags is None else drags.drags, pilot)
        self.drags, self.pilot = drags, pilot
        self._plans: dict[tuple[int, int], AutopilotPlan] = {}

    @property
    def decisions(self):
        return self.guide.decisions

    def same_scene(self, a: int, b: int, image0: np.ndarray, image1: np.ndarray) -> bool:
        """For a scene-cut candidate between source frames ``a`` and ``b`` (images ``(H, W, 3)``): True when the
        autopilot pre-aligns and would pre-align them with at least ``3 * min_matches`` verified matches, so the
        frames show one scene moving far rather than two scenes. Always False without the autopilot."""
        if self.pilot is None or not self.guide.aligns:
            return False
        plan = plan_autopilot(image0, image1, self.pilot)
        if plan.align and plan.correspondences.verified >= _CUT_MATCHES * self.pilot.min_matches:
            self._plans[(a, b)] = plan
            self.decisions["not-a-cut"] += 1
            logger.debug("Source frames %d-%d look like a scene cut, but %s.", a, b, plan.reason)
            return True
        return False

    def frames(
        self,
        a: int,
        b: int,
        image0: np.ndarray,
        image1: np.ndarray,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: list[float],
    ) -> Iterator[ScoredFrame]:
        """The in-betweens ``(1, C, H, W)`` of source frames ``a`` and ``b`` (images ``(H, W, 3)``, tensors
        ``(1, 3, H, W)`` in [0, 1]) at ``times``, each with the engine's confidence."""
        span = None if self.drags is None else self.drags.span(a, b)
        plan = self.guide.plan(image0, image1, frame0, frame1, times, span, self._plans.pop((a, b), None))
        if plan.reason:
            logger.debug("Source frames %d-%d: %s.", a, b, plan.reason)
        return self.guide.frames(frame0, frame1, times, plan)

    def log_summary(self) -> None:
        """One message for the whole video: how many gaps were steered, pre-aligned, or left to the network."""
        if self.drags is not None:
            used = self.decisions["steered"] + self.decisions["trajectories"]
            how = "pre-aligned with" if self.pilot is not None else "steered by"
            logger.info("Drag: %d source gap%s %s the trajectories.", used, "" if used == 1 else "s", how)
        if self.pilot is None:
            return
        counts = self.decisions
        decided = ("align", "align-layers", "plain-measured", "small-motion", "too-few-matches", "unreliable-matches")
        total = sum(counts[name] for name in decided)
        if total == 0:
            return
        fell_back = counts["too-few-matches"] + counts["unreliable-matches"]
        message = (
            f"Autopilot: {counts['align'] + counts['align-layers']} of {total} source gap{'' if total == 1 else 's'} "
            f"pre-aligned, {counts['small-motion']} with small motion left to the network"
        )
        if counts["plain-measured"]:
            message += f", {counts['plain-measured']} measured no better pre-aligned and left to the network"
        if counts["not-a-cut"]:
            message += (
                f"; {counts['not-a-cut']} of the gaps looked like scene cuts but the matches show one scene moving "
                "far, so they were interpolated"
            )
        if fell_back:
            message += (
                f", {fell_back} interpolated plainly because the matches were too few ({counts['too-few-matches']}) "
                f"or unreliable ({counts['unreliable-matches']})"
            )
        logger.log(logging.WARNING if fell_back else logging.INFO, "%s.", message)

    def counts(self) -> dict[str, int]:
        """Gaps per decision (``align``, ``small-motion``, ``too-few-matches``, ``unreliable-matches``,
        ``trajectories``, ``tracks``), ``steered`` (gaps steered by drag trajectories) and ``not-a-cut`` (cut
        candidates the autopilot found to be one scene moving far)."""
        return self.guide.counts()


def job_identity(drags: VideoDrags | None, pilot: AutopilotConfig | None) -> dict:
    """The part of a video job's description (its resume key) that guidance adds."""
    return {
        "trajectories": None if drags is None else drags.identity(),
        "autopilot": None if pilot is None else dataclasses.asdict(pilot),
    }
