"""Correspondences between keyframes for the autopilot: SIFT matching, geometric verification, selection.

Knows no engine: the matches become alignments or tracks in :mod:`framer.guidance`, the motion model is
:mod:`framer.motion`.

>>> from framer.matching import AutopilotConfig, plan_autopilot
>>> plan = plan_autopilot(image0, image1, AutopilotConfig(count=32))  # doctest: +SKIP
>>> plan.align, plan.reason, len(plan.correspondences)                # doctest: +SKIP
(True, 'autopilot steers with 32 matches (homography, motion 130 px, median confidence 0.84)', 32)
"""

from framer.matching.autopilot import (
    AutopilotConfig,
    AutopilotPlan,
    Correspondences,
    consistent_flow_samples,
    find_correspondences,
    plan_autopilot,
    refine_correspondences,
)
from framer.matching.select import local_deviation, match_confidence, select_spread
from framer.matching.sift import Matches, sift_matches, to_grey
from framer.matching.verify import Verification, default_threshold, verify_matches

__all__ = [
    "AutopilotConfig",
    "AutopilotPlan",
    "Correspondences",
    "Matches",
    "Verification",
    "consistent_flow_samples",
    "default_threshold",
    "find_correspondences",
    "local_deviation",
    "match_confidence",
    "plan_autopilot",
    "refine_correspondences",
    "select_spread",
    "sift_matches",
    "to_grey",
    "verify_matches",
]
