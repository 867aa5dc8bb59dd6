"""A synthetic static scene of two textured planes at different depths seen from several camera positions, for the
views check (issue 17, check 5).

The camera translates sideways; both planes face it, the front one at a third of the back one's depth, so a plane
at depth Z shifts by ``f * b / Z``: the back plane by ``parallax / 2`` between the two views and the front plane by
three times that, ``1.5 * parallax``; the parallax between the planes is ``parallax``. The true view at any
camera position ``s`` in [0, 1] is rendered the same way (bilinear, so sub-pixel shifts are exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from framer.synthetic import background_texture, make_sprite, render_layer

__all__ = ["ViewsCase", "make_views_case"]


@dataclass(frozen=True, eq=False)
class ViewsCase:
    """``left``/``right`` ``(H, W, 3)`` uint8 views at camera positions 0 and 1, and ``truth(s)`` at any other."""

    left: np.ndarray | None
    right: np.ndarray | None
    parallax: float
    background: np.ndarray
    front: object
    front_at: tuple[float, float]
    back_shift: float
    front_shift: float
    margin: int

    def truth(self, s: float) -> np.ndarray:
        """The view from camera position ``s`` ``(H, W, 3)`` uint8."""
        return _render(self, s)


def _render(case: ViewsCase, s: float) -> np.ndarray:
    """The view from camera position ``s``: the back plane shifted, the front plane drawn over it."""
    height, world = case.background.shape[:2]
    width = world - 2 * case.margin
    shift = np.float32([[1.0, 0.0, case.margin + s * case.back_shift], [0.0, 1.0, 0.0]])
    back = cv2.warpAffine(case.background, shift, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    x, y = case.front_at
    colour, alpha = render_layer(case.front, np.array([x - s * case.front_shift, y, 0.0]), width, height)
    image = back * (1.0 - alpha[:, :, None]) + colour
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def make_views_case(
    parallax: float, width: int = 320, height: int = 224, seed: int = 0, across: float = 0.5
) -> ViewsCase:
    """Two views of the two-plane scene with ``parallax`` px between the planes (see the module docstring); the
    front plane's centre is ``across`` of the way along the frame in the middle view (near 0 it leaves the frame in
    the right view)."""
    rng = np.random.default_rng(seed)
    back_shift, front_shift = parallax / 2.0, 1.5 * parallax
    margin = int(np.ceil(back_shift)) + 4
    background = background_texture(rng, width + 2 * margin, height)
    front = make_sprite(rng, int(0.5 * height), square=True)
    front_at = (across * width + 0.5 * front_shift, 0.5 * height)
    case = ViewsCase(None, None, parallax, background, front, front_at, back_shift, front_shift, margin)
    left, right = _render(case, 0.0), _render(case, 1.0)
    return ViewsCase(left, right, parallax, background, front, front_at, back_shift, front_shift, margin)
