"""The web UI's server: a FastAPI app that serves the page (``static/``) and a small JSON API over framer's public
Python API.

API (every error is ``{"error": "one sentence"}`` with a 4xx/5xx status; POST and DELETE need the header
``X-Framer-Request: 1``):

- ``GET /api/config``: engines, timing curves, limits, trajectory colours, whether autopilot is available.
- ``POST /api/keyframes`` (multipart, field ``files``, two or more images): a keyframe set; ``GET
  /api/keyframes/{id}/{index}.png`` its previews; ``DELETE /api/keyframes/{id}`` removes it.
- ``POST /api/keyframes/{id}/autopilot``: trajectories proposed by framer.matching (``docs/trajectory-format.md``)
  and its verdict (``reason``).
- ``POST /api/trajectories/check``: a trajectory file checked against (and scaled to) a keyframe set.
- ``POST /api/jobs``: queue a generation; ``GET /api/jobs/{id}`` its state, ``GET /api/jobs/{id}/events`` the
  same as server-sent events until it ends, ``POST /api/jobs/{id}/cancel``; ``GET /api/jobs/{id}/frames/{i}.png``
  and ``GET /api/jobs/{id}/download/{mp4|gif|zip|json}`` its output.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from framer.errors import FramerError, InputError, MissingExtraError, ResourceError

try:
    from fastapi import FastAPI, File, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from fastapi.staticfiles import StaticFiles
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException
    from starlette.middleware.trustedhost import TrustedHostMiddleware
except ImportError as ex:  # pragma: no cover - depends on the installed extras
    raise MissingExtraError(
        f"The web UI needs the 'web' extra ({ex.name} is missing): pip install 'framer-vfi[web]'."
    ) from None

from framer.trajectory import Trajectory, check_trajectories, trajectories_from_dict, trajectories_to_dict
from framer.webui.guards import BodyLimit, RequestGuard, SecurityHeaders
from framer.webui.jobs import EngineProvider, JobManager, JobRequest, QueueFullError
from framer.webui.storage import KeyframeSet, KeyframeStore, NotFoundError, TooLargeError, private_root

__all__ = ["LOOPBACK_HOSTS", "WebSettings", "create_app"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # as Host headers name them
TIMINGS = ("linear", "ease-in", "ease-out", "ease-in-out")
AUTOPILOT_PROPOSALS = 8  # matches the autopilot button proposes as trajectories


@dataclass(frozen=True)
class WebSettings:
    """Limits and options of one web UI server.

    Attributes:
        max_request_bytes: largest request body accepted (uploads included); larger ones get 413.
        max_side: largest keyframe width or height in pixels; larger images get 413.
        max_keyframes: most keyframes in one set.
        max_frames: most in-betweens per gap in one job.
        max_queue: most jobs waiting per engine (beyond: 429).
        max_sets, max_jobs_kept: keyframe sets and finished jobs kept on disk; older ones are removed.
        idle_seconds: a keyframe set not used for this long is removed.
        engines: engine names offered; None for all of :func:`framer.list_engines`.
        engine_options: passed to :func:`framer.create_engine` (``device``, ``threads``...).
        allowed_hosts: ``Host`` header values accepted (guards against DNS rebinding); ``("*",)`` for any.
    """

    max_request_bytes: int = 64 * 2**20
    max_side: int = 2048
    max_keyframes: int = 8
    max_frames: int = 60
    max_queue: int = 8
    max_sets: int = 16
    max_jobs_kept: int = 8
    idle_seconds: float = 3600.0
    engines: tuple[str, ...] | None = None
    engine_options: Mapping[str, object] | None = None
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS


class GenerateBody(BaseModel):
    """The body of ``POST /api/jobs``."""

    model_config = ConfigDict(extra="forbid")

    keyframes: str
    engine: str = "flow"
    num_frames: int = Field(default=7, ge=1)
    timing: str = "linear"
    fps: float = Field(default=24.0, gt=0, le=240)
    include_keyframes: bool = True
    trajectories: Any = None


class CheckBody(BaseModel):
    """The body of ``POST /api/trajectories/check``."""

    model_config = ConfigDict(extra="forbid")

    keyframes: str
    trajectories: Any


class AutopilotUnavailable(FramerError, RuntimeError):
    """framer.matching (the autopilot) is not part of this installation."""


_STATUS = (
    (NotFoundError, 404),
    (TooLargeError, 413),
    (QueueFullError, 429),
    (AutopilotUnavailable, 501),
    (MissingExtraError, 503),
    (ResourceError, 413),
    (InputError, 400),
    (FramerError, 400),
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _validation_message(ex: RequestValidationError) -> str:
    """One sentence from pydantic's errors, naming the field."""
    first = ex.errors()[0]
    if first.get("type") == "json_invalid":
        return f"The request body is not valid JSON ({first.get('ctx', {}).get('error', 'cannot parse it')})."
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "extra_forbidden":
        return f"Field {where!r} is not known here."
    return f"Field {where!r}: {first.get('msg', 'is not valid')}." if where else f"{first.get('msg')}."


