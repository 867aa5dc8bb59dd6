"""Drawing trajectories on frames (``--overlay``) and on preview images, with OpenCV.

Each trajectory gets its own colour. Its path is drawn as an anti-aliased polyline, its start as a ring, its end
as an arrowhead pointing along the motion, the positions at the output frames' times as small dots, and the
position at the frame's own time as a large filled dot with a dark rim.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import cv2
import numpy as np

from framer.errors import InputError
from framer.trajectory.model import Trajectory

__all__ = ["PALETTE", "draw_trajectories", "overlay_frames", "trajectory_color"]

# Twelve colours that stay apart from each other and from grey backgrounds (RGB).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (170, 110, 40),
)

_SHIFT = 4  # sub-pixel bits for OpenCV drawing: coordinates are multiplied by 16
_RIM = (20, 20, 20)


def trajectory_color(index: int) -> tuple[int, int, int]:
    """RGB colour of the ``index``-th trajectory: the palette, then evenly spread hues beyond it."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 0.618033988749895) % 1.0  # golden-ratio steps keep successive hues apart
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return round(r * 255), round(g * 255), round(b * 255)


def _fixed(points: np.ndarray) -> np.ndarray:
    """``(M, 2)`` float pixels -> int32 fixed point for OpenCV's ``shift`` argument."""
    return np.round(np.asarray(points, dtype=np.float64) * (1 << _SHIFT)).astype(np.int32)


def _as_drawable(image: np.ndarray) -> tuple[np.ndarray, float]:
    """A contiguous RGB or RGBA copy of ``image`` and the value of full intensity (255 or 65535)."""
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16):
        raise InputError(f"`image` must be a uint8 or uint16 numpy array, not {getattr(image, 'dtype', image)!r}.")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InputError(f"`image` must have shape (H, W), (H, W, 3) or (H, W, 4) but has shape {image.shape}.")
    return np.ascontiguousarray(image).copy(), 65535.0 if image.dtype == np.uint16 else 255.0


def _color(rgb: tuple[int, int, int], channels: int, full: float) -> tuple[float, ...]:
    scaled = tuple(c / 255.0 * full for c in rgb)
    return (*scaled, full) if channels == 4 else scaled


def _arrowhead(path: np.ndarray, size: float) -> np.ndarray | None:
    """``(3, 2)`` triangle at the end of ``path (M, 2)`` pointing along its last stretch, or None if it is still."""
    end = path[-1]
    far = np.linalg.norm(path - end, axis=1) >= size  # the last point at least one arrow length back
    if not far.any():
        return None
    back = path[np.flatnonzero(far)[-1]]
    direction = (end - back) / np.linalg.norm(end - back)
    normal = np.array([-direction[1], direction[0]])
    base = end - direction * size
    return np.stack([end, base + normal * size * 0.5, base - normal * size * 0.5])


def draw_trajectories(
    image: np.ndarray,
    trajectories: Sequence[Trajectory],
    t: float | None = None,
    sample_times: Sequence[float] | None = None,
    stroke_width: float | None = None,
) -> np.ndarray:
    """Draw trajectories on a copy of ``image``.

    Args:
        image: ``(H, W)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, uint8 or uint16 (grey comes back as RGB).
        trajectories: the trajectories, in the image's pixel coordinates.
        t: the image's own time in [0, 1]: each trajectory's point at ``t`` is drawn as a large filled dot.
            None (a preview) draws no current point.
        sample_times: times of the output frames: the points there are drawn as small dots.
        stroke_width: line width in pixels; by default 2, growing with images larger than 640 px.

    Returns:
        The drawn copy, same dtype, ``(H, W, 3)`` or ``(H, W, 4)`` (drawn pixels are opaque).
    """
    canvas, full = _as_drawable(image)
    channels = canvas.shape[2]
    width = max(2, round(min(canvas.shape[:2]) / 256)) if stroke_width is None else max(1, round(stroke_width))
    dot, ring, arrow = 2 + width, 4 + 2 * width, 8 + 3 * width
    times = np.asarray([] if sample_times is None else sample_times, dtype=np.float64)
    for index, trajectory in enumerate(trajectories):
        color = _color(trajectory_color(index), channels, full)
        rim = _color(_RIM, channels, full)
        path = trajectory.polyline(max_step=1.0)
        cv2.polylines(canvas, [_fixed(path)], False, color, width, cv2.LINE_AA, _SHIFT)
        cv2.circle(canvas, tuple(_fixed(trajectory.start)), ring << _SHIFT, color, width + 1, cv2.LINE_AA, _SHIFT)
        head = _arrowhead(path, arrow)
        if head is not None:
            cv2.fillConvexPoly(canvas, _fixed(head), color, cv2.LINE_AA, _SHIFT)
        else:  # a point that does not move: a filled square marks its end
            x, y = trajectory.end
            square = np.array([[x - ring, y - ring], [x + ring, y - ring], [x + ring, y + ring], [x - ring, y + ring]])
            cv2.fillConvexPoly(canvas, _fixed(square), color, cv2.LINE_AA, _SHIFT)
        for point in trajectory.sample(times) if times.size else ():
            cv2.circle(canvas, tuple(_fixed(point)), dot << _SHIFT, color, -1, cv2.LINE_AA, _SHIFT)
        if t is not None:
            centre = tuple(_fixed(trajectory.sample(float(t))))
            cv2.circle(canvas, centre, (ring + width) << _SHIFT, rim, -1, cv2.LINE_AA, _SHIFT)
            cv2.circle(canvas, centre, ring << _SHIFT, color, -1, cv2.LINE_AA, _SHIFT)
    return canvas


def overlay_frames(
    frames: Sequence[np.ndarray], trajectories: Sequence[Trajectory], times: Sequence[float]
) -> list[np.ndarray]:
    """Draw trajectories on each frame of a sequence, marking the current point at that frame's time.

    Args:
        frames: ``T`` arrays as :func:`draw_trajectories` takes them.
        trajectories: in the frames' pixel coordinates.
        times: ``T`` times in [0, 1], one per frame (0 and 1 for keyframes); every frame also shows the points at
            all of these times as small dots.
    """
    if len(frames) != len(times):
        raise InputError(f"`frames` and `times` must have the same length but have {len(frames)} and {len(times)}.")
    return [draw_trajectories(frame, trajectories, t, times) for frame, t in zip(frames, times, strict=True)]
