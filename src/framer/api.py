"""The Python API: keyframes in, in-between frames out. The CLI, web UI and evaluation call these functions.

:func:`iter_interpolate` streams ``(gap, t, frame, confidence)`` as frames are made (one engine call per gap, so an
engine that makes a gap's in-betweens as one clip makes one clip per gap); :func:`interpolate` is the list of its
frames. Per gap the guidance (drags, autopilot) is planned by :class:`framer.guidance.Guide`, the frames are made by
the engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import psutil

from framer.engines import Engine, create_engine
from framer.errors import InputError, ResourceError, ShapeError
from framer.guidance import FALLBACKS, Drags, GapPlan, Guide, Span, load_drags
from framer.io.fit import Placement, fit_image, fit_note, placement
from framer.io.images import ImageFormat, ImageSource, probe_image, read_image
from framer.io.masks import composite, load_mask
from framer.io.tensors import image_to_tensor, tensor_to_image
from framer.matching import AutopilotConfig
from framer.parsing import FITS, parse_size, parse_times
from framer.progress import progress_bar
from framer.timing import apply_timing, sequence_times, uniform_times
from framer.trajectory import Trajectory, TrajectoryFile, check_trajectories, draw_trajectories

__all__ = ["InterpolatedFrame", "interpolate", "iter_interpolate", "load_keyframes"]

logger = logging.getLogger(__name__)

Size = tuple[int, int]
ResizeSpec = bool | str | Size | None
TrajectoryInput = Sequence | TrajectoryFile | str | os.PathLike


def _name(source: ImageSource, index: int) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else f"keyframe {index}"


def _target_size(
    keyframes: Sequence[ImageSource], sizes: list[Size], resize: ResizeSpec, noun: str = "keyframe"
) -> Size:
    if resize is None or resize is False:
        if len(set(sizes)) > 1:
            named = enumerate(zip(keyframes, sizes, strict=True))
            listing = ", ".join(f"{_name(k, i)} is {w}x{h}" for i, (k, (w, h)) in named)
            raise ShapeError(
                f"{noun.capitalize()}s differ in size ({listing}); pass --resize (resize=True) to scale them to the "
                f"first {noun}'s size, or --resize WxH."
            )
        return sizes[0]
    if resize is True or resize == "first":
        return sizes[0]
    if isinstance(resize, str):
        return parse_size(resize)
    if isinstance(resize, tuple) and len(resize) == 2 and all(isinstance(v, int) and v > 0 for v in resize):
        return resize
    raise InputError(f"`resize` must be True, 'WxH' or a (width, height) tuple, not {resize!r}.")


def _check_memory(engine: Engine, size: Size) -> None:
    needed = engine.memory_needed(size[1], size[0])
    available = psutil.virtual_memory().available
    if needed > available:
        raise ResourceError(
            f"Keyframes of {size[0]}x{size[1]} need about {needed / 2**30:.1f} GiB of memory for the {engine.name} "
            f"engine but {available / 2**30:.1f} GiB are available; downscale them with --resize WxH."
        )


def _check_fit(fit: object) -> str:
    if fit not in FITS:
        raise InputError(f"`fit` must be one of {', '.join(FITS)} but is {fit!r}.")
    return str(fit)


def _plan_sizes(
    keyframes: Sequence[ImageSource], resize: ResizeSpec, fit: str = "pad", noun: str = "keyframe"
) -> tuple[Size, Size]:
    """Check there are two or more keyframes; the first keyframe's size and the size all are interpolated at.

    Reads image headers only, and logs (info) how keyframes of another size are fitted.
    """
    _check_fit(fit)
    if isinstance(keyframes, (str, os.PathLike, np.ndarray)) or len(keyframes) < 2:
        raise InputError("At least two keyframes are needed.")
    sizes = [probe_image(k) for k in keyframes]
    target = _target_size(keyframes, sizes, resize, noun)
    for size in dict.fromkeys(sizes):  # one line per distinct size, in order
        note = fit_note(size, target, fit)
        if note:
            logger.info("%s.", note[0].upper() + note[1:])
    return sizes[0], target


def _decode(keyframes: Sequence[ImageSource], size: Size, fit: str = "pad") -> list[np.ndarray]:
    return [fit_image(read_image(k), size, fit) for k in keyframes]


def _place_drags(trajectories: list[Trajectory], placement: Placement, size: Size) -> list[Trajectory]:
    """Trajectories in the pixels of the first keyframe as scaled (``placement.scaled``), moved to where it lands in
    the padded or cropped frame of ``size``; checked there (a point cropped away is an error)."""
    if placement.offset == (0, 0):
        return trajectories
    offset = np.asarray(placement.offset, dtype=np.float64)
    moved = [Trajectory(t.points + offset, t.times, t.name, t.interpolation, t.confidence) for t in trajectories]
    return check_trajectories(moved, *size)


def load_keyframes(
    keyframes: Sequence[ImageSource], resize: ResizeSpec = None, fit: str = "pad", *, noun: str = "keyframe"
) -> list[np.ndarray]:
    """Read two or more keyframes into arrays of one size (see :func:`framer.io.read_image`); ``resize`` and ``fit``
    as in :func:`interpolate`; ``noun`` names them in the message when their sizes differ (``"still"`` for a
    time-lapse)."""
    return _decode(keyframes, _plan_sizes(keyframes, resize, fit, noun)[1], fit)


class InterpolatedFrame(NamedTuple):
    """One output frame of :func:`iter_interpolate`.

    Attributes:
        gap: the gap it belongs to, 0 for keyframes 0 -> 1 (a keyframe: the gap it starts; the last: the last gap).
        t: its clock time within the gap, in (0, 1); 0 for a keyframe, 1 for the last keyframe.
        frame: the frame in the keyframes' format (see :func:`interpolate`).
        confidence: how far the engine's own signals trust the frame, in [0, 1] (1 for a keyframe); see
            :meth:`framer.engines.Engine.iter_scored`.
    """

    gap: int
    t: float
    frame: np.ndarray
    confidence: float = 1.0


def interpolate(
    keyframes: Sequence[ImageSource],
    num_frames: int | None = None,
    times: Sequence[float] | None = None,
    timing: str = "linear",
    engine: str | Engine = "flow",
    include_keyframes: bool = False,
    resize: ResizeSpec = None,
    trajectories: TrajectoryInput | None = None,
    overlay: bool = False,
    autopilot: bool | AutopilotConfig = False,
    progress: bool = False,
    *,
    fit: str = "pad",
    rescale_trajectories: bool = False,
    static_mask: str | os.PathLike | None = None,
    **engine_options,
) -> list[np.ndarray]:
    """Frames between consecutive keyframes.

    Args:
        keyframes: two or more paths, PIL images or arrays; more than two make one sequence through all of them.
        num_frames: in-betweens per gap, evenly spaced (default 7 when ``times`` is not given).
        times: explicit times in (0, 1) per gap instead of ``num_frames``.
        timing: ``linear``, ``ease-in``, ``ease-out`` or ``ease-in-out``: maps each frame's place in the gap to
            how far the motion has got.
        engine: an engine name (``flow``) or an engine made by :func:`framer.create_engine` (reuse it to load
            the model once).
        include_keyframes: put the keyframes themselves in the sequence.
        resize: scale keyframes of different sizes: True for the first keyframe's size, or ``"WxH"``/``(W, H)``.
        fit: how a keyframe of another shape than that size is fitted (logged at info level): ``"pad"`` (default:
            scaled to fit inside, the aspect kept, the rest black or transparent; nothing of the picture is lost),
            ``"crop"`` (scaled to cover it, the aspect kept, the overflow cut off at the centre) or ``"stretch"``
            (scaled to the size, the aspect changed).
        trajectories: drag mode: the content under each trajectory's start (in the first keyframe) follows the
            trajectory and ends at its end (in the last keyframe). :class:`framer.Trajectory` objects,
            ``"x0,y0:x1,y1:..."`` strings, point lists, or a trajectory ``.json`` file (see
            ``docs/trajectory-format.md``). With more than two keyframes a trajectory spans the whole sequence.
            They are in the first keyframe's pixels (a file: in those of the frame it was drawn on) and follow it
            when it is scaled, padded or cropped.
        rescale_trajectories: stretch a trajectory file drawn on a frame of another shape (aspect) than the first
            keyframe onto it; without it such a file is refused (a file of the same shape is always rescaled).
        overlay: draw the trajectories on the output frames (paths, sampled points, the point for each frame); with
            ``autopilot``, the trajectories it found.
        autopilot: for large motion: find correspondences between each pair of keyframes (SIFT, verified, spread)
            and steer with them (see :mod:`framer.guidance`): an engine that pre-aligns (flow) gets the keyframes
            pre-aligned before the network runs; one that follows tracks (diffusion) gets the matches as tracks.
            Where the motion is small, or the matches too few or unreliable, the gap is interpolated plainly (the
            result is then exactly that without autopilot) and a log message says why. With ``trajectories``,
            those are the correspondences instead of the detected ones. True for the defaults, or an
            :class:`framer.matching.AutopilotConfig`.
        progress: show a progress bar on stderr.
        static_mask: an image of the interpolation size, white where the picture is kept still: there each
            in-between shows the nearer keyframe (in time) unwarped, as logos and subtitles should.
        **engine_options: passed to :func:`framer.create_engine` when ``engine`` is a name (``model``,
            ``weights``, ``device``, ``threads``).

    Returns:
        Frames as numpy arrays in the keyframes' format: ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8 or
        uint16 (the widest of the keyframes'), at the keyframes' size.
    """
    stream = iter_interpolate(
        keyframes, num_frames, times, timing, engine, include_keyframes, resize, trajectories, overlay, autopilot,
        progress, fit=fit, rescale_trajectories=rescale_trajectories, static_mask=static_mask, **engine_options,
    )  # fmt: skip
    return [item.frame for item in stream]


def iter_interpolate(
    keyframes: Sequence[ImageSource],
    num_frames: int | None = None,
    times: Sequence[float] | None = None,
    timing: str = "linear",
    engine: str | Engine = "flow",
    include_keyframes: bool = False,
    resize: ResizeSpec = None,
    trajectories: TrajectoryInput | None = None,
    overlay: bool = False,
    autopilot: bool | AutopilotConfig = False,
    progress: bool = False,
    *,
    fit: str = "pad",
    rescale_trajectories: bool = False,
    static_mask: str | os.PathLike | None = None,
    **engine_options,
) -> Iterator[InterpolatedFrame]:
    """:func:`interpolate` as a stream: yields :class:`InterpolatedFrame` ``(gap, t, frame, confidence)`` as frames
    are made.

    Arguments as :func:`interpolate`. They are checked, the keyframes read and the engine made before this returns;
    the engine then runs once per gap, on all of the gap's times, while the stream is consumed.
    """
    # 1. The cheap arguments, before any file is read or model loaded.
    if num_frames is not None and times is not None:
        raise InputError("Give either `num_frames` or `times`, not both.")
    clock = parse_times(times) if times is not None else uniform_times(7 if num_frames is None else num_frames)
    content = apply_timing(clock, timing)
    first_size, size = _plan_sizes(keyframes, resize, fit)
    drags = None
    if trajectories is not None:
        first = placement(first_size, size, fit)
        loaded = load_drags(trajectories, first.scaled, first_size, rescale=rescale_trajectories)
        drags = Drags(tuple(_place_drags(loaded, first, size)))
    pilot = AutopilotConfig.from_option(autopilot)
    still = None if static_mask is None else load_mask(static_mask, *size)
    if overlay and drags is None and pilot is None:
        raise InputError("`overlay` draws trajectories, but no trajectories were given and autopilot is off.")
    # 2. The engine, what it can take, and whether the job fits in memory.
    if isinstance(engine, str):
        logger.info("Loading model...")  # a few seconds: say so at once
        engine = create_engine(engine, **engine_options)
    elif engine_options:
        raise InputError(f"Engine options {sorted(engine_options)} apply only when `engine` is a name.")
    guide = Guide(engine, drags, pilot)
    if pilot is not None and not guide.aligns and overlay and drags is None:
        raise InputError(f"`overlay` cannot show the {engine.name} engine's own autopilot tracks; use `framer match`.")
    _check_memory(engine, size)
    # 3. The keyframes, decoded into one format; the frames are made as the stream is read.
    images = _decode(keyframes, size, fit)
    fmt = ImageFormat.of(images[0])
    for image in images[1:]:
        fmt = fmt.widen(ImageFormat.of(image))
    job = _Job(clock, content, drags, overlay, guide, images, fmt, include_keyframes, still)
    return job.run(progress)


@dataclass
class _Job:
    """One checked :func:`iter_interpolate` call: keyframes decoded, engine and guidance ready."""

    clock: list[float]
    content: list[float]
    drags: Drags | None
    overlay: bool
    guide: Guide
    images: list[np.ndarray]
    fmt: ImageFormat
    include_keyframes: bool
    still: np.ndarray | None = None  # (H, W) bool: where each in-between shows the nearer keyframe
    tensors: list = field(init=False)

    def __post_init__(self) -> None:
        self.tensors = [image_to_tensor(image, self.fmt) for image in self.images]

    def run(self, progress: bool) -> Iterator[InterpolatedFrame]:
        gaps = len(self.images) - 1
        dots = sequence_times(len(self.images), self.content, self.include_keyframes) if self.drags else None
        place = iter(dots or [])
        with progress_bar(gaps * len(self.content), desc="Interpolating", unit="frame", enabled=progress) as bar:
            for gap in range(gaps):
                plan = self._plan(gap)
                if self.include_keyframes:
                    yield InterpolatedFrame(gap, 0.0, self._draw(self._keyframe(gap), plan, 0.0, place, dots), 1.0)
                pair = self.tensors[gap], self.tensors[gap + 1]
                frames = self.guide.frames(*pair, self.content, plan)
                for t_clock, t_content, scored in zip(self.clock, self.content, frames, strict=True):
                    image = tensor_to_image(scored.frame[0], self.fmt)
                    if self.still is not None:
                        image = composite(image, self._keyframe(gap + (t_clock >= 0.5)), self.still)
                    image = self._draw(image, plan, t_content, place, dots)
                    yield InterpolatedFrame(gap, t_clock, image, scored.confidence)
                    bar.update(1)
            if self.include_keyframes:
                last = self._draw(self._keyframe(gaps), plan, 1.0, place, dots)
                yield InterpolatedFrame(gaps - 1, 1.0, last, 1.0)

    def _plan(self, gap: int) -> GapPlan:
        gaps = len(self.images) - 1
        span = Span(gap, gap + 1, 0, gaps) if self.drags is not None else None
        image0, image1 = self.images[gap], self.images[gap + 1]
        plan = self.guide.plan(image0, image1, self.tensors[gap], self.tensors[gap + 1], self.content, span)
        if plan.reason:
            level = logging.WARNING if plan.decision in FALLBACKS else logging.INFO
            logger.log(level, "%s.", plan.reason)
        return plan

    def _keyframe(self, index: int) -> np.ndarray:
        """A keyframe in the output format (as an in-between would be)."""
        return tensor_to_image(self.tensors[index][0], self.fmt)

    def _draw(self, image: np.ndarray, plan: GapPlan, t: float, place: Iterator[float], dots) -> np.ndarray:
        """The overlay, when asked for: the drag trajectories at the frame's sequence time, or the gap's autopilot
        matches at its time in the gap."""
        if not self.overlay:
            return image
        if self.drags is not None:
            return draw_trajectories(image, list(self.drags.trajectories), next(place), dots)
        if not plan.found:
            return image
        return draw_trajectories(image, plan.found, t, [0.0, *self.content, 1.0])
