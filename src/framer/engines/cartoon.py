"""Line art and flat colour: an engine wrapper that keeps lines single and sharp.

A flow network blends its two warped keyframes with a soft mask. Where the two warped copies of a dark stroke do not
land on the same pixels (a flow error of a few pixels is enough on a 2 px line), the blend draws two half-strength
lines: a ghost double line. :class:`CartoonEngine` keeps the inner engine's frame everywhere except there, where it
chooses instead of blending:

1. The inner engine makes its frame at t, and its dense correspondences (``correspondence_maps``: for each pixel
   of the frame at t, its place in each keyframe) carry both keyframes and their line layers (:func:`line_layer`:
   strength of dark thin strokes, from a morphological black-hat) to t.
2. A hard choice (:func:`hard_choice`) takes each pixel from one carried keyframe only: the side the inner engine's
   blend leans to there, its soft mask recovered by least squares and pushed to 0 or 1; a blend with no clear lean
   takes the nearer keyframe.
3. Where the two carried line layers differ (a stroke in one and not at the same place in the other), or where the
   inner engine's frame draws a line the hard choice does not have (a faint copy its own flow drew), the hard
   choice replaces the engine's pixels. Everywhere else (flat fills, texture, lines that agree) the inner engine's
   frame is kept as it is.

With ``line_art_only`` (as :func:`framer.applications.cartoon.cartoon_engine` makes it) only keyframes that are
line art and flat colour (:func:`is_line_art`: mostly flat pixels) get the choice; on others (a rendered 3D cartoon
such as Big Buck Bunny: creases, eyes and texture, no ink lines) it was measured to draw a misplaced face at full
strength instead of faintly (``benchmarks/applications_cartoon.py`` at 640x360: stray-line pixels 119 -> 203, PSNR
-0.08 dB; its double-line count, there mostly pairs of grass blades, 378 -> 327), so there the inner engine's frames
are given as they are. Of plain interpolation's 378 double-line pixels there, 357 lie within 2 px of a true line and
312 within 6 px of a pair of lines the truth has too (grass blades displaced 3-6 px); only 87 lie on a line that one
keyframe carried to t has and the other not (a ghost copy). The count is one of texture: the true frame shifted by
1 px scores 119, plain's frame blurred by 0.5 px scores 0 (sharpness 0.85 -> 0.74). Measured there and not kept:
the choice only where the network's two runs disagree by over 0.5-3 px (353-452 double lines, strays 173-207),
the autopilot's global pre-alignment forced on (62, but sharpness 0.79, PSNR +0.15 dB), the mean of the
two carried keyframes on the lines only one has (81, sharpness 0.83; at 1280x720 and on Sintel more stray lines, on
a Vimeo triplet -1.5 dB).

Measured alternative (``benchmarks/applications_cartoon.py``): splitting each keyframe into a line layer and an
inpainted colour layer, interpolating the colour layers and laying the nearer keyframe's carried lines over them,
lost 1.4-3.6 dB PSNR against plain interpolation (inpainting softens texture, and a line carried from one keyframe
alone is wrong where it is occluded in that keyframe) and did not reduce the double-line count.

The inner engine must declare ``correspondences`` (the flow engine does). Pre-alignment passes through: the inner
engine's frame and the correspondences are both made on the pre-aligned pair. It comes from the caller (the
autopilot) or, when the caller gives none, from the optional ``aligner`` (for line art: each drawing matched whole
and moved by its own motion, :mod:`framer.applications._cartoon_match`), which sees the two keyframes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import cv2
import numpy as np
import torch

from framer.engines.base import Capabilities, Engine, ScoredFrame
from framer.errors import InputError
from framer.motion import Alignment, identity_alignment

__all__ = [
    "FLAT_SHARE",
    "LINE_CONTRAST",
    "LINE_WIDTH",
    "Aligner",
    "CartoonEngine",
    "hard_choice",
    "is_line_art",
    "line_layer",
]

# A stroke at most this wide (px) is a line; wider dark areas are fills. 3 px covers the usual 1-3 px ink lines.
LINE_WIDTH = 3
# Grey levels (0..1) a stroke is darker than its surroundings to count as a full-strength line.
LINE_CONTRAST = 0.25
# Line strength below this is noise (texture, compression), not a line.
_LINE_FLOOR = 0.15

# At least this share of flat pixels makes a frame line art and flat colour (is_line_art). Measured: the synthetic
# line art 0.89-0.95; the real footage in ../shared/data (Big Buck Bunny, Sintel, Middlebury, Vimeo) 0.29-0.55.
FLAT_SHARE = 0.6

# Keyframes (H, W, C) float in [0, 1] -> a pre-alignment for the pair, or None for none.
Aligner = Callable[[np.ndarray, np.ndarray], Alignment | None]


def _grey(image: np.ndarray) -> np.ndarray:
    """``(H, W, C>=3)`` float RGB in [0, 1] -> ``(H, W)`` float32 luma (Rec. 601)."""
    rgb = image[..., :3].astype(np.float32)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def line_layer(image: np.ndarray, width: int = LINE_WIDTH, contrast: float = LINE_CONTRAST) -> np.ndarray:
    """Strength of dark thin strokes, ``(H, W)`` float32 in [0, 1] (1: a full line, 0: no line).

    The black-hat (closing minus image) with a disc ``2 * width + 1`` px across is how much darker a pixel is than
    what remains when strokes up to ``width`` px wide are closed over; ``contrast`` grey levels darker is a full
    line, and strengths below 0.15 (texture, compression noise) are dropped.

    Args:
        image: ``(H, W, C>=3)`` float RGB in [0, 1].
    """
    if width < 1 or contrast <= 0:
        raise InputError(f"`width` must be >= 1 and `contrast` > 0 but are {width!r} and {contrast!r}.")
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    darker = cv2.morphologyEx(_grey(image), cv2.MORPH_BLACKHAT, disc)
    strength = np.clip(darker / contrast, 0.0, 1.0)
    strength[strength < _LINE_FLOOR] = 0.0
    return strength


def is_line_art(image: np.ndarray, share: float = FLAT_SHARE) -> bool:
    """Whether ``image`` ``(H, W, C>=3)`` float RGB in [0, 1] is line art and flat colour: at least ``share`` of its
    pixels lie in flat areas (Sobel gradient below 2 grey levels of 255 per px)."""
    grey = _grey(image) * 255.0
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)) / 8.0
    return bool((gradient < 2.0).mean() >= share)


def hard_choice(blend: np.ndarray, warped0: np.ndarray, warped1: np.ndarray, t: float, window: int = 5) -> np.ndarray:
    """Per pixel one of the two warped keyframes, the one the engine's soft blend leans to (its mask, hardened).

    The blend is ``m * warped0 + (1 - m) * warped1`` for some unknown mask ``m``; ``m`` is recovered by least
    squares over a ``window`` px square (where the two warped keyframes differ, which is where it matters) and then
    pushed to 0 or 1; a blend with no clear lean (``m`` near 0.5) takes the keyframe nearer in time. (Measured
    alternative: one choice per connected region of disagreement, so a stroke is taken whole from one side, drew
    more double lines and lost 0.2-0.8 dB on the benchmark's cases.)

    Args:
        blend, warped0, warped1: ``(H, W, C)`` float; the engine's frame at ``t`` and both keyframes carried to t.
    """
    difference = warped0[..., :3] - warped1[..., :3]
    towards = ((blend[..., :3] - warped1[..., :3]) * difference).sum(-1)
    spread = (difference * difference).sum(-1)
    size = (window, window)
    mask = cv2.boxFilter(towards, -1, size) / (cv2.boxFilter(spread, -1, size) + 1e-4)
    lean = 0.1 if t <= 0.5 else -0.1  # a tie (m near 0.5) goes to the nearer keyframe (keyframe 0 at t = 0.5)
    choice = np.clip((mask + lean - 0.5) * 8.0 + 0.5, 0.0, 1.0)[..., None]
    return warped1 + choice * (warped0 - warped1)


def _remap(image: np.ndarray, sample_map: np.ndarray) -> np.ndarray:
    """Sample ``image`` ``(H, W[, C])`` at ``sample_map`` ``(H, W, 2)`` xy pixels (bilinear, edges replicated)."""
    return cv2.remap(image, sample_map[..., 0], sample_map[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _moved(alignment: Alignment, t: float, margin: int = 2) -> np.ndarray:
    """``(H, W)`` bool: the pixels of the frame at ``t`` whose content ``alignment`` moves (either keyframe sampled
    inside the frame and more than half a pixel away; a map that points off the frame only hands the pixel to the
    other keyframe), grown by ``margin`` px."""
    height, width = alignment.height, alignment.width
    pixels = np.stack(np.meshgrid(np.arange(width), np.arange(height)), -1).astype(np.float32)
    moved = np.zeros((height, width), np.uint8)
    for sample_map in alignment.maps(t):
        inside = (sample_map > -1.0).all(-1) & (sample_map < np.array([width, height], np.float32)).all(-1)
        moved |= (inside & (np.abs(sample_map - pixels).max(-1) > 0.5)).astype(np.uint8)
    return cv2.dilate(moved, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0


def _to_image(frame: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` tensor -> ``(H, W, C)`` float32 array."""
    return np.ascontiguousarray(frame.permute(1, 2, 0).float().cpu().numpy())


def _to_tensor(image: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """``(H, W, C)`` array -> ``(1, C, H, W)`` tensor on ``like``'s device and dtype."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).to(like)


class CartoonEngine(Engine):
    """``engine`` with single, sharp lines and flat colour for line art (module docstring).

    Args:
        engine: the engine that makes the frames and finds the motion; it must declare ``correspondences``.
        line_width: widest stroke (px) treated as a line (:func:`line_layer`).
        line_contrast: how much darker (grey levels 0..1) than its surroundings a full-strength line is.
        aligner: makes the pre-alignment of a keyframe pair the caller gives none for (None: none); used only when
            the inner engine pre-aligns (declares ``alignment``).
        line_art_only: make the line choice only where both keyframes are line art (:func:`is_line_art`), giving
            the inner engine's frames elsewhere (``framer cartoon`` does; see the module docstring).

    Declares the inner engine's ``alignment`` and ``correspondences``, no drag tracks and no tiles; its identity is
    the inner engine's with the line settings and the aligner's name.
    """

    def __init__(
        self,
        engine: Engine,
        line_width: int = LINE_WIDTH,
        line_contrast: float = LINE_CONTRAST,
        aligner: Aligner | None = None,
        line_art_only: bool = False,
    ) -> None:
        if not isinstance(engine, Engine):
            raise InputError(f"`engine` must be an Engine (from create_engine), not {type(engine).__name__}.")
        if not engine.capabilities.correspondences:
            raise InputError(
                f"Cartoon mode needs an engine that gives dense correspondences (flow), not {engine.name!r}."
            )
        if isinstance(line_width, bool) or not isinstance(line_width, int) or not 1 <= line_width <= 32:
            raise InputError(f"`line_width` must be an integer from 1 to 32 (px) but is {line_width!r}.")
        if not 0.0 < float(line_contrast) <= 1.0:
            raise InputError(f"`line_contrast` must be in (0, 1] but is {line_contrast!r}.")
        if aligner is not None and not callable(aligner):
            raise InputError(f"`aligner` must be a callable or None, not {type(aligner).__name__}.")
        self.aligner = aligner if engine.capabilities.alignment else None
        self.line_art_only = bool(line_art_only)
        self.inner, self.line_width, self.line_contrast = engine, line_width, float(line_contrast)
        self.name, self.device = engine.name, engine.device
        inner = engine.capabilities
        self.capabilities = Capabilities(alignment=inner.alignment, correspondences=inner.correspondences)

    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
    ) -> Iterator[torch.Tensor]:
        """Yield the frame ``(B, C, H, W)`` float in [0, 1] for each time (see the module docstring)."""
        for scored in self.iter_scored(frame0, frame1, times, tracks, alignment):
            yield scored.frame

    def iter_scored(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment: Alignment | None = None,
        **options,
    ) -> Iterator[ScoredFrame]:
        """The frames of :meth:`iter_frames`, each with the inner engine's confidence in its own frame."""
        self.require(tracks=tracks is not None, alignment=alignment is not None)
        if options:
            raise InputError(f"The cartoon engine takes no options {sorted(options)}.")
        if frame0.shape != frame1.shape or frame0.ndim != 4:
            shapes = f"{tuple(frame0.shape)} and {tuple(frame1.shape)}"
            raise InputError(f"Keyframes must be two (B, C, H, W) tensors of one shape, not {shapes}.")
        times = [float(t) for t in times]
        items = [self._iter_one(frame0[i : i + 1], frame1[i : i + 1], times, alignment) for i in range(len(frame0))]
        for scored in zip(*items, strict=True):  # one frame per item of the batch, time by time
            frame = torch.cat([s.frame for s in scored], 0)
            yield ScoredFrame(frame, min(s.confidence for s in scored))

    def _lines(self, image: np.ndarray) -> np.ndarray:
        return line_layer(image, self.line_width, self.line_contrast)

    def _iter_one(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: list[float], alignment: Alignment | None
    ) -> Iterator[ScoredFrame]:
        """The frames of one keyframe pair ``(1, C, H, W)``."""
        height, width = frame0.shape[-2:]
        images = [_to_image(frame[0]) for frame in (frame0, frame1)]
        own_alignment = alignment is None and self.aligner is not None
        if own_alignment:
            alignment = self.aligner(images[0], images[1])
        guidance = {} if alignment is None else {"alignment": alignment}
        if self.line_art_only and not all(map(is_line_art, images)):  # the choice would add stray lines: none
            yield from self.inner.iter_scored(frame0, frame1, times, **guidance)
            return
        lines = [self._lines(image) for image in images]
        motion = alignment if alignment is not None else identity_alignment(width, height)
        for t, base in zip(times, self.inner.iter_scored(frame0, frame1, times, **guidance), strict=True):
            to0, to1 = self.inner.correspondence_maps(frame0, frame1, motion, t)[:2]
            frame = _to_image(base.frame[0])
            chosen = hard_choice(frame, _remap(images[0], to0), _remap(images[1], to1), t)
            # (H, W) in [0, 1]: where the keyframes' lines carried to t differ, or the inner engine's frame (its own
            # flow) draws a line the chosen pixels do not have; with 1 px of margin around
            carried = np.abs(_remap(lines[0], to0) - _remap(lines[1], to1))
            own = np.clip(self._lines(frame) - self._lines(chosen), 0.0, 1.0)
            disagreement = cv2.dilate(np.maximum(carried, own), np.ones((3, 3)))
            weight = np.clip(2.0 * disagreement, 0.0, 1.0)
            if own_alignment and alignment is not None:  # the aligner placed what it moves: the network's frame
                weight[_moved(alignment, t)] = 0.0
            frame = frame + weight[..., None] * (chosen - frame)
            yield ScoredFrame(_to_tensor(np.clip(frame, 0.0, 1.0), frame0), base.confidence)

    def correspondence_maps(self, frame0: torch.Tensor, frame1: torch.Tensor, alignment, t: float = 0.5):
        """The inner engine's."""
        return self.inner.correspondence_maps(frame0, frame1, alignment, t)

    def memory_needed(self, height: int, width: int) -> int:
        return self.inner.memory_needed(height, width)

    def identity(self) -> dict:
        return {
            **self.inner.identity(),
            "cartoon": {
                "line_width": self.line_width,
                "line_contrast": self.line_contrast,
                "aligner": None if self.aligner is None else getattr(self.aligner, "__qualname__", repr(self.aligner)),
                "line_art_only": self.line_art_only,
            },
        }