def _trajectories_for(data: object, keyframe_set: KeyframeSet) -> list[Trajectory]:
    """A trajectory file's content (``docs/trajectory-format.md``) checked and scaled to a keyframe set's size."""
    size = (keyframe_set.width, keyframe_set.height)
    return check_trajectories(trajectories_from_dict(data).for_size(*size), *size)


def _matching():
    """The framer.matching module, if this installation has the autopilot.

    Raises:
        AutopilotUnavailable: framer.matching, its ``plan_autopilot``, or a package it needs, is missing.
    """
    try:
        import framer.matching as matching
    except ModuleNotFoundError as ex:
        if ex.name and ex.name.startswith("framer.matching"):
            raise AutopilotUnavailable(
                "Autopilot is not available yet: this version of framer has no framer.matching module; draw the "
                "trajectories by hand."
            ) from None
        raise AutopilotUnavailable(f"Autopilot is not available: it needs {ex.name}, which is missing.") from None
    if not all(hasattr(matching, name) for name in ("plan_autopilot", "AutopilotConfig")):
        raise AutopilotUnavailable(
            "Autopilot is not available yet: framer.matching has no plan_autopilot; draw the trajectories by hand."
        )
    return matching


def _autopilot(keyframe_set: KeyframeSet) -> tuple[list[Trajectory], str]:
    """The autopilot's matches between the first and last keyframe as trajectories, and its one-sentence verdict.

    Raises:
        InputError: it found no matches.
    """
    from framer import read_image

    matching = _matching()
    first, last = read_image(keyframe_set.paths[0]), read_image(keyframe_set.paths[-1])
    plan = matching.plan_autopilot(first, last, matching.AutopilotConfig(count=AUTOPILOT_PROPOSALS))
    if len(plan.correspondences) == 0:
        raise InputError(f"Autopilot found no matching points to propose: {plan.reason}.")
    limit = np.array([keyframe_set.width - 1, keyframe_set.height - 1], dtype=np.float64)
    proposed = [  # keypoints may sit up to half a pixel outside the frame's pixel centres
        Trajectory(np.clip(t.points, 0.0, limit), t.times, t.name, t.interpolation, t.confidence)
        for t in plan.correspondences.trajectories()
    ]
    return check_trajectories(proposed, keyframe_set.width, keyframe_set.height), plan.reason


def _config(settings: WebSettings) -> dict:
    from framer import list_engines
    from framer.trajectory import FORMAT_VERSION, trajectory_color

    engines = [name for name in list_engines() if settings.engines is None or name in settings.engines]
    try:
        autopilot = _matching() is not None
    except AutopilotUnavailable:
        autopilot = False
    return {
        "engines": engines,
        "default_engine": "flow" if "flow" in engines else (engines[0] if engines else None),
        "timings": list(TIMINGS),
        "limits": {
            "max_request_bytes": settings.max_request_bytes,
            "max_side": settings.max_side,
            "max_keyframes": settings.max_keyframes,
            "max_frames": settings.max_frames,
        },
        "palette": ["#{:02x}{:02x}{:02x}".format(*trajectory_color(index)) for index in range(24)],
        "trajectory_format_version": FORMAT_VERSION,
        "autopilot": autopilot,
    }


