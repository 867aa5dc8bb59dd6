"""Seamless loops: a clip whose end flows back into its start.

1. The clip is read (:func:`framer.video.open_video`), optionally only its first ``duration`` seconds and scaled.
   A clip of several shots (scene cuts, :func:`framer.video.scenes.is_cut`) is looped on its longest shot, with a
   warning: ends from two shots have nothing to interpolate between (``across_cuts`` loops the whole clip anyway).
2. The join: among the last ``window`` frames and the first ``window`` frames, the pair that differs least (mean
   absolute difference of small grey copies) is where the clip is cut: it runs from that start frame to that end.
3. The bridge: ``frames`` in-betweens from the end frame back to the start frame, made by the engine at the clip's
   frame rate; unless given, as many as the motion across the join needs for steps no larger than the clip's
   typical step (dense flow and frame difference, each against its median between consecutive frames); then,
   measured on the bridge made: while a step of it differs more than the clip's median step, made longer (a few
   rounds, at most ``max_frames``). A step still more than twice the median (ends from two shots, or more motion than
   the in-betweens cover) is a jump a viewer sees: a warning says so (``LoopResult.bridge_step``).
4. The loop is the cut clip followed by the bridge; played again and again it has no jump. Audio is dropped
   (a cut and in-betweens have no sound to match), with a note.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np

from framer.errors import InputError
from framer.parsing import parse_size

__all__ = ["MIN_FRAMES", "LoopResult", "find_shots", "frame_difference", "make_loop"]

logger = logging.getLogger(__name__)

MIN_FRAMES = 4  # two to end on, two to start from
_THUMB_WIDTH = 160  # the join is chosen on copies this wide
_REPEAT = 0.25  # a join this far below the clip's median step repeats the start frame
_REFINE_ROUNDS = 3  # times the bridge may be lengthened when a step of it is larger than the clip's
# A bridge step this many times the clip's median step is a jump a viewer sees: the ends are far apart (another
# shot, or more motion than the in-betweens cover); the user is told.
_JUMP = 2.0


@dataclass(frozen=True)
class LoopResult:
    """What :func:`make_loop` made.

    Attributes:
        frames: the loop, ``(H, W, 3)`` uint8 (uint16 for sources of more than 8 bits): source frames ``start`` to
            ``end`` and then the in-betweens back to ``start``.
        frame_rate: the clip's frame rate (write the loop at it).
        start, end: the first and last source frames kept (0-based, counted in the clip as read).
        inserted: in-betweens from ``end`` back to ``start``.
        join_difference: mean absolute difference (0-255) from the last frame of the loop to its first: the jump
            the loop makes when it starts again.
        cut_difference: the same for the clip as read (its last frame to its first): the jump without this tool.
        step_difference: the median of the differences between consecutive frames of the clip (of the shot
            looped, when the clip has several).
        bridge_step: the largest difference between consecutive frames from the end frame through the bridge to the
            start frame (``step_difference`` or less when the bridge is as smooth as the clip).
        audio_dropped: the clip had an audio track, which the loop does not carry.
        shots: the clip's shots as ``(first, last)`` source frames (one for a clip without a scene cut).
    """

    frames: list[np.ndarray]
    frame_rate: Fraction
    start: int
    end: int
    inserted: int
    join_difference: float
    cut_difference: float
    step_difference: float
    bridge_step: float
    audio_dropped: bool
    shots: tuple[tuple[int, int], ...] = ()


def frame_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two images ``(H, W, C)`` uint8/uint16, in [0, 255]."""
    scale = 255.0 / 65535.0 if a.dtype == np.uint16 else 1.0
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean()) * scale


