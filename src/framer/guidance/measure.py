"""Measured choice between pre-alignments of a keyframe pair, and the pair as it is.

A pre-alignment is only worth using where the engine, given the pair so aligned, carries both keyframes to the
middle frame more consistently than on the pair as it is: for every pixel of the middle frame the engine's dense
correspondences (``correspondence_maps``, checked forwards and backwards) give its place in each keyframe, and the two
keyframes sampled there should show the same colour (:func:`framer.matching.warp_error`; compared over the pixels
every candidate defines, :func:`framer.matching.choose`). The autopilot, the views and the cartoon application
decide with it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from framer.engines import Engine
from framer.errors import InputError
from framer.io.tensors import image_to_tensor
from framer.matching import choose, warp_error
from framer.motion import Alignment, identity_alignment

__all__ = ["PLAIN", "carried_to_middle", "measure_alignments"]

PLAIN = "plain"  # the candidate name of the pair as it is


def carried_to_middle(
    engine: Engine,
    image0: np.ndarray,
    image1: np.ndarray,
    candidates: Mapping[str, Alignment],
    frame0: torch.Tensor | None = None,
    frame1: torch.Tensor | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For the pair as it is (:data:`PLAIN`, first) and each pre-alignment: the engine's dense correspondences at
    t = 0.5, ``(to0, to1)``, each ``(H, W, 2)``: for every pixel of the middle frame its place in each keyframe
    (off the frame where a pre-alignment says only the other keyframe shows it). Arguments as
    :func:`measure_alignments`."""
    if not engine.capabilities.correspondences:
        raise InputError(f"The {engine.name} engine gives no dense correspondences to measure alignments with.")
    frame0 = image_to_tensor(image0) if frame0 is None else frame0
    frame1 = image_to_tensor(image1) if frame1 is None else frame1
    height, width = image0.shape[:2]
    carried = {}
    for name, candidate in {PLAIN: identity_alignment(width, height), **candidates}.items():
        to0, to1, _ = engine.correspondence_maps(frame0, frame1, candidate, 0.5)
        carried[name] = (to0, to1)
    return carried


def measure_alignments(
    engine: Engine,
    image0: np.ndarray,
    image1: np.ndarray,
    candidates: Mapping[str, Alignment],
    margin: float = 0.0,
    frame0: torch.Tensor | None = None,
    frame1: torch.Tensor | None = None,
    carried: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, float]:
    """Each pre-alignment's middle-frame error against the pair as it is (:data:`PLAIN`, added).

    Args:
        engine: declares ``correspondences`` (the flow engine).
        image0, image1: the keyframes ``(H, W[, C])``, uint8, uint16 or float in [0, 1].
        candidates: name -> pre-alignment of this pair.
        margin: a candidate wins only when its error is at most ``(1 - margin)`` times the plain pair's.
        frame0, frame1: the same keyframes as ``(1, C, H, W)`` float tensors, if made already.
        carried: :func:`carried_to_middle` of these candidates, if made already.

    Returns:
        ``{name: mean error in [0, 1]}``, the chosen name first (:func:`framer.matching.choose`).
    """
    if carried is None:
        carried = carried_to_middle(engine, image0, image1, candidates, frame0, frame1)
    errors = {name: warp_error(image0, image1, to0, to1) for name, (to0, to1) in carried.items()}
    return choose(errors, margin, plain=PLAIN)
