"""What the routes share: FastAPI dependencies that take the app's parts from ``request.app.state`` (set by
:func:`framer.webui.app.create_app`: ``store``, ``jobs``, ``settings``, ``config``), and the check of a trajectory
file against a keyframe set."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from framer.trajectory import Trajectory, check_trajectories, trajectories_from_dict
from framer.webui.jobs import JobManager
from framer.webui.settings import WebSettings
from framer.webui.storage import KeyframeSet, KeyframeStore

__all__ = ["Config", "Jobs", "Settings", "Store", "trajectories_for"]


async def _store(request: Request) -> KeyframeStore:
    return request.app.state.store


async def _jobs(request: Request) -> JobManager:
    return request.app.state.jobs


async def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


async def _config(request: Request) -> dict:
    return request.app.state.config


Store = Annotated[KeyframeStore, Depends(_store)]
Jobs = Annotated[JobManager, Depends(_jobs)]
Settings = Annotated[WebSettings, Depends(_settings)]
Config = Annotated[dict, Depends(_config)]


def trajectories_for(data: object, keyframe_set: KeyframeSet) -> list[Trajectory]:
    """A trajectory file's content (``docs/trajectory-format.md``) checked and scaled to a keyframe set's size."""
    size = (keyframe_set.width, keyframe_set.height)
    return check_trajectories(trajectories_from_dict(data).for_size(*size), *size)
