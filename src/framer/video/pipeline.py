"""The video pipeline: decode, find cuts and repeated frames, re-time, interpolate, encode, all streaming.

Memory holds the two source frames around the current gap, the thumbnails of the last one and the encoder's own
buffers, whatever the length of the video. Output goes into a hidden partial folder beside the output in fixed
segments and is moved into place only when complete (see :mod:`framer.video.state`), so an interrupted run leaves
no half-written output and the same call resumes it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import numpy as np
import psutil
import torch

from framer._version import __version__
from framer.engines import Engine, ScoredFrame, create_engine
from framer.engines.tiling import DEFAULT_OVERLAP, choose_tile
from framer.errors import InputError, ResourceError
from framer.io.atomic import move_into_place
from framer.io.images import ImageFormat
from framer.io.sidecar import check_sidecar
from framer.io.tensors import image_to_tensor, tensor_to_image
from framer.io.writers import check_output, output_kind
from framer.parsing import parse_rational
from framer.progress import progress_bar
from framer.video.fallback import DEFAULT_THRESHOLD, ConfidenceRecord, FallbackPolicy
from framer.video.guidance import VideoGuide, count_frames, job_identity, prepare_drags
from framer.video.overlays import StaticSettings, StaticTracker, static_identity, static_tracker
from framer.video.parts import (
    TIMELINE_FILE,
    Timeline,
    TimelinePoint,
    TimelineRecorder,
    VideoPart,
    load_timeline,
    segment_length,
)
from framer.video.reader import FolderReader, SeekError, SourceFrame, VideoInfo, VideoReader, open_video
from framer.video.retime import OutputFrame, Rates, Retimer, count_output_frames, plan_rates
from framer.video.scenes import SSIM_THRESHOLD, Thumbnail, is_cut, is_duplicate, make_thumbnail
from framer.video.state import JobState
from framer.video.writer import IMAGE_COLOR, EncoderSettings, VideoWriter, join_segments, write_png

__all__ = ["VideoResult", "interpolate_video"]

logger = logging.getLogger(__name__)

SEGMENT_SECONDS = 2
SAVE_SECONDS = 30.0
"""Most seconds of work a hard stop (a kill, a power cut) loses: video output is saved after an output frame once
this long has passed since the last save, and at the end of every source frame pair that took this long (slow
frames: every pair, whole). A Ctrl-C or an error saves every finished frame."""
_clock = time.monotonic  # what SAVE_SECONDS is measured with
# Share of the available memory an automatic tile size may plan for.
_MEMORY_SHARE = 0.75


@dataclass(frozen=True)
class VideoResult:
    """What :func:`interpolate_video` wrote.

    Attributes:
        num_frames: output frames in total; ``interpolated`` of them made by the engine in this run.
        resumed_from: output frames kept from an interrupted earlier run.
        cuts: source frame indices with a scene cut just before them.
        duplicates: source frame indices found to repeat the frame before them.
        tile: tile side used (None: whole frames).
        audio: ``"copied"``, ``"re-encoded"``, ``"dropped"`` or ``"none"``.
        guidance: source gaps interpolated in this run per autopilot decision (``align``, ``small-motion``,
            ``too-few-matches``, ``unreliable-matches``), pre-aligned with drag trajectories (``trajectories``) or
            steered by them (``steered``), and scene-cut candidates the autopilot found to be one scene moving far
            (``not-a-cut``); empty without autopilot and trajectories.
        fell_back: in-betweens of this run replaced by the fallback (their confidence was below the threshold).
        confidence_file: the confidence sidecar written (None: none was asked for).
        confidence_note: one line saying how many fell back and where the sidecar is.
        protected: mean share of the frame kept still as a static overlay in the in-betweens of this run.
        at_end: whether the run reached the end of the source (False only for a part that ends before it; its
            ``num_frames`` is then the end of the part).
    """

    output: Path
    num_frames: int
    frame_rate: Fraction
    interpolated: int
    resumed_from: int
    cuts: tuple[int, ...] = field(default=())
    duplicates: tuple[int, ...] = field(default=())
    tile: int | None = None
    audio: str = "none"
    guidance: dict[str, int] = field(default_factory=dict)
    fell_back: int = 0
    confidence_file: Path | None = None
    confidence_note: str = ""
    protected: float = 0.0
    at_end: bool = True


@dataclass
class _Keyframe:
    """A source frame in the timeline, with its thumbnail and (made when first needed) its tensor."""

    frame: SourceFrame
    thumbnail: Thumbnail
    fmt: ImageFormat
    _tensor: torch.Tensor | None = None

    @property
    def index(self) -> int:
        return self.frame.index

    @property
    def tensor(self) -> torch.Tensor:
        """``(1, 3, H, W)`` float32 in [0, 1]."""
        if self._tensor is None:
            self._tensor = image_to_tensor(self.frame.image, self.fmt)
        return self._tensor


class _SegmentSink:
    """Writes output frames into fixed-length segment files of the job state (closed segments are final).

    Each frame of the open segment is also appended raw to the state's spool, which :meth:`save` makes durable: a
    resumed run re-encodes the saved frames instead of making them again (see :mod:`framer.video.state`).
    """

    def __init__(self, state: JobState, make_writer: Callable[[Path], VideoWriter], shape: tuple[int, ...],
                 dtype: np.dtype) -> None:  # fmt: skip
        self.state, self.make_writer, self.shape, self.dtype = state, make_writer, shape, np.dtype(dtype)
        self.frame_bytes = math.prod(shape) * self.dtype.itemsize
        self._writer: VideoWriter | None = None
        self._spool: BinaryIO | None = None
        self._number = -1
        self._spooled = 0  # frames of the open segment written to the spool
        self.saved = 0  # output frames 0 .. saved - 1 are kept for a later run

    def resume(self) -> int:
        """Reopen what an earlier run saved: the closed segments, then the saved frames of the open one (encoded
        again); returns how many output frames are kept."""
        number = self.state.finished_segments()
        kept = self.state.spooled_frames(number, self.frame_bytes)
        self.saved = number * self.state.segment_frames
        if kept:
            self._open(number, keep=kept)
            self._spool.seek(0)
            for _ in range(kept):
                self._writer.write(np.frombuffer(self._spool.read(self.frame_bytes), self.dtype).reshape(self.shape))
            self._spool.truncate(kept * self.frame_bytes)
            self._spooled, self.saved = kept, self.saved + kept
        return self.saved

    def _open(self, number: int, keep: int = 0) -> None:
        self._writer, self._number = self.make_writer(self.state.segment_path(number, partial=True)), number
        self._spool = open(self.state.spool_path, "r+b" if keep else "wb")  # noqa: SIM115 (closed in _close/abort)
        self._spooled = 0

    def write(self, index: int, image: np.ndarray) -> None:
        number = index // self.state.segment_frames
        if self._writer is None or number != self._number:
            self._close()
            self._open(number)
        self._writer.write(image)
        self._spool.write(np.ascontiguousarray(image).data)
        self._spooled += 1
        if (index + 1) % self.state.segment_frames == 0:
            self._close()

    def save(self) -> None:
        """Make the frames written so far durable (closed segments already are)."""
        if self._spool is not None and self._number * self.state.segment_frames + self._spooled > self.saved:
            self.state.save_spool(self._spool, self._number, self._spooled, self.frame_bytes)
            self.saved = self._number * self.state.segment_frames + self._spooled

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            os.replace(self.state.segment_path(self._number, partial=True), self.state.segment_path(self._number))
            self.saved = (self._number + 1) * self.state.segment_frames
            self._writer = None
            self._spool.close()
            self._spool = None
            self.state.drop_spool()

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        """Stop writing: save the finished frames if possible, discard the segment being encoded."""
        if self._writer is None:
            return
        try:
            self.save()
        except OSError as ex:  # such as a full disk: the last save stands
            logger.debug("Could not save the frames of the open segment: %s", ex)
        self._spool.close()
        self._spool = None
        self._writer.abort()
        self.state.segment_path(self._number, partial=True).unlink(missing_ok=True)
        self._writer = None


class _SavesAsItWrites:
    """A sink with nothing to save, finish or abort: each frame is final once written (or nothing is written)."""

    def save(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _FolderSink(_SavesAsItWrites):
    """Writes output frames as PNGs into the job state's frames folder (each one is saved once written)."""

    def __init__(self, state: JobState, name: Callable[[int], str]) -> None:
        self.state, self.name = state, name
        state.frames_folder.mkdir(exist_ok=True)
        self.saved = 0

    def resume(self) -> int:
        self.saved = self.state.finished_frames(self.name)
        return self.saved

    def write(self, index: int, image: np.ndarray) -> None:
        write_png(image, self.state.frames_folder / self.name(index))
        self.saved = index + 1


