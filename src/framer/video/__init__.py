"""Video mode: raise the frame rate of a video (or slow it down) with in-betweens, streaming.

``interpolate_video`` is the entry point; the modules below it are usable on their own:
``reader`` (decode with timestamps), ``writer`` (encode, join segments, audio), ``retime`` (which frames and times
make each output frame), ``scenes`` (cut and repeat measures), ``tiling`` (overlap-blended tiles), ``state``
(resumable partial output).
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