def create_app(settings: WebSettings | None = None, engines: Mapping[str, object] | None = None) -> FastAPI:
    """The web UI app. Its uploads and results live in a private temporary folder removed when the app stops.

    Args:
        settings: limits and options (defaults: :class:`WebSettings`).
        engines: ready engines by name, used instead of loading them (e.g. one shared by tests).
    """
    settings = settings or WebSettings()
    root = private_root()
    atexit.register(shutil.rmtree, root, True)  # in case the app is never started or stopped cleanly
    store = KeyframeStore(root, settings.max_side, settings.max_keyframes, settings.max_sets, settings.idle_seconds)
    provider = EngineProvider(settings.engine_options, engines)
    manager = JobManager(root, provider, settings.max_queue, settings.max_jobs_kept)
    config = _config(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            await asyncio.to_thread(manager.close)
            shutil.rmtree(root, ignore_errors=True)

    app = FastAPI(title="framer", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.store, app.state.jobs, app.state.root, app.state.settings = store, manager, root, settings
    # The last added runs first: security headers on every answer, then the size limit, the header check, the host.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.add_middleware(RequestGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(FramerError)
    async def framer_error(_request: Request, ex: FramerError) -> JSONResponse:
        status = next(code for kind, code in _STATUS if isinstance(ex, kind))
        return _error(status, str(ex))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, ex: RequestValidationError) -> JSONResponse:
        return _error(400, _validation_message(ex))

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, ex: Exception) -> JSONResponse:
        logger.error("internal error", exc_info=ex)
        return _error(500, f"Internal error ({type(ex).__name__}: {ex}); see the server's log.")

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, ex: HTTPException) -> JSONResponse:
        message = ex.detail if isinstance(ex.detail, str) else "The request cannot be handled."
        if ex.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        return _error(ex.status_code, message if message.endswith(".") else message + ".")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    @app.get("/api/config")
    async def get_config() -> dict:
        return config

    @app.post("/api/keyframes", status_code=201)
    async def upload_keyframes(files: list[UploadFile] = File(...)) -> dict:  # noqa: B008 - FastAPI's idiom
        uploads = [(upload.filename, await upload.read()) for upload in files]
        keyframe_set = await asyncio.to_thread(store.add, uploads)
        return keyframe_set.describe()

    @app.get("/api/keyframes/{set_id}/{index}.png")
    async def keyframe_preview(set_id: str, index: int) -> FileResponse:
        keyframe_set = store.get(set_id)
        if not 0 <= index < len(keyframe_set.names):
            raise NotFoundError(f"Keyframe set {set_id} has no keyframe {index}.")
        return FileResponse(keyframe_set.paths[index], media_type="image/png")

    @app.delete("/api/keyframes/{set_id}", status_code=204)
    async def delete_keyframes(set_id: str) -> Response:
        store.delete(set_id)
        return Response(status_code=204)

    @app.post("/api/keyframes/{set_id}/autopilot")
    async def autopilot(set_id: str) -> dict:
        keyframe_set = store.get(set_id)
        trajectories, reason = await asyncio.to_thread(_autopilot, keyframe_set)
        size = (keyframe_set.width, keyframe_set.height)
        return {"trajectories": trajectories_to_dict(trajectories, *size), "reason": reason}

    @app.post("/api/trajectories/check")
    async def check(body: CheckBody) -> dict:
        keyframe_set = store.get(body.keyframes)
        trajectories = _trajectories_for(body.trajectories, keyframe_set)
        return {"trajectories": trajectories_to_dict(trajectories, keyframe_set.width, keyframe_set.height)}

    @app.post("/api/jobs", status_code=202)
    async def submit(body: GenerateBody) -> dict:
        from framer.timing import apply_timing

        keyframe_set = store.get(body.keyframes)
        if body.engine not in config["engines"]:
            raise InputError(f"Unknown engine {body.engine!r}; this server offers {', '.join(config['engines'])}.")
        if body.num_frames > settings.max_frames:
            raise InputError(
                f"Field 'num_frames' must be at most {settings.max_frames} on this server, not {body.num_frames}."
            )
        apply_timing([0.5], body.timing)  # an unknown curve fails here, with suggestions
        trajectories = None if body.trajectories is None else _trajectories_for(body.trajectories, keyframe_set)
        request = JobRequest(
            keyframes=keyframe_set,
            engine=body.engine,
            num_frames=body.num_frames,
            timing=body.timing,
            fps=Fraction(body.fps).limit_denominator(1001),
            include_keyframes=body.include_keyframes,
            trajectories=trajectories or None,
        )
        job = await asyncio.to_thread(manager.submit, request)
        return manager.status(job)

    @app.get("/api/jobs/{job_id}")
    async def job_status(job_id: str) -> dict:
        return manager.status(manager.get(job_id))

    @app.get("/api/jobs/{job_id}/events")
    async def job_events(job_id: str) -> StreamingResponse:
        job = manager.get(job_id)

        async def stream():
            """One event per change of the job's state, until it ends (Starlette stops it if the client leaves)."""
            version = -1
            while True:
                status = manager.status(job)
                if status["version"] != version:
                    version = status["version"]
                    yield f"data: {json.dumps(status)}\n\n"
                if status["state"] in ("done", "failed", "cancelled"):
                    return
                await asyncio.sleep(0.1)

        headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    @app.post("/api/jobs/{job_id}/cancel")
    async def cancel(job_id: str) -> dict:
        job = manager.get(job_id)
        manager.cancel(job)
        return manager.status(job)

    @app.get("/api/jobs/{job_id}/frames/{index}.png")
    async def frame(job_id: str, index: int) -> FileResponse:
        return FileResponse(manager.get(job_id).frame_path(index), media_type="image/png")

    @app.get("/api/jobs/{job_id}/download/{kind}")
    async def download(job_id: str, kind: str) -> FileResponse:
        job = manager.get(job_id)
        path = await asyncio.to_thread(manager.download, job, kind)
        return FileResponse(path, filename=f"framer-{job.id[:8]}{path.suffix}")

    return app
