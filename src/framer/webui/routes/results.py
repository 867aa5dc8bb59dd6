"""A job's output: ``GET /api/jobs/{id}/frames/{i}.png`` one frame, ``GET /api/jobs/{id}/download/{kind}`` the
whole result as ``mp4``, ``gif``, ``zip`` (PNG frames) or ``json`` (its trajectories)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import FileResponse

from framer.webui.routes.deps import Jobs

__all__ = ["router"]

router = APIRouter()


@router.get("/api/jobs/{job_id}/frames/{index}.png")
async def frame(job_id: str, index: int, manager: Jobs) -> FileResponse:
    return FileResponse(manager.get(job_id).frame_path(index), media_type="image/png")


@router.get("/api/jobs/{job_id}/download/{kind}")
async def download(job_id: str, kind: str, manager: Jobs) -> FileResponse:
    job = manager.get(job_id)
    path = await asyncio.to_thread(manager.download, job, kind)
    return FileResponse(path, filename=f"framer-{job.id[:8]}{path.suffix}")
