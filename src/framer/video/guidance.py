"""Guided in-betweens on video: drag trajectories and the autopilot, per pair of source frames.

Drag trajectories (``docs/trajectory-format.md``, section "Video") run in *sequence time* over a span of source
frames, as they run over the keyframes of ``framer tween``: source frame ``i`` of the span ``first..last`` sits at
``u = (i - first) / (last - first)``, and an output frame at time ``t`` of the gap between source frames ``a`` and
``b`` at ``u(a + t * (b - a))``. Each gap inside the span gets its piece of the trajectories, sampled at the gap's
output times, as the engine's ``tracks``; gaps outside the span are not steered.

The autopilot runs on each gap as it does for two keyframes (matching, then pre-alignment or plain interpolation);
its per-gap messages are kept at debug level and one summary is logged at the end. Fast camera motion is what the
autopilot is for, and also what the scene-cut measure can mistake for a cut (the colours change as new content
enters); with the autopilot on, a cut candidate whose frames the autopilot would pre-align with many verified matches
is one scene moving far, and is interpolated instead of copied. With tiles, the matching and the
motion model are made on whole frames, the keyframes are pre-aligned on whole frames too, and only the network's
residual interpolation of the pre-aligned pair runs tile by tile (so content that moves from one tile into another
is still found).
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
import torch

from framer.engines import Engine
from framer.errors import InputError
from framer.trajectory import (
    Trajectory,
    TrajectoryFile,
    check_trajectories,
    coerce_trajectories,
    load_trajectories,
    sample_trajectories,
)
from framer.video.reader import VideoInfo
from framer.video.tiling import iter_tiled

if TYPE_CHECKING:
    from framer.engines.flow.align import Alignment
    from framer.matching import AutopilotConfig, AutopilotPlan

__all__ = [
    "PairGuide",
    "VideoDrags",
    "check_engine",
    "count_frames",
    "iter_aligned_tiled",
    "job_identity",
    "prepare_drags",
]

logger = logging.getLogger(__name__)

_AUTOPILOT_LOGGER = "framer.matching.autopilot"
_CUT_MATCHES = 3  # verified matches, in multiples of the autopilot's ``min_matches``, that overrule a cut
_ALIGN_KNOTS = 9  # samples of a trajectory's piece per gap when it is used as the autopilot's correspondences


@dataclasses.dataclass(frozen=True)
class VideoDrags:
    """Drag trajectories over the source frames ``first..last`` (inclusive), in the video's pixels.

    Attributes:
        trajectories: checked against the frame size.
        first, last: source frame indices where the trajectories' time is 0 and 1.
    """

    trajectories: list[Trajectory]
    first: int
    last: int

    def covers(self, a: int, b: int) -> bool:
        """True when the gap between source frames ``a < b`` lies inside the span (then it is steered)."""
        return self.first <= a < b <= self.last

    def sequence_times(self, a: int, b: int, times: Sequence[float]) -> np.ndarray:
        """``(T,)`` the trajectories' times of gap ``a -> b`` at its local ``times`` in [0, 1]."""
        local = np.asarray(times, dtype=np.float64)
        return (a + local * (b - a) - self.first) / (self.last - self.first)

    def tracks(self, a: int, b: int, times: Sequence[float]) -> np.ndarray:
        """``(N, len(times) + 2, 2)`` the trajectories at source frame ``a``, at each of ``times``, at ``b``."""
        return sample_trajectories(self.trajectories, self.sequence_times(a, b, [0.0, *times, 1.0]))[0]

    def alignment(self, a: int, b: int, width: int, height: int) -> Alignment:
        """Pre-alignment of gap ``a -> b`` with the trajectories' piece as correspondences (autopilot + drags)."""
        from framer.engines.flow.align import fit_alignment_along

        times = self.sequence_times(a, b, np.linspace(0.0, 1.0, _ALIGN_KNOTS))
        return fit_alignment_along(self.trajectories, times, width, height)

    def identity(self) -> dict:
        """What makes the output differ: the span and every trajectory's points, times and interpolation."""
        return {
            "frames": [self.first, self.last],
            "trajectories": [
                {
                    "points": trajectory.points.tolist(),
                    "times": None if trajectory.times is None else trajectory.times.tolist(),
                    "interpolation": trajectory.interpolation,
                }
                for trajectory in self.trajectories
            ],
        }


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


