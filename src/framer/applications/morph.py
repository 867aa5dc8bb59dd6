"""Morphing: two images of similar subjects (two faces, two cats, a sketch and a photo) turned one into the other.

Steps (:func:`iter_morph`):

1. **Correspondences**: the user's trajectories (``trajectories``: a trajectory file, drags or
   :class:`framer.Trajectory` objects; each one's start in A, its end in B, its path the way there) and the
   autopilot's verified matches (:func:`framer.matching.find_correspondences`) where the matcher finds them
   reliable. Between two different subjects a keypoint matcher finds few or none (SIFT: none between the astronaut
   and the cat of the shared morph pair), so drawn correspondences are the usual input there; too few of both is an
   error that says how to get more.
2. **Dense warp**: the correspondences and fixed points on the frame's border
   (:mod:`framer.applications._morph_mesh`): at time t every landmark is part way along its path, and a thin-plate
   spline through them (``warp="spline"``, smooth) or a triangle mesh over them (``warp="mesh"``, each triangle
   mapped affinely) carries every pixel to its place in A and in B, which gives two sampling maps (as a
   pre-alignment's, :meth:`framer.motion.Alignment.maps`). A landmark that would fold the mesh over (a wrong
   match) is dropped first. Both images are warped to the shape at t (:func:`framer.motion.warp_pair`).
3. **Colour**: the two warped images are cross-faded with weight t. Between different subjects this is the right
   last step: what is left between the warped pair is not motion (a cat's fur is not a face's skin moved), so a
   flow network would smear one texture into the other, and a cross-fade of aligned shapes shows no double edges.
   Where the pair shows the same content (many reliable matches, e.g. two photos of one face), the flow engine
   instead interpolates the warped pair at t (``refine``): it finds the motion the mesh left, as it does for the
   autopilot's pre-aligned pairs. The diffusion engine is not offered: it cannot take a pre-aligned pair.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from framer.applications._morph_mesh import WARPS, build_mesh
from framer.errors import InputError

__all__ = [
    "MIN_CORRESPONDENCES",
    "SAME_CONTENT",
    "Landmarks",
    "MorphFrame",
    "iter_morph",
    "morph",
    "morph_correspondences",
]

logger = logging.getLogger(__name__)

MIN_CORRESPONDENCES = 4  # fewer landmarks than this cannot shape a morph (3 fix only an affine motion)
SAME_CONTENT = 64  # this many reliable keypoint matches: the pair shows the same content, so refining with flow helps
_USER_REACH = 12.0  # a keypoint match this close (px) to a user's landmark gives way to it


class MorphFrame(NamedTuple):
    """One output frame of :func:`iter_morph`: its time in the morph (0 is A, 1 is B; on the way back of
    ``pingpong``, 2 - t) and the image."""

    t: float
    frame: np.ndarray


class Landmarks(NamedTuple):
    """Correspondences of a morph: ``starts``/``ends`` ``(N, 2)`` in A and B, one path or None per landmark, how
    many came from the user and from the matcher, and the matcher's verified count."""

    starts: np.ndarray
    ends: np.ndarray
    paths: list
    drawn: int
    matched: int
    verified: int


