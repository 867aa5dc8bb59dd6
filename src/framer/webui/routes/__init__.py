"""The web UI's HTTP routes, one FastAPI router per concern; :data:`ROUTERS` lists them for :func:`create_app`.

The routes get the app's keyframe store, job manager, settings and configuration through the dependencies of
:mod:`framer.webui.routes.deps` (from ``request.app.state``), never from module globals.
"""

from __future__ import annotations

from framer.webui.routes import autopilot, jobs, page, results, trajectories, upload

__all__ = ["ROUTERS"]

ROUTERS = (page.router, upload.router, autopilot.router, trajectories.router, jobs.router, results.router)
