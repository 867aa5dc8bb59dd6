"""Motion layers: the verified matches split into groups that each move by one similarity.

A scene with independently moving content (a subject over a panning background) has one motion per part; a single
global model fits the majority and bends near the rest. :func:`motion_layers` finds the groups by sequential RANSAC:
the similarity with the most inliers is a layer, its inliers are removed, and the search repeats on what is left
while enough matches remain. Matches no layer explains are left out.

:func:`moving_motion` is the size of the largest motion any layer shows (its 90th percentile displacement), which
is what decides whether the autopilot is needed: a subject moving 60 px over a still background is large motion even
though most matches barely move, so a percentile over all matches would hide it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["MotionLayer", "motion_layers", "moving_motion"]

_SEED = 1234  # OpenCV's RANSAC draws from its global generator: seeded for equal results on equal input


@dataclass(frozen=True, eq=False)
class MotionLayer:
    """One group of matches moving together.

    Attributes:
        homography: 3x3 similarity keyframe 0 -> keyframe 1 fitted to the members.
        starts, ends: ``(M, 2)`` the member matches in keyframe 0 and keyframe 1.
        motion: 90th percentile of the members' displacement (px).
    """

    homography: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    motion: float


def motion_layers(
    starts: np.ndarray,
    ends: np.ndarray,
    threshold: float,
    min_members: int,
    max_layers: int = 3,
) -> list[MotionLayer]:
    """Sequential RANSAC of similarities on matches ``starts`` -> ``ends`` ``(N, 2)``, largest layer first.

    Args:
        threshold: inlier distance (px) of a match to a layer's similarity.
        min_members: the fewest matches that make a layer.
        max_layers: at most this many layers.
    """
    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    ends = np.asarray(ends, np.float64).reshape(-1, 2)
    left = np.arange(len(starts))
    layers: list[MotionLayer] = []
    cv2.setRNGSeed(_SEED)
    while len(layers) < max_layers and len(left) >= max(min_members, 2):
        matrix, inliers = cv2.estimateAffinePartial2D(
            starts[left], ends[left], method=cv2.RANSAC, ransacReprojThreshold=threshold, maxIters=2000
        )
        if matrix is None or inliers is None or int(inliers.sum()) < min_members:
            break
        members = left[inliers.ravel().astype(bool)]
        matrix, _ = cv2.estimateAffinePartial2D(starts[members], ends[members], method=cv2.LMEDS)
        if matrix is None:
            break
        homography = np.vstack([matrix, [0.0, 0.0, 1.0]])
        moved = starts[left] @ homography[:2, :2].T + homography[:2, 2]
        members = left[np.linalg.norm(moved - ends[left], axis=1) <= threshold]  # all inliers of the refit model
        if len(members) < min_members:
            break
        displacement = np.linalg.norm(ends[members] - starts[members], axis=1)
        motion = float(np.percentile(displacement, 90))
        layers.append(MotionLayer(homography, starts[members], ends[members], motion))
        left = np.setdiff1d(left, members)
    return layers


def moving_motion(layers: list[MotionLayer], fallback: float) -> float:
    """The largest layer motion (px), or ``fallback`` when there are no layers."""
    return max((layer.motion for layer in layers), default=fallback)