def morph_correspondences(
    image0: np.ndarray,
    image1: np.ndarray,
    trajectories: object = None,
    matcher: str | None = "sift",
) -> Landmarks:
    """The landmarks of step 1 of the module docstring for two keyframes of one size ``(H, W[, C])``.

    Args:
        trajectories: as :func:`framer.interpolate` takes them, in the keyframes' pixels; None for none.
        matcher: the autopilot's matcher (``"sift"``, ``"xfeat"``, ``"disk"``), or None to use only
            ``trajectories``. Its matches are used when they are reliable by the autopilot's rules (at least
            ``min_matches``, median confidence at least ``min_confidence``).
    """
    from framer.guidance import load_drags
    from framer.matching import AutopilotConfig, find_correspondences

    height, width = image0.shape[:2]
    starts, ends, paths = np.zeros((0, 2)), np.zeros((0, 2)), []
    if trajectories is not None:
        drawn = load_drags(trajectories, (width, height))
        starts = np.array([t.start for t in drawn], np.float64).reshape(-1, 2)
        ends = np.array([t.end for t in drawn], np.float64).reshape(-1, 2)
        paths = list(drawn)
    drawn_count, matched, verified = len(starts), 0, 0
    if matcher is not None:
        config = AutopilotConfig(matcher=matcher)
        found = find_correspondences(image0, image1, config)
        verified = found.verified
        reliable = len(found) >= config.min_matches and np.median(found.confidence) >= config.min_confidence
        if reliable:
            keep = np.ones(len(found), bool)
            if drawn_count:  # the user's landmarks win where both are given
                distance = np.linalg.norm(found.starts[:, None] - starts[None], axis=2).min(axis=1)
                keep = distance > _USER_REACH
            matched = int(keep.sum())
            starts = np.concatenate([starts, found.starts[keep]])
            ends = np.concatenate([ends, found.ends[keep]])
            paths += [None] * matched
        elif len(found):
            logger.info("Left out the matcher's %d matches between the images: too few or unreliable.", len(found))
    return Landmarks(starts, ends, paths, drawn_count, matched, verified)


def _check_enough(landmarks: Landmarks, names: tuple[str, str]) -> None:
    count = len(landmarks.starts)
    if count >= MIN_CORRESPONDENCES:
        return
    a, b = names
    raise InputError(
        f"Found {count} correspondences between {a} and {b} ({landmarks.drawn} drawn, {landmarks.matched} from the "
        f"matcher), fewer than the {MIN_CORRESPONDENCES} a morph needs; see what the matcher finds with `framer "
        f"match {a} {b} -o matches.json --preview matches.png`, and draw corresponding points (eyes, nose, mouth, "
        "outline) in `framer serve` or a trajectory file (docs/trajectory-format.md) to pass with --trajectories."
    )


def _name(source: object, index: int) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else ("A", "B")[index]


def iter_morph(
    image_a: object,
    image_b: object,
    num_frames: int = 24,
    *,
    trajectories: object = None,
    matcher: str | None = "sift",
    resize: object = None,
    fit: str = "pad",
    warp: str = "spline",
    refine: bool | None = None,
    engine: object = "flow",
    include_keyframes: bool = True,
    pingpong: bool = False,
    progress: bool = False,
    **engine_options,
) -> Iterator[MorphFrame]:
    """Morph ``image_a`` into ``image_b`` (see the module docstring); yields :class:`MorphFrame` as frames are made.

    Arguments are checked, the images read and the landmarks found before this returns.

    Args:
        image_a, image_b: paths, PIL images or arrays.
        num_frames: in-betweens, evenly spaced in time.
        trajectories: drawn correspondences (a trajectory ``.json`` file, drags, :class:`framer.Trajectory`
            objects), in the pixels of the images as morphed (A's size, or ``resize``'s).
        matcher: the autopilot's matcher, or None for drawn correspondences only.
        resize, fit: images of different sizes, as :func:`framer.interpolate` takes them.
        warp: ``"spline"`` (a thin-plate spline through the landmarks: smooth) or ``"mesh"`` (piecewise affine over
            their triangles: local, creased along the edges).
        refine: interpolate the warped pair with the flow engine instead of cross-fading it; None (default):
            when the matcher finds at least :data:`SAME_CONTENT` reliable matches (the same content in both).
        engine: the engine that refines, a name or an engine from :func:`framer.create_engine` (made only when
            refining); it must take pre-aligned pairs (flow).
        include_keyframes: start with A and end with B.
        pingpong: then go back to A (the in-betweens again in reverse), so the result loops.
        progress: show a progress bar on stderr.
        **engine_options: passed to :func:`framer.create_engine` when ``engine`` is a name.

    Raises:
        InputError: fewer than :data:`MIN_CORRESPONDENCES` correspondences (the message says how to draw some),
            or a bad argument.
    """
    from framer.api import load_keyframes
    from framer.timing import uniform_times

    # 1. The arguments and the keyframes.
    times = uniform_times(num_frames)
    if warp not in WARPS:
        raise InputError(f"`warp` must be one of {', '.join(WARPS)} but is {warp!r}.")
    image0, image1 = load_keyframes([image_a, image_b], resize=resize, fit=fit)
    names = (_name(image_a, 0), _name(image_b, 1))
    # 2. The correspondences and the mesh.
    landmarks = morph_correspondences(image0, image1, trajectories, matcher)
    _check_enough(landmarks, names)
    if refine is None:
        refine = landmarks.matched >= SAME_CONTENT
    made = _engine(engine, engine_options) if refine else None
    height, width = image0.shape[:2]
    mesh = build_mesh(landmarks.starts, landmarks.ends, width, height, landmarks.paths, warp)
    how = "the flow engine" if made is not None else "a cross-fade"
    logger.info(
        "Morphing with %d landmarks (%d drawn, %d matched; %d dropped: folding or duplicate), colours by %s.",
        mesh.landmarks, landmarks.drawn, landmarks.matched, len(landmarks.starts) - mesh.landmarks, how,
    )  # fmt: skip
    return _run(image0, image1, mesh, times, made, include_keyframes, pingpong, progress)


