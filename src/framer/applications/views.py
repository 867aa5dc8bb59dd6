"""In-between views: viewpoints between two photos of a static scene (the Framer paper's "novel views").

Steps (:func:`iter_views`):

1. **Matches and layers**: the autopilot's verified matches (:func:`framer.matching.find_correspondences`) split
   into motion layers by sequential RANSAC (:func:`framer.matching.motion_layers`): for a camera moving over a
   scene of a few depths, each depth moves by its own similarity (parallax), so each layer is one depth. When the
   matches make one layer only, the content it leaves unexplained is searched for a shift of its own (a plane with
   a smooth texture, or a small one that moved far, gives no matches): :func:`_searched_layer`.
2. **Regions and order**: each layer owns the pixels its motion carries best onto the other view
   (:func:`framer.motion.layer_regions`). Layers are composited front to back in the order of their motion, the
   largest first: for a translating camera the nearest surface moves most, and it hides what lies behind it. The
   regions are then redrawn pixel by pixel (:func:`_redrawn`): per-pixel colour residuals, blind to half-pixel
   resampling and smoothed only up to colour edges, put each region's edge on the object's edge; a front layer keeps
   only pixels its motion carries onto its own region in the other view, and content seen in one view only (hidden
   by the front in the other) goes to the back layer, so at each in-between view it is taken from the view that
   shows it rather than blended with what covers it; a front layer that reaches the frame's edge in the other view
   keeps the content it carries out of the frame there, told apart by its colour from the background it hides.
3. **Camera path per layer**: each layer's homography is interpolated in time as a motion (rotation, stretch and
   translation grow linearly, :func:`framer.motion.interpolate_homography`), which places every layer at each
   in-between viewpoint (:class:`framer.motion.LayeredMotion`).
4. **Refinement**: the flow engine interpolates the two views pre-aligned by the layers to each time
   (``alignment=``, as the autopilot's layered pre-alignment), so it finds only what the layers' similarities
   missed, and composes it back onto the views. Before that, plain interpolation and the layers are measured at the
   middle view as the autopilot measures its candidates (:func:`framer.matching.warp_error`); where plain agrees
   better (small parallax, which the network finds by itself), the views are interpolated plainly.

Where it holds: small baselines (the camera moves a little, turns little) over scenes of a few roughly planar depth
layers (a subject before a background, facades, a table top seen from above); there every layer's motion is nearly
a similarity and the in-between views are sharp where plain interpolation tears or doubles what moves far. Where it
does not: a wide baseline or a camera that turns much (perspective and occlusions change beyond a similarity per
layer); continuous depth (a road or a floor receding: no few layers explain it, and the network is left with large
residual motion); more depth layers than :func:`framer.matching.motion_layers` finds (three at most); content seen
in only one photo (filled from that photo, not reconstructed); a near surface that leaves the frame between the
photos (the part out of frame is placed by colour and by where the surface meets the frame's edge in the other
photo: on the two-plane scene of the benchmark with the front plane cut by the frame's edge, views are +2.1 to +6.6
dB above plain interpolation at 48 px of parallax instead of +10 dB or more when it stays in frame; on the
independent scenes of ``benchmarks/views_scenes.py``, 4 of the 25 whose front plane touches or crosses the frame's
edge gain less than 3 dB, worst -1.5 dB); a periodic texture on a plane that gives no matches (a second plane
without matches is found by searching its shift, :func:`_searched_layer`, but a repeating pattern fits many shifts
alike, so it is left to one layer); moving things, reflections and lighting changes (the scene is assumed static).
On such pairs the result falls back towards plain interpolation, never a 3-D reconstruction.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from framer.errors import InputError
from framer.io.images import float_rgb

__all__ = ["View", "iter_views", "view_alignment", "views"]

logger = logging.getLogger(__name__)

_RADIUS = 3  # px, the window of the edge-aware (guided) filter that smooths each layer's per-pixel colour residual
_SMOOTHING = 1e-3  # the guided filter's regularisation: colour steps under about its square root are smoothed
_EXPLAINS = 0.05  # a layer explains a pixel when its smoothed residual (colour in [0, 1]) is below this
_SEARCH_UNEXPLAINED = 0.08  # a box-filtered residual above this: the found layer does not explain the pixel
_SEARCH_MIN_SHARE = 0.01  # a part the search looks at covers at least this share of the frame
_SEARCH_LIKE = 0.06  # a searched shift carries a pixel onto like colour: mean absolute difference under this
_SEARCH_SHARE = 0.3  # ... and makes a layer when it carries at least this share of the part so
_SEARCH_SIDE = 640  # px: larger views are searched shrunk to this larger side (the regions are drawn at full size)
_SEARCH_APART, _SEARCH_UNIQUE = 3, 0.8  # ... unless a shift 3 coarse steps away carries 80% as many (periodic)
_EXIT_SLACK = 4  # px along the frame's edge by which a layer's exit (_exits) is widened
_BAND = 12  # px each side of a front layer's region (from layer_regions) within which it may claim pixels
# Below this largest layer motion (px) the network finds the parallax by itself and the layers' edges only cost
# detail: on the two-plane scene of benchmarks/applications_morph_views.py, parallax 16 px (front plane 24 px)
# lost 3.7-5.3 dB with the layers, which the middle-view measurement did not catch; from 32 px (48 px) they gain.
PLAIN_BELOW = 32


class View(NamedTuple):
    """One output frame of :func:`iter_views`: its place between the views (0 is LEFT, 1 is RIGHT), the image and the
    engine's confidence in it (1 for the given views)."""

    t: float
    frame: np.ndarray
    confidence: float = 1.0


