"""Correspondences between keyframes for the autopilot: SIFT matching, geometric verification, selection.

Knows no engine: the matches become alignments or tracks in :mod:`framer.guidance`, the motion model is
:mod:`framer.motion`.

>>> from framer.matching import AutopilotConfig, plan_autopilot
>>> plan = plan_autopilot(image0, image1, AutopilotConfig(count=32))  # doctest: +SKIP
>>> plan.align, plan.reason, len(plan.correspondences)                # doctest: +SKIP
(True, 'autopilot steers with 32 matches (homography, motion 130 px, median confidence 0.84)', 32)
"""

from framer.matching.autopilot import (
    CHOICES,
    DECISIONS,
    METHODS,
    AutopilotConfig,
    AutopilotPlan,
    Correspondences,
    consistent_flow_samples,
    find_correspondences,
    plan_autopilot,
    refine_correspondences,
)
from framer.matching.choice import choose, warp_error
from framer.matching.layers import MotionLayer, motion_layers, moving_motion
from framer.matching.matchers import get_matcher, matcher_names, register_matcher
from framer.matching.select import local_deviation, match_confidence, select_spread
from framer.matching.sift import Matches, sift_matches, to_grey
from framer.matching.verify import Verification, default_threshold, verify_matches

__all__ = [
    "CHOICES",
    "DECISIONS",
    "METHODS",
    "AutopilotConfig",
    "AutopilotPlan",
    "Correspondences",
    "Matches",
    "MotionLayer",
    "Verification",
    "choose",
    "consistent_flow_samples",
    "default_threshold",
    "find_correspondences",
    "get_matcher",
    "local_deviation",
    "match_confidence",
    "matcher_names",
    "motion_layers",
    "moving_motion",
    "plan_autopilot",
    "refine_correspondences",
    "register_matcher",
    "select_spread",
    "sift_matches",
    "to_grey",
    "verify_matches",
    "warp_error",
]
