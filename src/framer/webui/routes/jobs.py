"""Generation jobs: ``POST /api/jobs`` queues one, ``GET /api/jobs/{id}`` tells its state,
``GET /api/jobs/{id}/events`` streams that state as server-sent events until it ends, ``POST /api/jobs/{id}/cancel``
cancels it."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from fractions import Fraction
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from framer.errors import InputError
from framer.webui.jobs import Job, JobManager, JobRequest
from framer.webui.routes.deps import Config, Jobs, Settings, Store, trajectories_for
from framer.webui.settings import WebSettings
from framer.webui.storage import KeyframeSet

__all__ = ["FINAL_STATES", "GenerateBody", "router", "static_mask_for"]

FINAL_STATES = ("done", "failed", "cancelled")
EVENT_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}

router = APIRouter()


class GenerateBody(BaseModel):
    """The body of ``POST /api/jobs``."""

    model_config = ConfigDict(extra="forbid")

    keyframes: str
    engine: str = "flow"
    num_frames: int = Field(default=7, ge=1)
    timing: str = "linear"
    fps: float = Field(default=24.0, gt=0, le=240, allow_inf_nan=False)  # Python's JSON parser accepts NaN and inf
    include_keyframes: bool = True
    trajectories: Any = None
    static_mask: str | None = None  # a PNG data URL of the keyframes' size, white where the picture is kept still


def job_request(
    body: GenerateBody, keyframe_set: KeyframeSet, settings: WebSettings, engines: list[str]
) -> JobRequest:
    """The job ``body`` asks for, checked against this server's engines and limits.

    Raises:
        InputError: an unknown engine or timing curve, too many frames, or a bad trajectory file.
    """
    from framer.timing import apply_timing

    if body.engine not in engines:
        raise InputError(f"Unknown engine {body.engine!r}; this server offers {', '.join(engines)}.")
    if body.num_frames > settings.max_frames:
        raise InputError(
            f"Field 'num_frames' must be at most {settings.max_frames} on this server, not {body.num_frames}."
        )
    apply_timing([0.5], body.timing)  # an unknown curve fails here, with suggestions
    trajectories = None if body.trajectories is None else trajectories_for(body.trajectories, keyframe_set)
    still = None if body.static_mask is None else static_mask_for(body.static_mask, keyframe_set)
    return JobRequest(
        keyframes=keyframe_set,
        engine=body.engine,
        num_frames=body.num_frames,
        timing=body.timing,
        fps=Fraction(body.fps).limit_denominator(1001),
        include_keyframes=body.include_keyframes,
        trajectories=trajectories or None,
        static_mask=still if still is not None and still.any() else None,
    )


def static_mask_for(data_url: str, keyframe_set: KeyframeSet):
    """The ``(H, W)`` bool mask a ``data:image/png;base64,...`` URL holds, checked against the set's size.

    Raises:
        InputError: not a PNG data URL, not a readable image, or not of the keyframes' size.
    """
    from framer.io.masks import decode_mask

    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise InputError(f"Field 'static_mask' must be a PNG data URL ({prefix}...), not {data_url[:30]!r}.")
    try:
        data = base64.b64decode(data_url[len(prefix) :], validate=True)
    except binascii.Error:
        raise InputError("Field 'static_mask' is not valid base64.") from None
    return decode_mask(data, keyframe_set.width, keyframe_set.height, name="Field 'static_mask'")


async def status_events(manager: JobManager, job: Job) -> AsyncIterator[str]:
    """One event per change of the job's state, until it ends (Starlette stops it if the client leaves)."""
    version = -1
    while True:
        status = manager.status(job)
        if status["version"] != version:
            version = status["version"]
            yield f"data: {json.dumps(status)}\n\n"
        if status["state"] in FINAL_STATES:
            return
        await asyncio.sleep(0.1)


@router.post("/api/jobs", status_code=202)
async def submit(body: GenerateBody, store: Store, manager: Jobs, settings: Settings, config: Config) -> dict:
    request = job_request(body, store.get(body.keyframes), settings, config["engines"])
    job = await asyncio.to_thread(manager.submit, request)
    return manager.status(job)


@router.get("/api/jobs/{job_id}")
async def job_status(job_id: str, manager: Jobs) -> dict:
    return manager.status(manager.get(job_id))


@router.get("/api/jobs/{job_id}/events")
async def job_events(job_id: str, manager: Jobs) -> StreamingResponse:
    job = manager.get(job_id)
    return StreamingResponse(status_events(manager, job), media_type="text/event-stream", headers=EVENT_HEADERS)


@router.post("/api/jobs/{job_id}/cancel")
async def cancel(job_id: str, manager: Jobs) -> dict:
    job = manager.get(job_id)
    manager.cancel(job)
    return manager.status(job)