def _name(source: object, index: int) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else ("LEFT", "RIGHT")[index]


def view_alignment(image0: np.ndarray, image1: np.ndarray, matcher: str = "sift", names=("LEFT", "RIGHT")):
    """Steps 1-3 of the module docstring: the :class:`framer.motion.Alignment` that pre-aligns both views to any
    in-between viewpoint, its layers ordered by motion (front first).

    Raises:
        InputError: too few verified matches to find the camera motion (the message says how to look at them).
    """
    from framer.matching import AutopilotConfig, find_correspondences
    from framer.motion import fit_alignment, layer_regions

    config = AutopilotConfig(matcher=matcher)
    found = find_correspondences(image0, image1, config)
    if len(found) < config.min_matches or not found.layers:
        a, b = names
        raise InputError(
            f"Found {len(found)} verified matches between {a} and {b} (of {found.candidates} candidates), too few "
            f"to find the camera motion (at least {config.min_matches}); the photos must show the same static scene "
            f"from nearby viewpoints; see what is matched with `framer match {a} {b} -o matches.json --preview "
            "matches.png`."
        )
    alignment = fit_alignment(
        found.starts, found.ends, found.width, found.height, found.confidence, found.global_motion
    )
    homographies = [layer.homography for layer in found.layers]
    starts, ends = [layer.starts for layer in found.layers], [layer.ends for layer in found.layers]
    colour0, colour1 = float_rgb(image0), float_rgb(image1)
    if len(homographies) == 1:
        searched = _searched_layer(colour0, colour1, homographies[0])
        if searched is not None:
            homographies.append(searched[0])
            starts.append(searched[1])
            ends.append(searched[2])
    layers = layer_regions(image0, image1, homographies, starts, ends)
    if layers is None:
        logger.info("No motion layer claims a region; the views are pre-aligned by one global motion.")
        return alignment
    order = np.argsort(
        [-_layer_motion(h, region) for h, region in zip(layers.homographies, layers.regions0, strict=True)]
    )
    homographies = layers.homographies[order]
    regions0, regions1 = _redrawn(layers.regions0[order], layers.regions1[order], colour0, colour1, homographies)
    layers = replace(
        layers,
        homographies=homographies,
        centres=layers.centres[order],
        follows=tuple(layers.follows[index] for index in order),
        regions0=regions0,
        regions1=regions1,
        checked=True,  # _redrawn checked them between the views
    )
    motions = ", ".join(
        f"{_layer_motion(h, r):.0f}" for h, r in zip(layers.homographies, layers.regions0, strict=True)
    )
    logger.info("Found %d depth layer(s) in %d matches; motion front to back: %s px.", len(order), len(found), motions)
    return replace(alignment, layers=layers)


