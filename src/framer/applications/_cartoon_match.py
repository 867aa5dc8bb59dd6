"""Line-art matching for the cartoon application: drawings on flat paper, matched drawing by drawing.

Keypoint matchers (SIFT) find almost nothing on flat fills and thin ink lines, so the autopilot falls back to plain
interpolation exactly where line art moves far. Drawings on a flat background are easy to match as whole objects:

1. **Paper** (:func:`paper_mask`): the most common colour of the frame; pixels within a few grey levels of it are
   paper, and so is a smooth gradient joined to it. Frames where less than a third is paper are not drawings on
   paper: no match.
2. **Drawings** (:func:`drawings`): the connected parts of what is not paper (a filled shape with its outline, an
   open stroke), each with its mask, area, mean colour and centroid.
3. **Pairing** (:func:`match_drawings`): each drawing of keyframe 0 against the likeliest few drawings of keyframe 1
   of similar colour and area (less alike when one is cut by the frame's edge): turned every few degrees up to 45
   (and by its main axes' turn) about its centroid and shifted to wherever its mask overlaps the other's best
   (intersection over union of the parts in the frame), then finer turns about the best. A pair needs an overlap of
   0.5 and colours that agree where the drawing lands; pairs are taken best first, each drawing once. Alike drawings
   (letters, a repeated motif) overlap alike wherever they are, so the score adds how alike the surroundings of the
   two places are (the drawing and its neighbours, :func:`_context_agreement`: a letter's copy in the same word
   has the same neighbours, a lookalike elsewhere has not) and takes off a little for the distance moved (of places
   alike in that too, the nearer).
   **Limbs**: a part of a drawing may turn on its own (an arm at the shoulder while the body moves). The largest
   part of a drawing that its pair's motion does not carry onto the other drawing (less slivers a few px wide) is
   looked for inside that drawing as a drawing of its own (as in 4., at turns a few degrees apart: an arm's thin
   lines fit only close to the truth at its far end), then grown to the whole limb: the pixels joined to it that
   its motion carries onto like colours more closely than the body's, as far as the joint (:func:`_limb`). The body
   is then fitted again without it (the limb pulls the whole's fit its way) and the limb grown again against the
   body's own motion, twice; only the body's colours must agree. The limb's layer lies in front of the body's,
   moves with it and turns about the joint in the body's frame (its motion relative to the body's, about that
   motion's fixed point), as a rigged cut-out does, so it stays on the shoulder all the way.
   **A panning backdrop** (first, :func:`_split_backdrop`): a character standing on the ground of a pan joins its
   ink to the ground's, so the largest drawing, cut by the frame's edge, moves two ways at once. Its shifts are
   found by cross-correlating its ink with the other keyframe's (the ground's, then the character's); the
   backdrop's is the one that carries the ink near the frame's edge; each flat area its ink bounds (a cel: the
   character's body, the ground) goes with the shift that carries the ink around it onto ink, as flat fills agree
   with themselves under any shift; the cels the backdrop's shift does not explain become drawings of their own,
   paired as above, and the rest is paired by the shift, behind everything, with the drawings apart from it that
   move with it (clouds) and what finds no pair (the backdrop one keyframe shows and the other hides behind the
   character).
4. **Drawings inside others**: a drawing left unpaired may overlap another drawing in the other keyframe, joining it
   into one connected part (a stroke across a shape). It is looked for inside the larger parts: the place and turn
   whose line strength fits its own best, kept when it lies mostly in that part and its ink lands on ink, clearly
   more often than the ink around it does (:func:`_beats_chance`: among hatching any ink lands on ink). What is
   left of such a part once the drawings found inside it are taken is one more drawing, partly hidden by them in
   that keyframe: it is looked for, the same way, inside a drawing of the other keyframe left without a pair (where
   it is whole), so the part hidden in one keyframe is drawn from the other (:func:`_remainder_pairs`). A drawing
   still left may lie in such a part behind the drawings found there (too hidden for its ink to land on ink): it is
   looked for again with what lands on those left out of the fit and the tests, each drawing found then hiding the
   next, and its layer goes behind theirs (:func:`_hidden_pairs`).
   **Rigid groups** (last, :func:`_rigid_groups`): drawings that one similarity carries together (the letters of a
   word, a face's features) share it, fitted to all of them, and turn about their joint centroid, so the group stays
   rigid between the keyframes; a drawing among them paired elsewhere (a letter with its lookalike in another word)
   or not at all is paired where the group's motion carries it.
5. **Refinement** (:func:`drawing_layers`): keyframes over 640 px are matched shrunk; each pair's motion is then
   refined at full size by ECC on the grey levels around the drawing (a fraction of a pixel and a degree; a rigid
   group's on all its drawings at once).
6. **Layers** (:func:`drawing_layers`): each pair is a motion layer of :mod:`framer.motion.layers` (a similarity
   keyframe 0 -> keyframe 1 about the drawing's centroid, a group's about the group's, a limb's on its body's about
   the joint) that owns its drawing's pixels,
   grown by a few px, in each keyframe (less the drawings in front: smaller drawings are in front); the paper behind
   stays still, and where a drawing left the paper in both keyframes the paper nearby is shown. Unpaired drawings (a
   part turning on its own, a drawing grown too much to pair) stay in place: the paper claims nothing near them in
   either keyframe, so the network sees them as they are (a claim of the paper the other keyframe shows there erased
   them). The flow network then only finds the residual motion. :func:`framer.applications.cartoon.cartoon_engine`
   keeps these layers only where they measure better than the pair as it is (:mod:`framer.guidance.measure`).

Measured (``benchmarks/applications_cartoon.py``): on the synthetic line art the in-betweens are 3.7-16.8 dB closer
to the truth than plain interpolation, and shapes moving 40-56 px are placed (sharpness 0.98-1.00 of the keyframes'
against 0.22-0.25; the layers' frames are sampled bicubic, ``Alignment.sampling``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import cv2
import numpy as np

from framer.engines.cartoon import line_layer
from framer.io.images import float_rgb
from framer.motion import (
    Alignment,
    LayeredMotion,
    apply_homography,
    frame_middle,
    motion_centre,
    similarity_motion,
)

__all__ = ["Drawing", "drawing_layers", "drawings", "match_drawings", "paper_mask"]

_PAPER_TOLERANCE = 0.06  # a pixel within this (max over RGB, 0..1) of the paper colour is paper
_MIN_PAPER = 1 / 3  # less paper than this: not drawings on paper
_SMOOTH = 0.01  # colour changing less than this a pixel (0..1, max over RGB) is smooth: a gradient, not an edge
_MIN_AREA = 0.0005  # drawings smaller than this fraction of the frame (at least 24 px) are specks
_COLOUR_LIMIT = 0.12  # mean colours of a pair differ by at most this (max over RGB)
_AREA_LIMIT = 1.6  # areas of a pair differ at most by this factor
_AREA_LIMIT_CUT = 4.0  # ... or this, when one is partly off the frame
_MIN_OVERLAP = 0.5  # a pair's moved mask covers the other's by at least this intersection over union
_TIE = 0.05  # a half turn must overlap this much better than none to be taken
_MAX_TURN = 45  # degrees a drawing is searched turned by, either way (and its main axes' turn)
_TURN_STEP = 10  # degrees between the turns searched first (then halved three times about the best)
_TURN_ARC = 3.0  # px: line strength is searched at turns that move the drawing's far end by at most this between them
_FINEST_TURN = 2.5  # degrees: ... but no closer than this (a large drawing would cost many searches)
_CANDIDATES = 4  # each drawing is tried against this many similar drawings of the other keyframe (_prior first)
_REACH = 1 / 3  # a drawing moves at most this fraction of the frame's diagonal between keyframes
_FAR = 0.25  # a pair's overlap counts this much less for each reach it moves (of alike pairs, the nearer is taken)
_CONTEXT = 0.5  # ... and this much more for each unit of agreement of the surroundings (_context_agreement)
_AGREE = 0.06  # a pair's colours (blurred), the drawing moved onto the other keyframe, differ at most this on average
_INSIDE = 0.8  # a drawing found inside a larger one lies at least this much in it
_CHANCE_MARGIN = 0.3  # ... and its ink lands on ink this much more often than its surroundings (_beats_chance)
_LIMB_SHARE = 0.03  # a part of a paired drawing its pair's motion leaves behind: at least this share of it is a limb
_LIMB_OPEN = 5  # px: that part less what an opening this wide removes (slivers of a fit a pixel off)
_LIMB_ROUNDS = 2  # the body's motion and the limb's extent found again, each without the other, this many times
_LIMB_MOST = 0.5  # a limb is at most this share of its drawing
_BACKDROP = 0.1  # a drawing cut by the frame's edge of at least this share of the frame may be a panning backdrop
_BACKDROP_INK = 0.4  # a shift of its ink (the ground's, a character's) carries at least this share of it onto ink
_SHIFT_SHARE = 0.05  # ... and at least this share of all its ink
_EDGE_BAND = 8  # px: the backdrop moves as the ink this near the frame's edge does
_CEL_INK = 0.5  # a flat area of it moves with the pan where the pan carries this share of the ink around it onto ink
_MIN_REMAINDER = 0.2  # what is left of a drawing once the pieces found in it are taken: at least this share of it
_INK = 0.5  # line strength (framer.engines.cartoon.line_layer) of the ink a drawing found inside another has
_BLUR = 1.5  # px (Gaussian sigma): the colours are compared blurred, so a thin line placed 1 px off still agrees
_MATCH_SIDE = 640  # keyframes are matched at most this large (longer side, px)
_ECC_MARGIN = 6  # px around a drawing that its ECC refinement sees
_ECC_TURN = 5.0  # degrees: a larger refinement is not trusted
_ECC_SHIFT = 6.0  # px: likewise
_CLEAN = 3  # px: the paper shown where drawings left it (_DrawingLayers.vacated) is taken this far from any ink
_GROW = 3  # px a layer's region reaches beyond its drawing (anti-aliased outline, the network's residual)
_RIGID_PX = 2.0  # px: a drawing moves with a rigid group when the group's motion carries it within this of its own
_RIGID_LEAST = 3  # drawings: a rigid group has at least this many
_RIGID_HYPOTHESES = 8  # a group's motion is tried from each drawing's pairing with this many nearest others
_RIGID_NEAR = 4.0  # a drawing left out of a group is tried with its motion if this many reaches (median) from it


@dataclass(frozen=True, eq=False)
class Drawing:
    """One connected drawing of a keyframe.

    Attributes:
        mask: ``(H, W)`` bool.
        area: pixels.
        colour: ``(3,)`` mean RGB in [0, 1].
        centroid: ``(2,)`` x, y.
        angle: orientation of its main axis (radians, from the second moments).
        elongation: ratio of its second moments' axes (1: round, no reliable orientation).
        touches_border: whether it reaches the frame's edge (partly outside: its centroid and area are biased).
        piece: whether it is the part of a larger drawing that another drawing covers (found inside it), not a
            whole drawing.
        behind: a piece found behind other pieces of the same drawing (they hide part of it): its layer goes behind.
        limb: a piece that turns on its own about a joint (an arm at the shoulder): its layer turns about its
            motion's fixed point, so it stays on the joint between the keyframes.
        backdrop: the part of a panning backdrop (:func:`_split_backdrop`) that moves with the pan.
        group: the rigid group it moves with (:func:`_rigid_groups`: the letters of a word), or None: the drawings
            of a group share one motion and turn together about their joint centroid.
        rig: a body and its limb share this number (None for other drawings): the limb's layer moves with the
            body's and turns about the joint in the body's frame (:func:`drawing_layers`).
    """

    mask: np.ndarray
    area: int
    colour: np.ndarray
    centroid: np.ndarray
    angle: float
    elongation: float
    touches_border: bool
    piece: bool = False
    behind: bool = False
    limb: bool = False
    backdrop: bool = False
    group: int | None = None
    rig: int | None = None

    @functools.cached_property
    def radius(self) -> float:
        """How far the drawing reaches from its centroid (px); found once, as matching asks for it often."""
        ys, xs = np.nonzero(self.mask)
        return float(np.hypot(xs - self.centroid[0], ys - self.centroid[1]).max())


def paper_mask(image: np.ndarray) -> np.ndarray | None:
    """``(H, W)`` bool, True on the paper; None when under a third of the frame is paper.

    The paper is the most common colour and, where the background is a smooth gradient, every pixel joined to it
    through smooth pixels (colour changing by less than ``_SMOOTH`` a pixel): ink lines and the edges of filled
    shapes are sharp, so the drawings stay apart from it; a gradient behind them is paper all the way, not a band of
    one colour with the rest taken for drawings.
    """
    rgb = float_rgb(image)
    bins = np.clip((rgb * 31.0).round().astype(np.int32), 0, 31)
    keys = (bins[..., 0] << 10) | (bins[..., 1] << 5) | bins[..., 2]
    mode = np.bincount(keys.ravel()).argmax()
    near = np.all(np.abs(bins - np.array([mode >> 10, (mode >> 5) & 31, mode & 31])) <= 1, axis=-1)
    paper_colour = rgb[near].mean(axis=0)
    paper = np.abs(rgb - paper_colour).max(axis=-1) <= _PAPER_TOLERANCE
    smooth = _colour_slope(rgb) < _SMOOTH
    count, parts = cv2.connectedComponents(smooth.astype(np.uint8), connectivity=4)
    joined = np.zeros(count, bool)
    joined[np.unique(parts[paper & smooth])] = True
    joined[0] = False  # label 0: the pixels that are not smooth
    paper |= joined[parts]
    return paper if paper.mean() >= _MIN_PAPER else None


def _colour_slope(rgb: np.ndarray) -> np.ndarray:
    """``(H, W)`` how fast the colour changes at each pixel: the largest over RGB of the Sobel gradient's length, per
    pixel (a step of ``d`` between two flat colours gives about ``d / 2``)."""
    slopes = [
        np.hypot(cv2.Sobel(channel, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(channel, cv2.CV_32F, 0, 1, ksize=3)) / 8.0
        for channel in cv2.split(rgb.astype(np.float32))
    ]
    return np.maximum.reduce(slopes)


def drawings(image: np.ndarray, paper: np.ndarray) -> list[Drawing]:
    """The connected parts of ``image`` off the ``paper``, specks left out."""
    rgb = float_rgb(image)
    height, width = paper.shape
    ink = (~paper).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    smallest = max(24, round(_MIN_AREA * height * width))
    return [_drawing(labels == label, rgb) for label in range(1, count) if stats[label, cv2.CC_STAT_AREA] >= smallest]


def _drawing(mask: np.ndarray, rgb: np.ndarray) -> Drawing:
    """The drawing whose pixels are ``mask`` ``(H, W)`` bool, of the keyframe ``rgb`` ``(H, W, 3)`` float."""
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean(), ys.mean()
    mu20, mu02, mu11 = ((xs - cx) ** 2).mean(), ((ys - cy) ** 2).mean(), ((xs - cx) * (ys - cy)).mean()
    spread = math.hypot(mu20 - mu02, 2 * mu11)
    major, minor = (mu20 + mu02 + spread) / 2, max((mu20 + mu02 - spread) / 2, 1e-6)
    return Drawing(
        mask, len(xs), rgb[mask].mean(axis=0), np.array([cx, cy]), 0.5 * math.atan2(2 * mu11, mu20 - mu02),
        math.sqrt(major / minor), _at_edge(mask),
    )  # fmt: skip


def _similarity(angle: float, scale: float, centre0: np.ndarray, centre1: np.ndarray) -> np.ndarray:
    """3x3: turn by ``angle`` and scale about ``centre0``, then move ``centre0`` to ``centre1``."""
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    linear = np.array([[c, -s], [s, c]])
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = centre1 - linear @ centre0
    return out


def _turned(
    drawing: Drawing, angle: float, scale: float, image: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The drawing's mask (or ``image`` ``(H, W)`` float32 around it) turned and scaled about its centroid, as a
    float32 patch, and the centroid's place in it."""
    radius = math.ceil(scale * drawing.radius) + 2
    size = 2 * radius + 1
    homography = _similarity(angle, scale, drawing.centroid, np.array([radius, radius], np.float64))
    source = drawing.mask.astype(np.float32) if image is None else image
    patch = cv2.warpAffine(source, homography[:2], (size, size), flags=cv2.INTER_LINEAR)
    return patch, np.array([radius, radius], np.float64)


