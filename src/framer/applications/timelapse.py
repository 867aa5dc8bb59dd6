"""Time-lapse: stills taken far apart (clouds, a building site, plants) made into a smooth clip.

1. The stills (a folder, a glob or a list) are read at one size; with ``pace="exif"`` their EXIF times share out the
   output frames.
2. ``stabilize``: the camera's jitter between stills is measured and removed, all stills cropped alike
   (:mod:`framer.applications._timelapse_stabilize`).
3. Per gap, exposure and white balance are matched (the brighter still mapped onto the darker,
   :mod:`framer.applications._timelapse_colour`), so the flow engine sees motion, not a change of light.
4. The matched pair is interpolated by the engine, or blended when it barely changes (the network would only
   add noise there); each in-between then gets the colours of its time back: the two stills' colour transforms
   interpolated in t. A change of light is thus blended, never warped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framer.applications._timelapse_colour import ColourTransform, match_pair
from framer.applications._timelapse_stabilize import stabilize as stabilize_stills
from framer.applications._timelapse_stills import collect_stills, exif_times, gap_counts
from framer.errors import InputError
from framer.io.images import float_rgb
from framer.progress import progress_bar

__all__ = ["PACES", "TimelapseResult", "timelapse"]

logger = logging.getLogger(__name__)

PACES = ("even", "exif")
StillSource = str | os.PathLike
ResizeSpec = bool | str | tuple[int, int] | None


@dataclass(frozen=True)
class TimelapseResult:
    """What :func:`timelapse` made.

    Attributes:
        frames: the clip, ``(H, W, 3)`` uint8 (uint16 when a still has 16 bits); the stills and their in-betweens.
        stills: the files, in order.
        counts: output frames per gap (the still opening it and its in-betweens); the last still closes the clip.
        blended: gaps that barely change, blended instead of interpolated by the engine.
        margins: pixels cropped from each side, ``(x, y)``, by ``stabilize`` (``(0, 0)`` without it).
        pace: ``"even"`` or ``"exif"``: how the frames were actually paced (EXIF falls back to even with a warning).
    """

    frames: list[np.ndarray]
    stills: list[Path]
    counts: list[int]
    blended: list[int]
    margins: tuple[int, int]
    pace: str


def _check_arguments(multi: object, pace: object, still_threshold: object, smooth: object) -> None:
    if isinstance(multi, bool) or not isinstance(multi, int) or multi < 1:
        raise InputError(f"`multi` must be an integer >= 1 but is {multi!r}.")
    if pace not in PACES:
        raise InputError(f"`pace` must be one of {', '.join(PACES)} but is {pace!r}.")
    if not isinstance(still_threshold, (int, float)) or still_threshold < 0:
        raise InputError(f"`still_threshold` must be a number >= 0 but is {still_threshold!r}.")
    if smooth is not None and (not isinstance(smooth, (int, float)) or smooth <= 0):
        raise InputError(f"`smooth` must be a number > 0 (stills) or None but is {smooth!r}.")


def _to_output(image: np.ndarray, dtype: type) -> np.ndarray:
    scale = 65535.0 if dtype == np.uint16 else 255.0
    return np.round(np.clip(image, 0.0, 1.0) * scale).astype(dtype)


def _load(paths: Sequence[Path], resize: ResizeSpec) -> tuple[list[np.ndarray], type]:
    from framer.api import load_keyframes

    images = load_keyframes(paths, resize=resize, noun="still")
    dtype = np.uint16 if any(image.dtype == np.uint16 for image in images) else np.uint8
    return [float_rgb(image) for image in images], dtype


class _Gaps:
    """Makes each gap's in-betweens: colours matched, interpolated or blended, colours restored."""

    def __init__(self, engine, still_threshold: float, match_colour: bool) -> None:
        self.engine, self.still_threshold, self.match_colour = engine, still_threshold, match_colour

    def frames(self, image0: np.ndarray, image1: np.ndarray, count: int) -> tuple[list[np.ndarray], bool]:
        """The ``count - 1`` in-betweens at ``t = k / count`` (float ``(H, W, 3)``) and whether they were blended."""
        if count < 2:
            return [], False
        times = [k / count for k in range(1, count)]
        to0, to1 = match_pair(image0, image1) if self.match_colour else (None, None)
        matched0 = to0.apply(image0) if to0 else image0
        matched1 = to1.apply(image1) if to1 else image1
        blend = float(np.abs(matched0 - matched1).mean()) * 255.0 < self.still_threshold
        if blend:
            made = [(1 - t) * matched0 + t * matched1 for t in times]
        else:
            made = self._interpolate(np.clip(matched0, 0, 1), np.clip(matched1, 0, 1), times)
        if to0 is None:
            return made, blend
        back0, back1 = to0.inverse(), to1.inverse()
        return [_restore(frame, back0, back1, t) for frame, t in zip(made, times, strict=True)], blend

    def _interpolate(self, image0: np.ndarray, image1: np.ndarray, times: list[float]) -> list[np.ndarray]:
        """The engine's in-betweens of two ``(H, W, 3)`` float32 images, as ``(H, W, 3)`` float32."""
        import torch

        def tensor(image: np.ndarray) -> torch.Tensor:  # (H, W, 3) -> (1, 3, H, W)
            return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0)

        frames = self.engine.iter_frames(tensor(image0), tensor(image1), times)
        return [frame[0, :3].permute(1, 2, 0).float().cpu().numpy() for frame in frames]