def _searched_layer(
    colour0: np.ndarray, colour1: np.ndarray, homography: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A second depth layer that gave no matches (a smooth texture, a small plane that moved far), found by searching
    the shift of the content that the one layer ``homography`` does not explain (:func:`_searched_in`, on views
    shrunk to ``_SEARCH_SIDE`` px at most): ``(homography, starts, ends)`` in the views' pixels, or None."""
    import cv2

    from framer.motion import apply_homography

    shrink = min(1.0, _SEARCH_SIDE / max(colour0.shape[:2]))
    scaling = np.diag([shrink, shrink, 1.0])
    if shrink < 1.0:
        size = (round(colour0.shape[1] * shrink), round(colour0.shape[0] * shrink))
        colour0, colour1 = (cv2.resize(c, size, interpolation=cv2.INTER_AREA) for c in (colour0, colour1))
    found = _searched_in(colour0, colour1, scaling @ homography @ np.linalg.inv(scaling))
    if found is None:
        return None
    moved = np.linalg.inv(scaling) @ found[0] @ scaling
    starts = found[1] / shrink
    logger.info("Found a layer without matches by searching: it moves (%.0f, %.0f) px.", *moved[:2, 2])
    return moved, starts, apply_homography(moved, starts)


def _searched_in(
    colour0: np.ndarray, colour1: np.ndarray, homography: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_searched_layer` at the size given: ``(homography, starts)``. Each connected part of the content the
    one layer ``homography`` does not explain is searched (:func:`_search_shift`); a shift that carries at least
    ``_SEARCH_SHARE`` of its part onto like colour (the rest is what the plane hides or uncovers) makes the layer,
    the part with most such pixels first, refined to a similarity where that fits more (:func:`_refined`)."""
    import cv2

    height, width = colour0.shape[:2]
    residual, outside = _residual(colour0, colour1, homography)
    size = max(5, round(math.hypot(height, width) / 40) | 1)
    unexplained = (cv2.blur(residual, (size, size)) > _SEARCH_UNEXPLAINED) & ~outside
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    unexplained = cv2.morphologyEx(unexplained.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(unexplained, connectivity=8)
    best = None
    for part in range(1, count):
        area = stats[part, cv2.CC_STAT_AREA]
        if area < _SEARCH_MIN_SHARE * height * width:
            continue
        shift, fits = _search_shift(colour0, colour1, parts == part)
        if fits.sum() >= max(_SEARCH_SHARE * area, _SEARCH_MIN_SHARE * height * width) and (
            best is None or fits.sum() > best[1].sum()
        ):
            best = (shift, fits, parts == part)
    if best is None:
        return None
    shift, fits, part = best
    moved = np.eye(3)
    moved[:2, 2] = shift
    refined = _refined(colour0, colour1, moved, fits, part)
    if refined is not None:
        moved, fits = refined
    ys, xs = np.nonzero(fits)
    step = max(1, len(xs) // 400)
    return moved, np.stack([xs[::step], ys[::step]], 1).astype(np.float64)


def _fitting(colour0: np.ndarray, colour1: np.ndarray, homography: np.ndarray, part: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the ``part`` pixels of ``colour0`` that ``homography`` carries onto like colour in ``colour1``
    (mean absolute difference under ``_SEARCH_LIKE``, inside the view)."""
    import cv2

    height, width = part.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = cv2.warpPerspective(colour1, homography, (width, height), flags=flags, borderValue=(-1.0, -1.0, -1.0))
    return part & (np.abs(colour0 - moved).mean(axis=-1) < _SEARCH_LIKE)


def _refined(
    colour0: np.ndarray, colour1: np.ndarray, shift: np.ndarray, fits: np.ndarray, part: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The searched shift ``shift`` (3x3) refined to a similarity (a plane that also grows or turns: the camera moves
    forward or rolls) by aligning the pixels it fits (``fits``, grown into their ``part``) with ECC (an affine motion,
    then the nearest similarity about the part's middle), and the part's pixels that carries onto like colour; None
    where that fits no more of them (the plane only shifts) or ECC does not converge."""
    import cv2

    grow = cv2.dilate(fits.astype(np.uint8), np.ones((15, 15), np.uint8)) & part.astype(np.uint8)
    grey0 = cv2.cvtColor(colour0, cv2.COLOR_RGB2GRAY)
    grey1 = cv2.cvtColor(colour1, cv2.COLOR_RGB2GRAY)
    warp = shift[:2].astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-5)
    try:
        _, warp = cv2.findTransformECC(grey0, grey1, warp, cv2.MOTION_AFFINE, criteria, grow, 5)
    except cv2.error:
        return None
    affine = warp.astype(np.float64)
    (a, b), (c, d) = affine[:, :2]
    linear = np.array([[a + d, b - c], [c - b, a + d]]) / 2.0  # the nearest similarity's (Frobenius norm)
    ys, xs = np.nonzero(grow)
    middle = np.array([xs.mean(), ys.mean()])
    homography = np.eye(3)
    homography[:2, :2] = linear
    homography[:2, 2] = affine[:, :2] @ middle + affine[:, 2] - linear @ middle  # the middle goes where ECC puts it
    refits = _fitting(colour0, colour1, homography, part)
    return (homography, refits) if refits.sum() > fits.sum() else None


def _search_shift(colour0: np.ndarray, colour1: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shift ``(dx, dy)`` that carries most of the ``mask`` pixels of ``colour0`` onto like colour in ``colour1``
    (mean absolute difference under ``_SEARCH_LIKE``; each pixel counts the more the closer its colour, so a smooth
    texture still has one best shift), searched coarse to fine (1/8, 1/2 and full size) over up to half the frame's
    larger side, and ``(H, W)`` bool: the pixels it carries so."""
    import cv2

    height, width = mask.shape
    shift = np.zeros(2)
    for scale, radius in ((8, max(height, width) / 16), (2, 6), (1, 2)):
        size = (max(1, round(width / scale)), max(1, round(height / scale)))
        a = cv2.resize(colour0, size, interpolation=cv2.INTER_AREA)
        b = cv2.resize(colour1, size, interpolation=cv2.INTER_AREA)
        ys, xs = np.nonzero(cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5)
        centre = np.round(shift / scale).astype(int)
        steps = int(np.ceil(radius))
        counts = np.zeros((2 * steps + 1, 2 * steps + 1))
        for j, dy in enumerate(range(centre[1] - steps, centre[1] + steps + 1)):
            for i, dx in enumerate(range(centre[0] - steps, centre[0] + steps + 1)):
                tx, ty = xs + dx, ys + dy
                valid = (tx >= 0) & (tx < size[0]) & (ty >= 0) & (ty < size[1])
                difference = np.abs(a[ys[valid], xs[valid]] - b[ty[valid], tx[valid]]).mean(axis=-1)
                counts[j, i] = np.maximum(1.0 - difference / _SEARCH_LIKE, 0.0).sum()
        j, i = np.unravel_index(int(counts.argmax()), counts.shape)
        if scale == 8 and _ambiguous(counts, j, i):
            return shift, np.zeros_like(mask)  # a periodic texture or no texture: many shifts fit alike
        shift = (centre + np.array([i - steps, j - steps])).astype(np.float64) * scale
    moved = np.eye(3)
    moved[:2, 2] = shift
    return shift, _fitting(colour0, colour1, moved, mask)


def _ambiguous(counts: np.ndarray, row: int, col: int) -> bool:
    """Whether a shift at least ``_SEARCH_APART`` steps from the best (``row``, ``col``) of ``counts`` (how many pixels
    each shift carries onto like colour) carries nearly as many (``_SEARCH_UNIQUE`` of them)."""
    rows, cols = np.indices(counts.shape)
    far = np.maximum(np.abs(rows - row), np.abs(cols - col)) >= _SEARCH_APART
    return bool(far.any()) and counts[far].max() >= _SEARCH_UNIQUE * counts[row, col]


def _redrawn(
    regions0: np.ndarray, regions1: np.ndarray, colour0: np.ndarray, colour1: np.ndarray, homographies: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The layers' regions ``(K, H, W)`` uint8 of both views (``colour0``, ``colour1``: float RGB in [0, 1]), front
    first, redrawn pixel by pixel.

    :func:`framer.motion.layer_regions` decides on residuals averaged over a window of about a fortieth of the
    frame's diagonal and then closes and opens the regions, so a front layer's edge may be off by that much, and a
    pixel that no layer explains (content the other view does not show) goes to the nearest layer, often the front
    one beside it. Here each pixel goes to the layer whose motion carries its colour best onto the other view
    (:func:`_labels`), and a front layer keeps a pixel only where its motion lands on a pixel that the other view
    gives it too (:func:`_consistent`): the nearer surface is seen in both views, so a region that holds only by
    chance in one (a background pixel hidden in the other view whose colour happens to match somewhere) is dropped.
    Such pixels are hidden in the other view by something in front of them, so they lie behind: they belong to the
    back (last) layer.
    """
    inverses = np.linalg.inv(homographies)
    first0 = _labels(regions0, colour0, colour1, homographies)
    first1 = _labels(regions1, colour1, colour0, inverses)
    labels0 = _with_leaving(first0, regions0, colour0, homographies, first1.labels)
    labels1 = _with_leaving(first1, regions1, colour1, inverses, first0.labels)
    labels0, labels1 = _consistent(labels0, labels1, homographies, inverses)
    layers = np.arange(len(homographies))[:, None, None]
    return (labels0[None] == layers).astype(np.uint8), (labels1[None] == layers).astype(np.uint8)


def _exits(labels: np.ndarray, fronts: int) -> np.ndarray:
    """``(fronts, H, W)`` bool: where each front layer's labelled pixels ``labels`` ``(H, W)`` of one view meet that
    view's edge (its two outermost rows and columns), widened by ``_EXIT_SLACK`` px along it: the only places its
    content can cross the edge, so content the other view shows beyond that edge must lie outside there."""
    import cv2

    ring = np.ones(labels.shape, bool)
    ring[2:-2, 2:-2] = False
    size = 2 * _EXIT_SLACK + 1
    kernel = np.ones((size, size), np.uint8)
    exits = [cv2.dilate(((labels == k) & ring).astype(np.uint8), kernel) > 0 for k in range(fronts)]
    return np.stack(exits) if exits else np.zeros((0, *labels.shape), bool)


class _Labelling(NamedTuple):
    """One view's labels before content leaving the frame is placed (:func:`_labels`), and what placing it reads."""

    labels: np.ndarray  # (H, W) int, front first
    unexplained: np.ndarray  # (H, W) bool: no layer carries the pixel onto the other view
    outside: tuple[np.ndarray, ...]  # per layer, (H, W) bool: its motion takes the pixel out of the other view
    guide: _GuidedFilter


def _labels(regions: np.ndarray, target: np.ndarray, source: np.ndarray, homographies: np.ndarray) -> _Labelling:
    """The layer of each pixel of ``target`` (front first), ``regions`` ``(K, H, W)`` its first guess.

    Each layer's per-pixel residual is smoothed by a guided filter with ``target`` as the guide (a mean over the
    pixels of like colour nearby, so the smoothing stops at colour edges and a region's edge stays on the object's
    edge); a pixel goes to the layer of least smoothed residual among the back layer and the front layers whose
    region (grown by ``_BAND`` px) holds it, and to the back layer when that residual exceeds ``_EXPLAINS`` (no
    layer carries it onto the other view). Where a front layer's motion takes a pixel of its first guess out of the
    other view, nothing can be measured: :func:`_with_leaving` decides those.
    """
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _BAND + 1, 2 * _BAND + 1))
    guide = _GuidedFilter(target, _RADIUS, _SMOOTHING)
    residuals, outside = zip(*(_residual(target, source, h) for h in homographies), strict=True)
    costs = np.stack([guide(r) for r in residuals])
    for k in range(len(regions) - 1):
        costs[k][cv2.dilate(regions[k], kernel) == 0] = np.inf
    labels = costs.argmin(axis=0)
    unexplained = np.take_along_axis(costs, labels[None], 0)[0] > _EXPLAINS
    labels[unexplained] = len(regions) - 1
    return _Labelling(labels, unexplained, outside, guide)


def _with_leaving(
    first: _Labelling, regions: np.ndarray, target: np.ndarray, homographies: np.ndarray, other: np.ndarray
) -> np.ndarray:
    """``(H, W)`` int: ``first``'s labels, with each front layer's content that leaves the other view (as
    :func:`_leaving` says) given back to it; ``other`` ``(H, W)`` is the other view's :func:`_labels`.

    Content leaves only through the stretch of the other view's edge that the layer's own pixels there meet
    (:func:`_exits`): a pixel whose motion takes it out of the other view elsewhere is not the layer's (it is
    background the layer hides or uncovers near the edge). A back pixel whose motion lands on a front layer of the
    other view is hidden there, so its low residual is chance (flat colours on both sides), not a match: where its
    colour is likelier the layer's, it may be the layer's content leaving the frame too.
    """
    labels = first.labels.copy()
    back = len(regions) - 1
    exits = _exits(other, back)
    hidden = _behind_front(first.labels == back, homographies[back], other < back)
    for k in np.flatnonzero(exits.any(axis=(1, 2))):
        own = first.labels == k
        unexplained = first.unexplained
        if hidden.any():
            others = ~unexplained & ~own & ~hidden
            unexplained = unexplained | (hidden & _likelier(target, first.guide, own, others))
        gone = first.outside[k] & (regions[k] > 0) & _through(exits[k], homographies[k])
        labels[_leaving(target, first.guide, own, unexplained, gone)] = k
    return labels


def _behind_front(back: np.ndarray, homography: np.ndarray, front: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the ``back`` pixels that the back layer's ``homography`` carries onto ``front`` ``(H, W)``
    bool, the other view's pixels of the front layers (pixels it carries out of that view are not)."""
    import cv2

    height, width = back.shape
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    landed = cv2.warpPerspective(front.astype(np.uint8), homography, (width, height), flags=flags, borderValue=0)
    return back & (landed > 0)


def _through(exit_: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: pixels that ``homography`` carries to a point whose nearest pixel of the other view is in
    ``exit_`` ``(H, W)`` (for a point outside that view: the edge pixel it left through, about)."""
    from framer.motion import apply_homography

    height, width = exit_.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    at = apply_homography(homography, np.stack([xs.ravel(), ys.ravel()], 1))
    cols = np.clip(np.round(at[:, 0]), 0, width - 1).astype(np.int64)
    rows = np.clip(np.round(at[:, 1]), 0, height - 1).astype(np.int64)
    return exit_[rows, cols].reshape(height, width)


def _leaving(
    image: np.ndarray, guide: _GuidedFilter, measured: np.ndarray, unexplained: np.ndarray, gone: np.ndarray
) -> np.ndarray:
    """``(H, W)`` bool: a front layer's content leaving the frame in the other view: the pixels no layer explains
    (``unexplained``) that its motion takes out of that view (``gone``), that are joined to the pixels it explains
    (``measured``) through unexplained pixels, and whose colour is commoner among those pixels than among the rest
    that are explained (:func:`_likelier`). The background beside the layer that it hides in the other view is
    unexplained as well and may leave too; its colour tells it apart.
    """
    import cv2

    count, parts = cv2.connectedComponents((measured | unexplained).astype(np.uint8), connectivity=8)
    joined = np.zeros(count, bool)
    joined[np.unique(parts[measured])] = True
    candidates = unexplained & gone & joined[parts]
    return candidates & _likelier(image, guide, measured, ~unexplained & ~measured)


def _likelier(image: np.ndarray, guide: _GuidedFilter, own: np.ndarray, others: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: pixels whose colour is commoner among ``own`` pixels than among ``others`` (colour histograms
    of 8 levels a channel; the log odds smoothed by ``guide``)."""
    bins = np.minimum((image * 8).astype(np.int32), 7)
    index = (bins[..., 0] * 8 + bins[..., 1]) * 8 + bins[..., 2]
    shares = []
    for mask in (own, others):
        counts = np.bincount(index[mask], minlength=512).astype(np.float32) + 1.0
        shares.append(counts[index] / counts.sum())
    return guide(np.log(shares[0] / shares[1]).astype(np.float32)) > 0


def _consistent(
    labels0: np.ndarray, labels1: np.ndarray, homographies: np.ndarray, inverses: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The labels of both views, a front layer's pixel moved to the back layer where that layer's motion carries it
    onto a pixel of the other view that is not the layer's (see :func:`_redrawn`); pixels it carries out of the
    other view keep their label."""
    back = len(homographies) - 1
    checked0, checked1 = labels0.copy(), labels1.copy()
    for k in range(back):
        checked0[(labels0 == k) & ~_lands_on(labels1, homographies[k], k)] = back
        checked1[(labels1 == k) & ~_lands_on(labels0, inverses[k], k)] = back
    return checked0, checked1


def _lands_on(labels: np.ndarray, homography: np.ndarray, layer: int) -> np.ndarray:
    """``(H, W)`` bool: pixel ``p`` of one view lands, under ``homography``, on a pixel of the other view labelled
    ``layer`` (``labels``), or out of that view."""
    import cv2

    height, width = labels.shape
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    landed = cv2.warpPerspective(
        labels.astype(np.float32), homography, (width, height), flags=flags, borderValue=-1.0
    ).round()
    return (landed == layer) | (landed < 0)


def _residual(target: np.ndarray, source: np.ndarray, homography: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``|target(p) - source(H p)|`` per pixel ``(H, W)`` float32, averaged over the channels (1 where ``H p``
    leaves ``source``), and ``(H, W)`` bool where it does."""
    import cv2

    height, width = target.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = cv2.warpPerspective(source, homography, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(
        np.ones((height, width), np.float32), homography, (width, height), flags=flags, borderValue=0.0
    )
    outside = inside < 0.999
    difference = _sampling_insensitive(target, moved).mean(axis=-1)
    return np.where(outside, 1.0, difference).astype(np.float32), outside


def _sampling_insensitive(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` per pixel and channel, blind to a shift of up to half a pixel (Birchfield and Tomasi, 1998): how far
    each image's value lies outside the range the other takes within half a pixel (linearly interpolated), the
    smaller of the two. Two renderings of one surface at different sub-pixel offsets differ most at sharp edges;
    there the plain difference would say the surface does not match itself."""
    return np.minimum(_outside_range(a, b), _outside_range(b, a))


def _outside_range(value: np.ndarray, image: np.ndarray) -> np.ndarray:
    """How far ``value`` lies outside the range of ``image`` within half a pixel of each pixel, ``(H, W, C)``."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    halves = [
        (image + padded[1 + dy : 1 + dy + image.shape[0], 1 + dx : 1 + dx + image.shape[1]]) / 2
        for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0))
    ]
    low = np.minimum.reduce([image, *halves])
    high = np.maximum.reduce([image, *halves])
    return np.maximum(np.maximum(value - high, low - value), 0.0)