def _place(patch: np.ndarray, target: np.ndarray, inside: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Where ``patch`` overlaps ``target`` best (intersection over union, counting only the part of ``patch`` that
    stays inside the frame, ``inside``: ones, or None when the window does not reach the frame's edge): the overlap
    and the patch's top-left corner in ``target``'s pixels."""
    size = patch.shape[0]
    padded = cv2.copyMakeBorder(target, size, size, size, size, cv2.BORDER_CONSTANT, value=0)
    common = cv2.matchTemplate(padded, patch, cv2.TM_CCORR)
    if inside is None:
        visible = float(patch.sum())
    else:
        frame = cv2.copyMakeBorder(inside, size, size, size, size, cv2.BORDER_CONSTANT, value=0)
        visible = cv2.matchTemplate(frame, patch, cv2.TM_CCORR)
    overlap = common / np.maximum(visible + float(target.sum()) - common, 1.0)
    _, best, _, (x, y) = cv2.minMaxLoc(overlap)
    return float(best), np.array([x - size, y - size], np.float64)


def _fit(first: Drawing, second: Drawing) -> tuple[float, np.ndarray]:
    """The similarity ``first`` -> ``second`` whose moved mask overlaps ``second``'s best (turns every few
    degrees and those of the main axes, then finer about the best), and that overlap."""
    whole = not (first.touches_border or second.touches_border)
    scale = float(np.clip(math.sqrt(second.area / first.area), 0.8, 1.25)) if whole else 1.0
    margin = 2 * math.ceil(scale * first.radius) + 5
    ys, xs = np.nonzero(second.mask)  # the search window: ``second`` and a patch's size around (any placement
    top, left = max(ys.min() - margin, 0), max(xs.min() - margin, 0)  # overlaps it lies in it)
    window = (slice(top, ys.max() + margin + 1), slice(left, xs.max() + margin + 1))
    target = np.ascontiguousarray(second.mask[window], np.float32)
    height, width = second.mask.shape
    clipped = top == 0 or left == 0 or ys.max() + margin + 1 >= height or xs.max() + margin + 1 >= width
    inside = np.ones_like(target) if clipped else None
    turn = math.remainder(second.angle - first.angle, math.pi)
    angles = [math.radians(a) for a in range(-_MAX_TURN, _MAX_TURN + 1, _TURN_STEP)]
    if min(first.elongation, second.elongation) >= 1.15:
        angles += [turn, turn - math.copysign(math.pi, turn)]

    def score(angle: float) -> tuple[float, float, np.ndarray]:
        patch, centre = _turned(first, angle, scale)
        overlap, corner = _place(patch, target, inside)
        # a larger turn must overlap clearly better (a symmetric drawing overlaps equally either way round)
        return overlap - _TIE * abs(angle) / math.pi, angle, corner + centre + np.array([left, top])

    best = max((score(a) for a in angles), key=lambda item: item[0])
    for step in (_TURN_STEP / 2, _TURN_STEP / 4, _TURN_STEP / 8):
        best = max([best, score(best[1] - math.radians(step)), score(best[1] + math.radians(step))],
                   key=lambda item: item[0])  # fmt: skip
    value, angle, centre1 = best
    return value + _TIE * abs(angle) / math.pi, _similarity(angle, scale, first.centroid, centre1)


def _similar(first: Drawing, second: Drawing, reach: float) -> bool:
    """Whether two drawings may be one: near enough, of similar colour and area (less alike when one is cut)."""
    limit = _AREA_LIMIT_CUT if first.touches_border or second.touches_border else _AREA_LIMIT
    return bool(
        np.linalg.norm(first.centroid - second.centroid) <= reach
        and np.abs(first.colour - second.colour).max() <= _COLOUR_LIMIT
        and max(first.area, second.area) <= limit * min(first.area, second.area)
    )


def _context_agreement(rgb0: np.ndarray, rgb1: np.ndarray, drawing: Drawing, centre1: np.ndarray) -> float:
    """How alike a drawing's surroundings and those of a place it may have moved to are: the normalised
    cross-correlation (-1..1; 0 where either is flat) of the colours ``(H, W, 3)`` float32 in a square about its
    centroid in keyframe 0 and about ``centre1`` in keyframe 1, eight times the drawing's reach across (the drawing
    and its neighbours, not turned: of alike drawings, such as one letter in several words, the one whose
    neighbours moved with it agrees)."""
    side = 8 * math.ceil(drawing.radius) + 1
    patches = [
        cv2.getRectSubPix(rgb, (side, side), (float(centre[0]), float(centre[1])))
        for rgb, centre in ((rgb0, drawing.centroid), (rgb1, centre1))
    ]
    patches = [patch - patch.mean(axis=(0, 1)) for patch in patches]  # each channel about its own mean
    norm = math.sqrt(float((patches[0] ** 2).sum()) * float((patches[1] ** 2).sum()))
    return float((patches[0] * patches[1]).sum()) / norm if norm > 1e-9 else 0.0


def _prior(rgb0: np.ndarray, rgb1: np.ndarray, drawing: Drawing, centre1: np.ndarray, reach: float) -> float:
    """What a place ``centre1`` in keyframe 1 that ``drawing`` may have moved to adds to its fit: more where the
    surroundings agree (:func:`_context_agreement`), less the farther it moved (of alike places, the nearer)."""
    moved = np.linalg.norm(np.asarray(centre1) - drawing.centroid)
    return _CONTEXT * _context_agreement(rgb0, rgb1, drawing, centre1) - _FAR * moved / reach


def _agree(
    rgb0: np.ndarray, rgb1: np.ndarray, drawing: Drawing, homography: np.ndarray, hidden: np.ndarray | None = None
) -> bool:
    """Whether ``drawing``'s colours in keyframe 0 and at its moved place in keyframe 1 (``rgb0``, ``rgb1``: both
    blurred) agree, on average over the pixels that stay in the frame (and off ``hidden``: drawings in front)."""
    ys, xs = np.nonzero(drawing.mask)
    moved = cv2.transform(np.stack([xs, ys], 1).astype(np.float32)[:, None], homography[:2])[:, 0]
    height, width = drawing.mask.shape
    inside = (moved[:, 0] >= 0) & (moved[:, 0] <= width - 1) & (moved[:, 1] >= 0) & (moved[:, 1] <= height - 1)
    if hidden is not None:
        at = np.round(moved[inside]).astype(int)
        inside[inside] = ~hidden[at[:, 1], at[:, 0]]
    if not inside.any():
        return False
    there = _sample(rgb1, moved[inside])
    return float(np.abs(rgb0[ys[inside], xs[inside]] - there).mean()) <= _AGREE


def _sample(image: np.ndarray, points: np.ndarray, width: int = 4096) -> np.ndarray:
    """``image`` ``(H, W, C)`` at ``points`` ``(N, 2)`` x, y (bilinear): ``(N, C)``. The points are laid out in rows
    of ``width`` (OpenCV remaps at most 32767 px a side)."""
    count = len(points)
    rows = -(-count // width)
    grid = np.zeros((rows * width, 2), np.float32)
    grid[:count] = points
    grid = grid.reshape(rows, width, 2)
    values = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR)
    return values.reshape(rows * width, -1)[:count]


def _fit_inside(
    drawing: Drawing, look0: np.ndarray, look1: np.ndarray, host: Drawing, hidden: np.ndarray | None = None,
    fine: bool = False,
) -> np.ndarray:  # fmt: skip
    """The similarity (no scaling) that carries ``drawing`` (in ``look0``) onto the place in ``host`` (in ``look1``)
    that looks most like it: least squared difference of ``look0`` and ``look1`` (the keyframes' line strength) under
    the drawing's mask, turns searched as in :func:`_fit` or, ``fine``, first at turns that move the drawing's far
    end ``_TURN_ARC`` px apart (thin lines at the end of a long drawing, an arm, fit only that close to the truth).
    ``hidden``: pixels of ``look1`` that drawings in front cover, left out of the difference (a place must leave at
    least half the drawing seen)."""
    margin = 2 * math.ceil(drawing.radius) + 5
    ys, xs = np.nonzero(host.mask)
    top, left = max(ys.min() - margin, 0), max(xs.min() - margin, 0)
    rows, cols = slice(top, ys.max() + margin + 1), slice(left, xs.max() + margin + 1)
    window = np.ascontiguousarray(look1[rows, cols])
    seen = None if hidden is None else np.ascontiguousarray(~hidden[rows, cols]).astype(np.float32)
    painted = np.where(drawing.mask, look0, 0.0).astype(np.float32)

    def score(angle: float) -> tuple[float, float, np.ndarray]:
        patch, centre = _turned(drawing, angle, 1.0, painted)
        weight, _ = _turned(drawing, angle, 1.0)
        weight = (weight > 0.5).astype(np.float32)
        size = patch.shape[0]
        padded = cv2.copyMakeBorder(window, size, size, size, size, cv2.BORDER_CONSTANT, value=-1.0)
        if seen is None:
            cost = cv2.matchTemplate(padded, patch, cv2.TM_SQDIFF, mask=weight) / max(float(weight.sum()), 1.0)
        else:  # the squared difference over the seen pixels only, as sums of correlations
            visible = cv2.copyMakeBorder(seen, size, size, size, size, cv2.BORDER_CONSTANT, value=1.0)
            patch = patch * weight
            count = cv2.matchTemplate(visible, weight, cv2.TM_CCORR)
            total = (cv2.matchTemplate(visible * padded * padded, weight, cv2.TM_CCORR)
                     - 2.0 * cv2.matchTemplate(visible * padded, patch, cv2.TM_CCORR)
                     + cv2.matchTemplate(visible, patch * patch, cv2.TM_CCORR))  # fmt: skip
            cost = np.where(count >= 0.5 * weight.sum(), total / np.maximum(count, 1.0), np.inf).astype(np.float32)
        lowest, _, (x, y), _ = cv2.minMaxLoc(cost)
        return lowest, angle, np.array([x - size + left, y - size + top], np.float64) + centre

    spacing = _TURN_STEP
    if fine:
        spacing = min(_TURN_STEP, max(_FINEST_TURN, math.degrees(_TURN_ARC / max(drawing.radius, 1.0))))
    angles = np.radians(np.arange(-_MAX_TURN, _MAX_TURN + 1e-6, spacing))
    best = min((score(a) for a in angles), key=lambda item: item[0])
    for step in (spacing / 2, spacing / 4, spacing / 8):
        best = min([best, score(best[1] - math.radians(step)), score(best[1] + math.radians(step))],
                   key=lambda item: item[0])  # fmt: skip
    return _similarity(best[1], 1.0, drawing.centroid, best[2])


def _inside_share(
    drawing: Drawing, host: Drawing, homography: np.ndarray, hidden: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """How much of ``drawing`` moved by ``homography`` (the part in the frame, less what lands on ``hidden``: the
    pixels drawings in front cover there) lies in ``host``, and that part."""
    height, width = host.mask.shape
    moved = cv2.warpAffine(drawing.mask.astype(np.uint8), homography[:2], (width, height), flags=cv2.INTER_NEAREST)
    moved = (moved > 0) if hidden is None else (moved > 0) & ~hidden
    count = np.count_nonzero(moved)
    return (np.count_nonzero(moved & host.mask) / count if count else 0.0), moved & host.mask


def _ink_lands(
    ink0: np.ndarray, lines1: np.ndarray, homography: np.ndarray, hidden: np.ndarray | None = None
) -> float:
    """The share of the ``ink0`` pixels ``(H, W)`` bool that ``homography`` carries onto (within 1 px of) a line of
    the other keyframe (``lines1``, bool), of those it carries into the frame and off ``hidden`` (pixels drawings in
    front cover there); 0 without ink."""
    _, _, inside, landed = _landing(ink0, lines1, homography, hidden)
    return float(landed[inside].mean()) if inside.any() else 0.0


def _landing(
    ink0: np.ndarray, lines1: np.ndarray, homography: np.ndarray, hidden: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``ink0`` pixels ``(ys, xs)`` and, for each, whether ``homography`` carries it into the frame and off
    ``hidden``, and whether onto (within 1 px of) a line of ``lines1`` there: ``(ys, xs, inside, landed)``."""
    ys, xs = np.nonzero(ink0)
    if not len(xs):
        return ys, xs, np.zeros(0, bool), np.zeros(0, bool)
    moved = np.round(cv2.transform(np.stack([xs, ys], 1).astype(np.float32)[:, None], homography[:2])[:, 0])
    height, width = lines1.shape
    x, y = moved[:, 0].astype(int), moved[:, 1].astype(int)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    if hidden is not None:
        inside[inside] = ~hidden[y[inside], x[inside]]
    landed = np.zeros(len(xs), bool)
    if inside.any():
        near = cv2.dilate(lines1.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        landed[inside] = near[y[inside], x[inside]]
    return ys, xs, inside, landed


def _best_inside(
    drawing: Drawing, hosts: list[Drawing], looks0: tuple, looks1: tuple, reach: float, *,
    hidden: np.ndarray | None = None, colours: bool = False, fine: bool = False,
) -> tuple[float, np.ndarray, np.ndarray, Drawing] | None:  # fmt: skip
    """``(share, similarity, part, host)`` of the host of ``hosts`` (as large as ``drawing`` at least, within reach)
    that ``drawing`` lies in most: the place and turn whose line strength fits its own best (:func:`_fit_inside`),
    kept when at least ``_INSIDE`` of it lies in the host and as much of its ink lands on ink, and, with ``colours``,
    its colours agree there; ``hidden``: pixels of the hosts' keyframe that drawings in front cover, left out of
    all of it. ``looks0``, ``looks1``: each keyframe's blurred colours, line strength and ink; ``fine``: turns
    searched finely (:func:`_fit_inside`). None if no host."""
    (rgb0, strength0, lines0), (rgb1, strength1, lines1) = looks0, looks1
    found = []
    for host in hosts:
        near = np.linalg.norm(drawing.centroid - host.centroid) <= reach + math.sqrt(host.area)
        if not near or host.area < drawing.area or (hidden is not None and not (host.mask & hidden).any()):
            continue
        homography = _fit_inside(drawing, strength0, strength1, host, hidden, fine)
        share, part = _inside_share(drawing, host, homography, hidden)
        inked = _ink_lands(lines0 & drawing.mask, lines1, homography, hidden) >= _INSIDE
        if share >= _INSIDE and inked and (not colours or _agree(rgb0, rgb1, drawing, homography, hidden)):
            found.append((share, homography, part, host))
    return max(found, key=lambda item: item[0]) if found else None


def _masked(drawing: Drawing, mask: np.ndarray, **flags: bool) -> Drawing:
    """``drawing`` with only the pixels ``mask`` ``(H, W)`` bool (area and centroid found again) and ``flags``."""
    ys, xs = np.nonzero(mask)
    return replace(drawing, mask=mask, area=len(xs), centroid=np.array([xs.mean(), ys.mean()]), **flags)


def _without(drawing: Drawing, part: Drawing) -> Drawing:
    """``drawing`` less ``part`` (a limb), still a drawing of its own."""
    return _masked(drawing, drawing.mask & ~part.mask)


def _piece(host: Drawing, part: np.ndarray, behind: bool = False, limb: bool = False) -> Drawing:
    """The ``part`` ``(H, W)`` bool of ``host`` as a drawing of its own (a piece)."""
    return _masked(host, part, piece=True, behind=behind, limb=limb)


def _partial_pairs(
    first: list[Drawing], second: list[Drawing], loose: list[int], strength0: np.ndarray, strength1: np.ndarray,
    lines0: np.ndarray, lines1: np.ndarray, reach: float,
) -> list[tuple[Drawing, Drawing, np.ndarray]]:  # fmt: skip
    """Drawings of ``first`` (indices ``loose``) that no whole drawing of ``second`` matches, found inside a larger
    one (they overlap another drawing there: a stroke across a shape); each paired with the part of its host it
    covers, where its line strength (``strength0``) best fits the other keyframe's (``strength1``). Colours are not
    compared (the other drawing changes them around it): the drawing's ink (``lines0``) must land on ink
    (``lines1``)."""
    looks0, looks1 = (None, strength0, lines0), (None, strength1, lines1)
    pairs = []
    for i in loose:
        best = _best_inside(first[i], second, looks0, looks1, reach)
        if best is not None and _beats_chance(first[i], best[1], lines0, lines1):
            _, homography, part, host = best
            pairs.append((first[i], _piece(host, part), homography))
    return pairs


def _beats_chance(drawing: Drawing, homography: np.ndarray, lines0: np.ndarray, lines1: np.ndarray) -> bool:
    """Whether ``drawing``'s ink (``lines0``) lands on the other keyframe's ink (``lines1``) where ``homography``
    carries it at least ``_CHANCE_MARGIN`` more often than the ring 2 to 4 px around it lands there: among dense
    lines (hatching) any small drawing's ink lands on ink, so a place there is no evidence of a match (the letters
    of a word, drawn touching in one keyframe and apart in the other, were paired with a hatched shape's lines)."""
    mask = drawing.mask.astype(np.uint8)
    ring = (cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0) & ~(cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0)
    chance = _ink_lands(ring, lines1, homography)
    return _ink_lands(lines0 & drawing.mask, lines1, homography) >= chance + _CHANCE_MARGIN


def match_drawings(
    image0: np.ndarray, image1: np.ndarray, papers: tuple[np.ndarray | None, np.ndarray | None] | None = None
) -> list[tuple[Drawing, Drawing, np.ndarray]]:
    """Pairs ``(drawing in keyframe 0, drawing in keyframe 1, 3x3 similarity 0 -> 1)``, best overlap first; empty
    when the keyframes are not drawings on paper. ``papers``: their :func:`paper_mask`, if known."""
    image0, image1 = float_rgb(image0), float_rgb(image1)
    paper0, paper1 = papers if papers is not None else (paper_mask(image0), paper_mask(image1))
    if paper0 is None or paper1 is None:
        return []
    first, second = drawings(image0, paper0), drawings(image1, paper1)
    reach = _REACH * math.hypot(*paper0.shape)
    rgb0, rgb1 = (cv2.GaussianBlur(image, (0, 0), _BLUR) for image in (image0, image1))
    strength0, strength1 = (line_layer(image) for image in (image0, image1))
    lines0, lines1 = strength0 >= _INK, strength1 >= _INK
    looks0, looks1 = (rgb0, strength0, lines0), (rgb1, strength1, lines1)  # each keyframe's colours, lines, ink
    first, second, backdrop = _split_backdrop(first, second, looks0, looks1, reach)
    candidates = []
    for i, a in enumerate(first):
        # Alike drawings (letters, a repeated motif) overlap alike wherever they are: the one whose surroundings
        # agree (the next letters of the word) is preferred, and of those alike in that too, the nearer.
        prior = {j: _prior(rgb0, rgb1, a, b.centroid, reach) for j, b in enumerate(second) if _similar(a, b, reach)}
        for j in sorted(prior, key=lambda j: -prior[j])[:_CANDIDATES]:
            overlap, homography = _fit(a, second[j])
            if overlap < _MIN_OVERLAP:
                continue
            limb = _limb(a, second[j], homography, looks0, looks1, reach)
            found = None if limb is None else _body_and_limb(a, second[j], limb, rgb0, rgb1)
            body, rest, limb = a, second[j], None
            if found is not None:  # the body moves on its own too, and only its colours must agree
                overlap, body, rest, homography, limb = found
            if overlap >= _MIN_OVERLAP and _agree(rgb0, rgb1, body, homography):
                candidates.append((overlap + prior[j], i, j, (body, rest, homography), limb))
    if backdrop is not None:
        candidates += _with_backdrop(first, second, backdrop.pan, looks0, looks1)
    pairs, limbs, used0, used1 = [], [], set(), set()
    for _, i, j, pair, limb in sorted(candidates, key=lambda item: -item[0]):
        if i not in used0 and j not in used1:
            used0.add(i)
            used1.add(j)
            if limb is not None:  # the body and its limb: the limb turns about the joint in the body's frame
                rig = len(limbs)
                pair = (replace(pair[0], rig=rig), *pair[1:])
                limbs.append((replace(limb[0], rig=rig), *limb[1:]))
            pairs.append(pair)
    pairs += limbs
    if backdrop is not None:  # a part split from it that found no pair is backdrop the other keyframe hides
        pairs.insert(0, _with_unpaired(backdrop, first, second, used0, used1, rgb0, rgb1))
    loose0 = [i for i in range(len(first)) if i not in used0]
    inside1 = _partial_pairs(first, second, loose0, strength0, strength1, lines0, lines1, reach)
    loose1 = [j for j in range(len(second)) if j not in used1]
    inside0 = _partial_pairs(second, first, loose1, strength1, strength0, lines1, lines0, reach)
    pairs += inside1 + [(a, b, np.linalg.inv(homography)) for b, a, homography in inside0]
    # What is left of a drawing once the drawings found inside it are taken is another drawing they partly hide
    paired0 = {id(a) for a, _, _ in inside1}
    paired1 = {id(b) for b, _, _ in inside0}
    rest1 = [b for j, b in enumerate(second) if j in loose1 and id(b) not in paired1]
    rest0 = [a for i, a in enumerate(first) if i in loose0 and id(a) not in paired0]
    pieces0, pieces1 = [piece for _, piece, _ in inside0], [piece for _, piece, _ in inside1]
    hosts0, hosts1 = [first[i] for i in loose0], [second[j] for j in loose1]  # not paired whole
    left0 = _remainder_pairs(hosts0, pieces0, rest1, looks0, looks1, reach)
    left1 = _remainder_pairs(hosts1, pieces1, rest0, looks1, looks0, reach)
    pairs += left0 + [(a, b, np.linalg.inv(homography)) for b, a, homography in left1]
    # A drawing still without a pair may lie in such a part behind the drawings found there
    still0 = [a for a in rest0 if all(a is not other for _, other, _ in left1)]
    still1 = [b for b in rest1 if all(b is not other for _, other, _ in left0)]
    pairs += _hidden_pairs(still0, hosts1, pieces1, looks0, looks1, reach)
    for b, a, homography in _hidden_pairs(still1, hosts0, pieces0, looks1, looks0, reach):
        pairs.append((a, b, np.linalg.inv(homography)))
    return _rigid_groups(pairs, first, second, looks0, looks1)


def _rigid_groups(
    pairs: list[tuple[Drawing, Drawing, np.ndarray]], first: list[Drawing], second: list[Drawing],
    looks0: tuple, looks1: tuple,
) -> list[tuple[Drawing, Drawing, np.ndarray]]:  # fmt: skip
    """``pairs`` with the drawings that one similarity carries together made rigid groups (the letters of a word,
    the parts of a face): at least ``_RIGID_LEAST`` drawings (or pieces; not limbs, the backdrop or drawings cut by
    the frame's edge) whose own motions carry their centroids and far ends within ``_RIGID_PX`` px of where the
    group's carries them share the group's motion (a least-squares fit to all of them: a small drawing's own turn is
    poorly fixed) and turn about their joint centroid (:func:`drawing_layers`), so that the group stays rigid between
    the keyframes instead of each drawing turning about its own centre. A whole drawing near a group but paired
    elsewhere, or not at all (a letter paired with its lookalike in another word), is paired where the group's
    motion carries it (:func:`_carried_to`); a pair on the group's drawings against its motion is dropped."""
    free = [k for k, (a, b, _) in enumerate(pairs) if not (a.limb or a.backdrop or b.backdrop or a.touches_border)]
    groups: list[tuple[list[int], np.ndarray]] = []
    while len(free) >= _RIGID_LEAST:
        found = _largest_rigid(pairs, free)
        if found is None:
            break
        groups.append(found)
        free = [k for k in free if k not in found[0]]
    pairs = list(pairs)
    dropped: set[int] = set()
    final: list[tuple[list[int], np.ndarray]] = []
    for members, motion in groups:  # the largest first: what it takes from a smaller group was paired wrongly there
        taken = {k for done, _ in final for k in done}  # each pair in one group at most
        members = [k for k in members if k not in dropped and k not in taken]
        if len(members) < _RIGID_LEAST:
            continue
        claimed = taken | set(members)
        held = {id(pairs[k][side]) for k in claimed for side in (0, 1)}
        members += _strays(pairs, members, motion, first, second, held, looks0, looks1)
        covered0, covered1 = (np.logical_or.reduce([pairs[k][side].mask for k in members]) for side in (0, 1))
        for k, (a, b, homography) in enumerate(pairs):
            if k in claimed or k in members or k in dropped:
                continue
            if not ((a.mask & covered0).any() or (b.mask & covered1).any()):
                continue
            if _carried_alike(a, motion, homography):  # a piece of the group, or paired another way alike
                members.append(k)
            elif max(_share(a, covered0), _share(b, covered1)) > 0.5:  # paired against the group's motion
                dropped.add(k)
        final.append((members, motion))
    for number, (members, motion) in enumerate(final):
        for k in members:
            a, b, _ = pairs[k]
            pairs[k] = (replace(a, group=number), b, motion)
    return [pair for k, pair in enumerate(pairs) if k not in dropped]


def _share(drawing: Drawing, mask: np.ndarray) -> float:
    """The share of ``drawing`` that ``mask`` ``(H, W)`` bool covers."""
    return np.count_nonzero(drawing.mask & mask) / max(drawing.area, 1)


def _far_ends(drawing: Drawing) -> np.ndarray:
    """``(5, 2)``: the drawing's centroid and the points its reach away along x and y."""
    r = drawing.radius
    return drawing.centroid + np.array([[0.0, 0.0], [r, 0.0], [-r, 0.0], [0.0, r], [0.0, -r]])


def _carried_alike(drawing: Drawing, first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two motions carry ``drawing`` (its centroid and far ends) within ``_RIGID_PX`` px of each other."""
    ends = _far_ends(drawing)
    return bool(np.hypot(*(apply_homography(first, ends) - apply_homography(second, ends)).T).max() <= _RIGID_PX)


def _largest_rigid(pairs: list, free: list[int]) -> tuple[list[int], np.ndarray] | None:
    """The most pairs of ``free`` that one similarity (from two of their centroids, then fitted to all of them)
    carries as their own motions do (:func:`_carried_alike`), and that similarity; None under ``_RIGID_LEAST``."""
    starts = np.array([pairs[k][0].centroid for k in free])
    ends = np.array([apply_homography(pairs[k][2], pairs[k][0].centroid[None])[0] for k in free])

    def carried(motion: np.ndarray, among) -> list[int]:
        return [m for m in among if _carried_alike(pairs[free[m]][0], motion, pairs[free[m]][2])]

    best: list[int] = []
    for i, j in _neighbours(starts, _RIGID_HYPOTHESES):  # a group is one object: its drawings lie near each other
        if np.hypot(*(starts[i] - starts[j])) >= 1.0:  # two points fix a similarity
            motion = similarity_motion(starts[[i, j]], ends[[i, j]], robust=False)
            close = np.nonzero(np.hypot(*(apply_homography(motion, starts) - ends).T) <= _RIGID_PX)[0]
            best = max(best, carried(motion, close) if len(close) > len(best) else best, key=len)
    if len(best) < _RIGID_LEAST:
        return None
    motion = similarity_motion(starts[best], ends[best], robust=False)
    for _ in range(2):  # fitted to the members, which may then change
        members = carried(motion, range(len(free)))
        if len(members) < len(best):
            break
        best, motion = members, similarity_motion(starts[members], ends[members], robust=False)
    return [free[m] for m in best], motion


def _neighbours(points: np.ndarray, count: int) -> list[tuple[int, int]]:
    """The pairs ``(i, j)``, i < j, of the ``points`` ``(N, 2)`` where j is among the ``count`` nearest to i or
    i among those nearest to j."""
    distances = np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1))
    nearest = np.argsort(distances, axis=1)[:, 1 : count + 1]
    return sorted({(min(i, int(j)), max(i, int(j))) for i, row in enumerate(nearest) for j in row})


def _strays(
    pairs: list, members: list[int], motion: np.ndarray, first: list[Drawing], second: list[Drawing],
    held: set[int], looks0: tuple, looks1: tuple,
) -> list[int]:  # fmt: skip
    """The indices in ``pairs`` of the whole drawings of ``first`` near the group ``members`` and in no group
    (``held``: the ids of the drawings groups hold, to which theirs and their partners' are added) that ``motion``
    carries as their own pairs do, or that it carries onto a drawing of ``second`` (:func:`_carried_to`): then
    paired so and appended to ``pairs`` (:func:`_rigid_groups`). A drawing paired another way is taken so only
    from among the group's drawings (within a reach of their centroids' hull: a letter inside a word); beside the
    group it is an object moving on its own."""
    radius = float(np.median([pairs[k][0].radius for k in members]))
    centres = np.array([pairs[k][0].centroid for k in members])
    hull = cv2.convexHull(centres.astype(np.float32))
    added = []
    for a in first:
        if id(a) in held or a.touches_border or np.hypot(*(centres - a.centroid).T).min() > _RIGID_NEAR * radius:
            continue
        paired = [k for k, pair in enumerate(pairs) if pair[0] is a]
        own = next((k for k in paired if _carried_alike(a, motion, pairs[k][2])), None)
        if own is not None:  # already moved so by a pair of its own (with a piece of a larger drawing): it joins
            held |= {id(a), id(pairs[own][1])}
            added.append(own)
            continue
        within = cv2.pointPolygonTest(hull, tuple(float(v) for v in a.centroid), True) >= -radius
        if paired and not within:  # paired its own way beside the group: an object of its own, not a stray
            continue
        partner = _carried_to(a, motion, second, held, looks0, looks1)
        if partner is not None:
            held |= {id(a), id(partner)}
            added.append(len(pairs))
            pairs.append((a, partner, motion))
    return added


def _carried_to(
    drawing: Drawing, motion: np.ndarray, second: list[Drawing], held: set[int], looks0: tuple, looks1: tuple
) -> Drawing | None:
    """The drawing of ``second`` (not in ``held``) that ``motion`` carries ``drawing`` onto: one whose centroid it
    reaches within ``_RIGID_PX`` px and whose ink the inverse motion carries back onto ``drawing``'s, or else a
    larger one that holds it; either way its ink must land on ink. (Colours and areas are not compared: a thin
    stroke's mean colour and area take in the paper around it, which may differ there.) None if neither."""
    if _ink_lands(looks0[2] & drawing.mask, looks1[2], motion) < _INSIDE:
        return None
    landing = apply_homography(motion, drawing.centroid[None])[0]
    back = np.linalg.inv(motion)
    for b in second:
        near = id(b) not in held and np.hypot(*(b.centroid - landing)) <= _RIGID_PX
        if near and _ink_lands(looks1[2] & b.mask, looks0[2], back) >= _INSIDE:
            return b
    for host in second:
        if id(host) in held or host.area < drawing.area or np.hypot(*(host.centroid - landing)) > host.radius:
            continue
        share, part = _inside_share(drawing, host, motion)
        if share >= _INSIDE:
            return _piece(host, part)
    return None


class _Backdrop(NamedTuple):
    """A panning backdrop split from what moves over it (:func:`_split_backdrop`): its pieces in each keyframe, its
    motion (3x3, keyframe 0 -> 1), and how many parts were split from it in each (the last of the drawings)."""

    first: Drawing
    second: Drawing
    pan: np.ndarray
    parts0: int
    parts1: int


def _split_backdrop(
    first: list[Drawing], second: list[Drawing], looks0: tuple, looks1: tuple, reach: float
) -> tuple[list[Drawing], list[Drawing], _Backdrop | None]:
    """The drawings of each keyframe with a panning backdrop split from what moves over it, and the backdrop's pair.

    A character standing on the ground joins its ink to the ground's, so the two are one drawing, cut by the frame's
    edge, that no one motion fits. The shifts that carry most of its ink onto ink are found one after the other
    (:func:`_shifts`: the ground's, the character's), and those of all the frame's ink (where the ground's own
    pattern repeats, the clouds and trees apart from it tell the pan). The backdrop's shift is the one that carries
    most of the ink near the frame's edge onto ink (the ground line and what stands on it leave the frame there; a
    character seldom does). Flat fills agree with themselves under many shifts, so the drawing is judged cel by cel
    (the flat areas its ink bounds, and the paper it encloses, :func:`_cels`), each going with the shift that
    carries most of the ink around it onto ink (:func:`_moving_parts`): the cels the backdrop's shift does not
    explain best (or explains poorly), and the ink around them that it does not carry onto ink, become drawings of
    their own, paired as any others; the rest is the backdrop, paired by its shift, behind them. A part that finds no
    pair is backdrop the other keyframe hides (:func:`_with_unpaired`); a drawing apart from it that moves with it
    (a cloud) is paired by the shift (:func:`_with_backdrop`), and one that joins such a drawing to another is split
    (:func:`_split_joined`)."""
    (rgb0, _, lines0), (rgb1, _, lines1) = looks0, looks1
    height, width = lines0.shape
    large = _BACKDROP * height * width
    a = max(first, key=lambda drawing: drawing.area, default=None)
    hosts = [b for b in second if b.touches_border and b.area >= large]
    if a is None or not (a.touches_border and a.area >= large) or not hosts:
        return first, second, None
    # the frame's shifts (the backdrop's ink is most of it) and the drawing's own (the ground's, a character's)
    found = _shifts(lines0, lines1, reach) + _shifts(lines0 & a.mask, lines1, reach)
    index = _backdrop_shift(a, found, lines0, lines1)
    if index is None:
        return first, second, None
    shifts = [found[index]]  # the backdrop's first, then the others, each once (a pixel apart: the same)
    for shift in found:
        if all(np.abs(shift[:2, 2] - other[:2, 2]).max() > 1 for other in shifts):
            shifts.append(shift)
    parts0 = _moving_parts(a, shifts, 0, lines0, lines1) if len(shifts) > 1 else []
    if not parts0:
        return first, second, None
    pan = shifts[0]
    b = max(hosts, key=lambda host: _inside_share(a, host, pan)[0])
    inverses = [np.linalg.inv(shift) for shift in shifts]
    parts1 = _moving_parts(b, inverses, 0, lines1, lines0)
    if not parts1:
        return first, second, None
    moving0, moving1 = np.logical_or.reduce(parts0), np.logical_or.reduce(parts1)
    if not ((a.mask & ~moving0).any() and (b.mask & ~moving1).any()):
        return first, second, None
    back0, back1 = (replace(_piece(host, host.mask & ~moving, behind=True), backdrop=True)
                    for host, moving in ((a, moving0), (b, moving1)))  # fmt: skip
    # the other drawings, each with what moves with the pan split from what does not, then the parts split here
    first = _split_joined([d for d in first if d is not a], pan, looks0, looks1) + [_drawing(p, rgb0) for p in parts0]
    inverse = (np.linalg.inv(pan), looks1, looks0)
    second = _split_joined([d for d in second if d is not b], *inverse) + [_drawing(p, rgb1) for p in parts1]
    return first, second, _Backdrop(back0, back1, pan, len(parts0), len(parts1))


def _with_unpaired(
    backdrop: _Backdrop, first: list[Drawing], second: list[Drawing], used0: set[int], used1: set[int],
    rgb0: np.ndarray, rgb1: np.ndarray,
) -> tuple[Drawing, Drawing, np.ndarray]:  # fmt: skip
    """The backdrop's pair (:func:`_split_backdrop`) with the parts split from it (the last of ``first`` and
    ``second``) that found no pair (``used0``, ``used1``: the indices paired) given back to it, and marked used:
    the backdrop that what moves hides in the other keyframe. A part whose colours agree in place with the other
    keyframe's (``rgb0``, ``rgb1``: blurred) is left where it is, to the network (it hardly moves)."""
    pieces = []
    for drawings_, back, count, used, (own, other) in (
        (first, backdrop.first, backdrop.parts0, used0, (rgb0, rgb1)),
        (second, backdrop.second, backdrop.parts1, used1, (rgb1, rgb0)),
    ):
        mask = back.mask.copy()
        for index in range(len(drawings_) - count, len(drawings_)):
            if index not in used and not _agree(own, other, drawings_[index], np.eye(3)):
                mask |= drawings_[index].mask
                used.add(index)
        pieces.append(_piece(back, mask, behind=True))
    return pieces[0], pieces[1], backdrop.pan


def _with_backdrop(
    first: list[Drawing], second: list[Drawing], pan: np.ndarray, looks0: tuple, looks1: tuple
) -> list[tuple[float, int, int, tuple[Drawing, Drawing, np.ndarray], None]]:
    """Candidate pairs (as :func:`match_drawings` ranks them, ahead of any other) of the drawings that move with the
    backdrop's ``pan`` (a cloud, a tree apart from the ground): its colours agree and its ink lands on ink there,
    and it lies mostly in the drawing it lands on, or that one in it (one may be cut by the frame's edge). Two
    parts split as moving with the pan (:func:`_split_joined`; what moves over them hides different parts of them
    in each keyframe) need only overlap as much as any pair."""
    (rgb0, _, lines0), (rgb1, _, lines1) = looks0, looks1
    back = np.linalg.inv(pan)
    found = []
    for i, a in enumerate(first):
        if not (a.backdrop or (_agree(rgb0, rgb1, a, pan) and _ink_lands(lines0 & a.mask, lines1, pan) >= _INSIDE)):
            continue
        shares = [max(_inside_share(a, b, pan)[0], _inside_share(b, a, back)[0]) for b in second]
        j = int(np.argmax(shares)) if shares else -1
        if j >= 0 and shares[j] >= (_MIN_OVERLAP if a.backdrop and second[j].backdrop else _INSIDE):
            found.append((2.0 + shares[j], i, j, (a, second[j], pan), None))
    return found


def _backdrop_shift(drawing: Drawing, shifts: list[np.ndarray], lines0: np.ndarray, lines1: np.ndarray) -> int | None:
    """The index of the backdrop's shift among ``shifts`` of ``drawing`` (:func:`_split_backdrop`): the one that
    carries most of its ink near the frame's edge onto ink (of those alike in that, a pixel apart, most of all its
    ink); None with fewer than two or no such ink."""
    height, width = drawing.mask.shape
    band = np.zeros((height, width), bool)
    band[:_EDGE_BAND], band[-_EDGE_BAND:], band[:, :_EDGE_BAND], band[:, -_EDGE_BAND:] = True, True, True, True
    ink = lines0 & drawing.mask
    if len(shifts) < 2 or not (ink & band).any():
        return None
    scores = [_ink_lands(ink & band, lines1, shift) + 0.01 * _ink_lands(ink, lines1, shift) for shift in shifts]
    return int(np.argmax(scores))


def _cel_shares(
    drawing: Drawing, shifts: list[np.ndarray], lines0: np.ndarray, lines1: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """The cels of ``drawing`` (:func:`_cels`, with the paper its ink encloses: line art without fills) and, per cel
    and shift, the share of the ink around it that the shift carries onto ink (1 where it carries the cel out of
    the frame), ``(len(cels), len(shifts))``."""
    ink = lines0 & drawing.mask
    near = np.ones((5, 5), np.uint8)
    cels = _cels(drawing.mask | _holes(drawing.mask), ink)
    shares = np.array(
        [[1.0 if _carried_out(cel, shift) else _ink_lands(ink & (cv2.dilate(cel.astype(np.uint8), near) > 0), lines1,
          shift) for shift in shifts] for cel in cels]
    ).reshape(len(cels), len(shifts))  # fmt: skip
    return cels, shares


def _moving_parts(
    drawing: Drawing, shifts: list[np.ndarray], pan: int, lines0: np.ndarray, lines1: np.ndarray
) -> list[np.ndarray]:
    """The ``(H, W)`` bool parts of ``drawing`` that do not move with ``shifts[pan]``, the backdrop's: its cels that
    another shift explains better or that it explains poorly (under ``_CEL_INK``; a limb that turns, or backdrop
    that the other keyframe hides: :func:`_with_unpaired`), not cut by the frame's edge (:func:`_parts`)."""
    cels, shares = _cel_shares(drawing, shifts, lines0, lines1)
    moving = [cel for cel, share in zip(cels, shares, strict=True)
              if (share.argmax() != pan or share[pan] < _CEL_INK) and not _at_edge(cel)]  # fmt: skip
    return _parts(drawing, moving, shifts[pan], lines0, lines1)


def _parts(
    drawing: Drawing, moving: list[np.ndarray], pan: np.ndarray, lines0: np.ndarray, lines1: np.ndarray
) -> list[np.ndarray]:
    """The ``moving`` cels of ``drawing``, each with the ink of it around them that the backdrop's ``pan`` does not
    carry onto ink (to the nearest of them)."""
    if not moving:
        return []
    labels = np.zeros(drawing.mask.shape, np.int32)
    for k, cel in enumerate(moving, 1):
        labels[cel] = k
    ink = lines0 & drawing.mask & (cv2.dilate((labels > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
    ys, xs, _, landed = _landing(ink, lines1, pan)
    nearest = _nearest(labels > 0)
    ys, xs = ys[~landed], xs[~landed]
    labels[ys, xs] = labels[nearest[ys, xs, 1].astype(int), nearest[ys, xs, 0].astype(int)]
    return [labels == k for k in range(1, len(moving) + 1)]


def _split_joined(drawings_: list[Drawing], pan: np.ndarray, looks0: tuple, looks1: tuple) -> list[Drawing]:
    """``drawings_`` with each that joins what moves with the backdrop's ``pan`` to what does not (a cloud a shape
    passes in front of) split into the two (:func:`_moving_parts`): where the pan explains some of its cels and not
    others. What moves with the pan is part of the backdrop, behind the rest."""
    (rgb0, _, lines0), (_, _, lines1) = looks0, looks1
    smallest = _smallest(lines0.shape)
    split = []
    for drawing in drawings_:
        cels, shares = _cel_shares(drawing, [pan], lines0, lines1)
        if len(cels) < 2 or shares.min() >= _CEL_INK or shares.max() < _CEL_INK:
            split.append(drawing)
            continue
        moving = [cel for cel, share in zip(cels, shares[:, 0], strict=True) if share < _CEL_INK and not _at_edge(cel)]
        parts = _parts(drawing, moving, pan, lines0, lines1)
        rest = drawing.mask & ~np.logical_or.reduce(parts) if parts else drawing.mask
        if not parts or np.count_nonzero(rest) < smallest:
            split.append(drawing)
            continue
        split += [replace(_drawing(rest, rgb0), behind=True, backdrop=True), *(_drawing(p, rgb0) for p in parts)]
    return split


def _cels(mask: np.ndarray, ink: np.ndarray) -> list[np.ndarray]:
    """``(H, W)`` bool masks: the flat areas of ``mask`` that ``ink`` bounds (4-connected, specks left out)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask & ~ink).astype(np.uint8), connectivity=4)
    smallest = _smallest(mask.shape)
    return [labels == k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= smallest]


def _smallest(shape: tuple[int, ...]) -> int:
    """The fewest pixels a part of a frame of ``shape`` ``(H, W)`` has to be more than a speck."""
    return max(24, math.ceil(_MIN_AREA * shape[0] * shape[1]))


def _carried_out(mask: np.ndarray, shift: np.ndarray) -> bool:
    """Whether ``shift`` carries most of ``mask`` out of the frame."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    x, y = xs + shift[0, 2], ys + shift[1, 2]
    return bool(((x < 0) | (x > width - 1) | (y < 0) | (y > height - 1)).mean() > 0.5)


def _holes(mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the pixels ``mask`` encloses (joined to the frame's edge only through ``mask``)."""
    _, labels = cv2.connectedComponents((~mask).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return ~mask & ~np.isin(labels, edge)


def _at_edge(mask: np.ndarray) -> bool:
    """Whether ``mask`` ``(H, W)`` bool reaches the frame's edge."""
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def _shifts(ink0: np.ndarray, lines1: np.ndarray, reach: float, count: int = 3) -> list[np.ndarray]:
    """Up to ``count`` shifts (3x3), each carrying most of the ``ink0`` ``(H, W)`` bool that those before it leave
    onto (within 1 px of) the other keyframe's ``lines1`` (:func:`_shift`), while it carries at least
    ``_BACKDROP_INK`` of that ink so, and ``_SHIFT_SHARE`` of all of ``ink0`` (not the specks a fit leaves)."""
    near = cv2.dilate(lines1.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32)
    found, left = [], ink0.copy()
    least = max(24, _SHIFT_SHARE * np.count_nonzero(ink0))
    for _ in range(count):
        if np.count_nonzero(left) < least:
            break
        shift = _shift(left, near, reach)
        ys, xs, inside, lands = _landing(left, lines1, shift)
        if not inside.any() or lands[inside].mean() < _BACKDROP_INK or np.count_nonzero(lands) < least:
            break
        found.append(shift)
        left[ys[lands], xs[lands]] = False
    return found


def _shift(ink0: np.ndarray, near: np.ndarray, reach: float) -> np.ndarray:
    """The shift (3x3) within ``reach`` that carries most of ``ink0`` onto ``near`` (both ``(H, W)``; a
    cross-correlation by FFT)."""
    height, width = ink0.shape
    size = (cv2.getOptimalDFTSize(2 * height), cv2.getOptimalDFTSize(2 * width))
    spectra = [np.fft.rfft2(image.astype(np.float32), size) for image in (ink0, near)]
    counts = np.fft.irfft2(spectra[1] * np.conj(spectra[0]), size)  # counts[dy, dx]: ink0 moved by (dx, dy) on ink
    dy = np.fft.fftfreq(size[0], 1 / size[0])[:, None]
    dx = np.fft.fftfreq(size[1], 1 / size[1])[None, :]
    counts[np.hypot(dx, dy) > reach] = 0.0
    row, col = np.unravel_index(int(counts.argmax()), counts.shape)
    shift = np.eye(3)
    shift[:2, 2] = dx[0, col], dy[row, 0]
    return shift


def _limb(
    a: Drawing, b: Drawing, homography: np.ndarray, looks0: tuple, looks1: tuple, reach: float
) -> tuple[Drawing, Drawing, np.ndarray] | None:
    """The pair ``(limb, its place in b, similarity)`` of a part of drawing ``a`` that moved on its own (an arm
    turning at the shoulder while the body moves by ``homography``, a -> b), or None: the largest part of ``a`` that
    ``homography`` does not carry onto ``b``, less slivers, looked for inside ``b`` as a drawing of its own
    (:func:`_best_inside`: its line strength fits there, its ink lands on ink and its colours agree), then grown to
    the whole limb (:func:`_limb_of`). Not for a drawing cut by the frame's edge, whose parts entering or leaving the
    frame are left behind too (the ground under a pan)."""
    if a.touches_border or b.touches_border:
        return None
    height, width = a.mask.shape
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    back = cv2.warpAffine(b.mask.astype(np.uint8), homography[:2], (width, height), flags=flags) > 0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (_LIMB_OPEN, _LIMB_OPEN))
    left = cv2.morphologyEx((a.mask & ~back).astype(np.uint8), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < max(_smallest(a.mask.shape), _LIMB_SHARE * a.area):
        return None
    end = labels == largest
    best = _best_inside(_piece(a, end), [b], looks0, looks1, reach, colours=True, fine=True)
    if best is None:
        return None
    return _limb_pair(a, b, end, homography, best[1], looks0[0], looks1[0])


def _limb_pair(
    a: Drawing, b: Drawing, seed: np.ndarray, body: np.ndarray, motion: np.ndarray, rgb0: np.ndarray, rgb1: np.ndarray
) -> tuple[Drawing, Drawing, np.ndarray] | None:
    """``(limb, its place in b, motion)``: the limb of ``a`` grown from ``seed`` (:func:`_limb_of`) against the
    ``body`` motion, and where its ``motion`` carries it in ``b``; None where it grows over most of ``a`` (then its
    motion is the drawing's, not a limb's) or lands off ``b``."""
    mask = _limb_of(a, seed, body, motion, rgb0, rgb1)
    if np.count_nonzero(mask) > _LIMB_MOST * a.area:
        return None
    whole = _piece(a, mask, limb=True)
    part = _inside_share(whole, b, motion)[1]
    return (whole, _piece(b, part), motion) if part.any() else None


def _body_and_limb(
    a: Drawing, b: Drawing, limb: tuple[Drawing, Drawing, np.ndarray], rgb0: np.ndarray, rgb1: np.ndarray
) -> tuple[float, Drawing, Drawing, np.ndarray, tuple[Drawing, Drawing, np.ndarray]] | None:
    """``(overlap, body in a, body in b, body motion, limb pair)``: the body of a drawing pair with a ``limb``
    fitted without it (the limb pulls the whole's fit its way), and the limb grown again to the joint against the
    body's own motion (found against the whole's, it stopped short of the joint), ``_LIMB_ROUNDS`` times; None where
    the limb stops being one (:func:`_limb_pair`)."""
    for _ in range(_LIMB_ROUNDS):
        body, rest = _without(a, limb[0]), _without(b, limb[1])
        overlap, homography = _fit(body, rest)
        limb = _limb_pair(a, b, limb[0].mask, homography, limb[2], rgb0, rgb1)
        if limb is None:
            return None
    body, rest = _without(a, limb[0]), _without(b, limb[1])
    overlap, homography = _fit(body, rest)
    return overlap, body, rest, homography, limb


def _limb_of(
    drawing: Drawing, part: np.ndarray, body: np.ndarray, limb: np.ndarray, rgb0: np.ndarray, rgb1: np.ndarray
) -> np.ndarray:
    """``(H, W)`` bool: the whole limb that ``part`` (the pixels the ``body`` motion leaves behind) is the end of:
    the pixels of ``drawing`` joined to it whose colours the ``limb`` motion carries onto the other keyframe's
    (``rgb0``, ``rgb1``: blurred) more closely than the body's does and onto like colours (within ``_AGREE``), less
    specks (the body's outline near the joint fits either by chance), as far as the joint."""
    ys, xs = np.nonzero(drawing.mask)
    points = np.stack([xs, ys], 1).astype(np.float32)[:, None]
    own = rgb0[ys, xs]
    errors = [np.abs(_sample(rgb1, cv2.transform(points, h[:2])[:, 0]) - own).max(axis=1) for h in (body, limb)]
    closer = np.zeros_like(drawing.mask)
    closer[ys, xs] = (errors[1] < errors[0]) & (errors[1] <= _AGREE)
    closer = (cv2.morphologyEx(closer.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0) | part
    labels = cv2.connectedComponents(closer.astype(np.uint8), connectivity=8)[1]
    joined = np.unique(labels[part])
    return np.isin(labels, joined[joined > 0])


def _hidden_pairs(
    loose: list[Drawing], hosts: list[Drawing], pieces: list[Drawing], looks0: tuple, looks1: tuple, reach: float
) -> list[tuple[Drawing, Drawing, np.ndarray]]:
    """Pairs ``(drawing, its part of a host, similarity)`` as :func:`_partial_pairs` makes them, for drawings
    (``loose``) partly hidden in the other keyframe by the drawings found inside the same host there (``pieces``,
    then each piece found here in turn): what lands on those is left out of the fit and the tests (it lies behind
    them; its colours must agree too), and the part is marked ``behind`` (its layer goes behind the others)."""
    pairs: list[tuple[Drawing, Drawing, np.ndarray]] = []
    pieces, loose = list(pieces), list(loose)
    while pieces and loose:
        hidden = np.logical_or.reduce([piece.mask for piece in pieces]).astype(np.uint8)
        hidden = cv2.dilate(hidden, np.ones((3, 3), np.uint8)) > 0
        found = [(drawing, _hidden_in(drawing, hosts, hidden, looks0, looks1, reach)) for drawing in loose]
        found = [(drawing, pair) for drawing, pair in found if pair is not None]
        if not found:
            break
        for drawing, (piece, homography) in found:
            pairs.append((drawing, piece, homography))
            pieces.append(piece)
        loose = [d for d in loose if all(d is not drawing for drawing, _ in found)]
    return pairs


def _hidden_in(
    drawing: Drawing, hosts: list[Drawing], hidden: np.ndarray, looks0: tuple, looks1: tuple, reach: float
) -> tuple[Drawing, np.ndarray] | None:
    """``drawing``'s part of the host it lies in behind ``hidden`` (see :func:`_hidden_pairs`), and its similarity."""
    best = _best_inside(drawing, hosts, looks0, looks1, reach, hidden=hidden, colours=True)
    if best is None:
        return None
    _, homography, part, host = best
    return _piece(host, part, behind=True), homography


def _remainder_pairs(
    drawings_: list[Drawing], pieces: list[Drawing], others: list[Drawing], looks0: tuple, looks1: tuple, reach: float
) -> list[tuple[Drawing, Drawing, np.ndarray]]:
    """Pairs ``(remainder, drawing of the other keyframe, similarity)``: a drawing of ``drawings_`` (those not paired
    whole) that holds ``pieces`` (drawings of the other keyframe were found inside it: they overlap it in this
    keyframe), less those pieces, is one more drawing, partly hidden by them here; it is paired with the drawing of
    ``others`` (the other keyframe's drawings left without a pair, where it is whole) that it lies in, its ink on
    that drawing's ink and its colours agreeing (``looks0``, ``looks1``: each keyframe's blurred colours, line
    strength and ink)."""
    pairs = []
    for host in drawings_:
        inside = [piece.mask for piece in pieces if np.count_nonzero(piece.mask & host.mask) == piece.area]
        if not inside:
            continue
        covered = cv2.dilate(np.logical_or.reduce(inside).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        left = host.mask & ~covered
        if np.count_nonzero(left) < _MIN_REMAINDER * host.area:
            continue
        remainder = _piece(host, left)
        best = _best_inside(remainder, others, looks0, looks1, reach, colours=True)
        if best is not None:
            _, homography, _, other = best
            pairs.append((remainder, other, homography))
            others = [o for o in others if o is not other]
    return pairs


def drawing_layers(image0: np.ndarray, image1: np.ndarray) -> Alignment | None:
    """A layered pre-alignment moving each matched drawing by its own similarity (module docstring); None when no
    drawing is matched."""
    height, width = image0.shape[:2]
    rgb0, rgb1 = float_rgb(image0), float_rgb(image1)  # once, for the full-size steps below
    paper0, paper1 = paper_mask(rgb0), paper_mask(rgb1)
    scale = min(1.0, _MATCH_SIDE / max(height, width))
    if scale < 1.0:  # matched smaller, for speed; the network finds the residual motion at full size
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = [cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in (image0, image1)]
        pairs = [_enlarged(pair, width, height, size) for pair in match_drawings(*small)]
    else:
        pairs = match_drawings(rgb0, rgb1, (paper0, paper1))
    if not pairs:
        return None
    grey0, grey1 = (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) for rgb in (rgb0, rgb1))
    pairs = _refined_pairs(pairs, grey0, grey1)
    grow = _GROW + math.ceil(1.0 / scale) - 1  # and the coarser masks' steps
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    # smaller drawings in front, after those found in front of others
    pairs.sort(key=lambda pair: (pair[0].behind or pair[1].behind, pair[0].area))
    regions0 = _owned([a for a, _, _ in pairs], kernel)
    regions1 = _owned([b for _, b, _ in pairs], kernel)
    # Behind them the paper stays still: where a drawing left the paper, both keyframes show the paper there. Not
    # where a drawing left unpaired is, in either keyframe: the network finds its motion on the pair in place (a claim
    # of the paper that the other keyframe shows there would erase it).
    moved0, moved1 = np.logical_or.reduce(regions0), np.logical_or.reduce(regions1)
    unmatched0, unmatched1 = ~paper0 & ~moved0, ~paper1 & ~moved1
    loose = cv2.dilate((unmatched0 | unmatched1).astype(np.uint8), kernel).astype(bool)
    regions0.append((paper0 & ~moved0 & ~loose).astype(np.uint8))
    regions1.append((paper1 & ~moved1 & ~loose).astype(np.uint8))
    homographies = np.stack([h for _, _, h in pairs] + [np.eye(3)])
    own = [_centre(a, h) for a, _, h in pairs]
    parents = _bodies(pairs)
    centres = np.stack([*_layer_centres(pairs, parents, own), frame_middle(width, height)])
    vacated = ~(paper0 & paper1) & ~loose
    nearest = _nearest(_clean(paper0 & paper1))
    backdrops = [(a.area, homography) for a, _, homography in pairs if a.backdrop]
    pan = max(backdrops, key=lambda item: item[0])[1] if backdrops else None  # the ground's, not a cloud's
    layers = _DrawingLayers(
        homographies,
        centres,
        np.stack(regions0),
        np.stack(regions1),
        nearest,
        vacated,
        pan,
        checked=True,
        parents=(*parents, -1),
    )  # fmt: skip  (whole drawings matched between the keyframes: each claim is the drawing's own)
    starts = np.stack(own)
    ends = np.stack([b.centroid for _, b, _ in pairs])
    # The keyframes are sampled bicubic for the frames made: thin lines stay sharp between pixels (Alignment.sampling)
    return Alignment(width, height, np.eye(3), frame_middle(width, height), starts, ends,
                     np.ones(len(pairs)), layers=layers, sampling="bicubic")  # fmt: skip


def _refined_pairs(pairs: list[tuple[Drawing, Drawing, np.ndarray]], grey0: np.ndarray, grey1: np.ndarray) -> list:
    """``pairs`` with each motion refined (:func:`_refined`): a rigid group's once, on all its drawings together."""
    groups = {a.group for a, _, _ in pairs if a.group is not None}
    joint = {}
    for group in groups:
        members = [(a, h) for a, _, h in pairs if a.group == group]
        whole = _masked(members[0][0], np.logical_or.reduce([a.mask for a, _ in members]))
        joint[group] = _refined(whole, members[0][1], grey0, grey1)
    return [(a, b, joint[a.group] if a.group is not None else _refined(a, h, grey0, grey1)) for a, b, h in pairs]


def _bodies(pairs: list[tuple[Drawing, Drawing, np.ndarray]]) -> list[int]:
    """For each pair, the index of the pair of the body it is a limb of (the same ``rig``), or -1."""
    bodies = {a.rig: k for k, (a, _, _) in enumerate(pairs) if a.rig is not None and not a.limb}
    return [bodies.get(a.rig, -1) if a.limb else -1 for a, _, _ in pairs]


def _layer_centres(
    pairs: list[tuple[Drawing, Drawing, np.ndarray]], bodies: list[int], own: list[np.ndarray]
) -> list[np.ndarray]:
    """The point each pair's layer turns about: for a rigid group, the centroid of all its drawings together; for a
    limb of the pair ``bodies[k]``, the joint (the fixed point of its motion relative to the body's); else ``own``."""
    groups: dict[int, list[Drawing]] = {}
    for a, _, _ in pairs:
        if a.group is not None:
            groups.setdefault(a.group, []).append(a)
    joint = {
        group: np.average([a.centroid for a in members], axis=0, weights=[a.area for a in members])
        for group, members in groups.items()
    }
    centres = []
    for (drawing, _, homography), body, centre in zip(pairs, bodies, own, strict=True):
        if drawing.group is not None:
            centre = joint[drawing.group]
        elif body >= 0:
            centre = motion_centre(np.linalg.inv(pairs[body][2]) @ homography, drawing.centroid, drawing.radius)
        centres.append(centre)
    return centres


def _centre(drawing: Drawing, homography: np.ndarray) -> np.ndarray:
    """The point a drawing's layer turns about: its centroid, or for a limb the fixed point of its motion (the
    joint) where that lies within the limb's reach of its centroid."""
    return motion_centre(homography, drawing.centroid, drawing.radius) if drawing.limb else drawing.centroid


def _refined(drawing: Drawing, homography: np.ndarray, grey0: np.ndarray, grey1: np.ndarray) -> np.ndarray:
    """``homography`` (``drawing`` keyframe 0 -> 1) refined to a fraction of a pixel and degree by ECC on the grey
    levels around the drawing (:func:`cv2.findTransformECC`, rotation and shift); as it is when ECC does not
    converge or would move it more than a few px."""
    height, width = grey0.shape
    ys, xs = np.nonzero(drawing.mask)
    x0, y0 = max(xs.min() - _ECC_MARGIN, 0), max(ys.min() - _ECC_MARGIN, 0)
    x1, y1 = min(xs.max() + _ECC_MARGIN + 1, width), min(ys.max() + _ECC_MARGIN + 1, height)
    kernel = np.ones((2 * _ECC_MARGIN + 1, 2 * _ECC_MARGIN + 1), np.uint8)
    near = cv2.dilate(drawing.mask[y0:y1, x0:x1].astype(np.uint8), kernel) > 0
    offset = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    to_input = (homography @ offset)[:2]  # crop pixels -> keyframe 1
    template = grey0[y0:y1, x0:x1].copy()
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    source = cv2.warpAffine(grey1, to_input, (x1 - x0, y1 - y0), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    level = float(np.median(template[~near])) if (~near).any() else float(template.mean())
    template[~near], source[~near] = level, level  # only the drawing and its edge count
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-5)
    try:
        cv2.findTransformECC(template, source, warp, cv2.MOTION_EUCLIDEAN, criteria, None, 3)
    except cv2.error:
        return homography
    turn = math.degrees(math.atan2(warp[1, 0], warp[0, 0]))
    if abs(turn) > _ECC_TURN or np.abs(warp[:, 2]).max() > _ECC_SHIFT:
        return homography
    step = np.vstack([warp, [0.0, 0.0, 1.0]]).astype(np.float64)
    return homography @ offset @ step @ np.linalg.inv(offset)


def _enlarged(
    pair: tuple[Drawing, Drawing, np.ndarray], width: int, height: int, size: tuple[int, int]
) -> tuple[Drawing, Drawing, np.ndarray]:
    """A pair matched on keyframes shrunk to ``size`` (w, h), at the full ``width`` x ``height``."""
    sx, sy = size[0] / width, size[1] / height
    shrink = np.diag([sx, sy, 1.0])

    def full(drawing: Drawing) -> Drawing:
        mask = cv2.resize(drawing.mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
        centroid = drawing.centroid / np.array([sx, sy])
        return replace(drawing, mask=mask, area=int(np.count_nonzero(mask)), centroid=centroid)

    first, second, homography = pair
    return full(first), full(second), np.linalg.inv(shrink) @ homography @ shrink


def _owned(items: list[Drawing], kernel: np.ndarray) -> list[np.ndarray]:
    """Each drawing's region, front to back: its mask grown by ``kernel`` (a piece of a larger drawing by 1 px only:
    around it is the other drawing, which does not move with it), less the grown drawings in front of it (a stroke
    found inside a larger drawing is not also carried along with that drawing, nor its anti-aliased edge)."""
    regions, front = [], np.zeros_like(items[0].mask, bool)
    for drawing in items:
        grow = np.ones((3, 3), np.uint8) if drawing.piece else kernel
        grown = cv2.dilate(drawing.mask.astype(np.uint8), grow).astype(bool)
        regions.append((grown & ~front).astype(np.uint8))
        front |= grown
    return regions


def _clean(paper: np.ndarray) -> np.ndarray:
    """``paper`` ``(H, W)`` bool less its pixels within ``_CLEAN`` px of anything else (all of it when that leaves
    none): paper that a residual motion of a pixel or two, and bilinear sampling, still finds paper around."""
    size = 2 * _CLEAN + 1
    clean = cv2.erode(paper.astype(np.uint8), np.ones((size, size), np.uint8), borderType=cv2.BORDER_REPLICATE) > 0
    return clean if clean.any() else paper


def _nearest(allowed: np.ndarray) -> np.ndarray:
    """``(H, W, 2)`` float32: for each pixel, the x, y of the nearest ``allowed`` pixel (itself if allowed)."""
    _, labels = cv2.distanceTransformWithLabels((~allowed).astype(np.uint8), cv2.DIST_L2, 5,
                                                labelType=cv2.DIST_LABEL_PIXEL)  # fmt: skip
    ys, xs = np.nonzero(allowed)  # in raster order, as the labels number them from 1
    return np.stack([xs[labels - 1], ys[labels - 1]], axis=-1).astype(np.float32)


@dataclass(frozen=True, eq=False)
class _DrawingLayers(LayeredMotion):
    """The drawings' layers and the paper's, and where the paper shows at t though neither keyframe shows paper in
    place (a drawing was there in one keyframe and another, or itself, in the other; no layer claims the pixel):
    there both keyframes are sampled at the nearest pixel that is paper in both and at least ``_CLEAN`` px from any
    ink, instead of in place. (Taken right beside the ink, the flow network's residual motion and bilinear sampling
    drew faint specks of it there, which paired with a nearby stroke into a double line: ``fast-strokes``, 10
    double-line pixels at t = 0.5 in ``benchmarks/applications_cartoon.py``.)

    Attributes:
        nearest: ``(H, W, 2)`` the nearest pixel that is paper in both keyframes and ``_CLEAN`` px from any ink.
        vacated: ``(H, W)`` bool, where neither keyframe shows paper and no unmatched drawing is.
        pan: the 3x3 motion of a panning backdrop (:func:`_split_backdrop`), keyframe 0 -> keyframe 1, or None.
    """

    nearest: np.ndarray
    vacated: np.ndarray
    pan: np.ndarray | None = None
    _made: dict = field(default_factory=dict, repr=False)  # t -> maps: the engine asks for each t several times

    def maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        if float(t) not in self._made:
            self._made.clear()
            self._made[float(t)] = self._maps(t)
        map0, map1 = self._made[float(t)]
        return map0.copy(), map1.copy()

    def _maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        map0, map1 = super().maps(t)
        height, width = self.vacated.shape
        xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        in_place = (map0[..., 0] == xs) & (map0[..., 1] == ys) & (map1[..., 0] == xs) & (map1[..., 1] == ys)
        paper = in_place & self.vacated
        map0[paper] = map1[paper] = self.nearest[paper]
        return map0, map1