def _parse_span(frames: object) -> tuple[int, int] | None:
    if frames is None:
        return None
    if isinstance(frames, str):
        parts = frames.split(":")
        try:
            values = [int(part) for part in parts]
        except ValueError:
            values = []
    elif isinstance(frames, Sequence):
        values = list(frames)
    else:
        values = []
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise InputError(
            f"`trajectory_frames` must be two source frame indices (first, last) such as (12, 36) but is {frames!r}."
        )
    return values[0], values[1]


def prepare_drags(trajectories: object, frames: object, info: VideoInfo, num_frames: int) -> VideoDrags:
    """Check trajectories (as ``framer.interpolate`` takes them) and their span of source frames against a video.

    A trajectory file drawn on frames of another size is rescaled to the video's size; other trajectories are in
    the video's pixels.

    Args:
        trajectories: a list of :class:`Trajectory`, ``--drag`` strings, point lists or objects, a
            :class:`TrajectoryFile`, or a ``.json`` path.
        frames: ``(first, last)`` or ``"FIRST:LAST"`` source frame indices where the trajectories' time is 0 and 1;
            None: the whole video.
        info, num_frames: the video and how many frames it holds.

    Raises:
        InputError: one sentence naming the rule broken (a point outside the frame, a span beyond the video).
    """
    width, height = info.width, info.height
    if isinstance(trajectories, TrajectoryFile):
        result = trajectories.for_size(width, height)
    elif isinstance(trajectories, os.PathLike) or (isinstance(trajectories, str) and trajectories.endswith(".json")):
        result = load_trajectories(trajectories).for_size(width, height)
    else:
        result = coerce_trajectories(trajectories)
    if not result:
        raise InputError("`trajectories` is empty; give at least one trajectory or leave it out.")
    result = check_trajectories(result, width, height)
    span = _parse_span(frames)
    if num_frames < 2:
        raise InputError(f"Drag trajectories need a video of at least 2 frames but {info.path} holds {num_frames}.")
    first, last = span if span is not None else (0, num_frames - 1)
    if not 0 <= first < last:
        raise InputError(
            f"The drag frames (--drag-frames, `trajectory_frames`) {first}:{last} must be a first source frame >= 0 "
            "and a later last one."
        )
    if last > num_frames - 1:
        seconds, rate = float(num_frames / info.frame_rate), float(info.frame_rate)
        raise InputError(
            f"The drag frames (--drag-frames, `trajectory_frames`) {first}:{last} end after the video, whose last "
            f"frame is {num_frames - 1} ({num_frames} frames, about {seconds:.2f} s at {rate:g} fps)."
        )
    return VideoDrags(result, first, last)


def check_engine(engine: Engine, pilot: AutopilotConfig | None, drags: VideoDrags | None) -> None:
    """The engine must take ``alignment`` for the autopilot and ``tracks`` for drag trajectories (steered without
    the autopilot; with it they pre-align)."""
    parameters = inspect.signature(engine.iter_frames).parameters
    if pilot is not None and "alignment" not in parameters:
        raise InputError(f"`autopilot` needs an engine that pre-aligns keyframes (flow), not {engine.name!r}.")
    if drags is not None and pilot is None and "tracks" not in parameters:
        raise InputError(f"Drag trajectories need an engine that follows them (flow), not {engine.name!r}.")


def iter_aligned_tiled(
    engine: Engine,
    frame0: torch.Tensor,
    frame1: torch.Tensor,
    times: Sequence[float],
    alignment: Alignment,
    tile: int,
    overlap: int,
) -> Iterator[torch.Tensor]:
    """Pre-aligned interpolation with tiles: yields ``(1, C, H, W)`` in [0, 1] for each time.

    At each time both whole keyframes ``(1, C, H, W)`` are pre-aligned to it with ``alignment`` (fitted on whole
    frames), and the engine interpolates the pre-aligned pair at that time tile by tile
    (:func:`framer.video.tiling.iter_tiled`). The engine's own pre-aligned path composes the network's residual
    motion with the alignment and samples each keyframe once; here the pre-aligned pair is sampled a second time,
    which softens fine texture slightly but needs nothing from the engine beyond ``iter_frames``.
    """
    from framer.engines.flow.align import warp_pair

    for t in times:
        map0, map1 = alignment.maps(t)
        warped0, warped1 = warp_pair(frame0, frame1, map0, map1)
        yield from iter_tiled(engine, warped0, warped1, [t], tile, overlap)


