"""Parts of a video job, for a segmented run across processes or machines (``framer batch``).

A job's output is encoded in fixed segments of ``segment_frames`` output frames (see :mod:`framer.video.state`). A
part is a run of whole segments, ``first .. end - 1``: its worker follows the job's timeline (decoding, scene cuts,
repeated frames, static overlays: everything that decides what each output frame is) but runs the engine only for
the output frames of its own segments, and encodes exactly the segment files the single-process run encodes. It
follows the timeline from the first source frame, or, when a timeline pass saved a :class:`Timeline` in the job's
folder, from the :class:`TimelinePoint` at its first segment: decoding only the context frames before it (checked
against the pass's CRC-32s; a mismatch falls back to the replay). When every part is done, the plain job
(:func:`framer.video.interpolate_video` with ``resume=True``) finds all its segments finished and only joins them,
with the audio, into the output. So the parts' output is the single-process output, frame for frame and timestamp
for timestamp, wherever the parts split.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from framer.errors import InputError
from framer.parsing import parse_rational
from framer.video.reader import SeekError, SourceFrame, open_video
from framer.video.retime import count_output_frames, plan_rates
from framer.video.watermarks import Watermark

__all__ = [
    "TIMELINE_FILE",
    "Timeline",
    "TimelinePoint",
    "TimelineRecorder",
    "VideoPart",
    "estimate_segments",
    "load_timeline",
    "segment_length",
]

TIMELINE_FILE = "timeline.npz"
_TIMELINE_VERSION = 1


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


# --- timeline checkpoints: a part starts at its first segment instead of replaying the video before it ---


def _frame_digest(image: np.ndarray) -> int:
    """CRC-32 of a decoded frame's pixels: a seek must give back exactly the frames the first pass decoded."""
    return zlib.crc32(np.ascontiguousarray(image).data)


