"""Geometric verification of matches: RANSAC against homographies or a fundamental matrix, whichever fits.

A homography explains a scene that is flat or seen from one place (pans, zooms, rotations); a fundamental matrix
explains any static scene seen from two places (parallax), but constrains each match only to a line. Moving
objects follow their own motion, so homographies are fitted in turn: the dominant one first, then one to the
matches left over, and so on. The fundamental matrix is chosen only when it explains clearly more matches than the
homographies together. OpenCV's MAGSAC++ (``cv2.USAC_MAGSAC``) is used where this OpenCV has it, plain RANSAC
otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from framer.errors import InputError

__all__ = ["Verification", "default_threshold", "verify_matches"]

_METHOD = getattr(cv2, "USAC_MAGSAC", cv2.RANSAC)
_CONFIDENCE = 0.999
_MAX_ITERATIONS = 5000
_FUNDAMENTAL_MARGIN = 1.2  # the fundamental matrix must explain 20% more matches than the homographies


@dataclass(frozen=True, eq=False)
class Verification:
    """The outcome of :func:`verify_matches`.

    Attributes:
        model: ``"homography"``, ``"fundamental"`` or ``"none"`` (too few matches for either).
        homography: 3x3 dominant homography keyframe 0 -> keyframe 1 (the global motion), or None.
        inliers: ``(N,)`` bool, the matches the chosen model accepts.
        residuals: ``(N,)`` each match's error under the model that accepts it (px; reprojection error for a
            homography, Sampson distance for the fundamental matrix); inf where rejected.
        groups: ``(N,)`` int, the index of the homography that accepts each match (0 the dominant one), 0 for all
            inliers of the fundamental matrix, -1 where rejected.
        threshold: the inlier threshold in px.
    """

    model: str
    homography: np.ndarray | None
    inliers: np.ndarray
    residuals: np.ndarray
    groups: np.ndarray
    threshold: float


def default_threshold(width: int, height: int) -> float:
    """Inlier threshold in px for keyframes of this size: 0.3% of the diagonal, at least 2 px."""
    return max(2.0, 0.003 * math.hypot(width, height))


def _transfer_error(homography: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    mapped = cv2.perspectiveTransform(starts.reshape(-1, 1, 2), homography).reshape(-1, 2)
    error = np.linalg.norm(mapped - ends, axis=1)
    return np.where(np.isfinite(error), error, np.inf)


def _sampson(fundamental: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """First-order geometric distance (px) of each match to the epipolar constraint."""
    x0 = np.hstack([starts, np.ones((len(starts), 1))])
    x1 = np.hstack([ends, np.ones((len(ends), 1))])
    line1 = x0 @ fundamental.T  # epipolar lines in keyframe 1
    line0 = x1 @ fundamental  # in keyframe 0
    algebraic = np.sum(x1 * line1, axis=1)
    norm = line1[:, 0] ** 2 + line1[:, 1] ** 2 + line0[:, 0] ** 2 + line0[:, 1] ** 2
    return np.abs(algebraic) / np.sqrt(np.maximum(norm, 1e-12))


def _fit_homography(starts: np.ndarray, ends: np.ndarray, threshold: float) -> np.ndarray | None:
    if len(starts) < 4:
        return None
    homography = None
    for method in dict.fromkeys((_METHOD, cv2.RANSAC)):  # OpenCV's USAC can fail an assertion on degenerate sets
        try:
            homography, _ = cv2.findHomography(
                starts, ends, method, threshold, maxIters=_MAX_ITERATIONS, confidence=_CONFIDENCE
            )
            break
        except cv2.error:
            continue
    if homography is None or not np.isfinite(homography).all() or abs(homography[2, 2]) < 1e-12:
        return None
    return homography / homography[2, 2]


def _fit_fundamental(starts: np.ndarray, ends: np.ndarray, threshold: float) -> np.ndarray | None:
    for method in dict.fromkeys((_METHOD, cv2.FM_RANSAC)):  # USAC can fail an assertion on degenerate sets
        try:
            fundamental, _ = cv2.findFundamentalMat(starts, ends, method, threshold, _CONFIDENCE, _MAX_ITERATIONS)
        except cv2.error:
            continue
        if fundamental is not None and fundamental.shape == (3, 3) and np.isfinite(fundamental).all():
            return fundamental
        return None
    return None


def _refit(homography: np.ndarray, starts: np.ndarray, ends: np.ndarray, threshold: float) -> np.ndarray:
    """Least squares homography of the inliers of ``homography`` (MAGSAC's result polished on its consensus)."""
    inliers = _transfer_error(homography, starts, ends) < threshold
    if inliers.sum() < 8:
        return homography
    polished, _ = cv2.findHomography(starts[inliers], ends[inliers], 0)
    if polished is None or not np.isfinite(polished).all() or abs(polished[2, 2]) < 1e-12:
        return homography
    polished = polished / polished[2, 2]
    before = (_transfer_error(homography, starts, ends) < threshold).sum()
    after = (_transfer_error(polished, starts, ends) < threshold).sum()
    return polished if after >= before else homography


def _sequential_homographies(
    starts: np.ndarray, ends: np.ndarray, threshold: float, max_motions: int, min_inliers: int
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Homographies fitted in turn to the matches the earlier ones leave; per match: group and error."""
    groups = np.full(len(starts), -1)
    residuals = np.full(len(starts), np.inf)
    models: list[np.ndarray] = []
    for _ in range(max_motions):
        free = np.flatnonzero(groups < 0)
        if len(free) < max(min_inliers, 4):
            break
        homography = _fit_homography(starts[free], ends[free], threshold)
        if homography is None:
            break
        homography = _refit(homography, starts[free], ends[free], threshold)
        error = _transfer_error(homography, starts[free], ends[free])
        accepted = error < threshold
        if accepted.sum() < min_inliers:
            break
        groups[free[accepted]] = len(models)
        residuals[free[accepted]] = error[accepted]
        models.append(homography)
    return models, groups, residuals


def verify_matches(
    starts: np.ndarray,
    ends: np.ndarray,
    width: int,
    height: int,
    threshold: float | None = None,
    max_motions: int = 3,
    min_inliers: int = 8,
) -> Verification:
    """Keep the matches a geometric model explains (see the module docstring).

    Args:
        starts, ends: ``(N, 2)`` matched points in keyframe 0 and keyframe 1.
        width, height: the keyframes' size (sets the default threshold).
        threshold: inlier threshold in px; :func:`default_threshold` by default.
        max_motions: most homographies fitted in turn (independently moving objects).
        min_inliers: fewest matches a model needs to count.
    """
    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    ends = np.asarray(ends, np.float64).reshape(-1, 2)
    if starts.shape != ends.shape:
        raise InputError(f"`starts` and `ends` must have the same shape but have {starts.shape} and {ends.shape}.")
    if isinstance(max_motions, bool) or not isinstance(max_motions, int) or max_motions < 1:
        raise InputError(f"`max_motions` must be an integer >= 1 but is {max_motions!r}.")
    threshold = default_threshold(width, height) if threshold is None else float(threshold)
    if not (threshold > 0 and math.isfinite(threshold)):
        raise InputError(f"`threshold` must be a positive number of pixels but is {threshold!r}.")
    count = len(starts)
    none = Verification("none", None, np.zeros(count, bool), np.full(count, np.inf), np.full(count, -1), threshold)
    min_inliers = max(4, min_inliers)
    if count < min_inliers:
        return none
    models, groups, residuals = _sequential_homographies(starts, ends, threshold, max_motions, min_inliers)
    homography_inliers = groups >= 0

    if count >= max(8, min_inliers):
        fundamental = _fit_fundamental(starts, ends, threshold)
        if fundamental is not None:
            distance = _sampson(fundamental, starts, ends)
            accepted = distance < threshold
            if accepted.sum() >= min_inliers and accepted.sum() > _FUNDAMENTAL_MARGIN * homography_inliers.sum():
                # Parallax: the global motion is still the homography that fits the most of these matches.
                dominant = _fit_homography(starts[accepted], ends[accepted], 4.0 * threshold)
                if dominant is None and models:
                    dominant = models[0]
                return Verification(
                    "fundamental",
                    dominant,
                    accepted,
                    np.where(accepted, distance, np.inf),
                    np.where(accepted, 0, -1),
                    threshold,
                )
    if not models:
        return none
    return Verification("homography", models[0], homography_inliers, residuals, groups, threshold)
