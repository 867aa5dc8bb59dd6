"""Interpolating frames too large for memory in overlapping tiles, blended with smooth weights (no seams).

Pure functions on tensors, usable for single images as well as video. Each tile is interpolated on its own; where
tiles overlap, each one's weight rises from near 0 at its edge to 1 over the overlap along a raised cosine, and the
output is the weight-normalised sum. Pixels near a tile edge, where the flow sees the least context, so count least,
and the transition between two tiles is spread over the whole overlap. Motion larger than the overlap is where tiles
disagree most: keep ``overlap`` above the largest expected motion.

Convention: frames ``(B, C, H, W)`` float in [0, 1]; a box is ``(top, left, height, width)`` in pixels.

:class:`TiledEngine` wraps any engine that declares ``capabilities.tiles`` so that callers (video mode, guidance)
use a tiled engine as any other: with a pre-alignment, both whole keyframes are pre-aligned to each time and only
the network's residual interpolation runs tile by tile, so content that moves from one tile into another is found.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from framer.engines.base import Capabilities, Engine, ScoredFrame
from framer.errors import InputError

__all__ = [
    "DEFAULT_OVERLAP",
    "Box",
    "TiledEngine",
    "blend_weights",
    "choose_tile",
    "iter_tiled",
    "iter_tiled_scored",
    "seam_ratio",
    "tile_boxes",
    "tile_edges",
    "tile_starts",
]

Box = tuple[int, int, int, int]

DEFAULT_OVERLAP = 128
_MIN_TILE = 128
_TILE_STEP = 64


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Start positions along one axis of ``size`` pixels: tiles of ``tile`` pixels overlapping by >= ``overlap``.

    The first tile starts at 0, the last ends at ``size``, the others are spread evenly between.
    """
    if tile >= size:
        return [0]
    if overlap >= tile:
        raise InputError(f"`overlap` must be smaller than the tile size {tile} but is {overlap}.")
    count = math.ceil((size - overlap) / (tile - overlap))
    count = max(count, 2)
    return [round(i * (size - tile) / (count - 1)) for i in range(count)]


def tile_boxes(height: int, width: int, tile: int, overlap: int) -> list[Box]:
    """Boxes ``(top, left, h, w)`` of square tiles of side ``tile`` (clipped to the frame) covering it."""
    if tile < 1 or overlap < 0:
        raise InputError(f"Tiles need `tile` >= 1 and `overlap` >= 0 but got tile={tile}, overlap={overlap}.")
    tops, lefts = tile_starts(height, tile, overlap), tile_starts(width, tile, overlap)
    return [(top, left, min(tile, height), min(tile, width)) for top in tops for left in lefts]


def _ramp(length: int, rise: int, fall: int, dtype: torch.dtype) -> torch.Tensor:
    """1-D weights ``(length,)``: raised cosine from near 0 to 1 over ``rise`` pixels, back down over ``fall``."""
    weights = torch.ones(length, dtype=dtype)
    positions = torch.arange(length, dtype=dtype) + 0.5
    if rise > 0:
        head = positions[:rise] / rise
        weights[:rise] = 0.5 - 0.5 * torch.cos(math.pi * head)
    if fall > 0:
        tail = positions[:fall].flip(0) / fall
        weights[length - fall :] = torch.minimum(weights[length - fall :], 0.5 - 0.5 * torch.cos(math.pi * tail))
    return weights


