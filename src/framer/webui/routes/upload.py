"""Keyframe sets: ``POST /api/keyframes`` (multipart, field ``files``, two or more images) makes one,
``GET /api/keyframes/{id}/{index}.png`` serves its previews, ``DELETE /api/keyframes/{id}`` removes it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse, Response

from framer.webui.routes.deps import Store
from framer.webui.storage import NotFoundError

__all__ = ["router"]

router = APIRouter()


@router.post("/api/keyframes", status_code=201)
async def upload_keyframes(store: Store, files: list[UploadFile] = File(...)) -> dict:  # noqa: B008 - FastAPI's idiom
    uploads = [(upload.filename, await upload.read()) for upload in files]
    keyframe_set = await asyncio.to_thread(store.add, uploads)
    return keyframe_set.describe()


@router.get("/api/keyframes/{set_id}/{index}.png")
async def keyframe_preview(set_id: str, index: int, store: Store) -> FileResponse:
    keyframe_set = store.get(set_id)
    if not 0 <= index < len(keyframe_set.names):
        raise NotFoundError(f"Keyframe set {set_id} has no keyframe {index}.")
    return FileResponse(keyframe_set.paths[index], media_type="image/png")


@router.delete("/api/keyframes/{set_id}", status_code=204)
async def delete_keyframes(set_id: str, store: Store) -> Response:
    store.delete(set_id)
    return Response(status_code=204)
