"""Semi-transparent watermarks in video mode: found, taken out before the engine runs, and put back.

A watermark is a constant alpha blend over the moving picture: ``f_k = c + beta * bg_k`` per pixel, with
``c = alpha * W`` (``(H, W, C)``) and ``beta = 1 - alpha`` (``(H, W)``) the same in every frame. Its pixels are not
constant, but its outline is: over a window of frames, the gradient of a watermark pixel keeps its direction while
the background's turns every way, so the mean gradient vector stays as long as the mean gradient length
(``coherence``). Where such static edges lie in content that changes nearly every frame, the region around them is
a candidate (a static camera's background does not change, so it is none).

``c`` and ``beta`` are then estimated as in the visible-watermark literature (Dekel et al., CVPR 2017), with the
background's motion instead of many unrelated images: the region's neighbourhood is matched from frame to frame
(masked template matching, the candidate pixels left out), which gives each frame's shift; alternating least squares
then estimates the background mosaic (each frame cleaned with the current ``c``, ``beta`` and moved by its shift,
averaged) and, per pixel, ``c`` and ``beta`` (a linear fit of the frames on the mosaic moved back). Pixels outside the
candidate region keep ``c = 0, beta = 1``, which anchors the fit. A region is kept only when the fit explains the
frames (a small residual) and the watermark covers a solid area, not a one-pixel line along a static edge.

With a watermark found, the engine gets each source frame with it taken out (``(f - c) / beta``), and each
in-between gets it put back (``c + beta * in-between``): the watermark stays where it is, at full sharpness, while
the background behind it moves as it should.

Conventions: frames ``(H, W, C)`` uint8 or uint16 RGB; windows ``(T, H, W, C)``; boxes ``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "Watermark",
    "WatermarkSettings",
    "find_watermarks",
    "greys_of",
    "remove_watermarks",
    "restore_watermarks",
    "static_edges",
    "still_there",
]


@dataclass(frozen=True)
class WatermarkSettings:
    """Thresholds (levels are 8-bit; 16-bit frames are scaled).

    Attributes:
        coherence: least ratio of the mean gradient's length to the mean gradient length for a static edge.
        gradient: least mean gradient length (Sobel, levels) of a static edge.
        change: a pixel changes between two frames by more than this many levels ...
        activity: ... in at least this share of the window's frame pairs, for it to count as over moving content.
        min_edges: fewest static-edge pixels of a candidate region.
        search: largest shift (pixels) looked for between consecutive frames.
        iterations: rounds of the alternating fit.
        fit: largest RMS residual (levels) of a kept watermark's fit.
        min_area: fewest watermark pixels, after a one-pixel erosion, of a kept watermark.
        max_share: largest share of the frame a candidate region's box may take.
    """

    coherence: float = 0.85
    gradient: float = 40.0
    change: float = 8.0
    activity: float = 0.6
    min_edges: int = 40
    search: int = 64
    iterations: int = 6
    fit: float = 3.0
    min_area: int = 20
    max_share: float = 0.5


@dataclass(frozen=True, eq=False)
class Watermark:
    """One watermark: ``offset`` (``c``, ``(h, w, C)`` float32) and ``scale`` (``beta``, ``(h, w)`` float32) over
    ``box``; ``mask`` ``(h, w)`` bool marks its pixels (elsewhere in the box ``c = 0, beta = 1``)."""

    box: tuple[int, int, int, int]
    offset: np.ndarray
    scale: np.ndarray
    mask: np.ndarray

    def full_mask(self, height: int, width: int) -> np.ndarray:
        out = np.zeros((height, width), bool)
        x0, y0, x1, y1 = self.box
        out[y0:y1, x0:x1] = self.mask
        return out


def _levels(image: np.ndarray) -> float:
    return 257.0 if image.dtype == np.uint16 else 1.0


def _per_mark(image: np.ndarray, marks: list[Watermark], change) -> np.ndarray:
    """A copy of ``image`` ``(H, W, C)`` whose pixels under each watermark are ``change(mark, crop)`` (float32,
    in the image's levels), rounded and clipped to its dtype."""
    out = image.copy()
    top = np.iinfo(image.dtype).max
    for mark in marks:
        x0, y0, x1, y1 = mark.box
        crop = out[y0:y1, x0:x1]
        changed = change(mark, crop.astype(np.float32), _levels(image))
        np.copyto(crop, np.clip(np.rint(changed), 0, top).astype(image.dtype), where=mark.mask[:, :, None])
    return out


def remove_watermarks(image: np.ndarray, marks: list[Watermark]) -> np.ndarray:
    """``image`` ``(H, W, C)`` with each watermark taken out: ``(f - c) / beta`` on its pixels (a new array)."""
    return _per_mark(
        image, marks, lambda mark, crop, level: (crop - mark.offset * level) / np.maximum(mark.scale, 0.05)[:, :, None]
    )


def restore_watermarks(image: np.ndarray, marks: list[Watermark]) -> np.ndarray:
    """``image`` ``(H, W, C)`` (made from frames without the watermarks) with them put back: ``c + beta * f``."""
    return _per_mark(image, marks, lambda mark, crop, level: mark.offset * level + mark.scale[:, :, None] * crop)


def _grey(frame: np.ndarray, level: float) -> np.ndarray:
    """``(H, W, C)`` -> ``(H, W)`` float32 grey on the 8-bit scale."""
    image = frame.astype(np.float32)
    image = image if level == 1.0 else image / level  # x / 1 is x: no pass over the frame
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 and image.shape[2] >= 3 else image[..., 0]


def greys_of(frames: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """``(T, H, W, C)`` (or T frames) -> T x ``(H, W)`` float32 grey on the 8-bit scale: computed once, for
    :func:`static_edges`, :func:`still_there` and :func:`find_watermarks` on the same window."""
    return [_grey(frame, _levels(frame)) for frame in frames]


def static_edges(frames: np.ndarray | Sequence[np.ndarray], settings: WatermarkSettings,
                 greys: list[np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
    """``(T, H, W, C)`` (or T frames) -> ``(H, W)`` bool: edges that keep their place and direction while the
    content around them changes nearly every frame (the outline of a watermark over moving content). ``greys``:
    the frames' :func:`greys_of`, if known."""
    greys = greys_of(frames) if greys is None else greys
    mean_x, mean_y = np.zeros(greys[0].shape, np.float32), np.zeros(greys[0].shape, np.float32)
    length = np.zeros(greys[0].shape, np.float32)
    for grey in greys:
        gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
        mean_x += gx  # two planes, not one interleaved (H, W, 2): the same sums without strided passes
        mean_y += gy
        length += cv2.magnitude(gx, gy)
    mean_x /= len(frames)
    mean_y /= len(frames)
    length /= len(frames)
    edges = (length >= settings.gradient) & (cv2.magnitude(mean_x, mean_y) >= settings.coherence * length)
    if not edges.any():
        return edges
    changes = np.zeros(greys[0].shape, np.float32)
    for before, after in itertools.pairwise(greys):
        changes += cv2.absdiff(before, after) > settings.change
    return edges & (changes >= settings.activity * (len(frames) - 1))


def _shift(a: np.ndarray, b: np.ndarray, hole: np.ndarray, box: tuple[int, int, int, int], search: int
           ) -> tuple[float, float] | None:  # fmt: skip
    """The shift ``d`` with ``a(x) ~ b(x + d)`` over ``box`` of grey frames ``a``, ``b`` ``(H, W)``, the ``hole``
    pixels (in either frame) left out: whole pixels at most 256 px wide, then a tenth of a pixel at full size. None:
    no reliable match."""
    height, width = a.shape
    x0, y0, x1, y1 = box
    # 1. Coarse: the masked sum of squared differences over all shifts at once (FFT), on the box at <= 256 px.
    factor = max(1, int(np.ceil(max(x1 - x0, y1 - y0) / 256)))
    size = ((x1 - x0) // factor, (y1 - y0) // factor)
    crop = (slice(y0, y1), slice(x0, x1))
    valid = cv2.resize((~hole[crop]).astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
    small_a = cv2.resize(a[crop], size, interpolation=cv2.INTER_AREA)
    small_b = cv2.resize(b[crop], size, interpolation=cv2.INTER_AREA)
    coarse = _masked_shift(small_a, small_b, valid, search // factor + 1)
    if coarse is None:
        return None
    dx0, dy0 = coarse[0] * factor, coarse[1] * factor
    # 2. Fine: full size, within `factor` + 1 px of it, leaving out where the hole lands in frame b too.
    moved = cv2.warpAffine(hole.view(np.uint8), np.float32([[1, 0, -dx0], [0, 1, -dy0]]), (width, height),
                           flags=cv2.INTER_NEAREST, borderValue=1)  # fmt: skip
    reach = factor + 1
    both = hole | (cv2.dilate(moved, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0)
    fine = _match(a, b, both, box, reach, centre=(dx0, dy0))
    if fine is None or fine[2] > 50.0:  # mean squared difference of the background, 8-bit levels
        return None
    return fine[0], fine[1]


def _masked_shift(a: np.ndarray, b: np.ndarray, valid: np.ndarray, limit: int) -> tuple[int, int] | None:
    """The whole-pixel shift ``d`` (at most ``limit`` each way) minimising the mean squared difference of
    ``a(x)`` and ``b(x + d)`` over pixels valid in both (``(h, w)``; at least a third of them must overlap)."""
    h, w = a.shape
    shape = (2 * h, 2 * w)
    m = valid.astype(np.float64)
    fa, fb = a.astype(np.float64) * m, b.astype(np.float64) * m

    def spectrum(x):
        return np.fft.rfft2(x, shape)

    def corr(p, q):  # sum_x p(x) q(x + d), for every d (negative shifts wrap around)
        return np.fft.irfft2(np.conj(p) * q, shape)

    fm = spectrum(m)  # float64: the squared sums of 8-bit levels over up to 256 x 256 px need the precision
    overlap = corr(fm, fm)
    ssd = corr(spectrum(fa * a), fm) + corr(fm, spectrum(fb * b)) - 2 * corr(spectrum(fa), spectrum(fb))
    dy = np.fft.fftfreq(shape[0], 1 / shape[0]).astype(int)[:, None]
    dx = np.fft.fftfreq(shape[1], 1 / shape[1]).astype(int)[None, :]
    allowed = (overlap >= m.sum() / 3) & (np.abs(dx) <= limit) & (np.abs(dy) <= limit)
    if not allowed.any():
        return None
    score = np.where(allowed, ssd / np.maximum(overlap, 1.0), np.inf)
    iy, ix = np.unravel_index(np.argmin(score), score.shape)
    return int(dx[0, ix]), int(dy[iy, 0])


def _match(a, b, hole, box, search, centre=(0, 0)):
    """Masked template match of ``a[box]`` in ``b`` within ``search`` px of ``centre``: ``(dx, dy, mse)``."""
    height, width = a.shape
    x0, y0, x1, y1 = box
    cx, cy = centre
    sx0, sy0 = x0 + cx - search, y0 + cy - search
    sx1, sy1 = x1 + cx + search, y1 + cy + search
    # Keep the template where the whole search area is inside frame b.
    tx0, ty0 = x0 + max(0, -sx0), y0 + max(0, -sy0)
    tx1, ty1 = x1 - max(0, sx1 - width), y1 - max(0, sy1 - height)
    if tx1 - tx0 < 8 or ty1 - ty0 < 8:
        return None
    template = a[ty0:ty1, tx0:tx1]
    weight = (~hole[ty0:ty1, tx0:tx1]).astype(np.float32)
    if weight.sum() < 0.25 * weight.size:
        return None
    area = b[ty0 + cy - search : ty1 + cy + search, tx0 + cx - search : tx1 + cx + search]
    scores = cv2.matchTemplate(area, template, cv2.TM_SQDIFF, mask=weight)
    scores = np.nan_to_num(scores, nan=np.inf, posinf=np.inf)
    my, mx = np.unravel_index(np.argmin(scores), scores.shape)
    dx, dy = float(mx), float(my)
    if 0 < mx < scores.shape[1] - 1:  # sub-pixel: the parabola through the best score and its neighbours
        left, mid, right = scores[my, mx - 1], scores[my, mx], scores[my, mx + 1]
        if left - 2 * mid + right > 0:
            dx += 0.5 * (left - right) / (left - 2 * mid + right)
    if 0 < my < scores.shape[0] - 1:
        up, mid, down = scores[my - 1, mx], scores[my, mx], scores[my + 1, mx]
        if up - 2 * mid + down > 0:
            dy += 0.5 * (up - down) / (up - 2 * mid + down)
    return dx - search + cx, dy - search + cy, float(scores[my, mx]) / float(weight.sum())


def _regions(edges: np.ndarray, settings: WatermarkSettings) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """Candidate regions: the static edges closed into areas, ``[(area (H, W) bool, box), ...]``."""
    closed = cv2.morphologyEx(edges.view(np.uint8), cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    area = cv2.dilate(closed, np.ones((9, 9), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(area, connectivity=8)
    height, width = edges.shape
    out = []
    for label in range(1, count):
        x, y, w, h = stats[label, :4]
        if w * h > settings.max_share * height * width:
            continue  # a watermark is not most of the picture
        region = labels == label
        if np.count_nonzero(edges & region) < settings.min_edges:
            continue
        box = (max(0, x - 4), max(0, y - 4), min(width, x + w + 4), min(height, y + h + 4))
        out.append((region, box))
    return out


def _reach(shifts: list) -> tuple[int, int]:
    """How far (px, x and y) the fit's background mosaic reaches past the box: the largest shift and 2 px more."""
    used = [shift for shift in shifts if shift is not None]
    return int(np.ceil(max(abs(s[0]) for s in used))) + 2, int(np.ceil(max(abs(s[1]) for s in used))) + 2


def _crop_for_fit(frames: Sequence[np.ndarray], level: float, box, reach: tuple[int, int]
                  ) -> tuple[np.ndarray, tuple[int, int]]:  # fmt: skip
    """The part of each frame the fit of ``box`` reads, ``(T, h, w, C)`` float32 on the 8-bit scale, and its
    top-left ``(x, y)``: the box and ``2 * reach`` px around it (the mosaic reaches ``reach`` px past the box and is
    sampled at shifts of up to ``reach - 2`` px, bilinear), cut by the frame's edges. Only this part is converted:
    a whole window of float frames took 1.4 GB at 1080p."""
    height, width = frames[0].shape[:2]
    x0, y0, x1, y1 = box
    left, top = max(0, x0 - 2 * reach[0]), max(0, y0 - 2 * reach[1])
    right, bottom = min(width, x1 + 2 * reach[0]), min(height, y1 + 2 * reach[1])
    crop = np.stack([frame[top:bottom, left:right] for frame in frames]).astype(np.float32)
    if level != 1.0:
        crop /= level
    return crop, (left, top)


def _fit(
    data: np.ndarray,
    origin: tuple[int, int],
    shifts: list,
    area: np.ndarray,
    box,
    settings: WatermarkSettings,
    start=None,
    iterations: int | None = None,
):
    """Alternating least squares for ``c``, ``beta`` over ``box``; returns ``(c, beta, free, rms)``.

    ``data``, ``origin``: the frames' part the fit reads and its top-left (:func:`_crop_for_fit`); ``shifts[k]``
    moves the reference frame's background to frame ``k``'s (None: frame left out); ``area`` ``(H, W)`` bool: where
    ``c`` and ``beta`` are free.
    """
    count, height, width, channels = data.shape
    used = [k for k in range(count) if shifts[k] is not None]
    reach_x, reach_y = _reach(shifts)
    left, top = origin
    free = area[box[1] : box[3], box[0] : box[2]]
    x0, y0, x1, y1 = box[0] - left, box[1] - top, box[2] - left, box[3] - top  # from here on, in the crop
    mx0, my0 = x0 - reach_x, y0 - reach_y  # the mosaic's top-left, in the crop's pixels
    mw, mh = (x1 - x0) + 2 * reach_x, (y1 - y0) + 2 * reach_y
    grid_x, grid_y = np.meshgrid(np.arange(mw, dtype=np.float32) + mx0, np.arange(mh, dtype=np.float32) + my0)
    box_x, box_y = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    offset = np.zeros((y1 - y0, x1 - x0, channels), np.float32) if start is None else start[0]
    scale = np.ones((y1 - y0, x1 - x0), np.float32) if start is None else start[1]
    border = {"borderMode": cv2.BORDER_CONSTANT, "borderValue": 0}
    ones = np.ones((height, width), np.float32)
    rms = np.inf
    for _ in range(iterations or settings.iterations):
        # 1. The background mosaic: each frame cleaned with the current estimate, moved onto the reference frame.
        full_offset = np.zeros((height, width, channels), np.float32)
        full_scale = np.ones((height, width), np.float32)
        full_offset[y0:y1, x0:x1], full_scale[y0:y1, x0:x1] = offset, scale
        weight = np.where(full_scale > 0.15, full_scale**2, 0).astype(np.float32)
        divisor = np.maximum(full_scale, 0.15)[:, :, None]
        total = np.zeros((mh, mw, channels), np.float32)
        norm = np.zeros((mh, mw), np.float32)
        for k in used:
            dx, dy = shifts[k]
            maps = ((grid_x + dx).astype(np.float32), (grid_y + dy).astype(np.float32))
            seen = cv2.remap(ones, *maps, cv2.INTER_LINEAR, **border) > 0.999
            w = cv2.remap(weight, *maps, cv2.INTER_LINEAR, **border) * seen
            clean = (data[k] - full_offset) / divisor
            total += cv2.remap(clean, *maps, cv2.INTER_LINEAR, **border).reshape(mh, mw, channels) * w[..., None]
            norm += w
        known = norm > 0.5
        mosaic = total / np.maximum(norm, 1e-6)[..., None]
        # 2. Per pixel of the box, c and beta from a linear fit of the frames on the mosaic moved back.
        n = np.zeros(free.shape, np.float32)
        sums = {key: np.zeros((*free.shape, channels), np.float32) for key in ("b", "f", "bf", "bb", "ff")}
        for k in used:
            dx, dy = shifts[k]
            maps = ((box_x - dx - mx0).astype(np.float32), (box_y - dy - my0).astype(np.float32))
            b = cv2.remap(mosaic, *maps, cv2.INTER_LINEAR, **border).reshape(*free.shape, channels)
            ok = cv2.remap(known.view(np.uint8), *maps, cv2.INTER_NEAREST, **border).astype(np.float32)
            f = data[k, y0:y1, x0:x1]
            n += ok
            okc = ok[..., None]
            sums["b"] += b * okc
            sums["f"] += f * okc
            sums["bf"] += b * f * okc
            sums["bb"] += b * b * okc
            sums["ff"] += f * f * okc
        nn = np.maximum(n, 1)[..., None]
        mb, mf = sums["b"] / nn, sums["f"] / nn
        cov = (sums["bf"] / nn - mb * mf).sum(axis=2)
        var = (sums["bb"] / nn - mb * mb).sum(axis=2)
        solvable = free & (n >= 3) & (var > 30.0 * channels)
        beta = np.clip(cov / np.maximum(var, 1e-6), 0.0, 1.0)
        scale = np.where(solvable, beta, 1.0).astype(np.float32)
        offset = np.where(solvable[..., None], mf - beta[..., None] * mb, 0.0).astype(np.float32)
        # The fit's residual over the free pixels: E[(f - c - beta b)^2].
        resid = sums["ff"] / nn - 2 * offset * mf - 2 * scale[..., None] * sums["bf"] / nn
        resid += offset**2 + 2 * offset * scale[..., None] * mb + scale[..., None] ** 2 * sums["bb"] / nn
        rms = float(np.sqrt(max(0.0, resid[solvable].mean()))) if solvable.any() else np.inf
    return offset, scale, free, rms


def still_there(frames: np.ndarray | Sequence[np.ndarray], marks: list[Watermark],
                settings: WatermarkSettings | None = None, edges: np.ndarray | None = None) -> bool:  # fmt: skip
    """Whether the window ``frames`` ``(T, H, W, C)`` (or T frames) shows the watermarks ``marks`` (at least half
    of each one's outline is a static edge) and no other static edges: then the fit still holds and need not be
    made again. ``edges``: the window's :func:`static_edges`, if known."""
    settings = settings or WatermarkSettings()
    edges = static_edges(frames, settings) if edges is None else edges
    known = np.zeros(edges.shape, bool)
    for mark in marks:
        x0, y0, x1, y1 = mark.box
        known[y0:y1, x0:x1] = True
        outline = cv2.morphologyEx(mark.mask.view(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        if np.count_nonzero(edges[y0:y1, x0:x1] & outline) < 0.5 * np.count_nonzero(outline):
            return False
    return np.count_nonzero(edges & ~known) < settings.min_edges


def find_watermarks(frames: np.ndarray | Sequence[np.ndarray], index: int, settings: WatermarkSettings | None = None,
                    greys: list[np.ndarray] | None = None, edges: np.ndarray | None = None
                    ) -> list[Watermark]:  # fmt: skip
    """The semi-transparent watermarks of ``frames[index]``, from the window ``frames`` ``(T, H, W, C)`` (or T
    frames). ``greys`` and ``edges``: the window's :func:`greys_of` and :func:`static_edges`, if known."""
    settings = settings or WatermarkSettings()
    if len(frames) < 4:
        return []
    greys = greys_of(frames) if greys is None else greys
    edges = static_edges(frames, settings, greys) if edges is None else edges
    if np.count_nonzero(edges) < settings.min_edges:
        return []
    level = _levels(frames[0])
    height, width = frames[0].shape[:2]
    found = []
    for area, box in _regions(edges, settings):
        x0, y0, x1, y1 = box
        margin = 32
        near = (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin))
        # 1. Each frame's shift from its neighbour, chained to the reference frame `index` (first one pair: a still
        # background, as a static camera's, has nothing to tell a watermark from).
        first = min(index, len(frames) - 2)
        probe = _shift(greys[first], greys[first + 1], area, near, settings.search)
        if probe is None or max(abs(probe[0]), abs(probe[1])) < 1.0:
            continue
        steps = [probe if k == first else _shift(greys[k], greys[k + 1], area, near, settings.search)
                 for k in range(len(frames) - 1)]  # fmt: skip
        shifts: list[tuple[float, float] | None] = [None] * len(frames)
        shifts[index] = (0.0, 0.0)
        for k in range(index + 1, len(frames)):
            prev, step = shifts[k - 1], steps[k - 1]
            shifts[k] = None if prev is None or step is None else (prev[0] + step[0], prev[1] + step[1])
        for k in range(index - 1, -1, -1):
            prev, step = shifts[k + 1], steps[k]
            shifts[k] = None if prev is None or step is None else (prev[0] - step[0], prev[1] - step[1])
        moving = [s for s in shifts if s is not None and max(abs(s[0]), abs(s[1])) >= 1.0]
        if len(moving) < 3:
            continue  # the background does not move under it: nothing to tell a watermark from
        # 2. The fit, and whether it explains the frames with a solid watermark.
        data, origin = _crop_for_fit(frames, level, box, _reach(shifts))  # one conversion for both fits
        offset, scale, free, rms = _fit(data, origin, shifts, area, box, settings)
        mark = free & ((scale < 0.97) | (np.abs(offset).max(axis=2) > 4.0))
        # 3. Again with only the watermark's pixels (and a pixel around them) free: the rest anchors the fit.
        tight = np.zeros_like(area)
        tight[y0:y1, x0:x1] = cv2.dilate(mark.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        start = (np.where(mark[..., None], offset, 0.0), np.where(mark, scale, 1.0))
        offset, scale, free, rms = _fit(data, origin, shifts, tight & area, box, settings, start,
                                        settings.iterations * 2)  # fmt: skip
        mark = free & ((scale < 0.97) | (np.abs(offset).max(axis=2) > 4.0))
        solid = cv2.erode(mark.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        if rms > settings.fit or np.count_nonzero(solid) < settings.min_area or np.median(scale[mark]) < 0.1:
            continue  # not explained, a thin line along an edge, or opaque (the other detector's)
        mark = cv2.morphologyEx(mark.view(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).view(bool) & free
        scale = np.where(mark, scale, 1.0).astype(np.float32)
        offset = np.where(mark[..., None], offset, 0.0).astype(np.float32)
        found.append(Watermark(box, offset, scale, mark))
    return found
