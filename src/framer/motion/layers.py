"""Layered pre-alignment: each motion layer pre-aligns only the region it explains; elsewhere the pair is left as is.

A global motion model pre-aligns the whole frame, which is right for a camera move and wrong where content moves
independently (a subject over a panning background, parallax). Here every layer (a similarity keyframe 0 ->
keyframe 1, from :func:`framer.matching.motion_layers`) owns a region of each keyframe:

- **Regions** (:func:`layer_regions`): a keyframe-0 pixel belongs to the layer whose motion best carries it onto
  keyframe 1 (local colour residual, box-filtered), if that beats leaving it where it is by a margin and the
  pixel lies within reach of the layer's own matches; keyframe 1 likewise with each layer's inverse motion. Small
  specks are removed and holes closed.
- **Maps** (:meth:`LayeredMotion.maps`): for a pixel of the frame at time t, the layers are tried front to back
  (the smaller region first: a subject is usually in front of its background); the first whose region holds the
  pixel's position in keyframe 0 or in keyframe 1 under that layer's motion samples both keyframes along it. Where
  the layer owns the content in only one keyframe (it is hidden or uncovered in the other), the other keyframe's
  map points off the frame, so both pre-aligned keyframes show that one keyframe's pixel there (the border rule of
  :func:`framer.motion.warp_pair` and :func:`framer.motion.compose_frame`). Such a claim holds only where the other
  keyframe can hide the content: off its frame or, for any layer but the nearest (nothing is in front of it), near a
  nearer layer's region or on a pixel no layer claims.
  Where the other keyframe shows a farther layer instead, the region has grown past its object onto the background
  beside it (the regions are decided on windowed residuals), and moving that background with the object put a band
  of misplaced background around it (on independent mixed scenes, up to 6 dB below plain interpolation); the layer
  does not claim such a pixel. Pixels no layer claims sample both keyframes in place, so there the network sees the
  plain pair and its result is the plain one up to the seams.

Conventions as in :mod:`framer.motion.alignment`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from framer.motion.homography import apply_homography, frame_middle, interpolate_homography

__all__ = ["LayeredMotion", "layer_regions"]

_MARGIN = 0.02  # a layer must beat "no motion" by this much mean absolute residual ([0, 1]) to claim a pixel
_EXPLAINS = 0.5  # ... and leave at most this fraction of the residual of "no motion"
_STILL = 0.03  # pixels that no motion at all explains this well stay in place; others no layer explains are hidden
_REACH = 0.2  # a layer claims pixels up to this fraction of the frame's diagonal from its own matches
_NOWHERE = -1e4  # a map position outside every frame: the other keyframe fills that pixel (motion.warp)
_WINDOW = 40  # the residuals are box-filtered over 1/_WINDOW of the frame's diagonal (at least 5 px)


@dataclass(frozen=True, eq=False)
class LayeredMotion:
    """Motion layers and the regions they own (see the module docstring).

    Attributes:
        homographies: ``(K, 3, 3)`` keyframe 0 -> keyframe 1 per layer, front to back.
        centres: ``(K, 2)`` the point each layer's rotation and stretch are taken about.
        follows: per layer, which point moves straight in time (:func:`framer.motion.interpolate_homography`);
            empty: ``"content"`` for every layer.
        parents: per layer, the layer it moves on (a limb on its body), or -1; empty: none. A layer with a parent
            moves at t as the parent does after its own motion relative to the parent's (``inv(H_parent) @ H``)
            turned about its centre (the joint) by t's share: an arm on a walking body stays on the shoulder.
        regions0, regions1: ``(K, H, W)`` uint8, 1 where a layer owns a pixel of keyframe 0 / keyframe 1.
        checked: the regions were already checked pixel by pixel between the keyframes by their maker (as
            :mod:`framer.applications.views` does, with its own rule for content leaving the frame), so the maps take
            every claim as it is; False (regions from :func:`layer_regions`): a claim on content that only one
            keyframe shows holds only where the other can hide it (module docstring).
    """

    homographies: np.ndarray
    centres: np.ndarray
    regions0: np.ndarray
    regions1: np.ndarray
    checked: bool = field(default=False, kw_only=True)
    follows: tuple[str, ...] = field(default=(), kw_only=True)
    parents: tuple[int, ...] = field(default=(), kw_only=True)

    def maps(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """``(map0, map1)``, each ``(H, W, 2)`` float32: where to sample each keyframe for the frame at ``t``."""
        height, width = self.regions0.shape[1:]
        xs, ys = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        pixels = np.stack([xs, ys], axis=-1)
        map0, map1 = pixels.copy(), pixels.copy()
        claimed = np.zeros((height, width), bool)
        for layer, (homography, region0, region1) in enumerate(
            zip(self.homographies, self.regions0, self.regions1, strict=True)
        ):
            at0 = apply_homography(np.linalg.inv(self.motion_at(layer, t)), pixels)
            at1 = apply_homography(homography, at0)
            seen0, seen1 = _lookup(region0, at0), _lookup(region1, at1)
            if self.checked:
                mine = (seen0 | seen1) & ~claimed
            else:
                # Content one keyframe shows and the other does not must be hidden there (:attr:`_may_hide`); where
                # the other keyframe shows a farther layer instead, the claim is false (a region grown past its
                # object onto the background beside it) and is dropped.
                hide0, hide1 = self._may_hide
                hidden0 = _lookup(hide0[layer], at0, outside=True)
                hidden1 = _lookup(hide1[layer], at1, outside=True)
                mine = ((seen0 & (seen1 | hidden1)) | (seen1 & (seen0 | hidden0))) & ~claimed
            map0[mine], map1[mine] = at0[mine], at1[mine]
            map0[mine & ~seen0] = _NOWHERE  # only keyframe 1 shows it: both take keyframe 1's pixel there
            map1[mine & ~seen1] = _NOWHERE
            claimed |= mine
        return map0.astype(np.float32), map1.astype(np.float32)

    def motion_at(self, layer: int, t: float) -> np.ndarray:
        """3x3: ``layer``'s motion from keyframe 0 to the frame at ``t`` (class docstring)."""
        parent = self.parents[layer] if self.parents else -1
        homography, centre = self.homographies[layer], self.centres[layer]
        follow = self.follows[layer] if self.follows else "content"
        if parent < 0:
            return interpolate_homography(homography, t, centre, follow)
        relative = np.linalg.solve(self.homographies[parent], homography)
        return self.motion_at(parent, t) @ interpolate_homography(relative, t, centre, follow)

    @functools.cached_property
    def _may_hide(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per keyframe, per layer, ``(H, W)`` bool: where that keyframe may hide the layer's content (off the frame
        is checked apart): within the residual window of a nearer layer's region, or on a pixel no layer claims;
        nowhere for the nearest layer, which has nothing in front of it. Made once: the maps of every t read it."""
        height, width = self.regions0.shape[1:]
        reach = max(5, round(math.hypot(height, width) / _WINDOW) | 1)  # how far off a region's edge may be
        layers = range(len(self.homographies))
        return tuple(
            [_may_hide(regions, layer, reach) for layer in layers] for regions in (self.regions0, self.regions1)
        )


def _may_hide(regions: np.ndarray, layer: int, reach: int) -> np.ndarray:
    """``(H, W)`` bool: where something may hide ``layer``'s content in that keyframe: within ``reach`` px of a
    nearer layer's region, or a pixel no layer of ``regions`` ``(K, H, W)`` claims (nowhere for the nearest layer).
    """
    if layer == 0:
        return np.zeros(regions.shape[1:], bool)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    nearer = cv2.dilate(regions[:layer].max(axis=0), kernel)
    return (nearer > 0) | (regions.max(axis=0) == 0)


def _lookup(region: np.ndarray, points: np.ndarray, outside: bool = False) -> np.ndarray:
    """``region`` ``(H, W)`` uint8 or bool at ``points`` ``(H, W, 2)`` (nearest pixel; ``outside`` off the frame)
    as bool."""
    xs, ys = points[..., 0].astype(np.float32), points[..., 1].astype(np.float32)
    border = 1 if outside else 0
    return cv2.remap(region.astype(np.uint8), xs, ys, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=border) > 0  # fmt: skip


def _colour(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` uint8/uint16/float image -> ``(H, W, C)`` float32 in [0, 1], at most 3 channels."""
    image = np.asarray(image)
    scale = 255.0 if image.dtype == np.uint8 else 65535.0 if image.dtype == np.uint16 else 1.0
    image = image.astype(np.float32) / scale
    return np.ascontiguousarray(image[..., :3] if image.ndim == 3 else image[..., None])


