"""Parts of a video job, for a segmented run across processes or machines (``framer batch``).

A job's output is encoded in fixed segments of ``segment_frames`` output frames (see :mod:`framer.video.state`). A
part is a run of whole segments, ``first .. end - 1``: its worker replays the job's timeline from the first source
frame (decoding, scene cuts, repeated frames, static overlays: everything that decides what each output frame is)
but runs the engine only for the output frames of its own segments, and encodes exactly the segment files the
single-process run encodes. When every part is done, the plain job (:func:`framer.video.interpolate_video` with
``resume=True``) finds all its segments finished and only joins them, with the audio, into the output. So the
parts' output is the single-process output, frame for frame and timestamp for timestamp, wherever the parts split.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

from framer.errors import InputError
from framer.parsing import parse_rational
from framer.video.reader import open_video
from framer.video.retime import count_output_frames, plan_rates

__all__ = ["VideoPart", "estimate_segments", "segment_length"]


@dataclass(frozen=True)
class VideoPart:
    """Segments ``first .. end - 1`` of a video job (``end`` None: to the end of the video, however long)."""

    first: int
    end: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.first, bool) or not isinstance(self.first, int) or self.first < 0:
            raise InputError(f"A part's first segment must be an integer >= 0 but is {self.first!r}.")
        if self.end is not None and (not isinstance(self.end, int) or self.end <= self.first):
            raise InputError(f"A part's end segment must be above its first ({self.first}) but is {self.end!r}.")

    def frames(self, segment_frames: int) -> tuple[int, int | None]:
        """The output frames ``(first, end)`` of the part (``end`` excluded; None: to the end)."""
        return self.first * segment_frames, None if self.end is None else self.end * segment_frames


def segment_length(segment_seconds: Fraction | float | str, output_rate: Fraction) -> int:
    """Output frames per segment: ``segment_seconds`` of output, at least one frame."""
    return max(1, math.ceil(parse_rational(segment_seconds, "segment_seconds") * output_rate))


def estimate_segments(
    source: str | os.PathLike,
    multi: int | None = None,
    fps: Fraction | float | str | None = None,
    slowmo: Fraction | float | str | None = None,
    input_fps: Fraction | float | str | None = None,
    segment_seconds: Fraction | float | str = 2,
) -> int:
    """How many segments the job of ``source`` will have, from the container's duration (decodes one frame).

    An estimate: a file whose duration is unknown or wrong gets more or fewer segments; a split into parts stays
    exact whatever it says, since the last part runs to the end of the video.

    Raises:
        VideoOpenError: ``source`` cannot be read as a video or a folder of frames.
        InputError: the rates cannot be planned (no frame rate, a target rate below the source's, ...).
    """
    fps, slowmo, input_fps = (
        None if value is None else parse_rational(value, name)
        for value, name in ((fps, "fps"), (slowmo, "slowmo"), (input_fps, "input_fps"))
    )
    with open_video(source, input_fps) as reader:
        info = reader.info
    if info.frame_rate <= 0:
        raise InputError(f"Video {source} declares no frame rate; framer cannot time its frames.")
    rates = plan_rates(info.frame_rate, multi=multi, fps=fps, slowmo=slowmo)
    frames = count_output_frames(info.duration, rates.content) if info.duration else 1
    return -(-frames // segment_length(segment_seconds, rates.output))