def _time(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _fraction(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


@dataclass(frozen=True)
class TimelinePoint:
    """All :func:`framer.video.interpolate_video` needs to go on exactly from just before source frame ``start``
    (the frame whose push makes output frame ``segment * segment_frames``).

    Attributes:
        retimer: :meth:`Retimer.state` ``(next_index, (anchor index, anchor time))``.
        last, previous: ``(index, time, duration)`` of the two frames before ``start`` (for the end time).
        cuts, duplicates: how many of the timeline's cuts and repeated frames lie before ``start``.
        frames: ``(index, time, CRC-32)`` of the context frames, from the anchor (less the static tracker's
            window) to ``start - 1``: decoded again by the part and checked.
        chain: the static tracker's watermark state before the anchor was recorded: (number of the marks list in
            :attr:`Timeline.marks`, frames its fit saw); None without a tracker.
    """

    segment: int
    start: int
    anchor: int
    retimer: tuple[int, tuple[int, Fraction]]
    last: tuple[int, Fraction, Fraction | None]
    previous: tuple[int, Fraction, Fraction | None] | None
    cuts: int
    duplicates: int
    frames: tuple[tuple[int, Fraction, int], ...]
    chain: tuple[int, int] | None = None

    @property
    def context(self) -> tuple[int, Fraction]:
        """Index and time of the first frame a part decodes."""
        return self.frames[0][0], self.frames[0][1]

    def source_frames(self) -> tuple[SourceFrame, SourceFrame | None]:
        """The last two frames before :attr:`start`, without pixels (only their times are used)."""
        last = SourceFrame(*self.last, image=None)
        return last, None if self.previous is None else SourceFrame(*self.previous, image=None)

    def check(self, frames: Iterable[SourceFrame]) -> Iterator[SourceFrame]:
        """``frames`` (read from :attr:`context`), each context frame checked against the first pass's index, time
        and pixels.

        Raises:
            SeekError: a context frame differs (the part then replays the video from the start).
        """
        expected = {index: (time, digest) for index, time, digest in self.frames}
        for frame in frames:
            if frame.index in expected and (frame.time, _frame_digest(frame.image)) != expected.pop(frame.index):
                raise SeekError(f"Source frame {frame.index} differs after the seek.")
            if expected and frame.index >= self.start:
                raise SeekError(f"Source frames {sorted(expected)} were not decoded after the seek.")
            yield frame

    def to_json(self) -> dict:
        (next_index, (anchor, anchor_time)), last, previous = self.retimer, self.last, self.previous
        return {
            "segment": self.segment, "start": self.start, "anchor": self.anchor,
            "retimer": [next_index, anchor, _time(anchor_time)],
            "last": [last[0], _time(last[1]), _time(last[2])],
            "previous": None if previous is None else [previous[0], _time(previous[1]), _time(previous[2])],
            "cuts": self.cuts, "duplicates": self.duplicates,
            "frames": [[index, _time(time), digest] for index, time, digest in self.frames],
            "chain": None if self.chain is None else list(self.chain),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> TimelinePoint:
        next_index, anchor, anchor_time = data["retimer"]
        last, previous = data["last"], data["previous"]
        return cls(
            segment=int(data["segment"]), start=int(data["start"]), anchor=int(data["anchor"]),
            retimer=(int(next_index), (int(anchor), Fraction(anchor_time))),
            last=(int(last[0]), Fraction(last[1]), _fraction(last[2])),
            previous=None if previous is None else (int(previous[0]), Fraction(previous[1]), _fraction(previous[2])),
            cuts=int(data["cuts"]), duplicates=int(data["duplicates"]),
            frames=tuple((int(index), Fraction(time), int(digest)) for index, time, digest in data["frames"]),
            chain=None if data["chain"] is None else (int(data["chain"][0]), int(data["chain"][1])),
        )  # fmt: skip


@dataclass
class Timeline:
    """A job's whole timeline, from one pass over its source without the engine: output frames, cuts, repeated
    frames, and a :class:`TimelinePoint` at each segment boundary a source frame crosses. Saved in the job's
    partial-output folder (:data:`TIMELINE_FILE`), so it is only ever read by the same job."""

    num_frames: int
    cuts: list[int]
    duplicates: list[int]
    points: dict[int, TimelinePoint]
    marks: list[list[Watermark]] = field(default_factory=list)
    cut_frames: list[int] = field(default_factory=list)  # the first output frame of each cut's new scene

    def cut_segments(self, segment_frames: int) -> list[int]:
        """The segment boundaries nearest the cuts (inside the job): where a split into parts best falls."""
        segments = -(-self.num_frames // segment_frames)
        nearest = {round(frame / segment_frames) for frame in self.cut_frames}
        return sorted(k for k in nearest if 0 < k < segments)

    def point_for(self, output_frame: int, segment_frames: int) -> TimelinePoint | None:
        """The latest point at or before output frame ``output_frame`` (None: none after the first segment)."""
        best = max((k for k in self.points if 0 < k * segment_frames <= output_frame), default=None)
        return None if best is None else self.points[best]

    def save(self, path: Path) -> None:
        """Write atomically: the metadata as JSON, the watermarks' arrays beside it (no pickle)."""
        arrays: dict[str, np.ndarray] = {}
        boxes = []
        for m, marks in enumerate(self.marks):
            boxes.append([[int(v) for v in mark.box] for mark in marks])
            for j, mark in enumerate(marks):
                arrays.update({f"m{m}_{j}_offset": mark.offset, f"m{m}_{j}_scale": mark.scale,
                               f"m{m}_{j}_mask": mark.mask})  # fmt: skip
        meta = {"version": _TIMELINE_VERSION, "num_frames": self.num_frames, "cuts": self.cuts,
                "duplicates": self.duplicates, "cut_frames": self.cut_frames, "boxes": boxes,
                "points": [point.to_json() for point in self.points.values()]}  # fmt: skip
        temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as file:
            np.savez(file, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(temp, path)


def load_timeline(path: Path) -> Timeline | None:
    """The timeline saved at ``path`` (None: none, or unreadable: the caller replays)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != _TIMELINE_VERSION:
                return None
            marks = [
                [Watermark(tuple(box), data[f"m{m}_{j}_offset"], data[f"m{m}_{j}_scale"], data[f"m{m}_{j}_mask"])
                 for j, box in enumerate(boxes)]
                for m, boxes in enumerate(meta["boxes"])
            ]  # fmt: skip
            points = [TimelinePoint.from_json(point) for point in meta["points"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Timeline(int(meta["num_frames"]), list(meta["cuts"]), list(meta["duplicates"]),
                    {point.segment: point for point in points}, marks, list(meta.get("cut_frames", [])))  # fmt: skip


class TimelineRecorder:
    """Follows a pass over a job's source and keeps a :class:`TimelinePoint` at each segment boundary.

    The pass calls :meth:`watch` on the decoded frames, :meth:`before` before each frame enters the timeline,
    :meth:`after` once the frame's output frames are known, and :meth:`forget_before` when the anchor moves.
    ``context``: frames before the anchor a part decodes too (the static tracker's window; 0 without one).
    """

    def __init__(self, segment_frames: int, context: int) -> None:
        self.segment_frames, self.context = segment_frames, context
        self.points: dict[int, TimelinePoint] = {}
        self._seen: dict[int, tuple[Fraction, int]] = {}  # index -> (time, digest), from the context on
        self._marks: dict[int, tuple[int, list[Watermark]]] = {}  # id -> (number, the list kept alive)
        self._pending: dict | None = None
        self.cut_frames: list[int] = []

    def watch(self, frames: Iterable[SourceFrame]) -> Iterator[SourceFrame]:
        for frame in frames:
            self._seen[frame.index] = (frame.time, _frame_digest(frame.image))
            yield frame

    def before(self, start: int, retimer: tuple, anchor: int | None, last: SourceFrame | None,
               previous: SourceFrame | None, cuts: int, duplicates: int,
               chain: tuple[list[Watermark], int] | None) -> None:  # fmt: skip
        """The state just before source frame ``start`` enters the timeline."""
        self._pending = None if anchor is None else {
            "start": start, "retimer": retimer, "anchor": anchor, "last": last, "previous": previous,
            "cuts": cuts, "duplicates": duplicates, "chain": chain, "next": retimer[0],
        }  # fmt: skip

    def after(self, next_index: int, cut_at: int | None = None) -> None:
        """Frame ``start`` made the output frames up to ``next_index``: a point for each boundary it crossed.

        ``cut_at``: frame ``start`` follows a scene cut and its scene begins at output frame ``cut_at``.
        """
        if cut_at is not None:
            self.cut_frames.append(cut_at)
        pending = self._pending
        if pending is None or next_index <= pending["next"]:
            return
        first_k = -(-pending["next"] // self.segment_frames)
        for k in range(max(1, first_k), -(-next_index // self.segment_frames)):
            self.points[k] = self._point(k, pending)

    def _point(self, segment: int, pending: dict) -> TimelinePoint:
        begin = max(0, pending["anchor"] - self.context)
        frames = tuple((index, *self._seen[index]) for index in range(begin, pending["start"]))
        chain = pending["chain"]
        if chain is not None:
            marks, fitted_on = chain
            number = self._marks.setdefault(id(marks), (len(self._marks), marks))[0]
            chain = (number, fitted_on)
        last, previous = pending["last"], pending["previous"]
        return TimelinePoint(
            segment=segment, start=pending["start"], anchor=pending["anchor"], retimer=pending["retimer"],
            last=(last.index, last.time, last.duration),
            previous=None if previous is None else (previous.index, previous.time, previous.duration),
            cuts=pending["cuts"], duplicates=pending["duplicates"], frames=frames, chain=chain,
        )  # fmt: skip

    def forget_before(self, anchor: int) -> None:
        for index in [index for index in self._seen if index < anchor - self.context]:
            del self._seen[index]

    def finish(self, num_frames: int, cuts: Sequence[int], duplicates: Sequence[int]) -> Timeline:
        marks = [kept for _, kept in sorted(self._marks.values(), key=lambda item: item[0])]
        return Timeline(num_frames, list(cuts), list(duplicates), self.points, marks, self.cut_frames)
