"""The Python API: keyframes in, in-between frames out. The CLI, web UI and evaluation call these functions."""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np
import psutil
import torch
from tqdm.auto import tqdm

from framer.engines import Engine, create_engine
from framer.errors import InputError, ResourceError, ShapeError
from framer.io.images import ImageFormat, ImageSource, probe_image, read_image
from framer.timing import apply_timing, uniform_times
from framer.trajectory import (
    Trajectory,
    TrajectoryFile,
    check_trajectories,
    coerce_trajectories,
    load_trajectories,
    overlay_frames,
    sample_trajectories,
)

if TYPE_CHECKING:
    from framer.engines.flow.align import Alignment
    from framer.matching import AutopilotConfig

__all__ = ["frames_to_tensor", "interpolate", "load_keyframes", "parse_size", "sequence_times", "tensor_to_frame"]

Size = tuple[int, int]
ResizeSpec = bool | str | Size | None
TrajectoryInput = Sequence | TrajectoryFile | str | os.PathLike


def parse_size(text: str) -> Size:
    """``"640x360"`` -> ``(640, 360)`` (width, height)."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(text))
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise InputError(f"A size must be WIDTHxHEIGHT with positive integers, such as 640x360, not {text!r}.")
    return int(match.group(1)), int(match.group(2))


def _name(source: ImageSource, index: int) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else f"keyframe {index}"


def _target_size(keyframes: Sequence[ImageSource], sizes: list[Size], resize: ResizeSpec) -> Size:
    if resize is None or resize is False:
        if len(set(sizes)) > 1:
            named = enumerate(zip(keyframes, sizes, strict=True))
            listing = ", ".join(f"{_name(k, i)} is {w}x{h}" for i, (k, (w, h)) in named)
            raise ShapeError(
                f"Keyframes differ in size ({listing}); pass --resize (resize=True) to scale them to the first "
                "keyframe's size, or --resize WxH."
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


def _resize(image: np.ndarray, size: Size) -> np.ndarray:
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] * size[1] < image.shape[0] * image.shape[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def _plan_sizes(keyframes: Sequence[ImageSource], resize: ResizeSpec) -> tuple[Size, Size]:
    """Check there are two or more keyframes; the first keyframe's size and the size all are interpolated at.

    Reads image headers only.
    """
    if isinstance(keyframes, (str, os.PathLike, np.ndarray)) or len(keyframes) < 2:
        raise InputError("At least two keyframes are needed.")
    sizes = [probe_image(k) for k in keyframes]
    return sizes[0], _target_size(keyframes, sizes, resize)


def _prepare_trajectories(trajectories: TrajectoryInput, first_size: Size, size: Size) -> list[Trajectory]:
    """Trajectories in the coordinates of the frames being made, checked against their size.

    A trajectory file carries the frame size it was drawn on; other trajectories are taken to be in the first
    keyframe's pixels. Either is rescaled when the keyframes are resized.
    """
    if isinstance(trajectories, TrajectoryFile):
        result = trajectories.for_size(*size)
    elif isinstance(trajectories, os.PathLike) or (isinstance(trajectories, str) and trajectories.endswith(".json")):
        result = load_trajectories(trajectories).for_size(*size)
    else:
        result = coerce_trajectories(trajectories)
        if first_size != size:
            result = [trajectory.resized(first_size, size) for trajectory in result]
    if not result:
        raise InputError("`trajectories` is empty; give at least one trajectory or leave it out.")
    return check_trajectories(result, *size)


def sequence_times(num_keyframes: int, times: Sequence[float], include_keyframes: bool) -> list[float]:
    """Where each output frame lies on the whole sequence, 0 (first keyframe) to 1 (last keyframe).

    Drag trajectories are parametrised by this time, so with more than two keyframes a trajectory runs through all
    gaps, gap ``g`` of ``G`` covering ``[g / G, (g + 1) / G]``.
    """
    gaps = num_keyframes - 1
    result: list[float] = []
    for gap in range(gaps):
        if include_keyframes:
            result.append(gap / gaps)
        result.extend((gap + t) / gaps for t in times)
    if include_keyframes:
        result.append(1.0)
    return result


def _decode(keyframes: Sequence[ImageSource], size: Size) -> list[np.ndarray]:
    return [_resize(read_image(k), size) for k in keyframes]


def load_keyframes(keyframes: Sequence[ImageSource], resize: ResizeSpec = None) -> list[np.ndarray]:
    """Read two or more keyframes into arrays of one size (see :func:`framer.io.read_image`)."""
    return _decode(keyframes, _plan_sizes(keyframes, resize)[1])


def frames_to_tensor(image: np.ndarray, fmt: ImageFormat) -> torch.Tensor:
    """Array ``(H, W[, C])`` uint8/uint16 -> ``(1, 3 or 4, H, W)`` float32 in [0, 1] with the channels of ``fmt``."""
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    x = torch.from_numpy(np.ascontiguousarray(image)).float().div_(scale)
    x = x[:, :, None] if x.ndim == 2 else x  # (H, W, C)
    if x.shape[2] == 1:
        x = x.expand(-1, -1, 3)
    if fmt.channels == 4 and x.shape[2] == 3:
        x = torch.cat((x, torch.ones_like(x[:, :, :1])), 2)
    return x.permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_frame(x: torch.Tensor, fmt: ImageFormat) -> np.ndarray:
    """``(3 or 4, H, W)`` float in [0, 1] -> array in ``fmt`` (grey, RGB or RGBA; 8 or 16 bit), rounded."""
    scale = 65535.0 if fmt.bit_depth == 16 else 255.0
    if fmt.channels == 1:
        x = x[:3].mean(0, keepdim=True)
    array = x.clamp(0, 1).mul(scale).round_().permute(1, 2, 0).cpu().numpy().astype(fmt.dtype)
    return array[:, :, 0] if fmt.channels == 1 else array


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
        trajectories: drag mode: the content under each trajectory's start (in the first keyframe) follows the
            trajectory and ends at its end (in the last keyframe). :class:`framer.Trajectory` objects,
            ``"x0,y0:x1,y1:..."`` strings, point lists, or a trajectory ``.json`` file (see
            ``docs/trajectory-format.md``). With more than two keyframes a trajectory spans the whole sequence.
        overlay: draw the trajectories on the output frames (paths, sampled points, the point for each frame); with
            ``autopilot``, the trajectories it found.
        autopilot: for large motion: find correspondences between each pair of keyframes (SIFT, verified, spread)
            and pre-align the keyframes with them before the flow network runs (see :mod:`framer.matching`).
            Where the motion is small, or the matches too few or unreliable, the gap is interpolated plainly (the
            result is then exactly that without autopilot) and a log message says why. With ``trajectories``,
            those are the correspondences instead of the detected ones. True for the defaults, or an
            :class:`framer.matching.AutopilotConfig`. Needs an engine whose ``iter_frames`` takes ``alignment``
            (the flow engine).
        progress: show a progress bar on stderr.
        **engine_options: passed to :func:`framer.create_engine` when ``engine`` is a name (``model``,
            ``weights``, ``device``, ``threads``).

    Returns:
        Frames as numpy arrays in the keyframes' format: ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8 or
        uint16 (the widest of the keyframes'), at the keyframes' size.
    """
    # 1. Check the cheap arguments before any file is read or model loaded.
    if num_frames is not None and times is not None:
        raise InputError("Give either `num_frames` or `times`, not both.")
    clock_times = list(times) if times is not None else uniform_times(7 if num_frames is None else num_frames)
    content_times = apply_timing(clock_times, timing)
    first_size, size = _plan_sizes(keyframes, resize)
    drags = None if trajectories is None else _prepare_trajectories(trajectories, first_size, size)
    from framer.matching import AutopilotConfig

    pilot = AutopilotConfig.from_option(autopilot)
    if overlay and drags is None and pilot is None:
        raise InputError("`overlay` draws trajectories, but no trajectories were given and autopilot is off.")

    # 2. The engine, and whether the job fits in memory.
    if isinstance(engine, str):
        engine = create_engine(engine, **engine_options)
    elif engine_options:
        raise InputError(f"Engine options {sorted(engine_options)} apply only when `engine` is a name.")
    _check_memory(engine, size)
    engine_parameters = inspect.signature(engine.iter_frames).parameters
    steers_itself = "autopilot" in engine_parameters  # e.g. diffusion: the autopilot's matches become its tracks
    if pilot is not None and not steers_itself and "alignment" not in engine_parameters:
        raise InputError(f"`autopilot` needs an engine that pre-aligns or steers itself, not {engine.name!r}.")
    if pilot is not None and steers_itself and overlay and drags is None:
        raise InputError(f"`overlay` cannot show the {engine.name} engine's own autopilot tracks; use `framer match`.")

    # 3. Decode keyframes into one format.
    images = _decode(keyframes, size)
    fmt = ImageFormat.of(images[0])
    for image in images[1:]:
        fmt = fmt.widen(ImageFormat.of(image))
    tensors = [frames_to_tensor(image, fmt) for image in images]

    # 4. Interpolate each gap.
    def as_output(image: np.ndarray) -> np.ndarray:
        return tensor_to_frame(frames_to_tensor(image, fmt)[0], fmt)

    frames: list[np.ndarray] = []
    gaps = len(tensors) - 1
    found: list[list[Trajectory]] = []  # autopilot's trajectories per gap, for the overlay
    with tqdm(total=gaps * len(content_times), disable=not progress, unit="frame", desc="Interpolating") as bar:
        for index in range(gaps):
            if include_keyframes:
                frames.append(as_output(images[index]))
            tracks, alignment = None, None
            pair = (images[index], images[index + 1], tensors[index], tensors[index + 1])
            options: dict = {}
            if pilot is not None and steers_itself:
                options["autopilot"] = True
            if pilot is not None and drags is not None and not steers_itself:
                alignment = _alignment_from_trajectories(drags, index, gaps, size)
            elif pilot is not None and not steers_itself:
                alignment, trajectories_found = _autopilot_gap(engine, pilot, *pair)
                found.append(trajectories_found)
            elif drags is not None:
                gap_times = [(index + t) / gaps for t in [0.0, *content_times, 1.0]]
                tracks = sample_trajectories(drags, gap_times)[0]
            options.update({"tracks": tracks} if alignment is None else {"alignment": alignment})
            for frame in engine.iter_frames(tensors[index], tensors[index + 1], content_times, **options):
                frames.append(tensor_to_frame(frame[0], fmt))
                bar.update(1)
    if include_keyframes:
        frames.append(as_output(images[-1]))
    if overlay and drags is not None:
        frames = overlay_frames(frames, drags, sequence_times(len(images), content_times, include_keyframes))
    elif overlay:
        frames = _overlay_gaps(frames, found, content_times, include_keyframes)
    return frames


