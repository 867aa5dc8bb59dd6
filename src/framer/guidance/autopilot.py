"""The autopilot above the engines: turns the matcher's verified matches into what an engine takes.

An engine that pre-aligns (``capabilities.alignment``) gets an :class:`framer.motion.Alignment` fitted to the
matches, refined with the engine's own dense correspondences when it has them (``capabilities.correspondences``),
and, with those, chosen by measurement among plain, global and layered pre-alignment (:func:`autopilot_alignment`);
an engine that only follows tracks (``capabilities.tracks``, e.g. diffusion) gets its most confident spread matches
as straight tracks. Matching itself (:mod:`framer.matching`) knows no engine.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from framer.engines import Engine
from framer.guidance.measure import measure_alignments
from framer.io.tensors import image_to_tensor
from framer.matching import (
    AutopilotConfig,
    AutopilotPlan,
    consistent_flow_samples,
    find_correspondences,
    plan_autopilot,
    refine_correspondences,
)
from framer.motion import Alignment, fit_alignment, layer_regions

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
    """The whole autopilot for one keyframe pair: plan, and when it aligns, the alignment chosen by measurement.

    When the plan says the motion is large, the global alignment is fitted (and refined with the engine's dense
    correspondences when it has them). With ``config.method == "auto"`` and an engine that gives correspondences,
    that alignment, the layered one (:mod:`framer.motion.layers`, one region per motion layer) and plain
    interpolation are then measured at t = 0.5 (:func:`framer.guidance.measure.measure_alignments`: the keyframes
    carried to the middle frame by the network along each) and plain is kept unless a pre-alignment is clearly
    better. The choice is made per gap: one measurement at the gap's middle covers all its times.

    Args:
        engine: an engine, or None; refinement and the measured choice need ``capabilities.correspondences``,
            otherwise the global alignment is used unmeasured.
        image0, image1: keyframes ``(H, W[, C])``, uint8, uint16 or float in [0, 1].
        config: settings; defaults when None.
        frame0, frame1: optional ``(1, C, H, W)`` float tensors of the same keyframes for the engine (made from
            the images when None).
        plan: the result of :func:`framer.matching.plan_autopilot` on these keyframes with this config, if made.

    Returns:
        ``(plan, alignment)``: ``alignment`` is None when the gap is interpolated plainly (``plan.decision`` and
        ``plan.reason`` say why: one of :data:`framer.matching.DECISIONS` other than ``"align"``, or
        ``"plain-measured"``). Otherwise ``plan.decision`` is ``"align"`` (global) or ``"align-layers"``. The
        plan's correspondences are the refined ones.
    """
    config = config or AutopilotConfig()
    plan = plan_autopilot(image0, image1, config) if plan is None else plan
    if not plan.align:
        return plan, None
    measured = config.method == "auto" and engine is not None and engine.capabilities.correspondences
    if engine is not None and (config.refine or measured):
        frame0 = image_to_tensor(image0) if frame0 is None else frame0
        frame1 = image_to_tensor(image1) if frame1 is None else frame1
    refined, alignment = _global_alignment(engine, image0, image1, config, frame0, frame1, plan)
    if not measured:
        return refined, alignment
    candidates = {"align": alignment}
    layered = _layered_alignment(image0, image1, plan, alignment)
    if layered is not None:
        candidates["align-layers"] = layered
    means = measure_alignments(engine, image0, image1, candidates, config.margin, frame0, frame1)
    choice = next(iter(means))
    measures = ", ".join(f"{name} {100 * error:.2f}" for name, error in means.items())
    if choice == "plain":
        reason = (
            f"autopilot measured no clear gain from pre-aligning ({plan.reason}; middle-frame error in %: "
            f"{measures}); interpolating without it"
        )
        return replace(refined, decision="plain-measured", reason=reason), None
    kind = "layered" if choice == "align-layers" else "global"
    reason = f"{plan.reason}; {kind} pre-alignment chosen by measurement (middle-frame error in %: {measures})"
    return replace(refined, decision=choice, reason=reason), candidates[choice]


def _global_alignment(
    engine: Engine | None,
    image0: np.ndarray,
    image1: np.ndarray,
    config: AutopilotConfig,
    frame0: torch.Tensor | None,
    frame1: torch.Tensor | None,
    plan: AutopilotPlan,
) -> tuple[AutopilotPlan, Alignment]:
    """Global similarity + smooth local field fitted to the matches, refined with the engine's consistent dense
    correspondences when it has them; the plan with the refined matches."""
    found = plan.correspondences
    alignment = fit_alignment(
        found.starts, found.ends, found.width, found.height, found.confidence, found.global_motion
    )
    if config.refine and engine is not None and engine.capabilities.correspondences:
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


def _layered_alignment(
    image0: np.ndarray, image1: np.ndarray, plan: AutopilotPlan, overlay: Alignment
) -> Alignment | None:
    """``overlay`` (which places the matches for overlays) pre-aligning by the plan's motion layers, each in its own
    region (:func:`framer.motion.layer_regions`); None without layers or when no layer claims a region."""
    found = plan.correspondences.layers
    if not found:
        return None
    homographies = [layer.homography for layer in found]
    starts, ends = [layer.starts for layer in found], [layer.ends for layer in found]
    layers = layer_regions(image0, image1, homographies, starts, ends)
    return None if layers is None else replace(overlay, layers=layers)


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
