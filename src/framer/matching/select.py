"""Scoring and picking matches: a confidence per match, and a selection spread over the whole frame.

Confidence in [0, 1] is the product of three terms, each 1 for a perfect match:

- **distinctiveness**: ``1 - 0.5 * ratio / max_ratio`` (Lowe's ratio against the test's limit; 0.5 at the limit);
- **geometry**: ``exp(-0.5 * (residual / threshold)^2)``, the error under the verifying model (0.61 at the limit);
- **agreement**: ``exp(-0.5 * (deviation / (4 * threshold))^2)``, where deviation is the distance of the match's
  displacement from the median displacement of its nearest verified neighbours: a match that moves unlike
  everything around it is more likely wrong.

Spread: points are taken in order of confidence, skipping any closer than a radius to one already taken; the
radius is the largest that still yields the requested count (binary search), so ten matches never crowd one corner
while a textured half of the frame still gets more than a flat half.
"""

from __future__ import annotations

import numpy as np

from framer.errors import InputError

__all__ = ["local_deviation", "match_confidence", "select_spread"]


def local_deviation(starts: np.ndarray, ends: np.ndarray, neighbours: int = 6) -> np.ndarray:
    """``(N,)`` distance (px) of each match's displacement from the median displacement of its nearest neighbours.

    Neighbours are the ``neighbours`` closest other matches in keyframe 0; with fewer than 3 matches all are 0.
    """
    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    displacement = np.asarray(ends, np.float64).reshape(-1, 2) - starts
    count = len(starts)
    if count < 3:
        return np.zeros(count)
    k = min(neighbours, count - 1)
    median = np.empty_like(displacement)
    for first in range(0, count, 512):  # in chunks: (512, N) distances at a time
        rows = np.arange(first, min(first + 512, count))
        distance = np.sum((starts[rows, None] - starts[None]) ** 2, axis=2)
        distance[np.arange(len(rows)), rows] = np.inf
        nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]  # (rows, k)
        median[rows] = np.median(displacement[nearest], axis=1)
    return np.linalg.norm(displacement - median, axis=1)


def match_confidence(
    ratio: np.ndarray, residuals: np.ndarray, deviation: np.ndarray, max_ratio: float, threshold: float
) -> np.ndarray:
    """``(N,)`` confidence in [0, 1] from the three terms of the module docstring (0 where ``residuals`` is inf)."""
    ratio = np.clip(np.asarray(ratio, np.float64), 0.0, max_ratio)
    distinct = 1.0 - 0.5 * ratio / max_ratio
    residuals = np.asarray(residuals, np.float64)
    finite = np.isfinite(residuals)
    geometry = np.where(finite, np.exp(-0.5 * (np.where(finite, residuals, 0.0) / threshold) ** 2), 0.0)
    agreement = np.exp(-0.5 * (np.asarray(deviation, np.float64) / (4.0 * threshold)) ** 2)
    return distinct * geometry * agreement


def _greedy(points: np.ndarray, order: np.ndarray, radius: float, limit: int) -> list[int]:
    """Walk ``order``, taking each point not within ``radius`` of one taken, until ``limit`` are taken."""
    free = np.ones(len(points), bool)
    chosen: list[int] = []
    for index in order:
        if not free[index]:
            continue
        chosen.append(int(index))
        if len(chosen) == limit:
            break
        free &= np.sum((points - points[index]) ** 2, axis=1) >= radius * radius
    return chosen


def select_spread(points: np.ndarray, scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to ``count`` points, best scores first, spread apart (see the module docstring).

    Args:
        points: ``(N, 2)`` xy pixels.
        scores: ``(N,)`` higher is better; ties keep the input order.
        count: how many to pick.

    Returns:
        ``(min(count, N),)`` int indices, in order of score.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"`count` must be an integer >= 1 but is {count!r}.")
    points = np.asarray(points, np.float64).reshape(-1, 2)
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    if len(points) <= count:
        return order
    extent = points.max(0) - points.min(0)
    low, high = 0.0, float(np.hypot(*extent)) + 1.0
    best = _greedy(points, order, low, count)
    for _ in range(14):  # binary search for the largest radius that still gives `count` points
        middle = 0.5 * (low + high)
        chosen = _greedy(points, order, middle, count)
        if len(chosen) == count:
            low, best = middle, chosen
        else:
            high = middle
    return np.asarray(best, np.int64)