class _Drop(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def _muted(name: str) -> Iterator[None]:
    """Drop the records of logger ``name`` while inside (the autopilot's per-pair messages)."""
    target = logging.getLogger(name)
    drop = _Drop()
    target.addFilter(drop)
    try:
        yield
    finally:
        target.removeFilter(drop)


class PairGuide:
    """Interpolates the gaps of a video with the options that guide it: drag trajectories and the autopilot.

    ``frames(a, b, image0, image1, frame0, frame1, times)`` is the only entry: it picks, per gap, drag steering
    (gap inside the trajectories' span), pre-alignment from the trajectories (the same, with the autopilot on), the
    autopilot's own decision, or plain interpolation, tiled when ``tile`` is set. It counts what it did; call
    :meth:`log_summary` once at the end.
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
        self.engine, self.tile, self.overlap, self.drags, self.pilot = engine, tile, overlap, drags, pilot
        self.decisions: Counter[str] = Counter()
        self.steered = 0
        self._plans: dict[tuple[int, int], AutopilotPlan] = {}

    def same_scene(self, a: int, b: int, image0: np.ndarray, image1: np.ndarray) -> bool:
        """For a scene-cut candidate between source frames ``a`` and ``b`` (images ``(H, W, 3)``): True when the
        autopilot is on and would pre-align them with at least ``3 * min_matches`` verified matches, so the frames
        show one scene moving far rather than two scenes. Always False without the autopilot."""
        if self.pilot is None:
            return False
        from framer.matching import plan_autopilot

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
    ) -> Iterator[torch.Tensor]:
        """The in-betweens ``(1, C, H, W)`` of source frames ``a`` and ``b`` (images ``(H, W, 3)``, tensors
        ``(1, 3, H, W)`` in [0, 1]) at ``times``."""
        drags = self.drags if self.drags is not None and self.drags.covers(a, b) else None
        alignment = None
        if drags is not None and self.pilot is not None:
            alignment = drags.alignment(a, b, frame0.shape[-1], frame0.shape[-2])
            self.decisions["trajectories"] += 1
        elif drags is not None:
            self.steered += 1
            return self.engine.iter_frames(frame0, frame1, times, tracks=drags.tracks(a, b, times))
        elif self.pilot is not None:
            alignment = self._autopilot(a, b, image0, image1, frame0, frame1)
        if alignment is None:
            if self.tile:
                return iter_tiled(self.engine, frame0, frame1, times, self.tile, self.overlap)
            return self.engine.iter_frames(frame0, frame1, times)
        if self.tile:
            return iter_aligned_tiled(self.engine, frame0, frame1, times, alignment, self.tile, self.overlap)
        return self.engine.iter_frames(frame0, frame1, times, alignment=alignment)

    def _autopilot(
        self, a: int, b: int, image0: np.ndarray, image1: np.ndarray, frame0: torch.Tensor, frame1: torch.Tensor
    ) -> Alignment | None:
        from framer.matching import autopilot_alignment, plan_autopilot

        plan = self._plans.pop((a, b), None) or plan_autopilot(image0, image1, self.pilot)
        self.decisions[plan.decision] += 1
        logger.debug("Source frames %d-%d: %s.", a, b, plan.reason)
        if not plan.align:
            return None
        with _muted(_AUTOPILOT_LOGGER):
            _, alignment = autopilot_alignment(self.engine, image0, image1, self.pilot, frame0, frame1, plan=plan)
        return alignment

    def log_summary(self) -> None:
        """One message for the whole video: how many gaps were steered, pre-aligned, or left to the network."""
        if self.drags is not None:
            used = self.steered + self.decisions["trajectories"]
            how = "pre-aligned with" if self.pilot is not None else "steered by"
            logger.info("Drag: %d source gap%s %s the trajectories.", used, "" if used == 1 else "s", how)
        if self.pilot is None:
            return
        counts = self.decisions
        total = sum(counts[name] for name in ("align", "small-motion", "too-few-matches", "unreliable-matches"))
        if total == 0:
            return
        fell_back = counts["too-few-matches"] + counts["unreliable-matches"]
        message = (
            f"Autopilot: {counts['align']} of {total} source gap{'' if total == 1 else 's'} pre-aligned, "
            f"{counts['small-motion']} with small motion left to the network"
        )
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
        ``trajectories``), ``steered`` (gaps steered by drag trajectories) and ``not-a-cut`` (cut candidates the
        autopilot found to be one scene moving far)."""
        result = {name: count for name, count in self.decisions.items() if count}
        if self.steered:
            result["steered"] = self.steered
        return result


def job_identity(drags: VideoDrags | None, pilot: AutopilotConfig | None) -> dict:
    """The part of a video job's description (its resume key) that guidance adds."""
    return {
        "trajectories": None if drags is None else drags.identity(),
        "autopilot": None if pilot is None else dataclasses.asdict(pilot),
    }