def _difference(a: np.ndarray, b: np.ndarray, window: int) -> np.ndarray:
    """Box-filtered mean absolute difference over the channels, ``(H, W)``."""
    return cv2.blur(np.abs(a - b).mean(axis=-1), (window, window))


def _residual(target: np.ndarray, source: np.ndarray, homography: np.ndarray, window: int) -> np.ndarray:
    """Box-filtered ``|target(p) - source(H p)|`` ``(H, W)``; infinite where ``H p`` leaves ``source``."""
    height, width = target.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = cv2.warpPerspective(source, homography, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(
        np.ones((height, width), np.float32), homography, (width, height), flags=flags, borderMode=cv2.BORDER_CONSTANT
    )
    residual = _difference(target, moved.reshape(target.shape), window)
    return np.where(inside > 0.5, residual, np.inf)


def _near(points: np.ndarray, width: int, height: int, reach: float) -> np.ndarray:
    """``(H, W)`` bool: pixels within ``reach`` px of any of ``points`` ``(M, 2)``."""
    seeds = np.full((height, width), 255, np.uint8)
    xy = np.round(points).astype(int)
    keep = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    seeds[xy[keep, 1], xy[keep, 0]] = 0
    return cv2.distanceTransform(seeds, cv2.DIST_L2, 5) <= reach


def _owners(
    target: np.ndarray, source: np.ndarray, homographies: list[np.ndarray], points: list[np.ndarray], window: int
) -> np.ndarray:
    """``(H, W)`` int: for each pixel of ``target``, the layer (1..K) that carries it best onto ``source``, or 0
    where none beats no motion by ``_MARGIN`` or the pixel is out of its layers' reach.

    A layer keeps only the connected parts of its pixels that hold at least two of its own matches (``points``
    per layer, ``(M, 2)`` in ``target``); a part it loses goes to the next best layer. So a smooth patch that a
    wrong motion happens to fit does not break up the region of the motion that really moved it.
    """
    height, width = target.shape[:2]
    reach = _REACH * math.hypot(width, height)
    still = _difference(target, source, window)
    residuals = np.stack([_residual(target, source, h, window) for h in homographies])
    leaves = np.isinf(residuals)  # (K, H, W): the layer's motion takes the pixel off the other keyframe
    barred = np.stack([~_near(own, width, height, reach) for own in points])  # (K, H, W): not the layer's
    residuals[barred] = np.inf
    for _ in range(len(homographies)):
        best = residuals.argmin(axis=0)
        lowest = np.take_along_axis(residuals, best[None], 0)[0]
        owners = np.where((lowest + _MARGIN < still) & (lowest < _EXPLAINS * still), best + 1, -1)
        owners[(owners < 0) & (still < _STILL)] = 0
        for k in range(len(homographies) - 1, -1, -1):  # content leaving the frame goes with a layer taking it
            owners[(owners < 0) & leaves[k] & ~barred[k]] = k + 1  # out: the largest (first) such layer
        lost = False
        for k, own in enumerate(points):
            orphan = _unseeded((owners == k + 1).astype(np.uint8), own)
            if orphan.any():
                residuals[k][orphan], barred[k][orphan] = np.inf, True
                lost = True
        if not lost:
            break
    return _fill(owners)


def _fill(owners: np.ndarray) -> np.ndarray:
    """``owners`` with each unexplained pixel (-1) given the owner of the nearest explained one (hidden content
    belongs with the visible content beside it); all 0 when nothing is explained."""
    unexplained = (owners < 0).astype(np.uint8)
    if not unexplained.any() or unexplained.all():
        return np.maximum(owners, 0)
    _, labels = cv2.distanceTransformWithLabels(unexplained, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    explained = owners[unexplained == 0]  # in raster order, as the labels number them from 1
    return explained[labels - 1]


def _unseeded(region: np.ndarray, points: np.ndarray, seeds: int = 2) -> np.ndarray:
    """``(H, W)`` bool: the connected parts of ``region`` holding fewer than ``seeds`` of ``points``."""
    count, labels = cv2.connectedComponents(region, connectivity=8)
    xy = np.round(points).astype(int)
    height, width = region.shape
    keep = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    hits = np.bincount(labels[xy[keep, 1], xy[keep, 0]], minlength=count)
    hits[0] = seeds  # the background of the component labelling is never an orphan
    return (hits < seeds)[labels]


def _centroid(region: np.ndarray) -> np.ndarray:
    """``(2,)`` xy mean of a region's pixels."""
    rows, cols = np.nonzero(region)
    return np.array([cols.mean(), rows.mean()])


def _clean(region: np.ndarray, size: int) -> np.ndarray:
    """Speckles removed, then holes closed (``size`` px structuring element)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    region = cv2.morphologyEx(region, cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(region, cv2.MORPH_CLOSE, kernel)


def layer_regions(
    image0: np.ndarray,
    image1: np.ndarray,
    homographies: list[np.ndarray],
    starts: list[np.ndarray],
    ends: list[np.ndarray],
) -> LayeredMotion | None:
    """The layers' regions in both keyframes (see the module docstring), front to back; None if none claims any.

    Args:
        image0, image1: keyframes ``(H, W[, C])``.
        homographies: per layer, 3x3 keyframe 0 -> keyframe 1.
        starts, ends: per layer, its matches ``(M, 2)`` in keyframe 0 and keyframe 1.
    """
    colour0, colour1 = _colour(image0), _colour(image1)
    height, width = colour0.shape[:2]
    diagonal = math.hypot(width, height)
    window = max(5, round(diagonal / _WINDOW) | 1)
    inverses = [np.linalg.inv(h) for h in homographies]
    owners0 = _owners(colour0, colour1, homographies, starts, window)
    owners1 = _owners(colour1, colour0, inverses, ends, window)
    layers = []
    for k, homography in enumerate(homographies):
        region0 = _clean((owners0 == k + 1).astype(np.uint8), window)
        region1 = _clean((owners1 == k + 1).astype(np.uint8), window)
        if region0.any() or region1.any():
            centre = _centroid(region0) if region0.any() else starts[k].mean(0)
            layers.append((int(region0.sum() + region1.sum()), homography, centre, region0, region1))
    if not layers:
        return None
    layers.sort(key=lambda layer: layer[0])  # smaller regions in front
    # the largest layer, at the back, is the camera's motion: it turns about the optical axis (the frame's middle)
    # while what it sees there runs straight; an object's layer turns about its own middle while that runs straight
    # (a body moving freely spins about its centre of mass)
    centres = [layer[2] for layer in layers[:-1]] + [frame_middle(width, height)]
    return LayeredMotion(
        homographies=np.stack([layer[1] for layer in layers]),
        centres=np.stack(centres),
        regions0=np.stack([layer[3] for layer in layers]),
        regions1=np.stack([layer[4] for layer in layers]),
        follows=("content",) * (len(layers) - 1) + ("view",),
    )
