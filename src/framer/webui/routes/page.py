"""The page: ``GET /`` (``static/index.html``), its static files (scripts always as JavaScript, which module
scripts need), and ``GET /api/config``, what the page needs to know about this server."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from framer.webui.routes.autopilot import autopilot_available
from framer.webui.routes.deps import Config
from framer.webui.settings import WebSettings

__all__ = ["STATIC", "TIMINGS", "ScriptStaticFiles", "build_config", "router"]

STATIC = Path(__file__).parent.parent / "static"
TIMINGS = ("linear", "ease-in", "ease-out", "ease-in-out")
JAVASCRIPT = "text/javascript; charset=utf-8"

router = APIRouter()


class ScriptStaticFiles(StaticFiles):
    """Starlette's static files, with ``.js`` always ``text/javascript`` (whatever the system's MIME table says):
    browsers refuse module scripts of any other type."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, FileResponse) and os.fspath(full_path).endswith((".js", ".mjs")):
            response.media_type = JAVASCRIPT
            response.headers["content-type"] = JAVASCRIPT
        return response


def build_config(settings: WebSettings) -> dict:
    """What ``GET /api/config`` answers: engines, timing curves, limits, trajectory colours, autopilot or not."""
    from framer import list_engines
    from framer.trajectory import FORMAT_VERSION, trajectory_color

    engines = [name for name in list_engines() if settings.engines is None or name in settings.engines]
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
        "autopilot": autopilot_available(),
    }


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})


@router.get("/api/config")
async def get_config(config: Config) -> dict:
    return config
