"""Drag-mode trajectories: the model, the versioned JSON file format, the ``--drag`` shorthand, overlay drawing.

>>> from framer.trajectory import parse_drag, sample_trajectories
>>> drag = parse_drag("10,10:50,30:90,10")
>>> tracks, visible = sample_trajectories([drag], [0.0, 0.5, 1.0])
>>> tracks.shape, visible.shape
((1, 3, 2), (1, 3))

The drawing helpers (``draw_trajectories``, ``overlay_frames``) import OpenCV and are loaded on first use.

This package is the path model only. Where the paths act: :mod:`framer.guidance` cuts each gap's piece of them
(drag tracks, or the correspondences of a pre-alignment); the pixels move in :mod:`framer.engines.flow.drag` (drag
steering: support masks, background rebuild) or, with the autopilot, through :mod:`framer.motion` (pre-alignment);
the diffusion engine draws them as heatmaps (:mod:`framer.engines.diffusion.heatmaps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framer._lazy import lazy_attributes
from framer.trajectory.io import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_FILE_BYTES,
    MAX_POINTS,
    MAX_SIZE,
    MAX_TRAJECTORIES,
    TrajectoryFile,
    TrajectoryFileError,
    check_trajectories,
    coerce_trajectories,
    dumps_trajectories,
    load_trajectories,
    parse_drag,
    save_trajectories,
    trajectories_from_dict,
    trajectories_to_dict,
)
from framer.trajectory.model import INTERPOLATIONS, Trajectory, TrajectoryError, sample_trajectories

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INTERPOLATIONS",
    "MAX_FILE_BYTES",
    "MAX_POINTS",
    "MAX_SIZE",
    "MAX_TRAJECTORIES",
    "PALETTE",
    "Trajectory",
    "TrajectoryError",
    "TrajectoryFile",
    "TrajectoryFileError",
    "check_trajectories",
    "coerce_trajectories",
    "draw_trajectories",
    "dumps_trajectories",
    "load_trajectories",
    "overlay_frames",
    "parse_drag",
    "sample_trajectories",
    "save_trajectories",
    "trajectories_from_dict",
    "trajectories_to_dict",
    "trajectory_color",
]

_LAZY = {
    name: "framer.trajectory.render" for name in ("PALETTE", "draw_trajectories", "overlay_frames", "trajectory_color")
}

if TYPE_CHECKING:
    from framer.trajectory.render import PALETTE, draw_trajectories, overlay_frames, trajectory_color


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
