"""The web UI's server: a FastAPI app that serves the page (``static/``) and a small JSON API over framer's public
Python API. The routes live in :mod:`framer.webui.routes`, one router per concern; this module builds the app.

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
import shutil
from collections.abc import AsyncIterator, Mapping

from framer.errors import MissingExtraError

try:
    from fastapi import FastAPI
    from starlette.middleware.trustedhost import TrustedHostMiddleware
except ImportError as ex:  # pragma: no cover - depends on the installed extras
    raise MissingExtraError(
        f"The web UI needs the 'web' extra ({ex.name} is missing): pip install 'framer-vfi[web]'."
    ) from None

from framer.webui.errors import add_error_handlers
from framer.webui.guards import BodyLimit, RequestGuard, SecurityHeaders
from framer.webui.jobs import EngineProvider, JobManager
from framer.webui.routes import ROUTERS
from framer.webui.routes.page import STATIC, ScriptStaticFiles, build_config
from framer.webui.settings import LOOPBACK_HOSTS, WebSettings
from framer.webui.storage import KeyframeStore, private_root

__all__ = ["LOOPBACK_HOSTS", "WebSettings", "create_app"]


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown: stop the job workers, then remove the app's private folder."""
    try:
        yield
    finally:
        await asyncio.to_thread(app.state.jobs.close)
        shutil.rmtree(app.state.root, ignore_errors=True)


def create_app(settings: WebSettings | None = None, engines: Mapping[str, object] | None = None) -> FastAPI:
    """The web UI app. Its uploads and results live in a private temporary folder removed when the app stops.

    The app's parts are in ``app.state``: ``store`` (keyframe sets), ``jobs`` (the job manager), ``root`` (the
    private folder), ``settings`` and ``config`` (what ``GET /api/config`` answers).

    Args:
        settings: limits and options (defaults: :class:`WebSettings`).
        engines: ready engines by name, used instead of loading them (e.g. one shared by tests).
    """
    settings = settings or WebSettings()
    root = private_root()
    atexit.register(shutil.rmtree, root, True)  # in case the app is never started or stopped cleanly
    app = FastAPI(title="framer", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.store = KeyframeStore(
        root, settings.max_side, settings.max_keyframes, settings.max_sets, settings.idle_seconds
    )
    app.state.jobs = JobManager(
        root, EngineProvider(settings.engine_options, engines), settings.max_queue, settings.max_jobs_kept
    )
    app.state.root, app.state.settings, app.state.config = root, settings, build_config(settings)
    # The last added runs first: security headers on every answer, then the size limit, the header check, the host.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.add_middleware(RequestGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", ScriptStaticFiles(directory=STATIC), name="static")
    add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
