"""Guidance: what steers each gap between two keyframes, above the engines and below the public API.

Data flows keyframes -> guidance -> engine -> frames. Guidance turns the user's drag trajectories
(:mod:`framer.trajectory`, in sequence time) and the autopilot's matches (:mod:`framer.matching`) into what an engine
declares it takes (:class:`framer.engines.Capabilities`): drag tracks, or a pre-alignment from the shared motion model
(:mod:`framer.motion`). :class:`Guide` is the one per-gap decision used by :func:`framer.interpolate`,
:func:`framer.iter_interpolate` and video mode (:mod:`framer.video`). The pixels move in the engines: drag steering in
:mod:`framer.engines.flow.drag`, pre-aligned interpolation in :mod:`framer.engines.flow.engine` with
:mod:`framer.motion.warp`.
"""

from framer.guidance.autopilot import autopilot_alignment, autopilot_tracks
from framer.guidance.drags import Drags, Span, load_drags
from framer.guidance.guide import FALLBACKS, GapPlan, Guide

__all__ = [
    "FALLBACKS",
    "Drags",
    "GapPlan",
    "Guide",
    "Span",
    "autopilot_alignment",
    "autopilot_tracks",
    "load_drags",
]
