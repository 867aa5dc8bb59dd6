"""``POST /api/trajectories/check``: a trajectory file (``docs/trajectory-format.md``) checked against, and scaled
to, a keyframe set; the page loads trajectory files through it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from framer.trajectory import trajectories_to_dict
from framer.webui.routes.deps import Store, trajectories_for

__all__ = ["CheckBody", "router"]

router = APIRouter()


class CheckBody(BaseModel):
    """The body of ``POST /api/trajectories/check``."""

    model_config = ConfigDict(extra="forbid")

    keyframes: str
    trajectories: Any


@router.post("/api/trajectories/check")
async def check(body: CheckBody, store: Store) -> dict:
    keyframe_set = store.get(body.keyframes)
    trajectories = trajectories_for(body.trajectories, keyframe_set)
    return {"trajectories": trajectories_to_dict(trajectories, keyframe_set.width, keyframe_set.height)}
