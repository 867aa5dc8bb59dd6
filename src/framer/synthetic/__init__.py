"""Synthetic drag benchmark: generated cases with known motion, and the measures the drag checks use.

>>> from framer.synthetic import make_case
>>> case = make_case("arc-s80", size=256)                        # doctest: +SKIP
>>> case.keyframes.shape, case.frames.shape, case.tracks.shape   # doctest: +SKIP
((2, 256, 256, 3), (7, 256, 256, 3), (1, 7, 2))
"""

from framer.synthetic.generator import (
    CASE_NAMES,
    SIZES,
    DragCase,
    Mover,
    arc_motion,
    list_cases,
    make_benchmark,
    make_case,
    point_on_pose,
    render_layer,
    s_curve_motion,
)
from framer.synthetic.measures import (
    Adherence,
    Pose,
    background_mask,
    background_psnr,
    linear_blend,
    locate_sprite,
    psnr,
    trajectory_adherence,
)
from framer.synthetic.textures import Sprite, background_texture, make_sprite

__all__ = [
    "CASE_NAMES",
    "SIZES",
    "Adherence",
    "DragCase",
    "Mover",
    "Pose",
    "Sprite",
    "arc_motion",
    "background_mask",
    "background_psnr",
    "background_texture",
    "linear_blend",
    "list_cases",
    "locate_sprite",
    "make_benchmark",
    "make_case",
    "make_sprite",
    "point_on_pose",
    "psnr",
    "render_layer",
    "s_curve_motion",
    "trajectory_adherence",
]