class _GuidedFilter:
    """The guided filter (He, Sun and Tang, 2013) with a colour guide ``(H, W, 3)`` in [0, 1]: an edge-preserving
    mean, locally a linear function of the guide's colour. Made once per guide (the per-pixel 3x3 inverses), then
    applied to any number of ``(H, W)`` inputs."""

    def __init__(self, guide: np.ndarray, radius: int, smoothing: float) -> None:
        self.guide, self.radius = guide, radius
        self.mean = self._box(guide)
        covariance = np.empty((*guide.shape[:2], 3, 3), np.float32)
        for i in range(3):
            for j in range(i, 3):
                value = self._box(guide[..., i] * guide[..., j]) - self.mean[..., i] * self.mean[..., j]
                covariance[..., i, j] = covariance[..., j, i] = value
        self.inverse = np.linalg.inv(covariance + smoothing * np.eye(3, dtype=np.float32))

    def _box(self, image: np.ndarray) -> np.ndarray:
        import cv2

        size = 2 * self.radius + 1
        return cv2.blur(image, (size, size), borderType=cv2.BORDER_REFLECT)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        mean = self._box(image)
        covariance = self._box(self.guide * image[..., None]) - self.mean * mean[..., None]
        slope = np.einsum("hwij,hwj->hwi", self.inverse, covariance)
        offset = mean - (slope * self.mean).sum(axis=-1)
        return (self._box(slope) * self.guide).sum(axis=-1) + self._box(offset)


