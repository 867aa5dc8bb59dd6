"""Cartoon in-betweening: line art and flat colour, and drawings held on twos or threes.

:func:`cartoon` is :func:`framer.interpolate` with the engine wrapped in :class:`framer.engines.cartoon.CartoonEngine`
(where the keyframes' lines carried to t disagree, each pixel is taken from one keyframe, so a line stays single and
sharp). Drawings on flat paper are first matched whole between the keyframes (``match``, on by default:
:mod:`framer.applications._cartoon_match`) and each pre-aligned by its own motion, so the flow network only finds
what is left; this places shapes that move farther than the network reaches (SIFT, the autopilot's matcher, finds
almost nothing to match on flat fills and thin lines). The pre-alignment is kept for a pair only where the network
carries the keyframes to the middle frame more consistently with it than without
(:func:`framer.guidance.measure.measure_alignments`): drawings moved whole where a part of them turns on its own (an
arm on a body), or a background panning under them, leave the network a residual it does not find.

:func:`find_drawings` finds the distinct drawings of an animation whose drawings are held for several frames, with
their times, and :func:`fill_holds` replaces each held copy by an in-between of its drawing and the next, so the
motion is even instead of a stutter.

The measures the check uses (``benchmarks/applications_cartoon.py``):

- :func:`edge_sharpness`: mean gradient magnitude (Sobel on the grey image, grey levels 0..255) on given edge pixels.
- :func:`ghost_line_pixels`: the stray-line count (the first double-line measure), the pixels where a frame draws a
  line (:func:`line_layer` strength >= 0.25) but the true frame has none within ``tolerance`` (2) px. A plain flow
  in-between of misaligned strokes draws each stroke twice at half strength: the copy off the true line counts here,
  the true copy does not. It also counts a single line drawn in the wrong place (a misplaced face drawn once, as on
  Big Buck Bunny).
- :func:`double_line_pixels`: the double-line count in the issue's sense, the line pixels with a second, separate line
  running beside them (3 to ``gap`` = 8 px away across the line) where the true frame has no such pair within 2 px
  (specks are not lines: line parts under 16 px and runs of fewer than 8 such pixels are left out). Two copies of one
  stroke count wherever they are; a misplaced single copy does not.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from framer.api import InterpolatedFrame, interpolate, iter_interpolate
from framer.applications._cartoon_match import drawing_layers
from framer.engines import Engine, create_engine
from framer.engines.cartoon import LINE_CONTRAST, LINE_WIDTH, CartoonEngine, line_layer
from framer.errors import InputError
from framer.guidance.measure import PLAIN, carried_to_middle, measure_alignments
from framer.io.images import ImageSource, float_rgb, read_image
from framer.motion import Alignment
from framer.video.scenes import is_duplicate, make_thumbnail

__all__ = [
    "Drawing",
    "cartoon",
    "cartoon_engine",
    "double_line_pixels",
    "edge_sharpness",
    "fill_holds",
    "find_drawings",
    "ghost_line_pixels",
    "iter_cartoon",
]

logger = logging.getLogger(__name__)

# The measured choice of the drawings' pre-alignment (_measured_drawing_layers): the lines overrule the colours when
# the pre-aligned pair agrees on this much more of the keyframes' ink, or about as much (no pan split), at a colour
# error at most this many times the plain pair's; or on this much less.
_INK_GAIN, _INK_COST, _INK_LOSS = 0.05, 2.0, 0.05

# A frame line at least this strong (line_layer) is a drawn line for the double-line count.
GHOST_STRENGTH = 0.25
# Two lines at most this far apart (px) across are a double line (double_line_pixels).
TWIN_GAP = 8


def cartoon_engine(
    engine: str | Engine = "flow",
    line_width: int = LINE_WIDTH,
    line_contrast: float = LINE_CONTRAST,
    match: bool = True,
    **options,
) -> CartoonEngine:
    """``engine`` (a name, made with ``options``, or an engine) wrapped for line art, with ``match`` drawings on
    paper matched whole and pre-aligned, and the line choice only on keyframes that are line art (on others, such as
    rendered 3D cartoons, the engine's frames); a :class:`CartoonEngine` is returned as it is, with its own
    settings."""
    if isinstance(engine, CartoonEngine):
        return engine
    if isinstance(engine, str):
        engine = create_engine(engine, **options)
    elif options:
        raise InputError(f"Engine options {sorted(options)} apply only when `engine` is a name.")
    aligner = _measured_drawing_layers(engine) if match else None
    return CartoonEngine(engine, line_width, line_contrast, aligner=aligner, line_art_only=True)


def _measured_drawing_layers(engine: Engine) -> Callable[[np.ndarray, np.ndarray], Alignment | None]:
    """:func:`~framer.applications._cartoon_match.drawing_layers`, kept for a pair only where ``engine`` carries the
    keyframes to the middle frame better with it than without: a drawing paired wrongly, or moved whole where a part
    of it turns (an arm on a body), leaves the network a residual motion it does not find, and plain interpolation
    is then better.

    The lines decide first (:func:`_agreed_ink`): on thin lines the network may carry both keyframes consistently but
    a little off, which the colours do not show and the lines do. Where the pre-aligned pair agrees on ``_INK_LOSS``
    less of the keyframes' ink, it is not kept (a drawing paired wrongly). Where it agrees on ``_INK_GAIN`` more, or
    about as much, it is kept at a colour error up to ``_INK_COST`` times the plain pair's: the network alone makes
    its own two carried keyframes agree in colour even where it carries them to the wrong place or size (a shape
    that turns and scales: 1.3-1.8 times less colour error than the drawings moved whole, several dB further from
    the truth), so the colours (:func:`framer.guidance.measure.measure_alignments`) decide only beyond that, and on a
    tie of the lines where a panning backdrop was split (the strips a pan brings in leave the lines' verdict to
    chance). Measured on ``benchmarks/cartoon_scenes.py`` (seeds 2024 and 7; 11 and 13 held out) and
    ``applications_cartoon.py``.
    """

    def measured_drawing_layers(image0: np.ndarray, image1: np.ndarray) -> Alignment | None:
        alignment = drawing_layers(image0, image1)
        if alignment is None:
            return None
        carried = carried_to_middle(engine, image0, image1, {"drawings": alignment})
        means = measure_alignments(engine, image0, image1, {"drawings": alignment}, carried=carried)
        lines = [line_layer(image) for image in (image0, image1)]
        strips = _panned_strips(alignment, 0.5)
        ink = {name: _agreed_ink(*lines, *maps, strips) for name, maps in carried.items()}
        chosen = next(iter(means))
        affordable = means["drawings"] <= _INK_COST * means[PLAIN]
        if ink["drawings"] >= ink[PLAIN] + _INK_GAIN and affordable:
            chosen = "drawings"
        elif ink["drawings"] <= ink[PLAIN] - _INK_LOSS:
            chosen = PLAIN
        elif affordable and strips is None:  # the lines tie and no pan was split: the drawings moved whole
            chosen = "drawings"
        measures = ", ".join(f"{name} {100 * means[name]:.2f}% ({ink[name]:.2f})" for name in means)
        logger.debug("Middle-frame error and share of the ink agreed on: %s; using %s.", measures, chosen)
        return alignment if chosen == "drawings" else None

    return measured_drawing_layers


def _agreed_ink(
    lines0: np.ndarray, lines1: np.ndarray, to0: np.ndarray, to1: np.ndarray, unseen: np.ndarray | None = None
) -> float:
    """The share of the keyframes' ink (line strength ``(H, W)``, :func:`line_layer`) that both, carried to the middle
    frame by ``to0`` and ``to1`` (``(H, W, 2)``), put on the same pixels: the sum of the smaller of the two carried
    strengths over the mean of the keyframes' sums. A pixel whose place lies off a keyframe (content a pre-alignment
    says only the other keyframe shows) agrees on nothing: only what both keyframes show is checked; nor do the
    ``unseen`` pixels ``(H, W)`` bool of the middle frame (where a pan brings in what one keyframe does not show,
    :func:`_panned_strips`: the agreement there of what carries both keyframes is chance)."""
    first, second = (
        cv2.remap(lines, to[..., 0], to[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
        for lines, to in ((lines0, to0), (lines1, to1))
    )
    checked = (first >= 0) & (second >= 0) & (True if unseen is None else ~unseen)
    agreed = np.where(checked, np.minimum(first, second), 0.0).sum()
    return float(agreed / max(0.5 * (lines0.sum() + lines1.sum()), 1e-6))


def _panned_strips(alignment: Alignment, t: float) -> np.ndarray | None:
    """``(H, W)`` bool: the pixels of the frame at ``t`` that a panning backdrop of ``alignment`` (its layers'
    ``pan``) places off either keyframe (2 px slack): the strips entering and leaving the frame; None without a
    pan."""
    pan = getattr(alignment.layers, "pan", None)
    if pan is None:
        return None
    ys, xs = np.mgrid[: alignment.height, : alignment.width].astype(np.float32)
    shift = pan[:2, 2]
    strips = np.zeros((alignment.height, alignment.width), bool)
    for moved in (-t * shift, (1 - t) * shift):  # where each keyframe shows the backdrop of the frame at t
        x, y = xs + moved[0], ys + moved[1]
        strips |= (x < 2) | (x > alignment.width - 3) | (y < 2) | (y > alignment.height - 3)
    return strips


def iter_cartoon(
    keyframes: Sequence[ImageSource],
    num_frames: int | None = None,
    times: Sequence[float] | None = None,
    engine: str | Engine = "flow",
    line_width: int = LINE_WIDTH,
    line_contrast: float = LINE_CONTRAST,
    match: bool = True,
    **options,
) -> Iterator[InterpolatedFrame]:
    """:func:`cartoon` as a stream of :class:`framer.api.InterpolatedFrame` (as :func:`framer.iter_interpolate`)."""
    names = ("model", "weights", "device", "threads", "scale", "strict_weights")
    engine_options = {key: options.pop(key) for key in names if key in options}
    if isinstance(keyframes, (str, os.PathLike, np.ndarray)) or len(keyframes) < 2:
        raise InputError("At least two keyframes are needed.")
    wrapped = cartoon_engine(engine, line_width, line_contrast, match, **engine_options)
    return iter_interpolate(keyframes, num_frames, times, engine=wrapped, **options)


def cartoon(
    keyframes: Sequence[ImageSource],
    num_frames: int | None = None,
    times: Sequence[float] | None = None,
    engine: str | Engine = "flow",
    line_width: int = LINE_WIDTH,
    line_contrast: float = LINE_CONTRAST,
    match: bool = True,
    **options,
) -> list[np.ndarray]:
    """In-betweens of line art and flat colour: lines single and sharp, flat regions flat.

    Args:
        keyframes: two or more paths, PIL images or arrays (as :func:`framer.interpolate`).
        num_frames, times: in-betweens per gap, or explicit times in (0, 1).
        engine: an engine name (``flow``) or engine; it must give dense correspondences (the flow engine does).
        line_width: widest dark stroke (px) kept as a line; wider dark areas are treated as fills.
        line_contrast: how much darker than its surroundings (grey levels 0..1) a full-strength line is.
        match: match drawings on flat paper whole between the keyframes and pre-align each by its own motion
            (for motion beyond the flow network's reach); off, or where the keyframes are not drawings on paper,
            the engine's own motion is used. ``autopilot`` (when it pre-aligns a gap) takes precedence.
        **options: the other arguments of :func:`framer.interpolate` (``timing``, ``include_keyframes``,
            ``resize``, ``fit``, ``autopilot``, ``progress``) and, with an engine name, its options (``model``,
            ``weights``, ``device``, ``threads``, ``scale``).

    Returns:
        Frames as :func:`framer.interpolate` returns them.
    """
    stream = iter_cartoon(keyframes, num_frames, times, engine, line_width, line_contrast, match, **options)
    return [item.frame for item in stream]


# ---------------------------------------------------------------------------------------------------------------
# Held drawings


@dataclass(frozen=True)
class Drawing:
    """One distinct drawing of an animation and where it is shown.

    Attributes:
        index: the first frame that shows it.
        count: how many consecutive frames show it (2 "on twos", 3 "on threes").
        time: its time, the first frame's ``index / fps`` (seconds; with the default fps 1, frame units).
    """

    index: int
    count: int
    time: float


def _rgb8(image: np.ndarray) -> np.ndarray:
    """An image read by :func:`framer.io.read_image` as ``(H, W, 3)`` uint8 or uint16 RGB (thumbnails' input)."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def find_drawings(frames: Sequence[ImageSource], fps: float = 1.0) -> list[Drawing]:
    """The distinct drawings of ``frames``: each frame that repeats the drawing before it joins that drawing.

    A frame repeats the drawing when it is near-identical to the drawing's first frame (:mod:`framer.video.scenes`'
    repeated-frame test: grey thumbnails 128 px wide differ by < 0.1 levels on average and < 6 anywhere, which
    tolerates video compression); comparing with the first frame, not the previous one, keeps a slow drift from
    being taken for a hold.

    Args:
        frames: two or more paths, PIL images or arrays of one size.
        fps: frames per second, for :attr:`Drawing.time`.
    """
    if isinstance(frames, (str, os.PathLike, np.ndarray)) or len(frames) < 2:
        raise InputError("At least two frames are needed to find held drawings.")
    if not fps > 0:
        raise InputError(f"`fps` must be > 0 but is {fps!r}.")
    drawings: list[list[int]] = []
    anchor = None
    size = None
    for index, source in enumerate(frames):
        image = _rgb8(read_image(source))
        if size is None:
            size = image.shape[:2]
        elif image.shape[:2] != size:
            raise InputError(
                f"Frames differ in size (frame 0 is {size[1]}x{size[0]}, frame {index} is "
                f"{image.shape[1]}x{image.shape[0]})."
            )
        thumbnail = make_thumbnail(image)
        if anchor is not None and is_duplicate(anchor, thumbnail):
            drawings[-1].append(index)
            continue
        anchor = thumbnail
        drawings.append([index])
    return [Drawing(group[0], len(group), group[0] / fps) for group in drawings]


def fill_holds(
    frames: Sequence[ImageSource],
    engine: str | Engine = "flow",
    line_mode: bool = True,
    **engine_options,
) -> list[np.ndarray]:
    """``frames`` with each held copy of a drawing replaced by an in-between of the drawing and the next one.

    Frame ``j`` of a drawing shown from frame ``s`` until the next drawing at frame ``e`` becomes the in-between
    at ``t = (j - s) / (e - s)``: the motion between drawings is spread evenly over the hold. The drawings
    themselves and the holds of the last drawing are kept as they are. As many frames come out as go in, in the
    frames' format.

    Args:
        frames: the animation's frames (paths, PIL images or arrays of one size).
        engine: an engine name or engine; ``line_mode`` wraps it in :class:`CartoonEngine`.
        **engine_options: with an engine name, its options (``model``, ``weights``, ``device``, ``threads``).
    """
    drawings = find_drawings(frames)
    if line_mode:
        engine = cartoon_engine(engine, **engine_options)
    elif isinstance(engine, str):
        engine = create_engine(engine, **engine_options)
    images = [read_image(source) for source in frames]
    result = list(images)
    for drawing, following in itertools.pairwise(drawings):
        if drawing.count == 1:
            continue
        span = following.index - drawing.index
        times = [step / span for step in range(1, drawing.count)]
        pair = [images[drawing.index], images[following.index]]
        for step, frame in enumerate(interpolate(pair, times=times, engine=engine), start=1):
            result[drawing.index + step] = frame
    return result


# ---------------------------------------------------------------------------------------------------------------
# Measures


def _grey255(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` uint8/uint16/float image -> ``(H, W)`` float32 grey levels 0..255."""
    scale = 255.0 / 65535.0 if image.dtype == np.uint16 else (255.0 if image.dtype.kind == "f" else 1.0)
    image = image.astype(np.float32) * scale
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return image


def edge_sharpness(image: np.ndarray, edges: np.ndarray) -> float:
    """Mean gradient magnitude (3x3 Sobel of the grey image, grey levels 0..255 per px) on the ``edges`` pixels.

    Args:
        image: ``(H, W[, C])`` uint8, uint16 or float in [0, 1].
        edges: ``(H, W)`` bool, e.g. ``cv2.Canny`` of the true frame.
    """
    if edges.shape != image.shape[:2] or not edges.any():
        raise InputError(f"`edges` must be a non-empty (H, W) mask of the image's size {image.shape[:2]}.")
    grey = _grey255(image)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0) / 8.0, cv2.Sobel(grey, cv2.CV_32F, 0, 1) / 8.0
    return float(np.hypot(gx, gy)[edges].mean())


def ghost_line_pixels(image: np.ndarray, truth: np.ndarray, tolerance: int = 2, line_width: int = LINE_WIDTH) -> int:
    """The stray-line count: pixels where ``image`` draws a line (strength >= 0.25) and ``truth`` has none within
    ``tolerance`` px (any strength > 0).

    Args:
        image, truth: ``(H, W[, C])`` of one size, uint8, uint16 or float in [0, 1].
    """
    if image.shape[:2] != truth.shape[:2]:
        raise InputError(f"`image` and `truth` differ in size: {image.shape[:2]} and {truth.shape[:2]}.")
    drawn = line_layer(float_rgb(image), line_width) >= GHOST_STRENGTH
    size = 2 * tolerance + 1
    near_truth = cv2.dilate((line_layer(float_rgb(truth), line_width) > 0).astype(np.uint8), np.ones((size, size)))
    return int((drawn & ~near_truth.astype(bool)).sum())


def _twinned(strength: np.ndarray, gap: int) -> np.ndarray:
    """``(H, W)`` bool: line pixels (``strength`` >= 0.25) with a second, separate line across from them: along the
    line's normal (structure tensor of the strength), on either side, a line pixel 3 to ``gap`` px away with a
    break (strength < 0.25) between. Specks (connected line pixels fewer than ``2 * gap``) are not lines."""
    drawn = (strength >= GHOST_STRENGTH).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(drawn, connectivity=8)
    drawn = (stats[:, cv2.CC_STAT_AREA] >= 2 * gap)[labels] & (drawn > 0)
    strength = np.where(drawn, strength, 0.0).astype(np.float32)
    gx, gy = cv2.Sobel(strength, cv2.CV_32F, 1, 0), cv2.Sobel(strength, cv2.CV_32F, 0, 1)
    jxx, jxy, jyy = (cv2.GaussianBlur(v, (0, 0), 2.0) for v in (gx * gx, gx * gy, gy * gy))
    angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # the normal: across the line
    normal = np.stack([np.cos(angle), np.sin(angle)], -1)
    height, width = strength.shape
    pixels = np.stack(np.meshgrid(np.arange(width), np.arange(height)), -1).astype(np.float32)
    twinned = np.zeros_like(drawn)
    for side in (1.0, -1.0):
        broken = np.zeros_like(drawn)
        for step in range(1, gap + 1):
            at = pixels + (side * step) * normal
            there = cv2.remap(strength, at[..., 0], at[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            if step >= 3:
                twinned |= broken & (there >= GHOST_STRENGTH)
            broken |= there < GHOST_STRENGTH
    return drawn & twinned


def double_line_pixels(
    image: np.ndarray, truth: np.ndarray, tolerance: int = 2, gap: int = TWIN_GAP, line_width: int = LINE_WIDTH
) -> int:
    """The double-line count: pixels where ``image`` draws a line with a second, parallel line beside it (3 to
    ``gap`` px away across the line, with a break between) where ``truth`` has no such pair within ``tolerance`` px.
    Specks are not lines: connected line parts under ``2 * gap`` pixels are not lines for the pairing, and runs of
    fewer than ``gap`` counted pixels are not counted.

    A ghost double line (two copies of one stroke) counts; a single line drawn in the wrong place does not, and
    neither do parallel lines the truth has (hatching).

    Args:
        image, truth: ``(H, W[, C])`` of one size, uint8, uint16 or float in [0, 1].
    """
    if image.shape[:2] != truth.shape[:2]:
        raise InputError(f"`image` and `truth` differ in size: {image.shape[:2]} and {truth.shape[:2]}.")
    doubled = _twinned(line_layer(float_rgb(image), line_width), gap)
    size = 2 * tolerance + 1
    true_pairs = cv2.dilate(
        _twinned(line_layer(float_rgb(truth), line_width), gap).astype(np.uint8), np.ones((size, size))
    )
    doubled = (doubled & ~true_pairs.astype(bool)).astype(np.uint8)
    stats = cv2.connectedComponentsWithStats(doubled, connectivity=8)[2]
    sizes = stats[1:, cv2.CC_STAT_AREA]
    return int(sizes[sizes >= gap].sum())  # a line, not a speck: at least ``gap`` pixels
