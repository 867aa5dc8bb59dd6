"""Homographies: mapping points, a motion's centre, and interpolating a homography in time as a motion.

Conventions: points are ``(x, y)`` pixels with the centre of the top-left pixel at ``(0, 0)``; homographies are 3x3
and map column vectors ``(x, y, 1)``.
"""

from __future__ import annotations

import math

import numpy as np

from framer.errors import InputError

__all__ = ["apply_homography", "frame_middle", "interpolate_homography", "motion_centre", "similarity_motion"]


def apply_homography(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map ``points`` ``(..., 2)`` through a 3x3 homography -> ``(..., 2)`` float64."""
    points = np.asarray(points, np.float64)
    flat = points.reshape(-1, 2)
    mapped = flat @ homography[:, :2].T + homography[:, 2]  # (M, 3)
    w = mapped[:, 2:3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return (mapped[:, :2] / w).reshape(points.shape)


def frame_middle(width: int, height: int) -> np.ndarray:
    """``(2,)`` the middle of a ``width`` x ``height`` frame (pixel centres at integers): a camera's optical axis."""
    return np.array([(width - 1) / 2.0, (height - 1) / 2.0])


def _jacobian(homography: np.ndarray, point: np.ndarray) -> np.ndarray:
    """2x2 derivative of the homography at ``point``."""
    u = homography @ np.array([point[0], point[1], 1.0])
    image = u[:2] / u[2]
    return (homography[:2, :2] - np.outer(image, homography[2, :2])) / u[2]


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def _affine3(linear: np.ndarray, offset: np.ndarray) -> np.ndarray:
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = offset
    return out


def motion_centre(homography: np.ndarray, fallback: np.ndarray, reach: float) -> np.ndarray:
    """The point the homography's rotation turns about, or ``fallback`` when it barely rotates.

    The fixed point of the affine approximation at ``fallback``; used only when the rotation exceeds one degree and
    the point lies within ``reach`` pixels of ``fallback`` (a pan with a slight roll turns about a far point, and
    there an arc and a straight line hardly differ).
    """
    jac = _jacobian(homography, fallback)
    image = apply_homography(homography, fallback)
    u, _, vt = np.linalg.svd(jac)
    rot = u @ vt
    if np.linalg.det(rot) < 0 or abs(math.atan2(rot[1, 0], rot[0, 0])) < math.radians(1.0):
        return np.asarray(fallback, np.float64)
    try:
        fixed = np.linalg.solve(np.eye(2) - jac, image - jac @ fallback)
    except np.linalg.LinAlgError:
        return np.asarray(fallback, np.float64)
    if not np.isfinite(fixed).all() or np.linalg.norm(fixed - fallback) > reach:
        return np.asarray(fallback, np.float64)
    return fixed


def interpolate_homography(
    homography: np.ndarray, t: float, centre: np.ndarray, follow: str = "content"
) -> np.ndarray:
    """The global motion at time ``t``: ``G_0 = I``, ``G_1 = homography`` (3x3, keyframe 0 -> frame at t).

    Rotation angle and stretch grow linearly with t, and so does one point's motion (``follow``): ``"content"``, the
    content at ``centre`` in keyframe 0 moves on a straight line (an object turning about its own centre, or about
    the motion's fixed point); ``"view"``, the scene point seen at ``centre`` moves on a straight line across
    keyframe 0 (a camera travelling while it rolls about its optical axis at ``centre``: what it sees at
    ``centre`` runs straight through the scene, and the content there swings round). The two agree without
    rotation or stretch. The perspective rest is blended linearly. A mirroring homography is blended entry by entry.
    """
    if follow not in ("content", "view"):
        raise InputError(f"`follow` must be 'content' or 'view' but is {follow!r}.")
    homography = homography / homography[2, 2]
    if t <= 0.0:
        return np.eye(3)
    if t >= 1.0:
        return homography.copy()
    centre = np.asarray(centre, np.float64)
    jac = _jacobian(homography, centre)
    shift = apply_homography(homography, centre) - centre
    u, sigma, vt = np.linalg.svd(jac)
    rot = u @ vt
    if np.linalg.det(rot) < 0:
        return (1.0 - t) * np.eye(3) + t * homography
    stretch = vt.T @ np.diag(sigma) @ vt  # symmetric positive: jac = rot @ stretch
    angle = math.atan2(rot[1, 0], rot[0, 0])

    def linear_at(s: float) -> np.ndarray:
        return _rotation(s * angle) @ ((1.0 - s) * np.eye(2) + s * stretch)

    # "view": the frame at s sees at ``centre`` the keyframe-0 point ``centre + s * seen`` (seen: where keyframe 1's
    # centre lies in keyframe 0, relative to it), so the content there is at ``centre - linear(s) (s * seen)``.
    seen = -np.linalg.solve(linear_at(1.0), shift) if follow == "view" else None

    def affine_at(s: float) -> np.ndarray:
        linear = linear_at(s)
        moved = s * shift if seen is None else -s * (linear @ seen)
        return _affine3(linear, centre + moved - linear @ centre)

    rest = homography @ np.linalg.inv(affine_at(1.0))
    rest = rest / rest[2, 2]
    return ((1.0 - t) * np.eye(3) + t * rest) @ affine_at(t)


def similarity_motion(starts: np.ndarray, ends: np.ndarray, robust: bool = True) -> np.ndarray:
    """3x3 similarity (rotation, uniform scale, translation) taking ``starts`` ``(N, 2)`` to ``ends``.

    Least median of squares for 2 or more points (robust to up to half of them moving otherwise), a translation for
    one, the identity for none. With ``robust=False``, least squares over all the points (for points already known
    to move together; exact on two distinct points).
    """
    import cv2

    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    ends = np.asarray(ends, np.float64).reshape(-1, 2)
    if len(starts) == 0:
        return np.eye(3)
    if not robust:
        return _least_squares_similarity(starts, ends)
    if len(starts) >= 2:
        similarity, _ = cv2.estimateAffinePartial2D(
            np.ascontiguousarray(starts, np.float32), np.ascontiguousarray(ends, np.float32), method=cv2.LMEDS
        )
        if similarity is not None and np.isfinite(similarity).all():
            return np.vstack([similarity, [0.0, 0.0, 1.0]])
    return _affine3(np.eye(2), np.median(ends - starts, axis=0))


def _least_squares_similarity(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """3x3: the similarity carrying ``starts`` ``(N, 2)`` closest to ``ends`` in least squares (turn and scale as one
    complex factor)."""
    a, b = starts[:, 0] + 1j * starts[:, 1], ends[:, 0] + 1j * ends[:, 1]
    spread = float(np.sum(np.abs(a - a.mean()) ** 2))
    z = np.sum((b - b.mean()) * np.conj(a - a.mean())) / max(spread, 1e-9)
    linear = np.array([[z.real, -z.imag], [z.imag, z.real]])
    return _affine3(linear, ends.mean(0) - linear @ starts.mean(0))