def _frame_rate(info_rate: Fraction, times: list[Fraction]) -> Fraction:
    """The clip's rate: the container's, or (when it gives none that is plausible) the median frame step's."""
    if 0 < info_rate <= 1000:
        return Fraction(info_rate)
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    if not steps:
        return Fraction(24)
    return (1 / Fraction(sorted(steps)[len(steps) // 2])).limit_denominator(1001)


def _read(source: str | os.PathLike, duration: float | None, size: tuple[int, int] | None
          ) -> tuple[list[np.ndarray], Fraction, bool]:  # fmt: skip
    """The clip's frames (the first ``duration`` seconds, scaled to ``size``), its frame rate, and whether it has
    audio."""
    from framer.video import open_video

    frames, times = [], []
    with open_video(source) as reader:
        info = reader.info
        for frame in reader:
            if duration is not None and frame.time >= duration:
                break
            image = frame.image
            if size is not None and (image.shape[1], image.shape[0]) != size:
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            frames.append(image)
            times.append(frame.time)
    return frames, _frame_rate(info.frame_rate, times), info.audio is not None


def _thumbnails(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Small grey float32 copies (at most ``_THUMB_WIDTH`` wide), values in [0, 255]."""
    height, width = frames[0].shape[:2]
    scale = min(1.0, _THUMB_WIDTH / width)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    div = 257.0 if frames[0].dtype == np.uint16 else 1.0
    return [
        cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32) / div, size, interpolation=cv2.INTER_AREA)
        for f in frames
    ]


def choose_join(thumbs: list[np.ndarray], window: int) -> tuple[int, int, float]:
    """``(start, end, difference)``: the start among the first ``window`` frames and the end among the last
    ``window`` that differ least (a longer loop wins a tie)."""
    n, best = len(thumbs), None
    for end in range(n - window, n):
        for start in range(window):
            score = float(np.abs(thumbs[end] - thumbs[start]).mean())
            key = (round(score, 3), -(end - start))
            if best is None or key < best[0]:
                best = (key, start, end, score)
    return best[1], best[2], best[3]


def _flow_magnitude(a: np.ndarray, b: np.ndarray) -> float:
    """How far content moves from ``a`` to ``b``, in thumbnail pixels: the mean length of the dense flow (Farneback),
    or the global shift (phase correlation) when that is larger (a pan too large for the dense flow's pyramid)."""
    flow = cv2.calcOpticalFlowFarneback(a.astype(np.uint8), b.astype(np.uint8), None, 0.5, 5, 15, 3, 5, 1.2, 0)
    window = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a, b, window)
    shift = math.hypot(dx, dy) if response > 0.2 else 0.0  # a weak peak: no global shift to speak of
    return max(float(np.linalg.norm(flow, axis=2).mean()), shift)


def bridge_length(thumbs: list[np.ndarray], start: int, end: int, limit: int) -> int:
    """In-betweens from ``end`` to ``start`` for steps like the clip's own: the larger of the ratios of the join's
    flow and difference to the median between consecutive frames, rounded, less one; at most ``limit``."""
    pairs = list(zip(thumbs[start:end], thumbs[start + 1 : end + 1], strict=True))
    sample = pairs[:: max(1, len(pairs) // 16)]  # the motion of up to about 16 steps is enough for a median
    step_flow = float(np.median([_flow_magnitude(a, b) for a, b in sample]))
    step_diff = float(np.median([np.abs(a - b).mean() for a, b in pairs]))
    join_flow = _flow_magnitude(thumbs[end], thumbs[start])
    join_diff = float(np.abs(thumbs[end] - thumbs[start]).mean())
    ratio = max(join_flow / max(step_flow, 0.05), join_diff / max(step_diff, 0.25))
    return int(min(limit, max(0, round(ratio) - 1)))  # a first guess: make_loop checks the steps it makes


def find_shots(frames: list[np.ndarray]) -> list[tuple[int, int]]:
    """The shots of a clip, ``(first, last)`` frame indices, split at its scene cuts
    (:func:`framer.video.scenes.is_cut` between consecutive frames)."""
    from framer.video.scenes import is_cut, make_thumbnail

    thumbnails = [make_thumbnail(frame) for frame in frames]
    firsts = [0] + [k + 1 for k, (a, b) in enumerate(itertools.pairwise(thumbnails)) if is_cut(a, b)]
    return [(first, following - 1) for first, following in zip(firsts, [*firsts[1:], len(frames)], strict=True)]


def _choose_shot(shots: list[tuple[int, int]], across_cuts: bool) -> tuple[int, int]:
    """The frames to loop: the whole clip, or (when it has cuts and not ``across_cuts``) its longest shot (the
    first of equally long ones), with a warning that says which."""
    whole = (shots[0][0], shots[-1][1])
    if len(shots) == 1 or across_cuts:
        return whole
    first, last = max(shots, key=lambda shot: (shot[1] - shot[0], -shot[0]))
    if last - first + 1 < MIN_FRAMES:
        raise InputError(
            f"The clip has {len(shots)} shots and the longest has {last - first + 1} frames; a loop needs at least "
            f"{MIN_FRAMES} (loop across the cuts with `across_cuts`)."
        )
    cuts = ", ".join(str(shot[0]) for shot in shots[1:])
    logger.warning(
        "The clip has %d shots (scene cuts before frames %s); the loop uses the longest, frames %d to %d (loop "
        "across the cuts with --across-cuts).", len(shots), cuts, first, last,
    )  # fmt: skip
    return first, last


def _largest_step(end: np.ndarray, bridge: list[np.ndarray], start: np.ndarray) -> float:
    """The largest :func:`frame_difference` between consecutive frames of ``end``, ``bridge``, ``start``."""
    return max(frame_difference(a, b) for a, b in itertools.pairwise([end, *bridge, start]))


def _check_arguments(window: object, frames: object, duration: object, max_frames: object) -> None:
    for name, value, low in (("window", window, 2), ("frames", frames, 0), ("max_frames", max_frames, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            raise InputError(f"`{name}` must be an integer >= {low} but is {value!r}.")
    if duration is not None and (not isinstance(duration, (int, float)) or duration <= 0):
        raise InputError(f"`duration` must be a number of seconds > 0 but is {duration!r}.")


class _BridgeMaker:
    """Makes the in-betweens from the end frame back to the start frame; the engine is made on first use."""

    def __init__(self, engine: str | object, options: dict, image_end: np.ndarray, image_start: np.ndarray) -> None:
        if not isinstance(engine, str) and options:
            raise InputError(f"Engine options {sorted(options)} apply only when `engine` is a name.")
        self.engine, self.options, self.ends = engine, options, (image_end, image_start)

    def __call__(self, count: int) -> list[np.ndarray]:
        """``count`` in-betweens at ``t = k / (count + 1)``, ``(H, W, 3)`` in the clip's format."""
        if count == 0:
            return []
        from framer.io.images import ImageFormat
        from framer.io.tensors import image_to_tensor, tensor_to_image

        if isinstance(self.engine, str):
            from framer.engines import create_engine

            logger.info("Loading model...")
            self.engine = create_engine(self.engine, **self.options)
        fmt = ImageFormat.of(self.ends[0])
        times = [k / (count + 1) for k in range(1, count + 1)]
        frames = self.engine.iter_frames(*(image_to_tensor(image) for image in self.ends), times)
        return [tensor_to_image(frame[0], fmt) for frame in frames]


def make_loop(
    source: str | os.PathLike,
    window: int | None = None,
    frames: int | None = None,
    *,
    duration: float | None = None,
    resize: str | tuple[int, int] | None = None,
    max_frames: int = 16,
    across_cuts: bool = False,
    engine: str | object = "flow",
    **engine_options,
) -> LoopResult:
    """Make a clip loop without a jump: cut it at the best join and interpolate from its end back to its start.

    Args:
        source: a video file, or a folder of frames (read at 24 fps).
        window: frames at each end among which the join is chosen [default: about a second, at most a quarter
            of the clip].
        frames: in-betweens from the end back to the start [default: chosen from the motion across the join, at
            most ``max_frames``].
        duration: use only the first this many seconds of the clip.
        resize: scale the frames to ``"WxH"`` or ``(W, H)`` first.
        max_frames: the most in-betweens chosen from the motion.
        across_cuts: loop the whole clip even where it has scene cuts [default: its longest shot].
        engine: an engine name or an engine made by :func:`framer.create_engine`.
        **engine_options: for :func:`framer.create_engine` when ``engine`` is a name.
    """
    # 1. Arguments and the clip.
    _check_arguments(window, frames, duration, max_frames)
    size = parse_size(resize) if isinstance(resize, str) else resize
    whole, rate, audio = _read(source, duration, size)
    if len(whole) < MIN_FRAMES:
        what = f"The first {duration:g} s of {source} hold" if duration is not None else f"{source} has"
        raise InputError(
            f"{what} {len(whole)} frame{'' if len(whole) == 1 else 's'}; a loop needs at least {MIN_FRAMES}."
        )
    shots = find_shots(whole)
    offset, last = _choose_shot(shots, across_cuts)
    clip = whole[offset : last + 1]
    looped_part = "clip" if len(clip) == len(whole) else "shot"
    if window is None:
        window = max(2, min(round(rate), len(clip) // 4))
    elif 2 * window > len(clip):
        raise InputError(f"A join window of {window} frames is more than half of the {looped_part}'s {len(clip)} "
                         "frames; give a smaller window.")  # fmt: skip
    if audio:
        logger.info("The clip's audio is dropped: a loop's cut and in-betweens have no sound to match.")
    # 2. The join and a first length of the bridge, from the motion across it.
    thumbs = _thumbnails(clip)
    start, end, closest = choose_join(thumbs, window)
    if closest < _REPEAT * float(np.median([np.abs(a - b).mean() for a, b in itertools.pairwise(thumbs)])):
        end -= 1  # the end repeats the start: it is shown once, as the start (end - 1 -> start is then a plain step)
    step = float(np.median([frame_difference(a, b) for a, b in itertools.pairwise(clip)]))
    count = bridge_length(thumbs, start, end, max_frames) if frames is None else frames
    # 3. The bridge; unless its length was given, lengthened while one of its steps is larger than the clip's.
    make = _BridgeMaker(engine, engine_options, clip[end], clip[start])
    bridge = make(count)
    largest = _largest_step(clip[end], bridge, clip[start])
    for _ in range(_REFINE_ROUNDS if frames is None else 0):
        if largest <= step or count >= max_frames:
            break
        count = min(max_frames, max(count + 1, math.ceil((count + 1) * largest / max(step, 1e-3)) - 1))
        bridge = make(count)
        largest = _largest_step(clip[end], bridge, clip[start])
    logger.info("Loop: source frames %d to %d, then %d in-between%s back to frame %d.",
                offset + start, offset + end, count, "" if count == 1 else "s", offset + start)  # fmt: skip
    if largest > _JUMP * step:
        logger.warning(
            "The loop still jumps where it returns to its start: the largest step from frame %d back to frame %d is "
            "%.2f, %.1f times the %s's median step (%.2f). Its ends are far apart (another shot, or more motion "
            "than %d in-between%s cover): loop one shot (--duration, or a trimmed clip), or give more in-betweens "
            "(--frames).",
            offset + end, offset + start, largest, largest / max(step, 1e-3), looped_part, step, count,
            "" if count == 1 else "s",
        )  # fmt: skip
    looped = clip[start : end + 1] + bridge
    return LoopResult(
        frames=looped,
        frame_rate=rate,
        start=offset + start,
        end=offset + end,
        inserted=count,
        join_difference=frame_difference(looped[-1], looped[0]),
        cut_difference=frame_difference(whole[-1], whole[0]),
        step_difference=step,
        bridge_step=largest,
        audio_dropped=audio,
        shots=tuple(shots),
    )
