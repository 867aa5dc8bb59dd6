"""``POST /api/keyframes/{id}/autopilot``: trajectories proposed by framer.matching between the first and last
keyframe of a set (``docs/trajectory-format.md``), with the autopilot's verdict (``reason``)."""

from __future__ import annotations

import asyncio
from types import ModuleType

import numpy as np
from fastapi import APIRouter

from framer.errors import InputError
from framer.trajectory import Trajectory, check_trajectories, trajectories_to_dict
from framer.webui.errors import AutopilotUnavailable
from framer.webui.routes.deps import Store
from framer.webui.storage import KeyframeSet

__all__ = ["AUTOPILOT_PROPOSALS", "autopilot_available", "matching", "propose", "router"]

AUTOPILOT_PROPOSALS = 8  # matches the autopilot button proposes as trajectories

router = APIRouter()


def matching() -> ModuleType:
    """The framer.matching module, if this installation has the autopilot.

    Raises:
        AutopilotUnavailable: framer.matching, its ``plan_autopilot``, or a package it needs, is missing.
    """
    try:
        import framer.matching as module
    except ModuleNotFoundError as ex:
        if ex.name and ex.name.startswith("framer.matching"):
            raise AutopilotUnavailable(
                "Autopilot is not available yet: this version of framer has no framer.matching module; draw the "
                "trajectories by hand."
            ) from None
        raise AutopilotUnavailable(f"Autopilot is not available: it needs {ex.name}, which is missing.") from None
    if not all(hasattr(module, name) for name in ("plan_autopilot", "AutopilotConfig")):
        raise AutopilotUnavailable(
            "Autopilot is not available yet: framer.matching has no plan_autopilot; draw the trajectories by hand."
        )
    return module


def autopilot_available() -> bool:
    """Whether :func:`matching` finds the autopilot."""
    try:
        matching()
    except AutopilotUnavailable:
        return False
    return True


def propose(keyframe_set: KeyframeSet) -> tuple[list[Trajectory], str]:
    """The autopilot's matches between the first and last keyframe as trajectories, and its one-sentence verdict.

    Raises:
        AutopilotUnavailable: see :func:`matching`.
        InputError: it found no matches.
    """
    from framer import read_image

    module = matching()
    first, last = read_image(keyframe_set.paths[0]), read_image(keyframe_set.paths[-1])
    plan = module.plan_autopilot(first, last, module.AutopilotConfig(count=AUTOPILOT_PROPOSALS))
    if len(plan.correspondences) == 0:
        raise InputError(f"Autopilot found no matching points to propose: {plan.reason}.")
    limit = np.array([keyframe_set.width - 1, keyframe_set.height - 1], dtype=np.float64)
    proposed = [  # keypoints may sit up to half a pixel outside the frame's pixel centres
        Trajectory(np.clip(t.points, 0.0, limit), t.times, t.name, t.interpolation, t.confidence)
        for t in plan.correspondences.trajectories()
    ]
    return check_trajectories(proposed, keyframe_set.width, keyframe_set.height), plan.reason


@router.post("/api/keyframes/{set_id}/autopilot")
async def autopilot(set_id: str, store: Store) -> dict:
    keyframe_set = store.get(set_id)
    trajectories, reason = await asyncio.to_thread(propose, keyframe_set)
    size = (keyframe_set.width, keyframe_set.height)
    return {"trajectories": trajectories_to_dict(trajectories, *size), "reason": reason}
