"""The web UI server's limits and options (:class:`WebSettings`), and the host names that mean this machine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LOOPBACK_HOSTS", "WebSettings"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # as Host headers name them


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
