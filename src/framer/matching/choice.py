"""The measured choice between plain interpolation and the pre-aligned candidates of one keyframe pair.

Displacement alone cannot say whether pre-aligning helps: on real footage with several motions a global model moves
some content the wrong way, and the network, which would have found that motion itself, then starts from a worse
guess. So each candidate is measured, with no ground truth, by how well the two keyframes agree once the network
has carried both to the middle frame along that candidate (:func:`warp_error`): where the motion is right, keyframe
0 and keyframe 1 land on the same content. All candidates are compared on the same pixels (those every candidate
sees in both keyframes, less those no candidate explains: content one keyframe hides differs along every candidate,
and there the comparison learns nothing but a shared floor that hides a candidate's gain), and :func:`choose` keeps
plain unless a candidate is clearly better (its mean error at most ``1 - margin`` times plain's): when unsure,
plain.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["choose", "warp_error"]

_MIN_SHARED = 0.25  # the candidates are compared on the pixels all of them define; at least this share of the frame
_EXPLAINED = 0.1  # a pixel where every candidate's two samples differ more than this (mean over RGB) is unexplained


def _float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    scale = 255.0 if image.dtype == np.uint8 else 65535.0 if image.dtype == np.uint16 else 1.0
    image = image.astype(np.float32) / scale
    return image[..., None] if image.ndim == 2 else image[..., :3]


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``image`` ``(H, W, C)`` float32 sampled at ``points`` ``(H', W', 2)`` (bilinear, edge values outside)."""
    xs, ys = np.ascontiguousarray(points[..., 0], np.float32), np.ascontiguousarray(points[..., 1], np.float32)
    out = cv2.remap(image, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(*points.shape[:2], -1)


def warp_error(
    image0: np.ndarray, image1: np.ndarray, to0: np.ndarray, to1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel absolute difference (mean over channels, in [0, 1]) between keyframe 0 sampled at ``to0`` and
    keyframe 1 at ``to1``, and where it is defined.

    Args:
        image0, image1: keyframes ``(H, W[, C])``, uint8, uint16 or float in [0, 1].
        to0, to1: ``(H, W, 2)`` for each pixel of the middle frame, its position in each keyframe (e.g. from
            :meth:`framer.engines.flow.FlowEngine.correspondence_maps`).

    Returns:
        ``(error, valid)``, ``(H, W)`` float32 and bool: ``valid`` is False where either position lies off its
        keyframe (content one keyframe does not show; a layered pre-alignment marks such pixels that way).
    """
    first, second = _float(image0), _float(image1)
    error = np.abs(_sample(first, to0) - _sample(second, to1)).mean(axis=-1)
    return error, _inside(to0, first.shape) & _inside(to1, second.shape)


def _inside(points: np.ndarray, shape: tuple[int, ...], margin: float = 2.0) -> np.ndarray:
    x, y = points[..., 0], points[..., 1]
    return (x >= -margin) & (x <= shape[1] - 1 + margin) & (y >= -margin) & (y <= shape[0] - 1 + margin)


def choose(errors: dict[str, tuple[np.ndarray, np.ndarray]], margin: float, plain: str = "plain") -> dict[str, float]:
    """Each candidate's mean error over the pixels where every candidate's is defined and at least one explains
    (error at most 0.1; all the defined pixels when fewer than a quarter of the frame are), and the choice.

    Args:
        errors: candidate name -> :func:`warp_error` result; ``plain`` is among them.
        margin: the lowest mean error wins only when it is at most ``(1 - margin)`` times ``plain``'s.

    Returns:
        ``{name: mean error}`` with the chosen name first (plain when no candidate clearly wins, or when the
        candidates share less than a quarter of the frame).
    """
    common = np.logical_and.reduce([valid for _, valid in errors.values()])
    # Pixels no candidate explains (content one keyframe hides: every candidate's two samples differ there) say
    # nothing about which is better; they are left out while enough of the frame remains.
    explained = common & (np.minimum.reduce([error for error, _ in errors.values()]) <= _EXPLAINED)
    if explained.mean() >= _MIN_SHARED:
        common = explained
    if common.mean() < _MIN_SHARED:
        means = {
            name: float(error[valid].mean()) if valid.any() else float("inf")
            for name, (error, valid) in errors.items()
        }
        return {plain: means.pop(plain), **means}
    means = {name: float(error[common].mean()) for name, (error, _) in errors.items()}
    best = min(means, key=means.__getitem__)
    best = best if means[best] <= (1.0 - margin) * means[plain] else plain
    return {best: means.pop(best), **means}
