"""Video mode: raise the frame rate of a video (or slow it down) with in-betweens, streaming.

``interpolate_video`` is the entry point; the modules below it are usable on their own:
``reader`` (decode with timestamps), ``writer`` (join segments, audio), ``retime`` (which frames and times
make each output frame), ``scenes`` (cut and repeat measures), ``guidance`` (drags over a span of source frames, the
autopilot's scene-cut check), ``state`` (resumable partial output).

Its neighbours: each gap is planned by :class:`framer.guidance.Guide` (shared with :func:`framer.interpolate`) and
made by an engine (:mod:`framer.engines`; tiles by :class:`framer.engines.tiling.TiledEngine`); frames are encoded by
:mod:`framer.io.encode` and moved into place by :mod:`framer.io.atomic`.
"""

from __future__ import annotations

from framer.errors import VideoOpenError, VideoWriteError
from framer.video.pipeline import VideoResult, interpolate_video
from framer.video.reader import FolderReader, SourceFrame, VideoInfo, VideoReader, open_video
from framer.video.retime import OutputFrame, Rates, Retimer, plan_rates, retime

__all__ = [
    "FolderReader",
    "OutputFrame",
    "Rates",
    "Retimer",
    "SourceFrame",
    "VideoInfo",
    "VideoOpenError",
    "VideoReader",
    "VideoResult",
    "VideoWriteError",
    "interpolate_video",
    "open_video",
    "plan_rates",
    "retime",
]