def _engine(engine: object, options: dict) -> object:
    """The refining engine: made from a name, checked to take pre-aligned pairs."""
    from framer.engines import Engine, create_engine

    if isinstance(engine, str):
        engine = create_engine(engine, **options)
    elif not isinstance(engine, Engine):
        raise InputError(f"`engine` must be an engine name or an Engine, not {type(engine).__name__}.")
    elif options:
        raise InputError(f"Engine options {sorted(options)} apply only when `engine` is a name.")
    engine.require(alignment=True)
    return engine


def _run(image0, image1, mesh, times, engine, include_keyframes, pingpong, progress) -> Iterator[MorphFrame]:
    """Step 2 and 3 of the module docstring at each time, the keyframes around them."""
    import torch

    from framer.io.images import ImageFormat
    from framer.io.tensors import image_to_tensor, tensor_to_image
    from framer.motion import warp_pair
    from framer.progress import progress_bar

    fmt = ImageFormat.of(image0).widen(ImageFormat.of(image1))
    x0, x1 = image_to_tensor(image0, fmt), image_to_tensor(image1, fmt)
    limit = np.array([mesh.width - 1, mesh.height - 1], np.float32)
    made: list[MorphFrame] = []
    if include_keyframes:
        yield MorphFrame(0.0, tensor_to_image(x0[0], fmt))
    with progress_bar(len(times), desc="Morphing", unit="frame", enabled=progress) as bar, torch.inference_mode():
        for t in times:
            # Clipped to the frame: a spline may overshoot the border near a landmark beside it, and warp_pair
            # would then fill from the other image (right for pre-alignment, a hole of the other picture here).
            map0, map1 = (np.clip(m, 0.0, limit) for m in mesh.maps(t))
            warped0, warped1 = warp_pair(x0, x1, map0, map1)
            if engine is None:
                frame = torch.lerp(warped0, warped1, t)
            else:
                frame = next(iter(engine.iter_frames(warped0, warped1, [t])))
            item = MorphFrame(t, tensor_to_image(frame[0], fmt))
            made.append(item)
            yield item
            bar.update(1)
    if include_keyframes:
        yield MorphFrame(1.0, tensor_to_image(x1[0], fmt))
    if pingpong:
        for item in reversed(made):
            yield MorphFrame(2.0 - item.t, item.frame)


def morph(
    image_a: object,
    image_b: object,
    num_frames: int = 24,
    **options,
) -> list[np.ndarray]:
    """The frames of :func:`iter_morph` (same arguments) as a list: A, the in-betweens, B (and back with
    ``pingpong``)."""
    return [item.frame for item in iter_morph(image_a, image_b, num_frames, **options)]
