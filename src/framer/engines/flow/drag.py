"""Drag steering for the flow engine: make the in-betweens follow user trajectories.

The flow network interpolates every pixel along a straight line. A trajectory says where the content under its start
point must be at each time instead. Steering works in layers:

1. **Objects.** Trajectories whose start points fall on the same moving region form one object. Its motion from
   keyframe 0 to keyframe 1 is the transform fitted to the trajectories' start and end points (translation for one
   trajectory, similarity for two, affine for three or more).
2. **Support.** The object's pixels in keyframe 0 are those that the object's motion explains (keyframe 1 sampled
   there matches) and that the network's own flow does not explain by a clearly different motion; the connected
   region around the start points, holes filled.
3. **Frames.** At each time t the object is placed by the transform fitted to the trajectories' points at t, with
   colours blended from both keyframes. Where the network had drawn the object (along its straight path) and where
   the object has uncovered the scene, the background is rebuilt from the keyframes with a background-only flow and
   per-keyframe visibility; what neither keyframe shows is inpainted. Away from the objects the network's frame is
   kept as it is.

Conventions: images ``(H, W, C)`` float32 in [0, 1] (C >= 3; extra channels such as alpha follow the colour);
flows ``(H, W, 2)`` pixels, ``(x, y)``, target to source; tracks ``(N, T, 2)`` xy pixels; 2x3 affine matrices map
keyframe-0 coordinates to the coordinates at time t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["DragObject", "DragPlan", "fit_transform", "plan_drag", "steer_frame"]

_PHOTO_TOLERANCE = 0.06  # mean abs colour error (box-filtered) under which a motion explains a pixel
_BOX = 5  # box filter size for photometric errors
_REFINE_RADIUS = 8  # px searched around a trajectory's end point for the best match in keyframe 1
_REFINE_PATCH = 8  # half-size of the patch matched around a start point
_COLOUR_STEP = 4  # largest colour step (0-255) between neighbours inside one colour region
# The support mask stops about _BOX // 2 px inside an object's edge (the box-filtered error there mixes in the
# background the object's motion does not explain); its anti-aliased fringe lies beyond that. Pixels this close to
# the support count as the object's when the background is rebuilt, so no edge is left behind as a 1-px streak.
_EDGE_MARGIN = _BOX // 2 + 2


# ----------------------------------------------------------------------------------------------------------------
# Geometry


def fit_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix mapping points ``src`` ``(n, 2)`` to ``dst`` ``(n, 2)``.

    One point: translation; two: similarity (rotation, uniform scale, translation), exact; three or more: affine,
    least squares.
    """
    src = np.asarray(src, np.float64).reshape(-1, 2)
    dst = np.asarray(dst, np.float64).reshape(-1, 2)
    if len(src) == 1 or (len(src) == 2 and np.allclose(src[0], src[1])):
        shift = (dst - src).mean(0)
        return np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
    if len(src) == 2:
        s0, s1 = complex(*src[0]), complex(*src[1])
        d0, d1 = complex(*dst[0]), complex(*dst[1])
        a = (d1 - d0) / (s1 - s0)
        b = d0 - a * s0
        return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])
    design = np.hstack([src, np.ones((len(src), 1))])
    solution, *_ = np.linalg.lstsq(design, dst, rcond=None)
    return solution.T


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 matrix of ``outer(inner(x))``."""
    full = lambda m: np.vstack([m, [0.0, 0.0, 1.0]])  # noqa: E731
    return (full(outer) @ full(inner))[:2]


def _invert(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix.astype(np.float64))


def _sample_affine(image: np.ndarray, matrix: np.ndarray, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """``out[p] = image[matrix @ p]`` (bilinear), same size as ``image``."""
    height, width = image.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out = cv2.warpAffine(image, matrix.astype(np.float64), (width, height), flags=flags, borderMode=border)
    return out.reshape(image.shape)


def _sample_flow(image: np.ndarray, flow: np.ndarray, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """``out[p] = image[p + flow[p]]`` (bilinear)."""
    height, width = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    out = cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=border)
    return out.reshape(image.shape[:2] + image.shape[2:])


# ----------------------------------------------------------------------------------------------------------------
# Masks


def _pixel(point: Sequence[float], width: int, height: int) -> tuple[int, int]:
    """Nearest pixel ``(x, y)`` to ``point``, clamped into the frame."""
    return min(max(round(point[0]), 0), width - 1), min(max(round(point[1]), 0), height - 1)


def _photo_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Box-filtered mean absolute difference of the first three channels, after a slight blur that makes it
    tolerant to sub-pixel misalignment: ``(H, W)``."""
    blur = lambda x: cv2.GaussianBlur(np.ascontiguousarray(x[..., :3]), (0, 0), 1.0)  # noqa: E731
    diff = np.abs(blur(a) - blur(b)).mean(-1)
    return cv2.blur(diff, (_BOX, _BOX))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes of a binary uint8 mask."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    holes = (flood == 0).astype(np.uint8)[1:-1, 1:-1]
    return mask | holes