def _layer_motion(homography: np.ndarray, region: np.ndarray) -> float:
    """Mean displacement (px) the layer's homography gives the pixels of its region ``(H, W)`` in keyframe 0."""
    from framer.motion import apply_homography

    ys, xs = np.nonzero(region)
    if len(xs) == 0:
        return 0.0
    step = max(1, len(xs) // 4096)  # a sample is enough for a mean
    points = np.stack([xs[::step], ys[::step]], 1).astype(np.float64)
    return float(np.linalg.norm(apply_homography(homography, points) - points, axis=1).mean())


def iter_views(
    left: object,
    right: object,
    num_views: int = 8,
    *,
    matcher: str = "sift",
    resize: object = None,
    fit: str = "pad",
    engine: object = "flow",
    include_keyframes: bool = True,
    measure: bool = True,
    progress: bool = False,
    **engine_options,
) -> Iterator[View]:
    """In-between viewpoints of a static scene seen in ``left`` and ``right`` (see the module docstring); yields
    :class:`View` as frames are made.

    Arguments are checked, the photos read, the layers found and the engine made before this returns.

    Args:
        left, right: the two photos: paths, PIL images or arrays.
        num_views: in-between views, evenly spaced along the camera path.
        matcher: the autopilot's matcher (``"sift"``, ``"xfeat"``, ``"disk"``).
        resize, fit: photos of different sizes, as :func:`framer.interpolate` takes them.
        engine: an engine that takes pre-aligned pairs (flow), a name or one from :func:`framer.create_engine`.
        include_keyframes: start with ``left`` and end with ``right``.
        measure: measure plain interpolation against the layers at the middle view (as the autopilot does, with
            an engine that gives correspondences) and interpolate plainly where it is better; False: always the
            layers.
        progress: show a progress bar on stderr.
        **engine_options: passed to :func:`framer.create_engine` when ``engine`` is a name.

    Raises:
        InputError: too few matches, an engine that cannot take pre-aligned pairs, or a bad argument.
    """
    from framer.api import load_keyframes
    from framer.engines import Engine, create_engine
    from framer.timing import uniform_times

    times = uniform_times(num_views)
    image0, image1 = load_keyframes([left, right], resize=resize, fit=fit)
    if isinstance(engine, str):
        engine = create_engine(engine, **engine_options)
    elif not isinstance(engine, Engine):
        raise InputError(f"`engine` must be an engine name or an Engine, not {type(engine).__name__}.")
    elif engine_options:
        raise InputError(f"Engine options {sorted(engine_options)} apply only when `engine` is a name.")
    engine.require(alignment=True)
    alignment = view_alignment(image0, image1, matcher, (_name(left, 0), _name(right, 1)))
    motion = _largest_motion(alignment)
    if measure and motion < PLAIN_BELOW:
        logger.info("The largest layer moves %.0f px (< %d): the network follows it plainly.", motion, PLAIN_BELOW)
        alignment = None
    elif measure and engine.capabilities.correspondences:
        alignment = _measured(engine, image0, image1, alignment)
    return _run(image0, image1, alignment, engine, times, include_keyframes, progress)


def _largest_motion(alignment) -> float:
    """The largest mean displacement (px) of any layer of ``alignment`` between the views (its global motion when
    it has no layers)."""
    if alignment.layers is None:
        full = np.ones((alignment.height, alignment.width), np.uint8)
        return _layer_motion(alignment.homography, full)
    regions = alignment.layers.regions0
    return max(_layer_motion(h, r) for h, r in zip(alignment.layers.homographies, regions, strict=True))


def _measured(engine, image0: np.ndarray, image1: np.ndarray, alignment):
    """``alignment``, or None (plain interpolation) where plain measures better at the middle view: the two views,
    carried to it by the network along each (:func:`framer.matching.warp_error`), agree better (small baselines,
    where the network finds the parallax itself and the layers' edges only cost detail)."""
    from framer.guidance.measure import measure_alignments

    means = measure_alignments(engine, image0, image1, {"layers": alignment})
    measures = ", ".join(f"{name} {100 * error:.2f}" for name, error in means.items())
    chosen = next(iter(means))
    logger.info("Middle-view error in %% (lower is better): %s; using %s.", measures, chosen)
    return alignment if chosen == "layers" else None


def _run(image0, image1, alignment, engine, times, include_keyframes, progress) -> Iterator[View]:
    """Step 4 of the module docstring, the given views around the in-betweens."""
    from framer.io.images import ImageFormat
    from framer.io.tensors import image_to_tensor, tensor_to_image
    from framer.progress import progress_bar

    fmt = ImageFormat.of(image0).widen(ImageFormat.of(image1))
    x0, x1 = image_to_tensor(image0, fmt), image_to_tensor(image1, fmt)
    if include_keyframes:
        yield View(0.0, tensor_to_image(x0[0], fmt))
    with progress_bar(len(times), desc="Views", unit="frame", enabled=progress) as bar:
        for t, scored in zip(times, engine.iter_scored(x0, x1, times, alignment=alignment), strict=True):
            yield View(t, tensor_to_image(scored.frame[0], fmt), scored.confidence)
            bar.update(1)
    if include_keyframes:
        yield View(1.0, tensor_to_image(x1[0], fmt))


def views(left: object, right: object, num_views: int = 8, **options) -> list[np.ndarray]:
    """The frames of :func:`iter_views` (same arguments) as a list: ``left``, the in-between views, ``right``."""
    return [item.frame for item in iter_views(left, right, num_views, **options)]