class _Autosave:
    """Saves the sink's state after an output frame when :data:`SAVE_SECONDS` have passed since the last save, and
    at the end of each source frame pair that took that long (an engine that makes a pair's frames all at once,
    as the diffusion engine does, writes them in a burst: all of them are saved before the next pair starts)."""

    def __init__(self, sink: _SegmentSink | _FolderSink) -> None:
        self.sink = sink
        self._last = self._pair_start = _clock()

    def _save(self) -> None:
        self.sink.save()
        self._last = _clock()

    def write(self, index: int, image: np.ndarray) -> None:
        self.sink.write(index, image)
        if _clock() - self._last >= SAVE_SECONDS:
            self._save()

    def end_pair(self) -> None:
        if _clock() - self._pair_start >= SAVE_SECONDS:
            self._save()
        self._pair_start = _clock()


def _stop_note(saved: int) -> str:
    """What an interrupted run kept, for the message shown when it stops."""
    if saved == 0:
        return "No output frame was saved yet; the same command starts from the beginning."
    return f"{saved} output frames are saved; run the same command again to resume from frame {saved + 1}."


def _source_identity(source: Path, info: VideoInfo) -> dict:
    """What identifies the input's content cheaply: path, sizes and modification times."""
    if isinstance(source, Path) and source.is_dir():
        digest = hashlib.sha256()
        for path in sorted(source.iterdir()):
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return {"path": str(source.resolve()), "files": digest.hexdigest()}
    stat = source.stat()
    return {"path": str(source.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _resolve_tile(
    engine: Engine, info: VideoInfo, tile: int | str | None, overlap: int, budget: int | None
) -> int | None:
    """The tile side for this job: ``"auto"``/None picks one only if whole frames do not fit ``budget`` bytes."""
    if budget is None:
        budget = int(psutil.virtual_memory().available * _MEMORY_SHARE)
    if tile in (None, "auto"):
        return choose_tile(engine, info.height, info.width, budget, overlap)
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 0:
        raise InputError(f"`tile` must be 'auto', 0 (never tile) or a tile side in pixels but is {tile!r}.")
    if tile == 0:
        needed = engine.memory_needed(info.height, info.width)
        if needed > budget:
            raise ResourceError(
                f"Frames of {info.width}x{info.height} need about {needed / 2**30:.1f} GiB for the {engine.name} "
                f"engine but {budget / 2**30:.1f} GiB are available; let framer tile them (--tile auto)."
            )
        return None
    if tile <= overlap:
        raise InputError(f"`tile` must be larger than `overlap` ({overlap}) but is {tile}.")
    return tile if tile < max(info.height, info.width) else None


def _end_time(last: SourceFrame, previous: SourceFrame | None, rate: Fraction) -> Fraction:
    """End of the last frame: its time plus its duration (else the last interval, else one nominal frame)."""
    if last.duration is not None and last.duration > 0:
        return last.time + last.duration
    if previous is not None:
        return last.time + (last.time - previous.time)
    return last.time + 1 / rate


def _render(
    outputs: Sequence[OutputFrame],
    a: _Keyframe,
    b: _Keyframe,
    interpolate: Callable[[_Keyframe, _Keyframe, list[float]], Iterator[ScoredFrame]],
    write: Callable[[int, np.ndarray], None],
    skip_before: int,
    record: ConfidenceRecord,
    static: StaticTracker | None = None,
    stop_at: int | None = None,
) -> int:
    """Make and write the output frames ``skip_before .. stop_at - 1`` of one gap ``a -> b`` in order; returns how
    many the engine made."""
    todo = [frame for frame in outputs if frame.index >= skip_before and (stop_at is None or frame.index < stop_at)]
    times = [float(frame.t) for frame in todo if not frame.is_copy]
    generated = interpolate(a, b, times) if times else iter(())
    for frame in todo:
        if frame.is_copy:
            image = a.frame.image if frame.a == a.index else b.frame.image
        else:
            image = tensor_to_image(record.judge(next(generated), a.tensor, b.tensor, frame)[0], a.fmt)
            if static is not None:
                image = static.composite(image, a.index, b.index, a.frame.image, b.frame.image, float(frame.t))
        write(frame.index, image)
    return len(times)


def interpolate_video(
    source: str | os.PathLike,
    output: str | os.PathLike,
    multi: int | None = None,
    fps: Fraction | float | str | None = None,
    slowmo: Fraction | float | None = None,
    engine: str | Engine = "flow",
    input_fps: Fraction | float | str | None = None,
    codec: str = "libx264",
    crf: int | None = None,
    pix_fmt: str = "yuv420p",
    scene_threshold: float = SSIM_THRESHOLD,
    dedupe: bool = False,
    tile: int | str | None = "auto",
    overlap: int = DEFAULT_OVERLAP,
    memory_budget: int | None = None,
    resume: bool = True,
    overwrite: bool = False,
    progress: bool = False,
    segment_seconds: Fraction | float = SEGMENT_SECONDS,
    trajectories: object | None = None,
    trajectory_frames: tuple[int, int] | str | None = None,
    rescale_trajectories: bool = False,
    autopilot: object = False,
    strict: bool = False,
    fallback: str = "none",
    fallback_threshold: float = DEFAULT_THRESHOLD,
    confidence: str | os.PathLike | None = None,
    protect_static: str = "auto",
    static_mask: str | os.PathLike | None = None,
    show_static: str | os.PathLike | None = None,
    part: VideoPart | None = None,
    timeline: bool = False,
    **engine_options,
) -> VideoResult:
    """Raise the frame rate of a video (or a folder of frames), or slow it down, with in-betweens.

    Exactly one of ``multi``, ``fps`` or ``slowmo`` (see :func:`framer.video.retime.plan_rates`). Output frame ``k``
    is the source content at ``k / content_rate`` seconds, interpolated between the source frames around it by
    their presentation timestamps; frames next to a scene cut are copies of the nearer source frame.

    Args:
        source: a video file, or a folder of image frames (read at ``input_fps``, default 24).
        output: a ``.mp4``/``.mkv``/``.mov`` file, or a folder (no suffix) for PNG frames.
        engine: an engine name or an engine made by :func:`framer.create_engine`.
        codec, crf, pix_fmt: video encoder, its quality (lower is better) and pixel format.
        scene_threshold: SSIM below which (with a colour change) a scene cut is declared; 0 turns detection off.
            With ``autopilot``, a candidate cut whose frames the autopilot matches well is taken as fast motion.
        dedupe: drop repeated source frames from the timeline (even motion through holds).
        tile: ``"auto"`` (tiles only if a frame does not fit memory), 0 (never) or a tile side in pixels.
        overlap: overlap of neighbouring tiles in pixels.
        memory_budget: bytes the automatic tile size may plan for (default: 75% of the available memory).
        resume: continue an interrupted run of the same job (False: start over, discarding it). Video output is
            saved when a segment closes, after an output frame once :data:`SAVE_SECONDS` (30 s) have passed since
            the last save, and at the end of every source frame pair that took that long (so every pair when
            frames are slow); a Ctrl-C or an error saves every finished frame. A hard stop (a kill, a power cut)
            loses at most the work since the last save: about 30 s, or the pair in progress when pairs are slower.
        overwrite: replace an existing output.
        progress: show progress on stderr (frames, frames per second, time left): a bar on a terminal, else a
            line every few seconds (see :mod:`framer.progress`).
        segment_seconds: length of the independently encoded parts (the unit of resuming), in output seconds.
        trajectories: drag mode, as :func:`framer.interpolate` takes them (a ``.json`` file, ``"x0,y0:x1,y1"``
            strings, :class:`framer.Trajectory` objects...), in pixels of the video's frames. Their time runs over
            the source frames ``trajectory_frames`` (see ``docs/trajectory-format.md``, section "Video"); each gap
            between source frames inside that span is steered along its piece of the trajectories.
        trajectory_frames: ``(first, last)`` or ``"FIRST:LAST"``: the source frame indices (from 0) where the
            trajectories' time is 0 and 1; None: the first and the last frame of the video.
        rescale_trajectories: stretch a trajectory file drawn on a frame of another shape (aspect) onto the video's
            frames; without it such a file is refused (one of the same shape is always scaled).
        autopilot: True (or an :class:`framer.matching.AutopilotConfig`): each gap goes through the autopilot as two
            keyframes do in :func:`framer.interpolate` (pre-aligned for large motion, plain otherwise); with
            ``trajectories``, gaps they span are pre-aligned with them instead. One summary is logged at the end.
        strict: refuse a video file that ends before the frames its container announces (a cut-off file; its
            packets are counted first) instead of warning when decoding ends.
        fallback: ``none``, ``blend`` or ``nearest``: what replaces an in-between whose confidence (the engine's
            own, see :meth:`framer.engines.Engine.iter_scored`) is below ``fallback_threshold``: nothing, the
            linear blend of its source frames, or the nearer source frame (:mod:`framer.video.fallback`).
        fallback_threshold: in [0, 1] (default :data:`framer.video.fallback.DEFAULT_THRESHOLD`).
        confidence: a ``.csv`` or ``.json`` file to write the confidence of each in-between of this run to (output
            frame and time, source frames, t, confidence, whether it fell back), written atomically at the end.
        protect_static: ``"auto"``: find static overlays (logos, subtitles, HUDs, timestamps) over a window of
            source frames and put them back unwarped into every in-between, from the nearer source frame (see
            :mod:`framer.video.overlays`); ``"off"``: do not. A clip where none is found is left untouched.
        static_mask: an image of the frames' size, white where the picture is to be kept still (with either mode).
        show_static: a ``.mp4``/``.mkv``/``.mov`` (each source frame, dimmed outside what was protected) or a
            folder (a PNG mask per change) to preview what was protected.
        part: make only these segments of the job, into its partial-output folder, and put nothing in place (a
            segmented run, see :mod:`framer.video.parts`); the job's output, identity and segments are those of
            the whole job, so the plain call (``resume=True``) joins the finished parts. No ``confidence`` or
            ``show_static`` with it. A part (or a resumed job) whose partial-output folder holds a timeline (see
            ``timeline``) starts from its checkpoint at or before its first frame to make, decoding only the
            context frames before it; if the source does not give those frames back exactly after the seek, it
            replays the video from the start instead (logged).
        timeline: walk the job's timeline once without the engine and make no frames: save a checkpoint at each
            segment boundary into the job's partial-output folder (:class:`framer.video.parts.Timeline`; kept if
            one is there), for the parts of a segmented run to start from. Returns the job's output frame count.
        **engine_options: for :func:`framer.create_engine` when ``engine`` is a name.
    """
    # 1. Check the output and the options that need no file.
    source, output = Path(source), Path(output)
    output_path = check_output(output, overwrite=overwrite, inputs=[source])
    kind = output_kind(output_path)
    if kind == "animation":
        raise InputError(f"Output {output} is an animation; video mode writes .mp4, .mkv, .mov or a folder of PNGs.")
    if not isinstance(scene_threshold, (int, float)) or not 0 <= scene_threshold <= 1:
        raise InputError(f"`scene_threshold` must be a number in [0, 1] but is {scene_threshold!r}.")
    settings = EncoderSettings(codec, crf, pix_fmt).check(output_path.suffix) if kind == "video" else None
    policy = FallbackPolicy(fallback, fallback_threshold)
    static_settings = StaticSettings(mode=protect_static)
    if show_static is not None:
        show_static = check_output(show_static, overwrite=overwrite, inputs=[source, output_path])
    if confidence is not None:
        confidence = check_sidecar(confidence, "`confidence`", overwrite, [source, output_path])
    if (part is not None or timeline) and (confidence is not None or show_static is not None):
        raise InputError("A part of a job writes no `confidence` or `show_static` file; run the whole job for those.")
    from framer.matching import AutopilotConfig

    pilot = AutopilotConfig.from_option(autopilot)
    if isinstance(engine, str):
        create = True
    elif engine_options:
        raise InputError(f"Engine options {sorted(engine_options)} apply only when `engine` is a name.")
    else:
        create = False

    # 2. Open the source (fails here on unreadable, empty or stream-less input) and plan the rates.
    fps, slowmo, input_fps = (
        None if value is None else parse_rational(value, name)
        for value, name in ((fps, "fps"), (slowmo, "slowmo"), (input_fps, "input_fps"))
    )
    reader = open_video(source, input_fps, strict=strict)
    try:
        info = reader.info
        if info.frame_rate <= 0:
            raise InputError(f"Video {source} declares no frame rate; framer cannot time its frames.")
        rates = plan_rates(info.frame_rate, multi=multi, fps=fps, slowmo=slowmo)
        drags = None
        if trajectories is not None:
            frames = count_frames(source, info)
            drags = prepare_drags(trajectories, trajectory_frames, info, frames, rescale=rescale_trajectories)
        elif trajectory_frames is not None:
            raise InputError("`trajectory_frames` sets the span of drag trajectories; give `trajectories` too.")
        static = static_tracker(static_settings, static_mask, show_static, info)  # reads the mask
        # 3. The engine, and tiles if whole frames would not fit in memory.
        if create:
            logger.info("Loading model...")  # a few seconds: say so at once
            engine = create_engine(engine, **engine_options)
        job = {
            "framer": __version__,
            "source": _source_identity(source, info),
            "input_fps": str(info.frame_rate) if info.is_folder else None,
            "rates": [str(rates.output), str(rates.content)],
            "encoder": [settings.codec, settings.crf, settings.pix_fmt] if settings else "png",
            "scene_threshold": scene_threshold,
            "dedupe": dedupe,
            "tile": [tile, overlap],
            **engine.identity(),
            **job_identity(drags, pilot),
            **policy.identity(),
        }
        job.update(static_identity(static))
        segment_frames = segment_length(segment_seconds, rates.output)
        resolved = {"tile": _resolve_tile(engine, info, tile, overlap, memory_budget)}
        VideoGuide(engine, resolved["tile"], overlap, drags, pilot)  # refuses what it cannot do before any state
        # 4. Resume the partial output of the same job, or start one.
        output_path.parent.mkdir(parents=True, exist_ok=True)
        # (a timeline pass shares the folder as a part that owns no segment)
        shared = (0, 0) if timeline else None if part is None else (part.first, part.end)
        state = JobState.open(output_path, job, segment_frames, resume, resolved, part=shared)

        def begin(tracker: StaticTracker | None) -> tuple[VideoGuide, _Plan]:
            guide = VideoGuide(engine, state.resolved["tile"], overlap, drags, pilot)
            plan = _Plan(info, rates, output_path, kind, settings, scene_threshold, dedupe, state.resolved["tile"],
                         ConfidenceRecord(policy), confidence, tracker)  # fmt: skip
            return guide, plan

        try:
            guide, plan = begin(static)
            saved = load_timeline(state.folder / TIMELINE_FILE) if state.resumed else None
            if timeline:
                if saved is not None:
                    return _timeline_result(plan, saved)
                if static:
                    static.masks_wanted = False
                recorder = TimelineRecorder(segment_frames, static.context if static else 0)
                return _run(reader, plan, guide, state, progress, recorder=recorder)
            if saved is None:
                return _run(reader, plan, guide, state, progress, part)
            try:
                return _run(reader, plan, guide, state, progress, part, saved)
            except SeekError as ex:
                logger.info("%s: %s Replaying the video from its first frame instead.", source, ex)
            reader.close()
            reader = open_video(source, input_fps, strict=strict)
            guide, plan = begin(static_tracker(static_settings, static_mask, show_static, info))
            return _run(reader, plan, guide, state, progress, part)
        except InputError:
            # Bad input (frames of mixed sizes, ...): the same command can never finish, so the state this run
            # made is of no use; an older resumable state is kept.
            if not state.resumed:
                state.discard()
            raise
    finally:
        reader.close()


@dataclass(frozen=True)
class _Plan:
    """What a video job was decided to be, before its frames are made."""

    info: VideoInfo
    rates: Rates
    output: Path
    kind: str  # "video" or "folder"
    settings: EncoderSettings | None
    scene_threshold: float
    dedupe: bool
    tile: int | None
    record: ConfidenceRecord  # the fallback policy, and each in-between's confidence
    sidecar: Path | None  # where to write the confidences
    static: StaticTracker | None = None  # static overlays kept still

    def estimate(self) -> int | None:
        """How many output frames the source's duration gives (None: unknown)."""
        return count_output_frames(self.info.duration, self.rates.content) if self.info.duration else None


def _open_sink(plan: _Plan, state: JobState) -> tuple[_SegmentSink | _FolderSink, int]:
    """Where the output frames go, and how many an earlier run already made."""
    info, rates = plan.info, plan.rates
    if plan.kind == "video":
        color = IMAGE_COLOR if info.is_folder else info.color

        def make_writer(path: Path) -> VideoWriter:
            return VideoWriter(
                path, info.width, info.height, rates.output, plan.settings, color=color, background=True
            )

        dtype = np.uint16 if info.bit_depth == 16 else np.uint8
        sink = _SegmentSink(state, make_writer, (info.height, info.width, 3), dtype)
        return sink, sink.resume()
    digits = max(5, len(str(plan.estimate() or 0)))

    def frame_name(index: int) -> str:
        return f"frame_{index + 1:0{digits}d}.png"

    folder = _FolderSink(state, frame_name)
    return folder, folder.resume()


def _run(reader: VideoReader | FolderReader, plan: _Plan, guide: VideoGuide, state: JobState, progress: bool,
         part: VideoPart | None = None, timeline: Timeline | None = None,
         recorder: TimelineRecorder | None = None) -> VideoResult:  # fmt: skip
    """Stream the job. ``timeline``: start from its checkpoint at or before the first frame to make (raises
    :class:`SeekError` when the source does not give the context frames back exactly); ``recorder``: make no
    frames, follow the whole timeline and save its checkpoints."""
    # 5. Where to write, and how far an earlier run got (a part: its own frames only).
    info, rates = plan.info, plan.rates
    estimate = plan.estimate()
    sink, resume_from = (_NullSink(), 0) if recorder else _open_sink(plan, state)
    first, stop_at = part.frames(state.segment_frames) if part else (0, None)
    skip_before = math.inf if recorder else max(first, resume_from)
    point = None if timeline is None else timeline.point_for(skip_before, state.segment_frames)
    if stop_at is not None and estimate is not None:
        estimate = min(estimate, stop_at)
    if state.resumed:
        logger.info("Resuming: %d output frames were made by an earlier run.", resume_from)

    static = plan.static

    def interpolate(a: _Keyframe, b: _Keyframe, times: list[float]) -> Iterator[ScoredFrame]:
        cleaned = static.engine_inputs(a.index, b.index, a.frame.image, b.frame.image) if static else None
        if cleaned is not None:  # an overlay in one frame only: not shown to the engine
            tensors = [image_to_tensor(image, a.fmt) for image in cleaned]
            return guide.frames(a.index, b.index, *cleaned, *tensors, times)
        return guide.frames(a.index, b.index, a.frame.image, b.frame.image, a.tensor, b.tensor, times)

    # 6. The streaming loop: each source frame closes a gap; render the output frames that fall in it.
    retimer = Retimer(rates.content, rates.output, dedupe=plan.dedupe)
    fmt = ImageFormat(channels=3, bit_depth=info.bit_depth)
    cuts: list[int] = []
    duplicates: list[int] = []
    made = 0
    bar = progress_bar(estimate, initial=min(resume_from, estimate or resume_from), enabled=progress,
                       unit="frame", desc="Interpolating", leave=False)  # fmt: skip
    autosave = _Autosave(sink)

    def write(index: int, image: np.ndarray) -> None:
        autosave.write(index, image)
        bar.update(1)

    anchor: _Keyframe | None = None
    last: SourceFrame | None = None
    previous: SourceFrame | None = None
    ended = False  # reached the end of the source (a part may stop before it)
    frames, start = _source_frames(reader, static, point, recorder)
    if point is not None:  # go on from the checkpoint: the timeline's state before source frame `start`
        retimer.restore(*point.retimer)
        cuts, duplicates = timeline.cuts[: point.cuts], timeline.duplicates[: point.duplicates]
        last, previous = point.source_frames()
        if static and point.chain is not None:
            static.restore_chain(timeline.marks[point.chain[0]], point.chain[1])
    try:
        for frame in frames:
            if frame.index < start:  # a context frame before the checkpoint: only the anchor is kept
                if frame.index == point.anchor:
                    anchor = _Keyframe(frame, make_thumbnail(frame.image), fmt)
                continue
            if recorder:
                chain = static.chain_at(anchor.index) if static and anchor else None
                recorder.before(frame.index, retimer.state(), anchor and anchor.index, last, previous, len(cuts),
                                len(duplicates), chain)  # fmt: skip
            current = _Keyframe(frame, make_thumbnail(frame.image), fmt)
            duplicate = cut = False
            if anchor is not None:
                duplicate = is_duplicate(anchor.thumbnail, current.thumbnail)
                cut = not duplicate and is_cut(anchor.thumbnail, current.thumbnail, plan.scene_threshold)
                if cut and guide.same_scene(anchor.index, frame.index, anchor.frame.image, frame.image):
                    cut = False
            if duplicate:
                duplicates.append(frame.index)
            if cut:
                cuts.append(frame.index)
            outputs = retimer.push(frame.index, frame.time, cut=cut, duplicate=duplicate)
            if recorder:
                scene = _scene_start(outputs, frame.index, retimer.next_index) if cut else None
                recorder.after(retimer.next_index, scene)
            if outputs:
                made += _render(outputs, anchor, current, interpolate, write, skip_before, plan.record, static,
                                stop_at)  # fmt: skip
                autosave.end_pair()
                if stop_at is not None and retimer.next_index >= stop_at:
                    break
            if retimer.anchor == frame.index:
                anchor = current
                if static:
                    static.forget_before(anchor.index)
                if recorder:
                    recorder.forget_before(anchor.index)
            previous, last = last, frame
        else:
            ended = True
            outputs = retimer.finish(_end_time(last, previous, info.frame_rate))
            made += _render(outputs, anchor, anchor, interpolate, write, skip_before, plan.record, static, stop_at)
        sink.finish()
    except BaseException as ex:
        sink.abort()
        if static:
            static.abort()
        bar.close()
        if isinstance(ex, KeyboardInterrupt):
            logger.info("%s", _stop_note(sink.saved))
        raise
    bar.close()
    num_frames = retimer.next_index
    if recorder:
        saved = recorder.finish(num_frames, cuts, duplicates)
        saved.save(state.folder / TIMELINE_FILE)
        return _timeline_result(plan, saved)
    guide.log_summary()
    if part is not None:  # the plain job joins the parts
        done = num_frames if ended else stop_at
        return VideoResult(output=plan.output, num_frames=done, frame_rate=rates.output,
                           interpolated=made, resumed_from=max(0, min(resume_from, done) - first),
                           cuts=tuple(cuts), duplicates=tuple(duplicates), tile=plan.tile, guidance=guide.counts(),
                           fell_back=plan.record.fell_back, at_end=ended)  # fmt: skip
    _check_span(guide, cuts, last.index)

    # 7. Put the output in place (video: join the segments, adding the audio).
    audio = _put_in_place(plan, state, num_frames)
    if static:
        static.finish()
    sidecar = plan.record.write(plan.sidecar) if plan.sidecar is not None else None
    state.discard()
    return VideoResult(
        output=plan.output,
        num_frames=num_frames,
        frame_rate=rates.output,
        interpolated=made,
        resumed_from=min(resume_from, num_frames),
        cuts=tuple(cuts),
        duplicates=tuple(duplicates),
        tile=plan.tile,
        audio=audio,
        guidance=guide.counts(),
        fell_back=plan.record.fell_back,
        confidence_file=sidecar,
        confidence_note=plan.record.summary(sidecar),
        protected=static.protected_share if static else 0.0,
    )


def _source_frames(reader: VideoReader | FolderReader, static: StaticTracker | None, point: TimelinePoint | None,
                   recorder: TimelineRecorder | None) -> tuple[Iterator[SourceFrame], int]:  # fmt: skip
    """The decoded frames the loop takes (from a checkpoint's context, checked, when ``point`` is given), and the
    first source frame it runs the timeline on (the ones before are context)."""
    if point is None:
        frames = recorder.watch(reader) if recorder else iter(reader)
        return (static.frames(frames) if static else frames), 0
    frames = point.check(reader.iter_from(*point.context))
    return (static.frames(frames, record_from=point.anchor) if static else frames), point.start


def _scene_start(outputs: Sequence[OutputFrame], index: int, next_index: int) -> int:
    """The first output frame that shows source frame ``index`` after a cut (its gap's nearer half copies it)."""
    return next((frame.index for frame in outputs if frame.a == index), next_index)


def _timeline_result(plan: _Plan, timeline: Timeline) -> VideoResult:
    """What a timeline pass reports: the job's output frames, cuts and repeated frames."""
    return VideoResult(output=plan.output, num_frames=timeline.num_frames, frame_rate=plan.rates.output,
                       interpolated=0, resumed_from=0, cuts=tuple(timeline.cuts),
                       duplicates=tuple(timeline.duplicates), tile=plan.tile)  # fmt: skip


class _NullSink(_SavesAsItWrites):
    """Where a timeline pass writes: nowhere (it makes no frames)."""

    saved = 0

    def write(self, index: int, image: np.ndarray) -> None:
        raise AssertionError("a timeline pass makes no frames")


def _put_in_place(plan: _Plan, state: JobState, num_frames: int) -> str:
    """Move the finished output into place (a video: its segments joined, the audio added); what became of the
    audio: ``none``, ``copied``, ``re-encoded`` or ``dropped``."""
    info, rates, output = plan.info, plan.rates, plan.output
    audio = "none"
    if plan.kind == "video":
        audio_stream = None
        if info.audio is not None and rates.slowdown != 1:
            logger.warning("The audio is dropped: --slowmo changes the speed of the video.")
            audio = "dropped"
        elif info.audio is not None:
            audio_stream = info.audio.index
        joined = state.folder / f"joined{output.suffix}"
        copied = join_segments(state.segments(num_frames), joined, rates.output, num_frames,
                               rotation=info.rotation, audio_source=info.path if audio_stream is not None else None,
                               audio_stream=audio_stream, audio_offset=info.start_time)  # fmt: skip
        if audio_stream is not None:
            audio = "copied" if copied else "re-encoded"
        os.replace(joined, output)
    else:
        if info.audio is not None:
            logger.warning("The audio is not written: the output is a folder of frames.")
            audio = "dropped"
        move_into_place(state.frames_folder, output)
    return audio


def _check_span(guide: VideoGuide, cuts: Sequence[int], last_index: int) -> None:
    """Warn when the trajectories' span holds a scene cut (never blended across) or ends after the last frame."""
    drags = guide.drags
    if drags is None:
        return
    inside = [cut for cut in cuts if drags.first < cut <= drags.last]
    if inside:
        logger.warning(
            "The drag trajectories span the scene cut before source frame %d; frames around a cut are copies, "
            "not steered.",
            inside[0],
        )
    if drags.last > last_index:
        logger.warning(
            "The drag trajectories end at source frame %d but only %d frames were decoded; the gaps after it were "
            "not steered.",
            drags.last,
            last_index + 1,
        )