def _restore(frame: np.ndarray, back0: ColourTransform, back1: ColourTransform, t: float) -> np.ndarray:
    """The in-between at ``t`` in the colours of its time: the stills' inverse transforms interpolated in t."""
    return back0.lerp(back1, t).apply(frame)


def timelapse(
    stills: StillSource | Sequence[StillSource],
    multi: int = 4,
    *,
    stabilize: bool = False,
    smooth: float | None = None,
    pace: str = "even",
    match_colour: bool = True,
    still_threshold: float = 1.0,
    engine: str | object = "flow",
    resize: ResizeSpec = None,
    progress: bool = False,
    **engine_options,
) -> TimelapseResult:
    """Make a time-lapse clip from stills taken far apart.

    Args:
        stills: a folder (its images in natural order), a glob pattern (``"shots/*.jpg"``), a file, or a list of
            these; two or more stills in all.
        multi: output frames per gap between stills (the still and ``multi - 1`` in-betweens); with
            ``pace="exif"`` the average per gap.
        stabilize: remove the camera's jitter between stills; every frame is then cropped by the same margins
            (the clip is a little smaller than the stills; see ``TimelapseResult.margins``).
        smooth: with ``stabilize``: None holds the camera at its mean position (a tripod); a number keeps a
            deliberate camera motion, smoothed with a Gaussian of that many stills.
        pace: ``"even"`` (each gap the same number of frames) or ``"exif"``: frames shared out by the real time
            between the stills (EXIF DateTimeOriginal); a still without it makes the pacing even, with a warning.
        match_colour: match exposure and white balance before interpolating and restore them after (False:
            plain interpolation of the stills as they are).
        still_threshold: gaps whose matched stills differ by less than this mean absolute difference (in [0, 255])
            are blended instead of interpolated by the engine.
        engine: an engine name or an engine made by :func:`framer.create_engine`.
        resize: stills of different sizes: True for the first still's size, or ``"WxH"``/``(W, H)``.
        progress: show a progress bar on stderr.
        **engine_options: for :func:`framer.create_engine` when ``engine`` is a name.

    Returns:
        A :class:`TimelapseResult`: ``sum(counts) + 1`` frames.
    """
    # 1. Arguments and stills (headers first: a size mismatch fails before any decoding or model load).
    _check_arguments(multi, pace, still_threshold, smooth)
    paths = collect_stills(stills)
    images, dtype = _load(paths, resize)
    seconds = exif_times(paths) if pace == "exif" else None
    counts = gap_counts(seconds, len(paths), multi)
    # 2. Camera jitter.
    margins = (0, 0)
    if stabilize:
        try:
            fixed = stabilize_stills(images, smooth)
        except ValueError as ex:
            raise InputError(f"The stills cannot be stabilized: {ex}; run without --stabilize.") from None
        images, margins = fixed.images, fixed.margins
        logger.info("Stabilized: %d x %d pixels cropped from each side.", *margins)
    # 3. The engine, then each gap.
    if isinstance(engine, str):
        from framer.engines import create_engine

        logger.info("Loading model...")
        engine = create_engine(engine, **engine_options)
    elif engine_options:
        raise InputError(f"Engine options {sorted(engine_options)} apply only when `engine` is a name.")
    gaps, frames, blended = _Gaps(engine, float(still_threshold), match_colour), [], []
    with progress_bar(sum(counts) - len(counts), desc="Time-lapse", unit="frame", enabled=progress) as bar:
        for gap, count in enumerate(counts):
            made, blend = gaps.frames(images[gap], images[gap + 1], count)
            frames += [_to_output(images[gap], dtype)] + [_to_output(frame, dtype) for frame in made]
            if blend:
                blended.append(gap)
            bar.update(len(made))
    frames.append(_to_output(images[-1], dtype))
    if blended:
        logger.info("%d of %d gaps barely change: blended, not interpolated.", len(blended), len(counts))
    return TimelapseResult(frames, paths, counts, blended, margins, "exif" if seconds is not None else "even")