def _component_at(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Union of the connected components of ``mask`` that hold (or lie nearest to) each of ``points``."""
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(mask)
    keep = set()
    height, width = mask.shape
    for x, y in np.asarray(points).reshape(-1, 2):
        xi, yi = _pixel((x, y), width, height)
        label = labels[yi, xi]
        if label == 0:
            radius = 12
            y0, y1 = max(0, yi - radius), min(height, yi + radius + 1)
            x0, x1 = max(0, xi - radius), min(width, xi + radius + 1)
            window = labels[y0:y1, x0:x1]
            if (window > 0).any():
                yy, xx = np.nonzero(window)
                nearest = np.argmin((yy + y0 - yi) ** 2 + (xx + x0 - xi) ** 2)
                label = window[yy[nearest], xx[nearest]]
        if label > 0:
            keep.add(int(label))
    return np.isin(labels, list(keep)).astype(np.uint8)


def _colour_region(image: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Pixels reachable from ``starts`` in small colour steps (flood fill of a smoothed copy): ``(H, W)`` uint8."""
    smooth = cv2.GaussianBlur((image[..., :3] * 255.0).astype(np.float32), (0, 0), 1.5).astype(np.uint8)
    height, width = smooth.shape[:2]
    region = np.zeros((height + 2, width + 2), np.uint8)
    step = (_COLOUR_STEP,) * 3
    for x, y in np.asarray(starts).reshape(-1, 2):
        seed = _pixel((x, y), width, height)
        cv2.floodFill(smooth, region, seed, 0, step, step, 8 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    return region[1:-1, 1:-1]


def _support_mask(
    image0: np.ndarray, image1: np.ndarray, forward_flow: np.ndarray, motion: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of keyframe 0 that move with ``motion`` (2x3), connected to ``starts``; and where keyframe 1 shows them.

    A pixel is surely on the object when the object's motion explains it (keyframe 1 sampled there matches) and the
    network's flow does not. When both explain it (flat areas, or an object that moves like its surroundings), motion
    cannot tell, and the pixel counts only if it is also colour-connected to a start point.

    Returns:
        ``(mask, visible1)``: ``(H, W)`` float32 in [0, 1]; ``visible1`` is 1 where the object's pixel is seen in
        keyframe 1 at its moved position.
    """
    error_object = _photo_error(image0, _sample_affine(image1, motion))
    error_flow = _photo_error(image0, _sample_flow(image1, forward_flow))
    explained = error_object < _PHOTO_TOLERANCE
    sure = explained & (error_flow >= _PHOTO_TOLERANCE)
    ambiguous = explained & ~sure
    mask = (sure | (ambiguous & (_colour_region(image0, starts) > 0))).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = _component_at(mask, starts)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = _fill_holes(mask)
    visible1 = (error_object < 2 * _PHOTO_TOLERANCE).astype(np.float32)
    return mask.astype(np.float32), visible1


def _subpixel_peak(scores: np.ndarray, x: int, y: int) -> tuple[float, float]:
    """Parabolic refinement of a minimum at ``(x, y)`` of a score map."""

    def offset(left: float, centre: float, right: float) -> float:
        curvature = left - 2 * centre + right
        return 0.0 if curvature <= 1e-12 else float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))

    dx = offset(scores[y, x - 1], scores[y, x], scores[y, x + 1]) if 0 < x < scores.shape[1] - 1 else 0.0
    dy = offset(scores[y - 1, x], scores[y, x], scores[y + 1, x]) if 0 < y < scores.shape[0] - 1 else 0.0
    return x + dx, y + dy


def _refine_end(image0: np.ndarray, image1: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Move ``end`` (by up to a few pixels) to where keyframe 1 best matches keyframe 0's patch around ``start``.

    Users click approximately; the object's colours are only sampled right from keyframe 1 with the exact end point.
    The end is kept when the patch is flat or the match is not clearly better than at the given end.
    """
    height, width = image0.shape[:2]
    half, radius = _REFINE_PATCH, _REFINE_RADIUS
    sx, sy = round(start[0]), round(start[1])
    # Integer window centre such that the patch centre lands on end when placed at the window centre.
    ex, ey = round(end[0] - (start[0] - sx)), round(end[1] - (start[1] - sy))
    if not (half <= sx < width - half and half <= sy < height - half):
        return end
    if not (half + radius <= ex < width - half - radius and half + radius <= ey < height - half - radius):
        return end
    grey0 = image0[..., :3].mean(-1).astype(np.float32)
    grey1 = image1[..., :3].mean(-1).astype(np.float32)
    patch = grey0[sy - half : sy + half + 1, sx - half : sx + half + 1]
    if patch.std() < 0.02:  # flat patch: nothing to match on
        return end
    window = grey1[ey - half - radius : ey + half + radius + 1, ex - half - radius : ex + half + radius + 1]
    scores = cv2.matchTemplate(window, patch, cv2.TM_SQDIFF)
    _, _, (bx, by), _ = cv2.minMaxLoc(scores)
    requested = np.asarray(end, np.float64) - np.array([ex - radius, ey - radius]) - (start - np.array([sx, sy]))
    at_request = cv2.getRectSubPix(scores, (1, 1), (float(requested[0]), float(requested[1])))[0, 0]
    if scores[by, bx] >= 0.5 * at_request:
        return end
    px, py = _subpixel_peak(scores, bx, by)
    return np.array([ex - radius + px, ey - radius + py]) + (start - np.array([sx, sy]))


# ----------------------------------------------------------------------------------------------------------------
# Planning (once per keyframe pair) and steering (once per frame)


@dataclass
class DragObject:
    """One dragged object: its trajectories, support in keyframe 0 and motion to keyframe 1."""

    track_indices: list[int]
    mask0: np.ndarray  # (H, W) float32 support in keyframe 0
    visible1: np.ndarray  # (H, W) float32, 1 where keyframe 1 shows the object pixel
    motion: np.ndarray  # 2x3, keyframe 0 -> keyframe 1, fitted to (refined) end points
    mask1: np.ndarray  # (H, W) float32 support in keyframe 1


@dataclass
class DragPlan:
    """Everything about a keyframe pair that does not depend on t."""

    objects: list[DragObject]
    starts: np.ndarray  # (N, 2) trajectory start points in keyframe 0
    occupied0: np.ndarray  # (H, W) union of object supports in keyframe 0
    occupied1: np.ndarray  # (H, W) union in keyframe 1


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.parent[self.root(j)] = self.root(i)

    def groups(self) -> list[list[int]]:
        result: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            result.setdefault(self.root(i), []).append(i)
        return list(result.values())


def _covers(mask: np.ndarray, point: np.ndarray) -> bool:
    x, y = _pixel(point, mask.shape[1], mask.shape[0])
    return bool(mask[y, x] > 0.5)


def plan_drag(image0: np.ndarray, image1: np.ndarray, forward_flow: np.ndarray, tracks: np.ndarray) -> DragPlan:
    """Find the dragged objects of a keyframe pair.

    Args:
        image0, image1: ``(H, W, C)`` float32 keyframes in [0, 1].
        forward_flow: ``(H, W, 2)`` the network's flow from keyframe 0 to keyframe 1 (keyframe-0 pixel x is at
            ``x + flow[x]`` in keyframe 1).
        tracks: ``(N, T, 2)`` trajectory points, first at keyframe 0, last at keyframe 1.
    """
    starts, ends = tracks[:, 0].astype(np.float64), tracks[:, -1].astype(np.float64)
    refined = np.stack([_refine_end(image0, image1, s, e) for s, e in zip(starts, ends, strict=True)])

    def support(indices: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Motion, support and keyframe-1 visibility of the trajectories ``indices`` taken as one object; the end
        points as given or as refined, whichever explains the larger region."""
        options = []
        for end_points in (ends, refined):
            motion = fit_transform(starts[indices], end_points[indices])
            options.append((motion, *_support_mask(image0, image1, forward_flow, motion, starts[indices])))
            if np.allclose(ends[indices], refined[indices]):
                break
        return max(options, key=lambda option: float(option[1].sum()))

    # Trajectories on one object: a start that lies on another trajectory's support (same translation), or two
    # trajectories whose joint motion (rotation, scaling) explains a region holding both starts.
    single = [support([i])[1] for i in range(len(starts))]
    sets = _UnionFind(len(starts))
    for i, mask in enumerate(single):
        for j in range(len(starts)):
            if i != j and _covers(mask, starts[j]):
                sets.union(i, j)
    for i in range(len(starts)):
        for j in range(i + 1, len(starts)):
            if sets.root(i) != sets.root(j):
                joint = support([i, j])[1]
                if _covers(joint, starts[i]) and _covers(joint, starts[j]):
                    sets.union(i, j)
    objects = []
    for group in sets.groups():
        motion, mask0, visible1 = support(group)
        mask1 = _sample_affine(mask0 * visible1, _invert(motion), border=cv2.BORDER_CONSTANT)
        objects.append(DragObject(group, mask0, visible1, motion, mask1))
    # Widened so that the objects' edges and anti-aliased fringes count as covered too (see _EDGE_MARGIN).
    occupied0 = _dilate(np.clip(sum(o.mask0 for o in objects), 0, 1).astype(np.float32), _EDGE_MARGIN)
    occupied1 = _dilate(np.clip(sum(o.mask1 for o in objects), 0, 1).astype(np.float32), _EDGE_MARGIN)
    return DragPlan(objects, starts, occupied0, occupied1)


def _fill_from_surroundings(values: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Replace ``values`` ``(H, W, C)`` inside ``hole`` by a smooth fill from around it (normalised convolution)."""
    if not hole.any() or hole.all():  # nothing to fill, or nothing around to fill from: keep the values
        return values
    radius = min(float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max()), float(max(hole.shape)))
    scale = 4
    known = (~hole).astype(np.float32)
    small_w = cv2.resize(known, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA)
    small_v = cv2.resize(values * known[..., None], None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA)
    sigma = max(1.0, radius / scale)
    weight = cv2.GaussianBlur(small_w, (0, 0), sigma)
    total = cv2.GaussianBlur(small_v, (0, 0), sigma).reshape((*small_v.shape[:2], -1))
    filled = total / np.maximum(weight, 1e-6)[..., None]
    filled = cv2.resize(filled, (values.shape[1], values.shape[0]), interpolation=cv2.INTER_LINEAR)
    filled = filled.reshape(values.shape)
    return np.where(hole[..., None], filled, values).astype(np.float32)


def _feather(mask: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return mask
    return cv2.GaussianBlur(mask, (0, 0), radius / 2.0)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel)


def steer_frame(
    plan: DragPlan,
    image0: np.ndarray,
    image1: np.ndarray,
    network_frame: np.ndarray,
    flow_to0: np.ndarray,
    flow_to1: np.ndarray,
    t: float,
    points: np.ndarray,
) -> np.ndarray:
    """The frame at time ``t`` with the plan's objects moved to the trajectories' points.

    Args:
        plan: from :func:`plan_drag`.
        image0, image1: ``(H, W, C)`` keyframes.
        network_frame: ``(H, W, C)`` the network's frame at t (kept away from the objects).
        flow_to0, flow_to1: ``(H, W, 2)`` the network's flows at t towards each keyframe (target to source).
        t: time in (0, 1).
        points: ``(N, 2)`` where each trajectory is at time t.
    """
    # 1. Where the network drew the objects (it moved them along straight lines), and where they go now.
    network_zone = np.maximum(
        _sample_flow(plan.occupied0, flow_to0, border=cv2.BORDER_CONSTANT),
        _sample_flow(plan.occupied1, flow_to1, border=cv2.BORDER_CONSTANT),
    )
    zone = (network_zone > 0.05).astype(np.float32)
    object_layers = []
    for obj in plan.objects:
        placement = fit_transform(plan.starts[obj.track_indices], points[obj.track_indices])
        back = _invert(placement)  # time-t coords -> keyframe-0 coords
        alpha = _sample_affine(obj.mask0, back, border=cv2.BORDER_CONSTANT)
        colour0 = _sample_affine(image0, back)
        colour1 = _sample_affine(image1, _compose(obj.motion, back))
        seen1 = _sample_affine(obj.visible1, back, border=cv2.BORDER_CONSTANT)
        weight1 = (t * seen1)[..., None]
        colour = (1.0 - weight1) * colour0 + weight1 * colour1
        object_layers.append((alpha, colour))
        zone = np.maximum(zone, (alpha > 0.05).astype(np.float32))
    zone = _dilate(zone, 6)

    # 2. The background inside the zone, from the keyframes with a background-only flow and visibility.
    hole = zone > 0.5
    background_to0 = _fill_from_surroundings(flow_to0, hole)
    background_to1 = _fill_from_surroundings(flow_to1, hole)
    seen0 = 1.0 - _sample_flow(plan.occupied0, background_to0, border=cv2.BORDER_CONSTANT)
    seen1 = 1.0 - _sample_flow(plan.occupied1, background_to1, border=cv2.BORDER_CONSTANT)
    weight0 = (1.0 - t) * np.clip(seen0, 0, 1) ** 4
    weight1 = t * np.clip(seen1, 0, 1) ** 4
    total = weight0 + weight1
    background = (
        weight0[..., None] * _sample_flow(image0, background_to0)
        + weight1[..., None] * _sample_flow(image1, background_to1)
    ) / np.maximum(total, 1e-6)[..., None]
    unseen = (total < 1e-3) & hole
    background = _fill_from_surroundings(background, unseen)
    blend = _feather(zone, 6)[..., None]
    frame = blend * background + (1.0 - blend) * network_frame

    # 3. The objects on top, in the order given.
    for alpha, colour in object_layers:
        a = alpha[..., None]
        frame = a * colour + (1.0 - a) * frame
    return np.clip(frame, 0.0, 1.0).astype(np.float32)