def _autopilot_gap(
    engine: Engine,
    config: AutopilotConfig,
    image0: np.ndarray,
    image1: np.ndarray,
    frame0: torch.Tensor,
    frame1: torch.Tensor,
) -> tuple[Alignment | None, list[Trajectory]]:
    """The autopilot's alignment for one gap (None: interpolate plainly) and the trajectories it found."""
    from framer.matching import autopilot_alignment

    plan, alignment = autopilot_alignment(engine, image0, image1, config, frame0, frame1)
    return alignment, plan.correspondences.trajectories(alignment)


def _alignment_from_trajectories(drags: list[Trajectory], gap: int, gaps: int, size: Size) -> Alignment:
    """Pre-alignment for one gap from the user's trajectories (whole-sequence time) used as correspondences."""
    from framer.engines.flow.align import fit_alignment_along

    return fit_alignment_along(drags, (gap + np.linspace(0.0, 1.0, 9)) / gaps, size[0], size[1])


def _overlay_gaps(
    frames: list[np.ndarray], found: list[list[Trajectory]], times: Sequence[float], include_keyframes: bool
) -> list[np.ndarray]:
    """Draw each gap's autopilot trajectories on that gap's frames (a keyframe: the gap it starts, or the last)."""
    from framer.trajectory import draw_trajectories

    per_gap = len(times) + (1 if include_keyframes else 0)
    local = [0.0, *times] if include_keyframes else list(times)
    dots = [0.0, *times, 1.0]
    out = []
    for position, frame in enumerate(frames):
        gap = min(position // per_gap, len(found) - 1)
        t = local[position - gap * per_gap] if position < per_gap * len(found) else 1.0
        out.append(draw_trajectories(frame, found[gap], t, dots) if found[gap] else frame)
    return out