def blend_weights(box: Box, boxes: Sequence[Box], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Weights ``(1, 1, h, w)`` of the tile ``box`` among ``boxes``: ramps only where a neighbour overlaps it."""
    top, left, h, w = box
    rise_y = max((t + hh - top for t, _, hh, _ in boxes if t < top < t + hh), default=0)
    fall_y = max((top + h - t for t, _, _, _ in boxes if top < t < top + h), default=0)
    rise_x = max((lf + ww - left for _, lf, _, ww in boxes if lf < left < lf + ww), default=0)
    fall_x = max((left + w - lf for _, lf, _, _ in boxes if left < lf < left + w), default=0)
    wy = _ramp(h, min(rise_y, h), min(fall_y, h), dtype)
    wx = _ramp(w, min(rise_x, w), min(fall_x, w), dtype)
    return (wy[:, None] * wx[None, :])[None, None]


def iter_tiled(
    engine, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tile: int, overlap: int
) -> Iterator[torch.Tensor]:
    """Like ``engine.iter_frames``, tile by tile: yields ``(B, C, H, W)`` for each time, in order.

    All times of a tile are computed together (the engine reuses the tile's features), so the output of every
    time is held until the last tile is done: ``len(times)`` frames of memory on top of the engine's per-tile need.
    """
    for scored in iter_tiled_scored(engine, frame0, frame1, times, tile, overlap):
        yield scored.frame


def iter_tiled_scored(
    engine: Engine, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float], tile: int, overlap: int
) -> Iterator[ScoredFrame]:
    """:func:`iter_tiled` with a confidence per frame: the tiles' confidences (``engine.iter_scored``) averaged,
    each weighted by its area."""
    batch, channels, height, width = frame0.shape
    boxes = tile_boxes(height, width, tile, overlap)
    if len(boxes) == 1:
        yield from engine.iter_scored(frame0, frame1, times)
        return
    total = torch.zeros(len(times), batch, channels, height, width, dtype=torch.float32, device=frame0.device)
    norm = torch.zeros(1, 1, height, width, dtype=torch.float32, device=frame0.device)
    confidence = [0.0] * len(times)
    for box in boxes:
        top, left, h, w = box
        weights = blend_weights(box, boxes).to(frame0.device)
        crop0 = frame0[:, :, top : top + h, left : left + w]
        crop1 = frame1[:, :, top : top + h, left : left + w]
        for i, out in enumerate(engine.iter_scored(crop0, crop1, times)):
            total[i, :, :, top : top + h, left : left + w] += out.frame.to(total.dtype) * weights
            confidence[i] += out.confidence * h * w
        norm[:, :, top : top + h, left : left + w] += weights
    area = sum(h * w for _, _, h, w in boxes)
    for i in range(len(times)):
        yield ScoredFrame((total[i] / norm).to(frame0.dtype), confidence[i] / area)


def choose_tile(engine, height: int, width: int, budget: int, overlap: int = DEFAULT_OVERLAP) -> int | None:
    """The largest tile side (a multiple of 64, at least 128) whose interpolation fits ``budget`` bytes.

    Returns None when the whole frame fits, or when the engine does not estimate its memory (``memory_needed`` 0).
    """
    needed = engine.memory_needed(height, width)
    if needed == 0 or needed <= budget:
        return None
    tile = (max(height, width) // _TILE_STEP) * _TILE_STEP
    while tile > _MIN_TILE and engine.memory_needed(min(tile, height), min(tile, width)) > budget:
        tile -= _TILE_STEP
    return max(tile, _MIN_TILE, overlap + _TILE_STEP)


def tile_edges(boxes: Sequence[Box], height: int, width: int) -> tuple[list[int], list[int]]:
    """Columns and rows inside the frame where a tile begins or ends (where a seam would show)."""
    columns = sorted({c for _, left, _, w in boxes for c in (left, left + w) if 0 < c < width})
    rows = sorted({r for top, _, h, _ in boxes for r in (top, top + h) if 0 < r < height})
    return columns, rows


def seam_ratio(
    tiled: np.ndarray,
    whole: np.ndarray,
    columns: Sequence[int],
    rows: Sequence[int],
    segment: int = 32,
    neighbours: int = 4,
    floor: float = 0.5,
) -> float:
    """The worst seam along ``columns``/``rows``: how much more a tiled result departs there than just beside.

    A step is the difference between neighbouring pixels (column ``c`` means the step from ``c - 1`` to ``c``); a
    seam is a step the whole-frame result does not have. Each line is cut into pieces of ``segment`` pixels; for
    each piece, the mean absolute step difference on it is compared with that on the ``neighbours`` parallel lines
    on either side, ``(on + floor) / (beside + floor)`` (``floor``, in grey levels, keeps flat areas from turning
    rounding noise into ratios). Returns the largest ratio: about 1 where the lines look like their surroundings,
    far above 1 for a seam. On the 1080p Big Buck Bunny benchmark (``benchmarks/video_throughput.py tiles``) the
    edges of 512-pixel tiles blended over 128 pixels score 1.35, a hard stitch of the same tiles scores 28.9 at its
    joins, and the blended result scores 3.96 along those same joins (what ordinary lines inside tiles reach).

    Args:
        tiled, whole: ``(H, W)`` or ``(H, W, C)`` images of one size, grey levels 0..255.
    """
    difference = tiled.astype(np.float64) - whole.astype(np.float64)
    if difference.ndim == 3:
        difference = difference.mean(axis=2)
    step_x, step_y = np.abs(np.diff(difference, axis=1)).T, np.abs(np.diff(difference, axis=0))
    worst = 0.0
    for steps, lines in ((step_x, columns), (step_y, rows)):
        for line in lines:
            index = line - 1
            beside = [
                i for i in range(index - neighbours, index + neighbours + 1) if i != index and 0 <= i < len(steps)
            ]
            for start in range(0, steps.shape[1] - segment + 1, segment):
                on = steps[index, start : start + segment].mean()
                around = steps[beside, start : start + segment].mean()
                worst = max(worst, float((on + floor) / (around + floor)))
    return worst


class TiledEngine(Engine):
    """``engine`` run tile by tile (:func:`iter_tiled`); pre-alignment is fitted and applied on whole frames.

    Declares the inner engine's capabilities except drag tracks (steering needs whole frames) and tiling itself;
    its identity is the inner engine's.
    """

    def __init__(self, engine: Engine, tile: int, overlap: int) -> None:
        if not engine.capabilities.tiles:
            raise InputError(f"The {engine.name} engine cannot interpolate in tiles; pass --tile 0 (tile=0).")
        self.inner, self.tile, self.overlap = engine, tile, overlap
        self.name, self.device = engine.name, engine.device
        inner = engine.capabilities
        self.capabilities = Capabilities(alignment=inner.alignment, correspondences=inner.correspondences)

    def iter_frames(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment=None,
    ) -> Iterator[torch.Tensor]:
        """As the inner engine, tile by tile; with ``alignment``, the pair is pre-aligned whole at each time.

        The inner engine's own pre-aligned path composes the network's residual motion with the alignment and
        samples each keyframe once; here the pre-aligned pair is sampled a second time, which softens fine texture
        slightly but needs nothing from the inner engine beyond ``iter_scored``.
        """
        for scored in self.iter_scored(frame0, frame1, times, tracks, alignment):
            yield scored.frame

    def iter_scored(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        times: Sequence[float],
        tracks: np.ndarray | None = None,
        alignment=None,
        **options,
    ) -> Iterator[ScoredFrame]:
        """The frames of :meth:`iter_frames`, each with the inner engine's confidences of its tiles averaged by
        area (:func:`iter_tiled_scored`)."""
        self.require(tracks=tracks is not None, alignment=alignment is not None)
        if options:
            raise InputError(f"A tiled engine takes no options {sorted(options)}.")
        if alignment is None:
            yield from iter_tiled_scored(self.inner, frame0, frame1, times, self.tile, self.overlap)
            return
        from framer.motion import warp_pair

        for t in times:
            map0, map1 = alignment.maps(t)
            warped0, warped1 = warp_pair(frame0, frame1, map0, map1)
            yield from iter_tiled_scored(self.inner, warped0, warped1, [t], self.tile, self.overlap)

    def correspondence_maps(self, frame0: torch.Tensor, frame1: torch.Tensor, alignment, t: float = 0.5):
        """The inner engine's, on whole frames."""
        return self.inner.correspondence_maps(frame0, frame1, alignment, t)

    def memory_needed(self, height: int, width: int) -> int:
        return self.inner.memory_needed(min(self.tile, height), min(self.tile, width))

    def identity(self) -> dict:
        return self.inner.identity()
