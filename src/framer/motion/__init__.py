"""The motion model shared by every engine and by video: how content moves between two keyframes.

- :mod:`framer.motion.homography`: global motion (homographies, their interpolation in time as a motion, a robust
  similarity from correspondences);
- :mod:`framer.motion.field`: smooth correction fields through scattered offsets;
- :mod:`framer.motion.layers`: layered pre-alignment, each motion layer moving only the region it explains;
- :mod:`framer.motion.alignment`: :class:`Alignment`, a motion model fitted to correspondences (global + local),
  and the sampling maps that pre-align both keyframes to any time t;
- :mod:`framer.motion.warp`: the pre-aligned pair (:func:`warp_pair`) and the composition of a network's residual
  motion back onto the keyframes (:func:`compose_frame`, :func:`compose_flow`).

Where its neighbours work: correspondences come from :mod:`framer.matching` (the autopilot) or from user
trajectories (:mod:`framer.trajectory`); :mod:`framer.guidance` decides per gap which alignment to use; engines
that declare ``capabilities.alignment`` (the flow engine, :mod:`framer.engines.flow.engine`) interpolate the
pre-aligned pair and compose back. Drag steering that moves pixels along user trajectories without a global model
lives in :mod:`framer.engines.flow.drag`.

Nothing here imports an engine, the matcher or video.
"""

from typing import TYPE_CHECKING

from framer._lazy import lazy_attributes

if TYPE_CHECKING:
    from framer.motion.alignment import Alignment, fit_alignment, fit_alignment_along, identity_alignment
    from framer.motion.field import evaluate_field, fit_smooth_field
    from framer.motion.homography import (
        apply_homography,
        frame_middle,
        interpolate_homography,
        motion_centre,
        similarity_motion,
    )
    from framer.motion.layers import LayeredMotion, layer_regions
    from framer.motion.warp import compose_flow, compose_frame, warp_pair

_HOMES = {
    "Alignment": "framer.motion.alignment",
    "fit_alignment": "framer.motion.alignment",
    "fit_alignment_along": "framer.motion.alignment",
    "identity_alignment": "framer.motion.alignment",
    "evaluate_field": "framer.motion.field",
    "LayeredMotion": "framer.motion.layers",
    "layer_regions": "framer.motion.layers",
    "fit_smooth_field": "framer.motion.field",
    "apply_homography": "framer.motion.homography",
    "interpolate_homography": "framer.motion.homography",
    "motion_centre": "framer.motion.homography",
    "frame_middle": "framer.motion.homography",
    "similarity_motion": "framer.motion.homography",
    "compose_flow": "framer.motion.warp",
    "compose_frame": "framer.motion.warp",
    "warp_pair": "framer.motion.warp",
}

__all__ = [
    "Alignment",
    "LayeredMotion",
    "apply_homography",
    "compose_flow",
    "compose_frame",
    "evaluate_field",
    "fit_alignment",
    "fit_alignment_along",
    "fit_smooth_field",
    "frame_middle",
    "identity_alignment",
    "interpolate_homography",
    "layer_regions",
    "motion_centre",
    "similarity_motion",
    "warp_pair",
]


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)
