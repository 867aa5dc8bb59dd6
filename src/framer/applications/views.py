"""In-between views: viewpoints between two photos of a static scene (the Framer paper's "novel views").

Steps (:func:`iter_views`):

1. **Matches and layers**: the autopilot's verified matches (:func:`framer.matching.find_correspondences`) split
   into motion layers by sequential RANSAC (:func:`framer.matching.motion_layers`): for a camera moving over a
   scene of a few depths, each depth moves by its own similarity (parallax), so each layer is one depth.
2. **Regions and order**: each layer owns the pixels its motion carries best onto the other view
   (:func:`framer.motion.layer_regions`). Layers are composited front to back in the order of their motion, the
   largest first: for a translating camera the nearest surface moves most, and it hides what lies behind it.
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
in only one photo (filled from that photo, not reconstructed); moving things, reflections and lighting changes (the
scene is assumed static). On such pairs the result falls back towards plain interpolation, never a 3-D
reconstruction.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from framer.errors import InputError

__all__ = ["View", "iter_views", "view_alignment", "views"]

logger = logging.getLogger(__name__)

_MARGIN = 0.01  # a front layer keeps a pixel only when it explains it by this much better than the back layer
_EXPLAINS = 0.05  # ... and leaves a mean residual (colour in [0, 1]) below this: it really carries the pixel over
_WINDOW = 5  # px, the window the colour residuals are averaged over
_BAND = 12  # px each side of a front layer's edge that is redrawn pixel by pixel
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
    layers = layer_regions(
        image0, image1, homographies, [layer.starts for layer in found.layers], [layer.ends for layer in found.layers]
    )
    if layers is None:
        logger.info("No motion layer claims a region; the views are pre-aligned by one global motion.")
        return alignment
    order = np.argsort(
        [-_layer_motion(h, region) for h, region in zip(layers.homographies, layers.regions0, strict=True)]
    )
    homographies = layers.homographies[order]
    regions0 = _behind(layers.regions0[order], image0, image1, homographies)
    regions1 = _behind(layers.regions1[order], image1, image0, np.linalg.inv(homographies))
    layers = replace(
        layers, homographies=homographies, centres=layers.centres[order], regions0=regions0, regions1=regions1
    )
    motions = ", ".join(
        f"{_layer_motion(h, r):.0f}" for h, r in zip(layers.homographies, layers.regions0, strict=True)
    )
    logger.info("Found %d depth layer(s) in %d matches; motion front to back: %s px.", len(order), len(found), motions)
    return replace(alignment, layers=layers)


def _behind(regions: np.ndarray, target: np.ndarray, source: np.ndarray, homographies: np.ndarray) -> np.ndarray:
    """``regions`` ``(K, H, W)`` uint8 of ``target``, front first, redrawn pixel by pixel: a front layer keeps a pixel
    of its region (grown by ``_BAND`` px) only where it explains it, and better than the back (last) layer does; the
    back layer takes the rest. Where neither explains a pixel better (flat colour), both motions give its colour.

    :func:`framer.motion.layer_regions` decides on residuals averaged over a window of about a fortieth of the
    frame's diagonal and then closes and opens the regions, so a front layer's edge may be off by that much, and a
    pixel that no layer explains (content the other view does not show) goes to the nearest layer, often the front
    one beside it. Between two views of a static scene such a pixel is hidden in the other view by something in
    front of it, so it lies behind: it belongs to the back layer.
    """
    import cv2

    regions = regions.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _BAND + 1, 2 * _BAND + 1))
    back = _residual(target, source, homographies[-1])
    for k in range(len(regions) - 1):
        own = _residual(target, source, homographies[k])
        better = (own + _MARGIN < back) & (own < _EXPLAINS)
        mine = ((cv2.dilate(regions[k], kernel) > 0) & better).astype(np.uint8)
        regions[k] = cv2.morphologyEx(mine, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))  # no single-pixel specks
        for j in range(k + 1, len(regions)):
            regions[j][regions[k] > 0] = 0
    regions[-1] = np.where(regions[:-1].any(axis=0), 0, 1).astype(np.uint8)
    return regions


def _residual(target: np.ndarray, source: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32: ``|target(p) - source(H p)|`` averaged over the channels and a small window, in [0, 1]."""
    import cv2

    height, width = target.shape[:2]
    scale = 65535.0 if target.dtype == np.uint16 else 255.0
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = cv2.warpPerspective(source, homography, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    difference = np.abs(target.astype(np.float32) - moved.astype(np.float32)) / scale
    difference = difference.mean(axis=-1) if difference.ndim == 3 else difference
    return cv2.blur(difference, (_WINDOW, _WINDOW))


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
    from framer.io.tensors import image_to_tensor
    from framer.matching import choose, warp_error
    from framer.motion import fit_alignment

    still = fit_alignment(np.zeros((0, 2)), np.zeros((0, 2)), alignment.width, alignment.height, homography=np.eye(3))
    x0, x1 = image_to_tensor(image0), image_to_tensor(image1)
    errors = {}
    for name, candidate in (("plain", still), ("layers", alignment)):
        to0, to1, _ = engine.correspondence_maps(x0, x1, candidate, 0.5)
        errors[name] = warp_error(image0, image1, to0, to1)
    means = choose(errors, 0.0)
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
