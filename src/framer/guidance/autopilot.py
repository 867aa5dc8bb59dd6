"""The autopilot above the engines: turns the matcher's verified matches into what an engine takes.

An engine that pre-aligns (``capabilities.alignment``) gets an :class:`framer.motion.Alignment` fitted to the
matches, refined with the engine's own dense correspondences when it has them (``capabilities.correspondences``);
an engine that only follows tracks (``capabilities.tracks``, e.g. diffusion) gets its most confident spread matches
as straight tracks. Matching itself (:mod:`framer.matching`) knows no engine.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from framer.engines import Engine
from framer.io.tensors import image_to_tensor
from framer.matching import (
    AutopilotConfig,
    AutopilotPlan,
    consistent_flow_samples,
    find_correspondences,
    plan_autopilot,
    refine_correspondences,
)
from framer.motion import Alignment, fit_alignment

__all__ = ["autopilot_alignment", "autopilot_tracks"]


def autopilot_alignment(
    engine: Engine | None,
    image0: np.ndarray,
    image1: np.ndarray,
    config: AutopilotConfig | None = None,
    frame0: torch.Tensor | None = None,
    frame1: torch.Tensor | None = None,
    plan: AutopilotPlan | None = None,
) -> tuple[AutopilotPlan, Alignment | None]:
    """The whole autopilot for one keyframe pair: plan, and when it aligns, the refined alignment.

    Args:
        engine: an engine, or None; refinement needs ``capabilities.correspondences``, otherwise it is skipped.
        image0, image1: keyframes ``(H, W[, C])``, uint8, uint16 or float in [0, 1].
        config: settings; defaults when None.
        frame0, frame1: optional ``(1, C, H, W)`` float tensors of the same keyframes for the engine (made from
            the images when None).
        plan: the result of :func:`framer.matching.plan_autopilot` on these keyframes with this config, if made.

    Returns:
        ``(plan, alignment)``: ``alignment`` is None when the plan says to interpolate plainly (``plan.reason``
        says why). The plan's correspondences are the refined ones.
    """
    config = config or AutopilotConfig()
    plan = plan_autopilot(image0, image1, config) if plan is None else plan
    if not plan.align:
        return plan, None
    found = plan.correspondences
    alignment = fit_alignment(
        found.starts, found.ends, found.width, found.height, found.confidence, found.global_motion
    )
    if config.refine and engine is not None and engine.capabilities.correspondences:
        frame0 = image_to_tensor(image0) if frame0 is None else frame0
        frame1 = image_to_tensor(image1) if frame1 is None else frame1
        to0, to1, disagreement = engine.correspondence_maps(frame0, frame1, alignment, 0.5)
        found = refine_correspondences(found, to0, to1, disagreement, alignment.points_at(0.5))
        starts, ends, weights = found.starts, found.ends, found.confidence
        if config.dense_spacing > 0:
            extra = consistent_flow_samples(to0, to1, disagreement, image0, config.dense_spacing, found.starts)
            starts = np.concatenate([starts, extra[0]])
            ends = np.concatenate([ends, extra[1]])
            weights = np.concatenate([weights, extra[2]])
        alignment = fit_alignment(starts, ends, found.width, found.height, weights, found.global_motion)
        plan = replace(plan, correspondences=found)
    return plan, alignment


def autopilot_tracks(
    image0: np.ndarray, image1: np.ndarray, config: AutopilotConfig, limit: int | None, times: list[float]
) -> tuple[np.ndarray | None, str]:
    """Straight tracks ``(N, len(times) + 2, 2)`` between the most confident spread matches (at most ``limit``),
    at the gap's start, each of ``times`` and its end; None when there are none. Also one sentence saying what was
    found."""
    config = replace(config, count=limit, refine=False) if limit is not None else replace(config, refine=False)
    found = find_correspondences(image0, image1, config)
    if found.shown == 0:
        return None, "autopilot found no verified matches between the keyframes; generating without tracks"
    knots = np.array([0.0, *times, 1.0])[None, :, None]
    starts, ends = found.starts[: found.shown, None], found.ends[: found.shown, None]
    tracks = starts + knots * (ends - starts)
    return tracks, f"autopilot steers with {found.shown} matches as tracks (motion {found.motion:.0f} px)"
